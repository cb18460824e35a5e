/**
 * The tune constraints (shared/music/constraints) composed with the ABC grammar, sampling the
 * built-in default model: abc2midi, which plays repeats and counts every bar, finds no bar of the
 * wrong length (the pickup and the last bar aside, as the quality report counts them), and a take
 * cut short by the length limit still closes properly.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from './backend';
import { runGeneration } from './jobs';
import { checkWithAbc2midi, measureTune, wrongLengthBars } from './quality';
import { findAbc2midi } from '@shared/music/abc/abc2midi';

const MODEL = path.resolve(import.meta.dirname, '../../resources/models/default');
const abc2midi = findAbc2midi();
if (!abc2midi) console.log('tune-constraints.test: skipping: abc2midi is not installed (apt-get install abcmidi)');

beforeAll(async () => {
  await initBackend();
});

describe.skipIf(!abc2midi)('tune constraints on the default model (abc2midi)', () => {
  it('takes have no wrong-length bar, end on the tonic and close two 8-bar sections', async () => {
    const takes = await runGeneration({ model: MODEL, count: 6, rngSeed: 11, temperature: 1, length: 1024 });
    const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-constraints-'));
    try {
      takes.forEach((t, i) => {
        expect(t.constraints?.names).toEqual(['bar-fill', 'sections', 'tonic-ending']);
        const r = checkWithAbc2midi(abc2midi!, t.abc, dir, i);
        expect(r.errors, t.abc).toEqual([]);
        // A step the constraints could not meet is sampled as the grammar left it: only then may a bar be wrong.
        if (t.constraints!.fallbacks === 0) {
          expect(wrongLengthBars(t.abc, r.barLength).bars, t.abc).toBe(0);
          if (t.stop === 'eos') expect(measureTune(t.abc).tonicEnding, t.abc).toBe(true);
        }
      });
      expect(takes.filter((t) => t.constraints!.fallbacks === 0).length).toBeGreaterThanOrEqual(5);
      expect(takes.filter((t) => measureTune(t.abc).aabb).length).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a take near the length limit still closes (the grammar winds it down; no dead end)', async () => {
    const takes = await runGeneration({ model: MODEL, count: 4, rngSeed: 5, temperature: 1, length: 90 });
    const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-constraints-'));
    try {
      takes.forEach((t, i) => {
        expect(t.tokens.length - t.primeLength).toBeLessThanOrEqual(91);
        expect(checkWithAbc2midi(abc2midi!, t.abc, dir, i).errors, t.abc).toEqual([]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('can be switched off: the request names none and the takes carry no constraint record', async () => {
    const [take] = await runGeneration({ model: MODEL, count: 1, rngSeed: 3, temperature: 1, length: 200, tuneConstraints: false });
    expect(take.constraints).toBeUndefined();
    const [some] = await runGeneration({ model: MODEL, count: 1, rngSeed: 3, temperature: 1, length: 200, tuneConstraints: ['bar-fill'] });
    expect(some.constraints?.names).toEqual(['bar-fill']);
  }, 240_000);
});
