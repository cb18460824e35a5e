import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { TfjsBatchStepper } from '../train';
import { findPreset, type TrainingConfig } from '../hyperparameters';
import { createFastBatchStepper, createFastStepModel, fastStepperOr } from './stepper';

tf.setBackend('cpu');

function build(seed: number, recurrentDropout = 0): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: 20, outputDim: 8, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed }) }));
  m.add(tf.layers.lstm({ units: 16, returnSequences: true, recurrentActivation: 'sigmoid', recurrentDropout, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
  m.add(tf.layers.dense({ units: 20, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }) }));
  m.build([null, null]);
  return m;
}

const B = 4;
const T = 6;
const config = (over: Partial<TrainingConfig> = {}): TrainingConfig => ({ ...findPreset('melody-rnn').training, batchSize: B, seqLength: T, learningRate: 0.02, ...over });

function data(n: number, seed: number) {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  return Array.from({ length: n }, () => {
    const x = Int32Array.from({ length: B * T }, () => Math.floor(next() * 20));
    const y = x.map((v) => (v * 3 + 1) % 20);
    return { x, y };
  });
}

describe('fast BatchStepper in the engine', () => {
  for (const over of [{}, { optimizer: 'rmsprop' as const, clipNorm: 1 }, { loss: 'last' as const }]) {
    it(`gives the engine's tfjs stepper's loss curve ${JSON.stringify(over)}`, () => {
      const cfg = config(over);
      const a = build(1);
      const b = build(1);
      const ref = new TfjsBatchStepper(a, cfg);
      const fast = createFastBatchStepper(b, cfg, { evenWithNativeBackend: true, threads: 2 })!;
      expect(fast).not.toBeNull();
      const batches = data(8, 2);
      batches.forEach(({ x, y }, i) => {
        const r1 = ref.trainBatch(x, y, B, T, cfg.learningRate, i);
        const r2 = fast.trainBatch(x, y, B, T, cfg.learningRate, i);
        expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(2e-4);
        expect(r2.accuracy).toBeCloseTo(r1.accuracy, 6);
      });
      const e1 = ref.evaluateBatch(batches[0].x, batches[0].y, B, T);
      const e2 = fast.evaluateBatch(batches[0].x, batches[0].y, B, T);
      expect(Math.abs(e1.loss - e2.loss)).toBeLessThan(2e-4);
      ref.dispose();
      fast.dispose();
      // dispose wrote the weights back into the model
      const wa = a.getWeights().map((w) => w.dataSync());
      const wb = b.getWeights().map((w) => w.dataSync());
      wa.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wb[i][j])).toBeLessThan(1e-3)));
      a.dispose();
      b.dispose();
    });
  }

  it('snapshot + restore continues exactly, and the snapshot loads into the tfjs stepper', async () => {
    const cfg = config();
    const batches = data(6, 3);
    const straight = build(4);
    const s1 = createFastBatchStepper(straight, cfg, { evenWithNativeBackend: true })!;
    const losses = batches.map(({ x, y }, i) => s1.trainBatch(x, y, B, T, cfg.learningRate, i).loss);
    s1.dispose();

    const first = build(4);
    const s2 = createFastBatchStepper(first, cfg, { evenWithNativeBackend: true })!;
    batches.slice(0, 3).forEach(({ x, y }, i) => s2.trainBatch(x, y, B, T, cfg.learningRate, i));
    const snap = await s2.snapshot(); // also writes the weights into `first`
    s2.dispose();
    const resumed = build(99);
    resumed.setWeights(first.getWeights());
    const s3 = createFastBatchStepper(resumed, cfg, { evenWithNativeBackend: true })!;
    s3.restore(snap);
    const rest = batches.slice(3).map(({ x, y }, i) => s3.trainBatch(x, y, B, T, cfg.learningRate, 3 + i).loss);
    expect(rest).toEqual(losses.slice(3));
    s3.dispose();

    const viaTfjs = build(98);
    viaTfjs.setWeights(first.getWeights());
    const s4 = new TfjsBatchStepper(viaTfjs, cfg);
    s4.restore(snap);
    const tfRest = batches.slice(3).map(({ x, y }, i) => s4.trainBatch(x, y, B, T, cfg.learningRate, 3 + i).loss);
    tfRest.forEach((l, i) => expect(Math.abs(l - losses[3 + i])).toBeLessThan(2e-4));
    s4.dispose();
    [straight, first, resumed, viaTfjs].forEach((m) => m.dispose());
  });

  it('falls back to tfjs for models it cannot train', () => {
    const m = build(5, 0.3);
    expect(createFastBatchStepper(m, config(), { evenWithNativeBackend: true })).toBeNull();
    const s = fastStepperOr((mm, c) => new TfjsBatchStepper(mm, c))(m, config());
    expect(s).toBeInstanceOf(TfjsBatchStepper);
    s.dispose();
    expect(createFastStepModel(m)).not.toBeNull(); // dropout of any kind is inactive at sampling time
    m.dispose();
  });
});
