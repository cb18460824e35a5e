import { describe, it, expect, beforeAll } from 'vitest';
import { WindowSet, prepareData } from './data';
import { Rng, deriveSeed, withSeededMathRandom } from './rng';
import { learningRateAt, train } from './train';
import { buildModel } from './model';
import { initBackend } from './backend';
import type { TrainingConfig } from './hyperparameters';
import { findPreset, applyOverrides, PRESETS } from './hyperparameters';

describe('windows', () => {
  it('lays tunes end to end and cuts windows of seq + 1 tokens', () => {
    const w = new WindowSet([[0, 5, 6, 1], [0, 7, 1]], 3, 2);
    expect(Array.from(w.stream)).toEqual([0, 5, 6, 1, 0, 7, 1]);
    expect(Array.from(w.starts)).toEqual([0, 2]);
    const x = new Int32Array(6);
    const y = new Int32Array(6);
    w.fill([1, 0], x, y);
    expect(Array.from(x)).toEqual([6, 1, 0, 0, 5, 6]);
    expect(Array.from(y)).toEqual([1, 0, 7, 5, 6, 1]);
  });

  it('an epoch order depends only on (seed, epoch) and is a permutation', () => {
    const w = new WindowSet([Array.from({ length: 50 }, (_, i) => i % 7)], 4, 1);
    const a = w.order(3, 2);
    expect(Array.from(a)).toEqual(Array.from(w.order(3, 2)));
    expect(Array.from(a)).not.toEqual(Array.from(w.order(3, 3)));
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: w.size }, (_, i) => i));
  });

  it('checks data against hyperparameters', () => {
    const data = { train: [[0, 2, 3, 1]], validation: [], vocabSize: 4 };
    expect(() => prepareData(data, { seqLength: 4, batchSize: 1, loss: 'all' })).toThrow(/longer than every tune/);
    expect(() => prepareData(data, { seqLength: 2, batchSize: 5, loss: 'all' })).toThrow(/larger than the data/);
    expect(prepareData(data, { seqLength: 2, batchSize: 1, loss: 'last' }).train.size).toBe(2);
  });
});

describe('rng', () => {
  it('is deterministic, seed-sensitive, restorable and roughly uniform', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(new Rng(43).next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const c = new Rng(7);
    c.next();
    const d = new Rng(c.state());
    expect(d.next()).toBe(c.next());
    expect(deriveSeed(1, 'a', 2)).toBe(deriveSeed(1, 'a', 2));
    expect(deriveSeed(1, 'a', 2)).not.toBe(deriveSeed(1, 'a', 3));
  });

  it('withSeededMathRandom swaps Math.random only inside', () => {
    const original = Math.random;
    const inside = withSeededMathRandom(5, () => [Math.random(), Math.random()]);
    expect(withSeededMathRandom(5, () => [Math.random(), Math.random()])).toEqual(inside);
    expect(Math.random).toBe(original);
  });
});

describe('schedule and early stopping', () => {
  beforeAll(async () => {
    await initBackend();
  });
  const cfg: TrainingConfig = { seqLength: 6, batchSize: 4, stride: 1, epochs: 40, optimizer: 'adam', learningRate: 0.05, lrDecay: 0.5, warmupSteps: 4, clipNorm: 1, loss: 'all', patience: 2, checkpointEveryEpochs: 0, checkpointEverySteps: 0, seed: 1 };

  it('warms up linearly and decays per epoch', () => {
    expect(learningRateAt(cfg, 0, 0)).toBeCloseTo(0.0125);
    expect(learningRateAt(cfg, 0, 3)).toBeCloseTo(0.05);
    expect(learningRateAt(cfg, 2, 100)).toBeCloseTo(0.0125);
  });

  it('stops when validation loss stops improving, with a best checkpoint first', async () => {
    // Validation tunes the training tunes contradict: memorising the training set makes it worse.
    const data = { train: [[0, 2, 3, 4, 5, 2, 3, 4, 5, 1], [0, 2, 3, 4, 5, 2, 3, 4, 5, 1]], validation: [[0, 5, 4, 3, 2, 5, 4, 3, 2, 1]], vocabSize: 6 };
    const model = buildModel({ architecture: 'lstm', vocabSize: 6, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 1);
    const reasons: string[][] = [];
    const r = await train(model, data, { training: { ...cfg, lrDecay: 1 } }, { onCheckpoint: async (c) => void reasons.push(c.reasons) });
    expect(r.stopReason).toBe('early-stopping');
    expect(r.history.length).toBeLessThan(40);
    expect(reasons[0]).toContain('best');
    expect(reasons.at(-1)).toContain('final');
    model.dispose();
  });
});

describe('presets', () => {
  it('has the six recipes, each with a provenance line, all valid', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(['mit-char-abc', 'keras-stateful', 'melody-rnn', 'midi-event-lm', 'abc-token-lstm', 'abc-token-gpt']);
    for (const p of PRESETS) expect(p.description.length).toBeGreaterThan(20);
    expect(() => findPreset('nope')).toThrow(/unknown preset "nope"; known presets: mit-char-abc/);
    expect(applyOverrides(findPreset('keras-stateful'), { model: { units: [64] } }).model.layers).toBe(1);
  });
});
