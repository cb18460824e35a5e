import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { initBackend } from './backend';
import { buildModel } from './model';
import { saveModel } from './library';
import { formatEvaluation, runEvaluation } from './evaluate';
import { buildEncoding } from '@shared/music/encodings/index';
import { parseAbc } from '@shared/music/abc/read';
import { tempDir } from './testing/fixtures';

beforeAll(async () => {
  await initBackend();
});

const TRAIN = 'X:1\nT:Known\nM:6/8\nL:1/8\nK:D\nDFA dfa|gfe dcB|AFD D3:|\n';
/** Tunes a small vocabulary has not all seen: chord symbols, other lengths and keys, a duplicate, an unreadable L:. */
const TEST = `X:1
T:Known
M:6/8
L:1/8
K:D
DFA dfa|gfe dcB|AFD D3:|

X:2
T:Known again
M:6/8
L:1/8
K:D
DFA dfa|gfe dcB|AFD D3:|

X:3
T:Chords and lengths
M:6/8
L:1/8
K:Bb
"Bb"B/2c/2d3/2 "F"f6|]

X:4
T:Unreadable
M:6/8
L:x
K:D
DFA|]
`;

async function modelFor(version: 1 | 2): Promise<string> {
  const t = parseAbc(TRAIN, { file: 'train.abc' }).tunes[0];
  const encoding = buildEncoding('abc-token', [{ abc: t.abc, sequence: t.sequence, source: { file: 'train.abc', index: 0, line: 1 } }], { version });
  const dir = path.join(await tempDir(), `v${version}`);
  const model = buildModel({ architecture: 'lstm', vocabSize: encoding.tokens.length, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 4);
  const now = new Date().toISOString();
  await saveModel(dir, model, { format: 'seedsong-model', version: 1, name: `v${version}`, createdAt: now, updatedAt: now, source: 'trained', encoding: encoding.toSpec(), model: null, history: [], metrics: { parameters: 0 } });
  model.dispose();
  return dir;
}

describe('seedsong eval: every tune scored, coverage beside the figures', () => {
  it('version 2: unknown tokens are <unk> (counted, not scored), chord symbols removed and counted, duplicates kept', async () => {
    const corpus = path.join(await tempDir(), 'test.abc');
    await fs.writeFile(corpus, TEST);
    const r = await runEvaluation({ model: await modelFor(2), corpus: [corpus] });
    expect(r.encodingVersion).toBe(2);
    expect(r.coverage.tunesGiven).toBe(4);
    expect(r.coverage.tunesScored).toBe(3);
    expect(r.coverage.tunesUnreadable).toBe(1);
    expect(r.problems[0]).toMatch(/L:x|L:/);
    expect(r.coverage.chordSymbolsRemoved).toBe(2);
    expect(r.coverage.unknownAs).toBe('unk');
    expect(r.coverage.tunesWithUnknown).toBe(1);
    // K:Bbmaj, B, /, 3/2, 6 and |] are words this vocabulary never saw.
    expect(r.coverage.topUnknown.map((u) => u.token)).toEqual(expect.arrayContaining(['K:Bbmaj', '/', '3/2', '6', '|]']));
    expect(r.coverage.tokensScored).toBe(r.tokens);
    expect(Number.isFinite(r.crossEntropyPerToken)).toBe(true);
    const text = formatEvaluation(r).join('\n');
    expect(text).toMatch(/3 of 4 tunes scored \(1 unreadable\)/);
    expect(text).toMatch(/removed: 2 chord symbols/);
    expect(text).toMatch(/read as <unk>, not scored/);
  });

  it('version 1 (the default model\'s spelling): unknown tokens are left out and counted, the tune still scored', async () => {
    const corpus = path.join(await tempDir(), 'test.abc');
    await fs.writeFile(corpus, TEST);
    const r = await runEvaluation({ model: await modelFor(1), corpus: [corpus] });
    expect(r.encodingVersion).toBe(1);
    expect(r.coverage.tunesScored).toBe(3);
    expect(r.coverage.unknownAs).toBe('left-out');
    expect(r.coverage.unknownTokens).toBeGreaterThan(0);
    expect(r.coverage.chordSymbolsRemoved).toBe(2);
    expect(formatEvaluation(r).join('\n')).toMatch(/left out: this vocabulary has no <unk>/);
  });

  it('fails only when nothing can be read', async () => {
    const corpus = path.join(await tempDir(), 'bad.abc');
    await fs.writeFile(corpus, 'X:1\nT:Unreadable\nL:x\nK:D\nDFA|]\n');
    await expect(runEvaluation({ model: await modelFor(2), corpus: [corpus] })).rejects.toThrow(/could be read|empty/);
  });
});

describe('seedsong eval --coverage-only', () => {
  it('gives the same coverage without running the model', async () => {
    const corpus = path.join(await tempDir(), 'test.abc');
    await fs.writeFile(corpus, TEST);
    const model = await modelFor(2);
    const full = await runEvaluation({ model, corpus: [corpus] });
    const only = await runEvaluation({ model, corpus: [corpus], coverageOnly: true });
    expect(only.crossEntropyPerToken).toBeNull();
    expect(only.coverage).toEqual(full.coverage);
    expect(formatEvaluation(only).join('\n')).toMatch(/not measured \(coverage only\)/);
  });
});
