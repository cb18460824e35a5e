import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createFastTrainer, dropoutMask, explainFastTrainer, type Trainer } from './trainer';
import { Optimizer } from '../optimizer';
import { deriveSeed } from '../rng';
import { KernelInstance, kernelModule } from './wasm';

tf.setBackend('cpu');

function build(vocab: number, emb: number, units: number[], seed: number, gate: 'sigmoid' | 'hardSigmoid' = 'sigmoid', dropout = 0): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: vocab, outputDim: emb, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed }) }));
  units.forEach((u, i) =>
    m.add(
      tf.layers.lstm({
        units: u,
        returnSequences: true,
        recurrentActivation: gate,
        dropout,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 + i }),
        recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 11 + i }),
        unitForgetBias: true,
      }),
    ),
  );
  m.add(tf.layers.dense({ units: vocab, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 21 }) }));
  m.build([null, null]);
  return m;
}

function batches(n: number, B: number, T: number, vocab: number, seed: number): { x: Int32Array; y: Int32Array }[] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  // a learnable stream: mostly "next = prev + 1", some noise
  return Array.from({ length: n }, () => {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      let t0 = Math.floor(next() * vocab);
      for (let t = 0; t < T; t++) {
        x[b * T + t] = t0;
        t0 = next() < 0.8 ? (t0 + 1) % vocab : Math.floor(next() * vocab);
        y[b * T + t] = t0;
      }
    }
    return { x, y };
  });
}

/** The tfjs reference: the same loss (mean softmax cross-entropy over all steps) and tfjs's Adam. */
function tfjsCurve(model: tf.LayersModel, data: { x: Int32Array; y: Int32Array }[], B: number, T: number, vocab: number, lr: number, clipNorm = 0): number[] {
  const opt = tf.train.adam(lr);
  const curve: number[] = [];
  for (const { x, y } of data) {
    const xs = tf.tensor2d(x, [B, T], 'int32');
    const ys = tf.oneHot(tf.tensor2d(y, [B, T], 'int32'), vocab);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor) as tf.Scalar);
    curve.push(value.dataSync()[0]);
    let g = grads;
    if (clipNorm > 0) {
      const norm = Math.sqrt(Object.values(grads).reduce((a, t) => a + tf.sum(tf.square(t)).dataSync()[0], 0));
      const k = norm > clipNorm ? clipNorm / norm : 1;
      g = Object.fromEntries(Object.entries(grads).map(([n, t]) => [n, tf.mul(t, k)]));
    }
    opt.applyGradients(g as tf.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
    tf.dispose([xs, ys, value, grads, g]);
  }
  opt.dispose();
  return curve;
}

const trainers: Trainer[] = [];
afterAll(() => trainers.forEach((t) => t.dispose()));

function fastCurve(model: tf.LayersModel, data: { x: Int32Array; y: Int32Array }[], B: number, T: number, lr: number, threads: number, clipNorm = 0): { curve: number[]; trainer: Trainer } {
  const trainer = createFastTrainer(model, { batchSize: B, seqLength: T, learningRate: lr, threads, clipNorm, adamStyle: 'tf.train.adam' })!;
  expect(trainer).not.toBeNull();
  trainers.push(trainer);
  const curve: number[] = [];
  for (const { x, y } of data) curve.push(trainer.step(x, y).loss);
  return { curve, trainer };
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('fast LSTM trainer against tfjs', () => {
  it('follows the tfjs loss curve and ends with the same weights (2 layers, 2 threads)', () => {
    const V = 24, B = 6, T = 7, lr = 0.01;
    const data = batches(12, B, T, V, 1);
    const ref = build(V, 16, [16, 24], 5);
    const fast = build(V, 16, [16, 24], 5);
    const refCurve = tfjsCurve(ref, data, B, T, V, lr);
    const { curve, trainer } = fastCurve(fast, data, B, T, lr, 2);
    for (let i = 0; i < curve.length; i++) expect(Math.abs(curve[i] - refCurve[i])).toBeLessThan(2e-4);
    expect(curve[curve.length - 1]).toBeLessThan(curve[0]);
    trainer.syncToModel();
    const a = weightsOf(ref);
    const b = weightsOf(fast);
    let worst = 0;
    a.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
    console.log(`loss curve ${curve.map((c) => c.toFixed(4)).join(' ')}; max weight diff after ${data.length} steps ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
    ref.dispose();
    fast.dispose();
  });

  it('first layer through the embedding table (vocabulary smaller than the chunk) and without it: the same training', () => {
    const V = 24, B = 6, T = 7, lr = 0.01;
    const data = batches(10, B, T, V, 7);
    const ref = build(V, 16, [16, 24], 5);
    const refCurve = tfjsCurve(ref, data, B, T, V, lr);
    // 1 thread: 42 rows per chunk > 24 tokens (table); 3 threads: 7-row chunks < 24 (plain GEMM)
    const runs = [1, 3].map((threads) => {
      const m = build(V, 16, [16, 24], 5);
      const r = fastCurve(m, data, B, T, lr, threads);
      r.curve.forEach((l, i) => expect(Math.abs(l - refCurve[i])).toBeLessThan(2e-4));
      r.trainer.syncToModel();
      r.trainer.dispose();
      const w = weightsOf(m);
      m.dispose();
      return w;
    });
    const a = weightsOf(ref);
    for (const b of runs) a.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(1e-3)));
    ref.dispose();
  });

  it('hardSigmoid gates, one thread, odd batch split, gradient clipping', () => {
    const V = 19, B = 5, T = 6, lr = 0.02;
    const data = batches(8, B, T, V, 2);
    const ref = build(V, 8, [16], 6, 'hardSigmoid');
    const fast = build(V, 8, [16], 6, 'hardSigmoid');
    const refCurve = tfjsCurve(ref, data, B, T, V, lr, 0.5);
    const one = fastCurve(fast, data, B, T, lr, 1, 0.5);
    for (let i = 0; i < refCurve.length; i++) expect(Math.abs(one.curve[i] - refCurve[i])).toBeLessThan(2e-4);
    const fast3 = build(V, 8, [16], 6, 'hardSigmoid');
    const three = fastCurve(fast3, data, B, T, lr, 3, 0.5);
    for (let i = 0; i < refCurve.length; i++) expect(Math.abs(three.curve[i] - refCurve[i])).toBeLessThan(2e-4);
    [ref, fast, fast3].forEach((m) => m.dispose());
  });

  it('evaluate does not change the weights; last-step targets train only the last step', () => {
    const V = 12, B = 4, T = 5;
    const model = build(V, 8, [8], 7);
    const trainer = createFastTrainer(model, { batchSize: B, seqLength: T, learningRate: 0.01, threads: 2 })!;
    trainers.push(trainer);
    const [d] = batches(1, B, T, V, 3);
    const e1 = trainer.evaluate(d.x, d.y);
    const e2 = trainer.evaluate(d.x, d.y);
    expect(e2).toEqual(e1);
    expect(trainer.iterations).toBe(0);
    const last = Int32Array.from({ length: B }, (_, b) => d.y[b * T + T - 1]);
    const r = trainer.evaluate(d.x, last);
    // same model: the last-step loss equals tfjs's loss on the last step alone
    const ref = tf.tidy(() => {
      const logits = (model.apply(tf.tensor2d(d.x, [B, T], 'int32')) as tf.Tensor3D).slice([0, T - 1, 0], [B, 1, V]).reshape([B, V]);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(last, 'int32'), V), logits).dataSync()[0];
    });
    expect(Math.abs(r.loss - ref)).toBeLessThan(1e-5);
    trainer.step(d.x, last);
    expect(trainer.iterations).toBe(1);
    model.dispose();
  });

  it('takes smaller batches than it was built for (the last partial batch of an epoch)', () => {
    const V = 14, T = 4;
    const model = build(V, 8, [16], 12);
    const trainer = createFastTrainer(model, { batchSize: 6, seqLength: T, learningRate: 0.01, threads: 2 })!;
    trainers.push(trainer);
    for (const B of [1, 3, 6]) {
      const [d] = batches(1, B, T, V, 20 + B);
      const ref = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor2d(d.y, [B, T], 'int32'), V), model.apply(tf.tensor2d(d.x, [B, T], 'int32')) as tf.Tensor).dataSync()[0]);
      expect(Math.abs(trainer.evaluate(d.x, d.y).loss - ref)).toBeLessThan(1e-5);
    }
    const [d] = batches(1, 1, T, V, 30);
    expect(trainer.step(d.x, d.y).loss).toBeGreaterThan(0);
    model.dispose();
  });

  it('rejects what it cannot train, and bad batches, with clear reasons', () => {
    const dropout = tf.sequential();
    dropout.add(tf.layers.embedding({ inputDim: 10, outputDim: 8 }));
    dropout.add(tf.layers.lstm({ units: 8, returnSequences: true, recurrentDropout: 0.2 }));
    dropout.add(tf.layers.dense({ units: 10 }));
    dropout.build([null, null]);
    expect(explainFastTrainer(dropout, { batchSize: 2, seqLength: 3, learningRate: 0.01 }).reason).toMatch(/recurrent dropout/);
    const layer = tf.sequential();
    layer.add(tf.layers.embedding({ inputDim: 10, outputDim: 8 }));
    layer.add(tf.layers.dropout({ rate: 0.1 }));
    layer.add(tf.layers.lstm({ units: 8, returnSequences: true }));
    layer.add(tf.layers.dense({ units: 10 }));
    layer.build([null, null]);
    expect(explainFastTrainer(layer, { batchSize: 2, seqLength: 3, learningRate: 0.01 }).reason).toMatch(/Dropout layer dropout.* \(not right after an LSTM layer\)/);
    layer.dispose();
    const odd = build(10, 8, [12], 9);
    expect(explainFastTrainer(odd, { batchSize: 2, seqLength: 3, learningRate: 0.01 }).reason).toMatch(/multiple of 8/);
    const ok = build(10, 8, [8], 10);
    const t = createFastTrainer(ok, { batchSize: 2, seqLength: 3, learningRate: 0.01, threads: 1 })!;
    trainers.push(t);
    expect(() => t.step(new Int32Array(5), new Int32Array(5))).toThrow(/windows/);
    expect(() => t.step(Int32Array.of(1, 2, 10, 1, 2, 3), new Int32Array(6))).toThrow(/outside the vocabulary/);
    expect(() => t.step(new Int32Array(9), new Int32Array(9))).toThrow(/larger than the trainer/);
    t.dispose();
    expect(() => t.step(new Int32Array(6), new Int32Array(6))).toThrow(/disposed/);
    [dropout, odd, ok].forEach((m) => m.dispose());
  });
});

/** A hand-written tfjs LSTM with explicit input-dropout masks, for checking the fast trainer's dropout. */
function maskedLoss(model: tf.LayersModel, x: Int32Array, y: Int32Array, B: number, T: number, vocab: number, masks: (Float32Array | null)[], outMasks: (Float32Array | null)[] = []): tf.Scalar {
  const w = model.trainableWeights.map((v) => v.read());
  let h3 = tf.gather(w[0], tf.tensor2d(x, [B, T], 'int32')) as tf.Tensor3D;
  const layers = (w.length - 3) / 3;
  for (let l = 0; l < layers; l++) {
    const [W, U, b] = w.slice(1 + 3 * l, 4 + 3 * l);
    const u = U.shape[0]!;
    const m = masks[l];
    if (m) h3 = tf.mul(h3, tf.tensor3d(m, [B, 1, h3.shape[2]])) as tf.Tensor3D;
    let h = tf.zeros([B, u]) as tf.Tensor2D;
    let c = tf.zeros([B, u]) as tf.Tensor2D;
    const outs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const xt = tf.squeeze(tf.slice(h3, [0, t, 0], [B, 1, h3.shape[2]]), [1]) as tf.Tensor2D;
      const z = tf.add(tf.add(tf.matMul(xt, W as tf.Tensor2D), tf.matMul(h, U as tf.Tensor2D)), b);
      const [zi, zf, zg, zo] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
      h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
      outs.push(h);
    }
    h3 = tf.stack(outs, 1) as tf.Tensor3D;
    const om = outMasks[l];
    if (om) h3 = tf.mul(h3, tf.tensor3d(om, [B, T, u])) as tf.Tensor3D;
  }
  const [Wd, bd] = w.slice(w.length - 2);
  const logits = tf.add(tf.matMul(tf.reshape(h3, [B * T, h3.shape[2]]), Wd as tf.Tensor2D), bd);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), vocab), logits) as tf.Scalar;
}

describe('fast LSTM trainer with input dropout', () => {
  it('matches a tfjs LSTM given the same masks, step after step (engine Adam)', () => {
    const V = 16, B = 4, T = 5, lr = 0.01, seed = 7;
    const data = batches(6, B, T, V, 4);
    const ref = build(V, 8, [16, 8], 11, 'sigmoid', 0.3);
    const fast = build(V, 8, [16, 8], 11, 'sigmoid', 0.3);
    const vars = ref.trainableWeights.map((v) => v.read() as tf.Variable);
    const opt = new Optimizer('adam', vars);
    const trainer = createFastTrainer(fast, { batchSize: B, seqLength: T, learningRate: lr, threads: 2, seed })!;
    expect(trainer).not.toBeNull();
    trainers.push(trainer);
    data.forEach(({ x, y }, step) => {
      const masks = [dropoutMask(seed, step, 0, B, 8, 0.3), dropoutMask(seed, step, 1, B, 16, 0.3)];
      const { value, grads } = tf.variableGrads(() => maskedLoss(ref, x, y, B, T, V, masks), vars);
      const refLoss = value.dataSync()[0];
      opt.apply(vars.map((v) => grads[v.name]), lr);
      tf.dispose([value, grads]);
      const r = trainer.step(x, y, T, step);
      expect(Math.abs(r.loss - refLoss)).toBeLessThan(2e-4);
    });
    // evaluation runs without dropout, like model.apply(x, { training: false })
    const e = trainer.evaluate(data[0].x, data[0].y);
    const refEval = tf.tidy(() => maskedLoss(ref, data[0].x, data[0].y, B, T, V, [null, null]).dataSync()[0]);
    expect(Math.abs(e.loss - refEval)).toBeLessThan(2e-4);
    opt.dispose();
    ref.dispose();
    fast.dispose();
  });

  // rate 0.5: products over each row's kept inputs only (3 layers, inputs 16 -> 24 -> 8 -> 16,
  // embedding 16: kept counts per row are arbitrary, not multiples of 4 or 8; T = 7 is not a
  // multiple of 4). Rate 0.1 with a vocabulary smaller than the chunk: the first layer through the
  // table emb . W minus each row's dropped inputs (lstm.c table_under_mask), on both thread counts
  // (chunks of 8 and 4 rows x T 9 = 72 and 36 rows against V 12), T = 9 not a multiple of 4.
  it.each([
    { rate: 0.5, V: 20, B: 6, T: 7, units: [24, 8, 16] },
    { rate: 0.1, V: 12, B: 8, T: 9, units: [24, 16] },
  ])('at rate $rate: every step within 1e-5 of tfjs, and the first step\'s weights, on 1 and 2 threads', ({ rate, V, B, T, units }) => {
    const lr = 0.01, seed = 3;
    const inputs = [16, ...units.slice(0, -1)];
    const data = batches(6, B, T, V, 9);
    for (const threads of [1, 2]) {
      const ref = build(V, 16, units, 13, 'sigmoid', rate);
      const fast = build(V, 16, units, 13, 'sigmoid', rate);
      const vars = ref.trainableWeights.map((v) => v.read() as tf.Variable);
      const opt = new Optimizer('adam', vars);
      const trainer = createFastTrainer(fast, { batchSize: B, seqLength: T, learningRate: lr, threads, seed })!;
      trainers.push(trainer);
      let worst = 0;
      data.forEach(({ x, y }, step) => {
        const masks = inputs.map((n, l) => dropoutMask(seed, step, l, B, n, rate));
        const { value, grads } = tf.variableGrads(() => maskedLoss(ref, x, y, B, T, V, masks), vars);
        const refLoss = value.dataSync()[0];
        opt.apply(vars.map((v) => grads[v.name]), lr);
        tf.dispose([value, grads]);
        const r = trainer.step(x, y, T, step);
        worst = Math.max(worst, Math.abs(r.loss - refLoss));
        if (step === 0) {
          // one Adam step moves each weight by about lr times its gradient's sign: a wrong or
          // missing gradient entry shows as a difference of ~lr
          trainer.syncToModel();
          const a = ref.trainableWeights.map((w) => w.read().dataSync());
          const b = fast.trainableWeights.map((w) => w.read().dataSync());
          let wd = 0;
          a.forEach((w, i) => w.forEach((v, j) => (wd = Math.max(wd, Math.abs(v - b[i][j])))));
          expect(wd).toBeLessThan(1e-5);
        }
      });
      console.log(`input dropout ${rate}, ${threads} thread(s): max loss difference over ${data.length} steps ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
      opt.dispose();
      ref.dispose();
      fast.dispose();
    }
  });
});

/** The masks the trainer's Dropout after LSTM layer `layer` applies at a step, as [B][T][u]. */
function outputMask(seed: number, step: number, layer: number, B: number, T: number, u: number, rate: number): Float32Array {
  const k = new KernelInstance(kernelModule()!);
  const at = k.alloc(T * B * u);
  k.f32(at, T * B * u).fill(1);
  k.exports.lstm_dropout_rows(at, T, B, u, deriveSeed(seed, 'fast-gpt-dropout', step) | 0, layer, 0, 1 - rate);
  const timeMajor = k.f32(at, T * B * u);
  const out = new Float32Array(B * T * u);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(timeMajor.subarray((t * B + b) * u, (t * B + b + 1) * u), (b * T + t) * u);
  return out;
}

describe('fast LSTM trainer with Dropout layers after the LSTM layers (keras-stateful\'s placement)', () => {
  it('every step within 1e-5 of a tfjs LSTM given the same masks, and the first step\'s weights, on 1 and 2 threads', () => {
    const V = 18, B = 6, T = 7, lr = 0.01, seed = 5;
    const units = [24, 16];
    const rates = [0.2, 0.4];
    const data = batches(6, B, T, V, 12);
    const buildOut = () => {
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: V, outputDim: 16, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 31 }) }));
      units.forEach((u, i) => {
        m.add(tf.layers.lstm({ units: u, returnSequences: true, recurrentActivation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 32 + i }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 42 + i }), unitForgetBias: true }));
        m.add(tf.layers.dropout({ rate: rates[i] }));
      });
      m.add(tf.layers.dense({ units: V, kernelInitializer: tf.initializers.glorotUniform({ seed: 52 }) }));
      m.build([null, null]);
      return m;
    };
    for (const threads of [1, 2]) {
      const ref = buildOut();
      const fast = buildOut();
      const vars = ref.trainableWeights.map((v) => v.read() as tf.Variable);
      const opt = new Optimizer('adam', vars);
      const { trainer, reason } = explainFastTrainer(fast, { batchSize: B, seqLength: T, learningRate: lr, threads, seed });
      expect(reason).toBeNull();
      trainers.push(trainer!);
      let worst = 0;
      data.forEach(({ x, y }, step) => {
        const outMasks = units.map((u, l) => outputMask(seed, step, l, B, T, u, rates[l]));
        const { value, grads } = tf.variableGrads(() => maskedLoss(ref, x, y, B, T, V, [], outMasks), vars);
        const refLoss = value.dataSync()[0];
        opt.apply(vars.map((v) => grads[v.name]), lr);
        tf.dispose([value, grads]);
        const r = trainer!.step(x, y, T, step);
        worst = Math.max(worst, Math.abs(r.loss - refLoss));
        if (step === 0) {
          trainer!.syncToModel();
          const a = ref.trainableWeights.map((w) => w.read().dataSync());
          const b = fast.trainableWeights.map((w) => w.read().dataSync());
          let wd = 0;
          a.forEach((w, i) => w.forEach((v, j) => (wd = Math.max(wd, Math.abs(v - b[i][j])))));
          expect(wd).toBeLessThan(1e-5);
        }
      });
      console.log(`Dropout layers 0.2 / 0.4, ${threads} thread(s): max loss difference over ${data.length} steps ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
      // the masks really drop: the same step without them gives another loss
      const plain = tf.tidy(() => maskedLoss(ref, data[0].x, data[0].y, B, T, V, []).dataSync()[0]);
      const dropped = tf.tidy(() => maskedLoss(ref, data[0].x, data[0].y, B, T, V, [], units.map((u, l) => outputMask(seed, 99, l, B, T, u, rates[l]))).dataSync()[0]);
      expect(Math.abs(plain - dropped)).toBeGreaterThan(1e-3);
      // evaluation runs without dropout
      expect(Math.abs(trainer!.evaluate(data[0].x, data[0].y).loss - plain)).toBeLessThan(2e-4);
      opt.dispose();
      ref.dispose();
      fast.dispose();
    }
  });
});
