import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createFastSampler, explainFastSampler } from './sampler';

tf.setBackend('cpu');

interface Arch {
  vocab: number;
  emb: number;
  units: number[];
  gate?: 'sigmoid' | 'hardSigmoid';
  output?: 'linear' | 'softmax';
  seed: number;
}

function build(a: Arch): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: a.vocab, outputDim: a.emb, inputLength: undefined, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: a.seed }) }));
  a.units.forEach((u, i) =>
    m.add(
      tf.layers.lstm({
        units: u,
        returnSequences: true,
        recurrentActivation: a.gate ?? 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: a.seed + 10 + i }),
        recurrentInitializer: tf.initializers.glorotUniform({ seed: a.seed + 20 + i }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: a.seed + 30 + i }),
      }),
    ),
  );
  m.add(tf.layers.dropout({ rate: 0.1 }));
  m.add(tf.layers.dense({ units: a.vocab, activation: a.output ?? 'linear', kernelInitializer: tf.initializers.randomUniform({ minval: -0.4, maxval: 0.4, seed: a.seed + 40 }) }));
  m.build([null, null]);
  return m;
}

/** tfjs's own probabilities for each step of each sequence: [batch][time][vocab]. */
function reference(model: tf.LayersModel, seqs: number[][], softmaxOutput: boolean): Float32Array[][] {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(seqs, undefined, 'int32')) as tf.Tensor3D;
    const probs = softmaxOutput ? out : tf.softmax(out);
    const data = probs.arraySync() as number[][][];
    return data.map((s) => s.map((r) => Float32Array.from(r)));
  });
}

function randomSeqs(batch: number, len: number, vocab: number, seed: number): number[][] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  return Array.from({ length: batch }, () => Array.from({ length: len }, () => Math.floor(next() * vocab)));
}

function maxDiffAgainstTfjs(a: Arch, batch: number, len: number, options = {}): number {
  const model = build(a);
  const seqs = randomSeqs(batch, len, a.vocab, a.seed);
  const ref = reference(model, seqs, a.output === 'softmax');
  const { sampler, reason } = explainFastSampler(model, options);
  expect(reason).toBeNull();
  sampler!.reset(batch);
  let worst = 0;
  for (let t = 0; t < len; t++) {
    const p = sampler!.step(Int32Array.from(seqs.map((s) => s[t])));
    expect(p.length).toBe(batch * a.vocab);
    for (let b = 0; b < batch; b++)
      for (let v = 0; v < a.vocab; v++) worst = Math.max(worst, Math.abs(p[b * a.vocab + v] - ref[b][t][v]));
  }
  sampler!.dispose();
  model.dispose();
  console.log(`max abs diff ${worst.toExponential(2)}`);
  return worst;
}

describe('fast LSTM sampler matches the tfjs model', () => {
  it('2 layers, sigmoid gates, logits output, batch 1', () => {
    expect(maxDiffAgainstTfjs({ vocab: 37, emb: 16, units: [32, 24], seed: 1 }, 1, 25)).toBeLessThanOrEqual(1e-5);
  });
  it('hardSigmoid gates, softmax output, odd sizes, batch 3', () => {
    expect(maxDiffAgainstTfjs({ vocab: 50, emb: 13, units: [20], gate: 'hardSigmoid', output: 'softmax', seed: 2 }, 3, 20)).toBeLessThanOrEqual(1e-5);
  });
  it('3 layers without the first-layer table (embedding rows fed), batch 4', () => {
    expect(maxDiffAgainstTfjs({ vocab: 29, emb: 24, units: [16, 40, 12], seed: 3 }, 4, 15, { maxTableBytes: 0 })).toBeLessThanOrEqual(1e-5);
  });
  it('wide layers with large pre-activations stay within 1e-5', () => {
    expect(maxDiffAgainstTfjs({ vocab: 130, emb: 64, units: [128, 128], seed: 4 }, 2, 12)).toBeLessThanOrEqual(1e-5);
  });

  it('draws the same tokens as tfjs under the same seeded RNG', () => {
    const a: Arch = { vocab: 40, emb: 16, units: [32, 32], seed: 5 };
    const model = build(a);
    const draw = (p: ArrayLike<number>, u: number) => {
      let acc = 0;
      for (let i = 0; i < p.length; i++) if ((acc += p[i]) > u) return i;
      return p.length - 1;
    };
    const rng = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed / 2 ** 32);
    // tfjs: re-run the growing prefix (stateless predict), take the last step's distribution.
    const r1 = rng(99);
    const tfTokens = [3];
    for (let i = 0; i < 30; i++) {
      const p = reference(model, [tfTokens], false)[0][tfTokens.length - 1];
      tfTokens.push(draw(p, r1()));
    }
    const r2 = rng(99);
    const sampler = createFastSampler(model)!;
    const fastTokens = [3];
    for (let i = 0; i < 30; i++) fastTokens.push(draw(sampler.step(Int32Array.of(fastTokens[fastTokens.length - 1])), r2()));
    expect(fastTokens).toEqual(tfTokens);
    model.dispose();
  });

  it('reset clears the state', () => {
    const model = build({ vocab: 20, emb: 8, units: [16], seed: 6 });
    const s = createFastSampler(model)!;
    const first = s.step(Int32Array.of(4));
    s.step(Int32Array.of(7));
    s.reset(1);
    expect(Array.from(s.step(Int32Array.of(4)))).toEqual(Array.from(first));
    model.dispose();
  });

  it('rejects bad token ids and wrong batch sizes with a clear error', () => {
    const model = build({ vocab: 20, emb: 8, units: [16], seed: 7 });
    const s = createFastSampler(model)!;
    expect(() => s.step(Int32Array.of(20))).toThrow(/outside the vocabulary/);
    expect(() => s.step(Int32Array.of(1, 2))).toThrow(/expects 1 token/);
    s.dispose();
    expect(() => s.step(Int32Array.of(1))).toThrow(/disposed/);
    model.dispose();
  });

  it('returns null and a reason for architectures it does not cover', () => {
    const gru = tf.sequential();
    gru.add(tf.layers.embedding({ inputDim: 10, outputDim: 4 }));
    gru.add(tf.layers.gru({ units: 8, returnSequences: true }));
    gru.add(tf.layers.dense({ units: 10 }));
    gru.build([null, null]);
    const r = explainFastSampler(gru);
    expect(r.sampler).toBeNull();
    expect(r.reason).toMatch(/GRU/);
    const odd = build({ vocab: 10, emb: 4, units: [6], seed: 8 });
    expect(explainFastSampler(odd).reason).toMatch(/multiple of 4/);
    gru.dispose();
    odd.dispose();
  });

  it('leaves no tfjs tensors behind', () => {
    const model = build({ vocab: 20, emb: 8, units: [16], seed: 9 });
    const before = tf.memory().numTensors;
    const s = createFastSampler(model)!;
    s.reset(2);
    s.step(Int32Array.of(1, 2));
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
