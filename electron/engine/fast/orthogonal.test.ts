import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randomOrthogonal, setOrthogonalRecurrentKernels } from './orthogonal';

tf.setBackend('cpu');

/** max |Q Q^T - I| over rows (or Q^T Q over columns) */
function orthogonalityError(q: Float32Array, rows: number, cols: number, byRows: boolean): number {
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (i: number, k: number) => (byRows ? q[i * cols + k] : q[k * cols + i]);
  let worst = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += at(i, k) * at(j, k);
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  return worst;
}

describe('fast orthogonal initializer', () => {
  it('gives orthonormal rows for an LSTM recurrent kernel shape, and columns for a tall one', () => {
    const wide = randomOrthogonal(64, 256, 1)!;
    expect(orthogonalityError(wide, 64, 256, true)).toBeLessThan(1e-5);
    const square = randomOrthogonal(96, 96, 2)!;
    expect(orthogonalityError(square, 96, 96, true)).toBeLessThan(1e-4);
    const tall = randomOrthogonal(200, 40, 3)!;
    expect(orthogonalityError(tall, 200, 40, false)).toBeLessThan(1e-5);
  });

  it('is deterministic in its seed and not degenerate', () => {
    const a = randomOrthogonal(32, 128, 7)!;
    expect(randomOrthogonal(32, 128, 7)).toEqual(a);
    expect(randomOrthogonal(32, 128, 8)).not.toEqual(a);
    // entries spread like a Haar matrix's (~1/sqrt(128)), not a permutation
    const rms = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms).toBeCloseTo(1 / Math.sqrt(128), 3);
    expect(a.filter((v) => Math.abs(v) > 0.5).length).toBe(0);
  });

  it('returns null for sizes the kernel does not take', () => {
    expect(randomOrthogonal(12, 48, 1)).toBeNull();
  });

  it('orthonormalises a 1024-unit LSTM kernel (timing is reported by seedsong bench train)', () => {
    const t0 = performance.now();
    const q = randomOrthogonal(1024, 4096, 5)!;
    const ms = performance.now() - t0;
    console.log(`orthogonal [1024][4096] in ${ms.toFixed(0)} ms`);
    // spot-check orthogonality on a few rows (the full check is 4 G multiply-adds)
    for (const [i, j] of [[0, 0], [0, 1023], [511, 512], [1023, 1023], [100, 900]]) {
      let s = 0;
      for (let k = 0; k < 4096; k++) s += q[i * 4096 + k] * q[j * 4096 + k];
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-5);
    }
  });

  it('sets the recurrent kernels of a model', () => {
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 10, outputDim: 8 }));
    m.add(tf.layers.lstm({ units: 16, returnSequences: true, recurrentInitializer: 'zeros' }));
    m.add(tf.layers.dense({ units: 10 }));
    m.build([null, null]);
    expect(setOrthogonalRecurrentKernels(m, 1)).toEqual([m.layers[1].name]);
    const u = m.layers[1].getWeights()[1].dataSync() as Float32Array;
    expect(orthogonalityError(u, 16, 64, true)).toBeLessThan(1e-5);
    m.dispose();
  });
});
