import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus } from './files';
import { splitOf } from './corpus';
import { writeMidi } from '../midi/write';
import { buildEncoding } from '../encodings/index';

let dir: string;
const tune = (x: number, body: string, key = 'G') => `X:${x}\nT:Tune ${x}\nM:6/8\nL:1/8\nK:${key}\n${body}\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seedsong-corpus-'));
  mkdirSync(join(dir, 'sub'));
  const tunes: string[] = [];
  for (let i = 0; i < 40; i++) tunes.push(tune(i + 1, `GAB ${'cde'[i % 3]}${'fga'[Math.floor(i / 3) % 3]}${'Bcd'[Math.floor(i / 9) % 3]}|${'gfe'[Math.floor(i / 27) % 3]}dc BAG|]`));
  writeFileSync(join(dir, 'book.abc'), tunes.join('\n'));
  // The same melody as tune 1, transposed and with another title: a duplicate.
  writeFileSync(join(dir, 'sub', 'dup.abc'), tune(1, 'ABc dgc|aed cBA|]', 'A').replace('Tune 1', 'Other name') + '\nX:2\nT:broken\nK:C\n\nX:3\nK:C\nCDE|\n');
  writeFileSync(join(dir, 'sub', 'junk.mid'), 'not midi at all');
  writeFileSync(
    join(dir, 'sub', 'ok.mid'),
    writeMidi({ notes: [{ pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 }, { pitch: 64, start: 1, end: 2, velocity: 90, voice: 0 }], tempos: [{ time: 0, qpm: 100 }], timeSignatures: [{ time: 0, numerator: 3, denominator: 4 }], keySignatures: [], totalTime: 2 }),
  );
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadCorpus', () => {
  it('gives the same corpus when worker threads parse the files', { timeout: 60_000 }, async () => {
    const opts = { encodings: ['abc-token' as const], validationFraction: 0.25, seed: 7 };
    const one = await loadCorpus([dir], { ...opts, workers: 0 });
    const progress: number[] = [];
    const two = await loadCorpus([dir], { ...opts, workers: 2, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify([two.stats, two.entries, two.files, two.encodings['abc-token']?.tokens])).toBe(JSON.stringify([one.stats, one.entries, one.files, one.encodings['abc-token']?.tokens]));
  });
  it('loads folders, removes duplicates, reports errors with file and line, and splits by tune', async () => {
    const c = await loadCorpus([dir], { encodings: ['abc-char', 'abc-token', 'melody-event', 'midi-event'], validationFraction: 0.25, seed: 7 });
    expect(c.stats.files).toBe(4);
    expect(c.stats.duplicates).toBe(1);
    expect(c.stats.tunes).toBe(40 + 1 + 1); // book + X:3 of dup.abc + ok.mid
    expect(c.stats.train + c.stats.validation).toBe(c.stats.tunes);
    expect(c.stats.validation).toBeGreaterThan(2);
    expect(c.stats.meters['6/8']).toBe(40);
    expect(c.stats.keys['G']).toBe(40);
    const errs = c.files.flatMap((f) => f.errors);
    expect(errs.map((e) => e.code).sort()).toEqual(['abc-no-notes', 'midi-format']);
    expect(errs.find((e) => e.code === 'abc-no-notes')).toMatchObject({ tune: 1, line: 8 });
    expect(c.stats.tokens!['abc-token']!.total).toBeLessThan(c.stats.tokens!['abc-char']!.total);
    expect(c.stats.tokens!['melody-event']!.vocabulary).toBe(132);

    // Iterating reads the same kept tunes again, per split, and the learned vocabulary encodes them all.
    const train = [];
    for await (const t of c.tunes('train')) train.push(t);
    expect(train.length).toBe(c.stats.train);
    const enc = c.encodings['abc-token']!;
    for (const t of train) expect(enc.encode(t).length).toBeGreaterThan(2);
    const all = [];
    for await (const t of c.tunes()) all.push(t);
    expect(buildEncoding('abc-char', all).tokens).toEqual(c.encodings['abc-char']!.tokens);
  });
  it('counts abc-token in the spelling of the model: version 2 unless asked, the vocabulary buildEncoding learns', async () => {
    const own = mkdtempSync(join(tmpdir(), 'seedsong-corpus-chords-'));
    const file = join(own, 'chords.abc');
    writeFileSync(file, [tune(1, '"G"GAB "D7"c2d|"Em"e/f/g e dBG|]'), tune(2, '"Am"A3 c2B|"^text"A>G E2D|]', 'Ador')].join('\n'));
    const tunes = [];
    for await (const t of (await loadCorpus([file], { workers: 0 })).tunes()) tunes.push(t);
    expect(tunes.length).toBe(2);
    const cases = [
      { opts: {}, learned: buildEncoding('abc-token', tunes), version: 2 },
      { opts: { abcToken: { version: 2 as const, chords: 'keep' as const } }, learned: buildEncoding('abc-token', tunes, { version: 2, chords: 'keep' }), version: 2 },
      { opts: { abcToken: { version: 1 as const } }, learned: buildEncoding('abc-token', tunes, { version: 1 }), version: undefined },
    ];
    const totals: number[] = [];
    for (const { opts, learned, version } of cases) {
      const c = await loadCorpus([file], { encodings: ['abc-token'], workers: 0, dedupe: false, ...opts });
      const enc = c.encodings['abc-token']!;
      expect(enc.toSpec()).toEqual(learned.toSpec());
      expect(enc.toSpec().version).toBe(version);
      const lengths = tunes.map((t) => learned.encode(t).length);
      expect(c.stats.tokens!['abc-token']).toEqual({ total: lengths[0] + lengths[1], vocabulary: learned.tokens.length, meanPerTune: (lengths[0] + lengths[1]) / 2, maxPerTune: Math.max(...lengths) });
      totals.push(c.stats.tokens!['abc-token']!.total);
    }
    // Version 2 spells a note in two tokens where its length is not an eighth; kept chord symbols are tokens.
    expect(totals[1]).toBe(totals[0] + 4);
    expect(totals[2]).not.toBe(totals[0]);
    rmSync(own, { recursive: true, force: true });
  });
  it('gives the same split whatever the file order, and another split for another seed', async () => {
    const a = await loadCorpus([join(dir, 'book.abc')], { seed: 3 });
    const b = await loadCorpus([join(dir, 'sub', '*.abc'), join(dir, 'book.abc')], { seed: 3 });
    const splitOfTitle = (c: typeof a) => Object.fromEntries(c.entries.filter((e) => e.file.endsWith('book.abc')).map((e) => [e.title, e.split]));
    expect(splitOfTitle(b)).toEqual(splitOfTitle(a));
    const seeds = new Set([1, 2, 3, 4, 5].map((s) => splitOf(12345, s, 0.5)));
    expect(seeds.size).toBe(2);
  });
  it('expands globs and reports paths that match nothing', async () => {
    const c = await loadCorpus([join(dir, '**/*.mid'), join(dir, 'missing.abc'), join(dir, 'notes.txt')]);
    expect(c.stats.files).toBe(2);
    expect(c.stats.tunes).toBe(1);
    const messages = c.files.flatMap((f) => f.errors.map((e) => e.message)).join('\n');
    expect(messages).toMatch(/missing\.abc: no such file/);
    expect(messages).toMatch(/notes\.txt: not an \.abc or \.mid file/);
  });
});

const CORPORA = '/work/shared/corpora';
const hasCorpora = existsSync(CORPORA);
if (!hasCorpora) console.log(`skipping real-corpus loading: ${CORPORA} is absent`);
describe.skipIf(!hasCorpora)('real corpora', () => {
  it('loads an ABC collection and a MIDI collection with stats', async () => {
    const c = await loadCorpus([`${CORPORA}/abc_misc_folk`, `${CORPORA}/midi_jsb_chorales/0001*.mid`], { encodings: ['abc-token'] });
    expect(c.stats.tunes).toBeGreaterThan(150);
    expect(Object.keys(c.stats.meters).length).toBeGreaterThan(2);
    expect(c.stats.pitchRange!.min).toBeGreaterThan(20);
  });
});
