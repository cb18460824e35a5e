import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { TfjsBatchStepper } from '../train';
import { buildModel } from '../model';
import { findPreset, type ModelSpec, type TrainingConfig } from '../hyperparameters';
import { explainFastTrainer } from './trainer';
import { createFastBatchStepper } from './stepper';

tf.setBackend('cpu');

const V = 13;
const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({ architecture: 'gpt', vocabSize: V, embeddingSize: 16, units: [], dropout: 0, recurrentDropout: 0, layers: 2, heads: 2, contextLength: 16, ...over });
const config = (B: number, T: number, over: Partial<TrainingConfig> = {}): TrainingConfig => ({ ...findPreset('abc-token-gpt').training, batchSize: B, seqLength: T, learningRate: 0.01, warmupSteps: 0, clipNorm: 0, weightDecay: 0, ...over });

function batches(n: number, B: number, T: number, seed: number) {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  return Array.from({ length: n }, () => {
    const x = Int32Array.from({ length: B * T }, () => Math.floor(next() * V));
    // a learnable rule, so the curve goes down
    const y = x.map((v, i) => (i % T === 0 ? v : (v + x[i - 1]) % V));
    return { x, y };
  });
}

function weightsClose(a: tf.LayersModel, b: tf.LayersModel, tol: number): number {
  let worst = 0;
  const wa = a.getWeights().map((w) => w.dataSync());
  const wb = b.getWeights().map((w) => w.dataSync());
  wa.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - wb[i][j])))));
  expect(worst).toBeLessThan(tol);
  return worst;
}

describe('fast GPT trainer against tfjs', () => {
  const cases: { name: string; B: number; T: number; over: Partial<TrainingConfig>; threads: number; model?: Partial<ModelSpec> }[] = [
    { name: 'Adam, 1 thread', B: 3, T: 8, over: {}, threads: 1 },
    { name: 'AdamW + clipping, 2 threads, T not a multiple of 8', B: 5, T: 6, over: { weightDecay: 0.1, clipNorm: 0.5 }, threads: 2 },
    { name: 'RMSprop, loss on the last step, 3 blocks of 4 heads', B: 4, T: 16, over: { optimizer: 'rmsprop', loss: 'last', learningRate: 0.003 }, threads: 2, model: { layers: 3, heads: 2, embeddingSize: 32 } },
  ];
  for (const c of cases) {
    it(`matches the engine's tfjs stepper per step (1e-5) and over a loss curve: ${c.name}`, () => {
      const cfg = config(c.B, c.T, c.over);
      const a = buildModel(spec(c.model), 7);
      const b = buildModel(spec(c.model), 7);
      const ref = new TfjsBatchStepper(a, cfg);
      const fast = createFastBatchStepper(b, cfg, { evenWithNativeBackend: true, threads: c.threads });
      expect(fast).not.toBeNull();
      const data = batches(10, c.B, c.T, 3);
      const curve: number[][] = [];
      data.forEach(({ x, y }, i) => {
        const r1 = ref.trainBatch(x, y, c.B, c.T, cfg.learningRate, i);
        const r2 = fast!.trainBatch(x, y, c.B, c.T, cfg.learningRate, i);
        curve.push([r1.loss, r2.loss]);
        expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-5 * Math.max(1, i));
        expect(r2.accuracy).toBeCloseTo(r1.accuracy, 6);
      });
      // it learned something, and both learned the same
      expect(curve[curve.length - 1][0]).toBeLessThan(curve[0][0]);
      const e1 = ref.evaluateBatch(data[0].x, data[0].y, c.B, c.T);
      const e2 = fast!.evaluateBatch(data[0].x, data[0].y, c.B, c.T);
      expect(Math.abs(e1.loss - e2.loss)).toBeLessThan(1e-4);
      ref.dispose();
      fast!.dispose();
      // Adam divides by sqrt(v): a weight whose gradient is ~0 moves by ~lr on rounding noise alone,
      // so weights are compared loosely; the per-step losses above are the strict check
      weightsClose(a, b, 2e-3);
      a.dispose();
      b.dispose();
    });
  }

  it('the first step is within 1e-5 of tfjs in loss and in every weight (AdamW, lr 1e-3)', () => {
    const cfg = config(2, 8, { weightDecay: 0.1, learningRate: 1e-3 });
    const a = buildModel(spec(), 3);
    const b = buildModel(spec(), 3);
    const ref = new TfjsBatchStepper(a, cfg);
    const fast = createFastBatchStepper(b, cfg, { evenWithNativeBackend: true, threads: 1 })!;
    const [{ x, y }] = batches(1, 2, 8, 9);
    const r1 = ref.trainBatch(x, y, 2, 8, cfg.learningRate, 0);
    const r2 = fast.trainBatch(x, y, 2, 8, cfg.learningRate, 0);
    expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-5);
    ref.dispose();
    fast.dispose();
    weightsClose(a, b, 1e-5);
    a.dispose();
    b.dispose();
  });

  it('dropout: own masks, the same whichever thread takes which rows, and a step that learns', () => {
    const m = spec({ dropout: 0.2 });
    const cfg = config(4, 8, { seed: 5 });
    const run = (threads: number) => {
      const model = buildModel(m, 1);
      const { trainer, reason } = explainFastTrainer(model, { batchSize: 4, seqLength: 8, learningRate: 0.01, seed: cfg.seed, threads });
      expect(reason).toBeNull();
      const losses = batches(6, 4, 8, 1).map(({ x, y }, i) => trainer!.step(x, y, 8, i).loss);
      const ev = trainer!.evaluate(batches(1, 4, 8, 1)[0].x, batches(1, 4, 8, 1)[0].y, 8).loss;
      trainer!.dispose();
      model.dispose();
      return { losses, ev };
    };
    const one = run(1);
    const two = run(2);
    // same masks whatever the split (only the summation order of the chunks' gradients differs),
    // and bit for bit the same run twice
    one.losses.forEach((l, i) => expect(Math.abs(l - two.losses[i])).toBeLessThan(1e-5));
    expect(run(2).losses).toEqual(two.losses);
    expect(one.losses[5]).toBeLessThan(one.losses[0]);
    // evaluation has no dropout: it equals tfjs's inference loss on the same weights at step 0
    const model = buildModel(m, 1);
    const ref = new TfjsBatchStepper(model, cfg);
    const { trainer } = explainFastTrainer(model, { batchSize: 4, seqLength: 8, learningRate: 0.01, threads: 1 });
    const [{ x, y }] = batches(1, 4, 8, 1);
    expect(Math.abs(trainer!.evaluate(x, y, 8).loss - ref.evaluateBatch(x, y, 4, 8).loss)).toBeLessThan(1e-5);
    trainer!.dispose();
    ref.dispose();
    model.dispose();
  });

  it('declines what it does not cover, with a reason', () => {
    const model = buildModel(spec({ embeddingSize: 12, heads: 2 }), 1);
    const r = explainFastTrainer(model, { batchSize: 2, seqLength: 8, learningRate: 0.01 });
    expect(r.trainer).toBeNull();
    expect(r.reason).toMatch(/multiple of 8/);
    model.dispose();
    const m2 = buildModel(spec(), 1);
    expect(explainFastTrainer(m2, { batchSize: 2, seqLength: 32, learningRate: 0.01 }).reason).toMatch(/context length/);
    m2.dispose();
  });
});
