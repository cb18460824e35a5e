/**
 * The default model shipped in resources/models/default: the studio opens with it, so a broken
 * commit of its files must fail here rather than on a musician's first Generate.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../engine/backend';
import { enableFastPath } from '../engine/accelerate';
import { loadModelCached, runGeneration } from '../engine/jobs';
import { readMeta } from '../engine/library';
import { parseAbc } from '@shared/music/abc/read';
import { resourcesDir } from './paths';
import { BarIndex, barsOf, checkWithAbc2midi, normalizeKey, scaleOf } from '../../scripts/quality-report';
import { findAbc2midi } from '@shared/music/abc/abc2midi';

const dir = path.join(resourcesDir(), 'models', 'default');

beforeAll(async () => {
  await initBackend();
  await enableFastPath();
});

describe('the default model (resources/models/default)', () => {
  it('is complete, small, and carries no training checkpoints', async () => {
    const names = await fs.readdir(dir);
    for (const f of ['model.json', 'seedsong.json', 'training-log.csv', 'README.md']) expect(names).toContain(f);
    expect(names).not.toContain('checkpoints');
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    let bytes = 0;
    for (const p of manifest.weightsManifest.flatMap((g) => g.paths)) bytes += (await fs.stat(path.join(dir, p))).size;
    expect(bytes).toBeGreaterThan(100_000);
    expect(bytes).toBeLessThan(20 * 1024 * 1024);
  });

  it('records what it was trained on, with the attributions the licenses ask for', async () => {
    const meta = await readMeta(dir);
    expect(meta.source).toBe('trained');
    expect(meta.corpus?.paths.map((p) => path.basename(p)).sort()).toEqual(['CRE_clean.abc', 'irish.abc']);
    expect(meta.metrics.bestValLoss).toBeGreaterThan(0);
    const readme = await fs.readFile(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/MIT License/);
    expect(readme).toMatch(/MIT Introduction to Deep Learning/);
    expect(readme).toMatch(/Bill Black/);
    expect(readme).toMatch(/Polifonia/);
    expect(readme).toMatch(/CC BY 4\.0/);
    expect(readme).toMatch(/quality-report\.ts/);
  });

  it('loads with its vocabulary: ABC tokens, tune start and end, keys, meters and bar lines', async () => {
    const { encoding, model } = await loadModelCached(dir);
    expect(encoding.name).toBe('abc-token');
    expect(encoding.tokens[encoding.bos]).toBe('<s>');
    expect(encoding.tokens[encoding.eos]).toBe('</s>');
    for (const t of ['|', '|:', ':|', 'M:6/8']) expect(encoding.tokens).toContain(t);
    expect(encoding.tokens.some((t) => t.startsWith('K:D'))).toBe(true);
    // Note lengths: version 1 spells them with the note under L:, version 2 as tokens of their own in eighths.
    if (encoding.version === 2) for (const t of ['/', '2', '3', '<unk>']) expect(encoding.tokens).toContain(t);
    else expect(encoding.tokens).toContain('L:1/8');
    // The output layer predicts exactly the vocabulary.
    const out = model.outputs[0].shape;
    expect(out[out.length - 1]).toBe(encoding.tokens.length);
  });

  it('generates a tune that abcjs reads without errors, the same one for the same RNG seed', async () => {
    const request = { model: dir, temperature: 1, rngSeed: 2030, length: 600, count: 1 };
    const [take] = await runGeneration(request);
    expect(take.stop).toBe('eos');
    const parsed = parseAbc(take.abc, { file: 'take' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.tunes).toHaveLength(1);
    expect(parsed.tunes[0].warnings).toEqual([]);
    expect(parsed.tunes[0].sequence.notes.length).toBeGreaterThan(16);
    expect(take.abc).toMatch(/^K:/m);
    const abc2midi = findAbc2midi();
    if (abc2midi) {
      const dir2 = mkdtempSync(path.join(tmpdir(), 'seedsong-default-'));
      try {
        expect(checkWithAbc2midi(abc2midi, take.abc, dir2, 0).errors).toEqual([]);
      } finally {
        rmSync(dir2, { recursive: true, force: true });
      }
    } else console.log('default model: abc2midi is not installed, so the take was checked with abcjs only');
    const [again] = await runGeneration(request);
    expect(again.tokens).toEqual(take.tokens);
  });

  it('continues Banish Misfortune with the seed as written (pickup, repeats, endings, chord symbols, K:Dmix), and abc2midi reads the take', async () => {
    // As the studio's "Continue this tune" sends it: the closing |] opened to a bar line.
    const seed = 'X:1\nT:Banish Misfortune\nR:jig\nM:6/8\nL:1/8\nK:Dmix\nfed|:cAG A2d|cAG A2B|cAG A2d|cAG A2B|\n"D"dfe dcA|"G"GAB cAG|"C"c2d e2f|1 gfe d3:|2 gfe d2B|';
    const takes = await runGeneration({ model: dir, seed: { kind: 'abc', text: seed }, temperature: 1, rngSeed: 7, length: 400, count: 2 });
    const { encoding } = await loadModelCached(dir);
    const abc2midi = findAbc2midi();
    const dir2 = mkdtempSync(path.join(tmpdir(), 'seedsong-banish-'));
    try {
      takes.forEach((take, i) => {
        if (encoding.version === 2) {
          // A version-2 model reads the seed in its own words: the take keeps the musician's text.
          expect(take.seedChars, take.abc).toBe(seed.length);
          expect(take.abc.startsWith(seed)).toBe(true);
          expect(take.warnings).toContain('seed: 3 chord symbols kept as written (the model does not read them)');
        } else console.log('default model: version 1 respells Banish Misfortune (chord symbols, K:Dmix): the take is checked for validity only');
        const parsed = parseAbc(take.abc, { file: 'take' });
        expect(parsed.errors).toEqual([]);
        expect(parsed.tunes[0].sequence.notes.length).toBeGreaterThan(parseAbc(seed).tunes[0].sequence.notes.length);
        if (abc2midi) expect(checkWithAbc2midi(abc2midi, take.abc, dir2, i).errors, take.abc).toEqual([]);
      });
      if (!abc2midi) console.log('default model: abc2midi is not installed, so the Banish Misfortune takes were checked with abcjs only');
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the quality report measures (scripts/quality-report.ts)', () => {
  it('cuts bars at bar lines, repeats and endings, keeps the key, drops chord symbols and empty bars', () => {
    const bars = barsOf('X:1\nM:6/8\nL:1/8\nK:G Major\n|:"G"GAB !trill!c2d|[1 ~e3 d3:|[2 e3 g3||\n');
    expect(bars).toEqual(['G|G A B c2 d', 'G|e3 d3', 'G|e3 g3']);
    expect(['D Major', 'D', 'A Dorian', 'ADor', 'E Minor', 'Em', 'G Mixolydian'].map(normalizeKey)).toEqual(['D', 'D', 'Ador', 'Ador', 'Em', 'Em', 'Gmix']);
  });

  it('finds the longest run of consecutive bars that one training tune also has in a row', () => {
    const index = new BarIndex();
    index.add(['a', 'b', 'c', 'd']);
    index.add(['x', 'b', 'c', 'y']);
    expect(index.longestCopiedRun(['q', 'b', 'c', 'd', 'q'])).toBe(3);
    expect(index.longestCopiedRun(['d', 'c', 'b', 'a'])).toBe(1);
    expect(index.longestCopiedRun(['q', 'r'])).toBe(0);
    // Bars in a row from two different tunes are not one copied run.
    expect(index.longestCopiedRun(['a', 'b', 'c', 'y'])).toBe(3);
  });

  it('judges notes against the key signature: G major has F#, not F', () => {
    const g = scaleOf(1);
    expect([...g].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 7, 9, 11]);
    expect(scaleOf(-1).has(10)).toBe(true);
  });
});
