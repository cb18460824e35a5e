/**
 * Corpus adds (issue #18 item 5): files are parsed in worker threads, never on the calling thread,
 * and only the new ones: adding a file does not parse the corpus again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CorpusStore } from './corpora';
import { summarizeFiles, readOne } from '@shared/music/corpus/files';
import { summarizeTunes, type FileSummary } from '@shared/music/corpus/corpus';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-corpora-'));
  dirs.push(d);
  return d;
};
const tune = (x: number, body: string, key = 'D') => `X:${x}\nT:Tune ${x}\nM:6/8\nL:1/8\nK:${key}\n${body}|]\n`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('CorpusStore', () => {
  it('parses only the files an add brings, and the stats match a full read', async () => {
    const parsed: string[][] = [];
    const store = new CorpusStore(tmp(), {
      summarize: async (files) => {
        parsed.push(files.map((f) => path.basename(f)));
        return summarizeFiles(files, { threads: 1 });
      },
    });
    const c = await store.create('jigs');
    await store.add(c.id, [{ name: 'a.abc', base64: b64(tune(1, 'DFA dAF') + '\n' + tune(2, 'GAB cde', 'G')) }]);
    const second = await store.add(c.id, [{ name: 'b.abc', base64: b64(tune(3, 'ABc dcB') + '\n' + tune(4, 'DFA dAF')) }, { name: 'bad.abc', base64: b64('X:9\nK:H#\n') }]);
    expect(parsed).toEqual([['a.abc'], ['b.abc', 'bad.abc']]);
    // tune 4 repeats tune 1's melody: a duplicate, as a full read would count it.
    expect(second.stats).toMatchObject({ tunes: 3, duplicates: 1, meters: { '6/8': 3 }, keys: { D: 2, G: 1 } });
    expect(second.problems.length).toBeGreaterThan(0);
    for (const p of second.problems) expect(p.message).not.toContain(store.root);
    // A new store (a restart) still knows the summaries: nothing is parsed again.
    const again = new CorpusStore(path.dirname(store.root), { summarize: async (files) => (parsed.push(files), summarizeFiles(files, { threads: 1 })) });
    expect((await again.refresh(c.id)).stats).toEqual(second.stats);
    expect(parsed).toHaveLength(2);
  });
});

describe('summarizeFiles', () => {
  it('parses in worker threads (even a single file) and gives the same facts as reading on this thread', async () => {
    const d = tmp();
    const file = path.join(d, 'one.abc');
    fs.writeFileSync(file, tune(1, 'DFA dAF') + '\n' + tune(2, 'GBd gdB'));
    const fallbacks: string[] = [];
    const [summary] = await summarizeFiles([file], { onFallback: (why) => fallbacks.push(why) });
    expect(fallbacks).toEqual([]);
    const here: FileSummary = summarizeTunes(file, await readOne(file, {}));
    expect(summary).toEqual(here);
    expect(summary!.tunes).toHaveLength(2);
  });
});
