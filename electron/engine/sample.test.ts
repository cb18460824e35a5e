import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { buildModel } from './model';
import { createStepModel } from './step';
import { chooseToken, sample } from './sample';
import { Rng } from './rng';
import type { ModelSpec } from './hyperparameters';
import { RunControl } from './control';

const spec = (o: Partial<ModelSpec> = {}): ModelSpec => ({ architecture: 'lstm', vocabSize: 7, embeddingSize: 5, units: [6, 4], dropout: 0, recurrentDropout: 0, layers: 2, heads: 2, contextLength: 16, ...o });

beforeAll(async () => {
  await initBackend();
});

describe('step models', () => {
  for (const [name, s] of [
    ['lstm', spec()],
    ['gru', spec({ architecture: 'gru' })],
    ['gpt', spec({ architecture: 'gpt', embeddingSize: 8, layers: 2 })],
  ] as const) {
    it(`${name}: stepping one token at a time gives model.predict's probabilities`, () => {
      const model = buildModel(s, 5);
      const ids = [[0, 3, 2, 6, 1, 4, 4, 5], [0, 1, 1, 2, 3, 5, 6, 0]];
      const full = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(ids, [2, 8], 'int32')) as tf.Tensor).arraySync() as number[][][]);
      const step = createStepModel(model);
      step.reset(2);
      for (let t = 0; t < 8; t++) {
        const p = step.step([ids[0][t], ids[1][t]]);
        for (let b = 0; b < 2; b++) for (let v = 0; v < 7; v++) expect(Math.abs(p[b * 7 + v] - full[b][t][v])).toBeLessThan(1e-5);
      }
      step.dispose();
      model.dispose();
    });
  }

  it('gpt: the key/value cache gives the window model\'s probabilities, also once the window slides', () => {
    const model = buildModel(spec({ architecture: 'gpt', embeddingSize: 8, layers: 2, contextLength: 6 }), 9);
    const kv = createStepModel(model);
    const full = createStepModel(model, { kvCache: false });
    expect(kv.constructor.name).toBe('GptKvStepModel');
    expect(full.constructor.name).toBe('TfWindowStepModel');
    const before = tf.memory().numTensors;
    kv.reset(3);
    full.reset(3);
    const ids = [0, 3, 2, 6, 1, 4, 4, 5, 2, 2, 6, 1, 3, 0]; // 14 steps through a window of 6
    ids.forEach((id, t) => {
      const tokens = [id, (id + t) % 7, (3 * id + 1) % 7];
      const a = kv.step(tokens);
      const b = full.step(tokens);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    });
    kv.dispose();
    full.dispose();
    expect(tf.memory().numTensors).toBe(before); // the cache is freed
    model.dispose();
  });

  it('follows a model with hardSigmoid gates and a softmax output (as Keras models have)', () => {
    const input = tf.input({ shape: [null], dtype: 'int32' });
    let x = tf.layers.embedding({ inputDim: 7, outputDim: 3 }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'hardSigmoid' }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 7, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const ids = [0, 2, 4, 6, 1];
    const full = tf.tidy(() => (model.predict(tf.tensor2d([ids], [1, 5], 'int32')) as tf.Tensor).arraySync() as number[][][]);
    const step = createStepModel(model);
    step.reset(1);
    ids.forEach((id, t) => {
      const p = step.step([id]);
      for (let v = 0; v < 7; v++) expect(Math.abs(p[v] - full[0][t][v])).toBeLessThan(1e-5);
    });
    step.dispose();
    model.dispose();
  });
});

describe('sample', () => {
  it('same RNG seed gives the same take; another seed a different one', async () => {
    const model = buildModel(spec(), 5);
    const run = (rngSeed: number) => sample(createStepModel(model), { prime: [0, 3], maxTokens: 30, count: 3, temperature: 1.5, rngSeed });
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a[0].tokens).not.toEqual(a[1].tokens);
    model.dispose();
  });

  it('without an RNG seed, two runs differ (a fresh seed each time, not a fixed default)', async () => {
    const model = buildModel(spec(), 5);
    const run = () => sample(createStepModel(model), { prime: [0, 3], maxTokens: 30, count: 1, temperature: 1.5 });
    const a = await run();
    const b = await run();
    expect(a[0].tokens).not.toEqual(b[0].tokens);
    expect(await sample(createStepModel(model), { prime: [0, 3], maxTokens: 30, count: 1, temperature: 1.5, rngSeed: 0 })).toEqual(await sample(createStepModel(model), { prime: [0, 3], maxTokens: 30, count: 1, temperature: 1.5, rngSeed: 0 }));
    model.dispose();
  });

  it('leaves tf.memory() unchanged after sampling and after dispose', async () => {
    const before = tf.memory().numTensors;
    const model = buildModel(spec(), 5);
    const afterBuild = tf.memory().numTensors;
    const streamed: number[] = [];
    const takes = await sample(createStepModel(model), { prime: [0], maxTokens: 20, count: 2, rngSeed: 1, onToken: (v, t) => v === 0 && streamed.push(t) });
    expect(streamed).toEqual(takes[0].tokens);
    expect(tf.memory().numTensors).toBe(afterBuild);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops each variation at eos and respects the length limit', async () => {
    const model = buildModel(spec(), 5);
    const takes = await sample(createStepModel(model), { prime: [0], maxTokens: 50, count: 8, eos: 1, rngSeed: 3, temperature: 2 });
    for (const t of takes) {
      expect(t.tokens.length).toBeLessThanOrEqual(50);
      expect(t.tokens).not.toContain(1);
      if (t.stop === 'length') expect(t.tokens.length).toBe(50);
    }
    expect(takes.some((t) => t.stop === 'eos')).toBe(true);
    model.dispose();
  });

  it('stops every variation when cancelled, keeping what was sampled', async () => {
    const model = buildModel(spec(), 5);
    const control = new RunControl();
    let n = 0;
    const takes = await sample(createStepModel(model), { prime: [0], maxTokens: 1000, count: 2, rngSeed: 1, control, onToken: (v) => v === 0 && ++n === 20 && control.cancel() });
    for (const t of takes) {
      expect(t.stop).toBe('cancelled');
      expect(t.tokens.length).toBeGreaterThanOrEqual(20);
      expect(t.tokens.length).toBeLessThanOrEqual(32);
    }
    model.dispose();
  });

  it('rejects bad requests', async () => {
    const model = buildModel(spec(), 5);
    await expect(sample(createStepModel(model), { prime: [], maxTokens: 5 })).rejects.toThrow(/seed is empty/);
    await expect(sample(createStepModel(model), { prime: [9], maxTokens: 5 })).rejects.toThrow(/outside the vocabulary/);
    await expect(sample(createStepModel(model), { prime: [0], maxTokens: 0 })).rejects.toThrow(/length/);
    model.dispose();
  });
});

describe('chooseToken', () => {
  const row = [0.5, 0.3, 0.15, 0.05];
  it('is greedy at temperature 0', () => {
    expect(chooseToken(row, new Rng(1), { temperature: 0 })).toBe(0);
  });
  it('top-k 1 and top-p 0.4 keep only the most likely token', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) {
      expect(chooseToken(row, rng, { topK: 1 })).toBe(0);
      expect(chooseToken(row, rng, { topP: 0.4 })).toBe(0);
    }
  });
  it('top-p 0.85 never picks the tail; frequencies follow the probabilities', () => {
    const rng = new Rng(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[chooseToken(row, rng, { topP: 0.85 })]++;
    expect(counts[3]).toBe(0);
    expect(counts[0] / 20000).toBeCloseTo(0.5 / 0.95, 1);
    const all = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) all[chooseToken(row, rng, {})]++;
    row.forEach((p, i) => expect(all[i] / 20000).toBeCloseTo(p, 1));
  });
});
