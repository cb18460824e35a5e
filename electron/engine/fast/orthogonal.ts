/**
 * Keras's orthogonal initializer, fast: tfjs's own takes minutes for 2x256 on the cpu backend and
 * the engine's Gram-Schmidt in JS takes ~26 s at 1024 units. Here the Gaussian matrix is
 * orthonormalised by block Gram-Schmidt on the SIMD GEMM (orthonormalize_rows in kernels.c):
 * ~0.3-0.5 s for a 1024-unit LSTM's [1024][4096] recurrent kernel.
 *
 * Semantics as Keras: for a [rows][cols] kernel with rows <= cols the rows are orthonormal (the
 * whole [units][4 units] recurrent kernel at once, not per gate), otherwise the columns are.
 */
import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import { KernelInstance, kernelModule } from './wasm';
import { Rng } from '../rng';

/** A random [rows][cols] matrix with orthonormal rows (rows <= cols) or columns; null when a side is not a multiple of 8. */
export function randomOrthogonal(rows: number, cols: number, seed: number): Float32Array | null {
  if (rows % 8 || cols % 8 || rows < 1 || cols < 1) return null;
  const module = kernelModule();
  if (!module) return null;
  const wide = rows <= cols;
  const r = wide ? rows : cols;
  const c = wide ? cols : rows;
  const w = new KernelInstance(module);
  const a = w.alloc(r * c);
  const qt = w.alloc(r * c);
  const scratch = w.alloc(32 * r);
  const pack = w.alloc(r * c);
  const view = w.f32(a, r * c);
  const rng = new Rng(seed);
  // Box-Muller: a Gaussian matrix's orthonormal factor is Haar-distributed
  for (let i = 0; i < view.length; i += 2) {
    const u = Math.max(rng.next(), 1e-300);
    const v = rng.next();
    const m = Math.sqrt(-2 * Math.log(u));
    view[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < view.length) view[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  // block by block (see kernels.c): later, larger blocks run in optimised code
  for (let k0 = 0; k0 < r; k0 += 32) w.exports.orthonormalize_rows(a, r, c, qt, scratch, pack, k0, k0 + 32);
  const q = w.f32(a, r * c);
  if (wide) return q.slice();
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * cols + i] = q[i * c + j];
  return out;
}

/**
 * Sets every LSTM/GRU layer's recurrent kernel to a random orthogonal matrix, as Keras's default
 * recurrent initializer does. Layers whose sizes the kernel cannot take keep their weights;
 * returns the names of the layers it set.
 */
export function setOrthogonalRecurrentKernels(model: tf.LayersModel, seed: number): string[] {
  const done: string[] = [];
  model.layers.forEach((layer, i) => {
    const cls = layer.getClassName();
    if (cls !== 'LSTM' && cls !== 'GRU') return;
    const weights = layer.getWeights();
    const [rows, cols] = weights[1].shape;
    const q = randomOrthogonal(rows, cols, (seed + i * 0x9e3779b1) >>> 0);
    if (!q) return;
    const t = tfc.tensor2d(q, [rows, cols]);
    layer.setWeights([weights[0], t, ...weights.slice(2)]);
    t.dispose();
    done.push(layer.name);
  });
  return done;
}
