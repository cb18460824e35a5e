/**
 * A stateful one-token-at-a-time LSTM step over a tfjs LayersModel's weights, on the SIMD kernels
 * in kernels.c. Used by the engine's sampler in place of model.predict when the architecture is
 * supported (createFastSampler returns null with a reason otherwise, and the engine keeps tfjs).
 *
 * What makes it fast (see README.md): the weights are copied once, [input; recurrent] kernels
 * stacked and packed into 32-column panels so each layer step is one streaming pass; the first
 * layer's input projection is a table lookup (Embedding . kernel, precomputed per token); the gate
 * nonlinearities, cell update and softmax run in the same wasm module, so a step is a handful of
 * calls with no allocation. Batched variations share each pass over the weights.
 *
 * The weights are copied when the sampler is created: after the model's weights change (training,
 * a checkpoint loaded into it) create a new one.
 */
import type * as tf from '@tensorflow/tfjs';
import { KernelInstance, kernelModule, kernelsUnsupportedReason } from './wasm';
import { readLstmSpec, readWeights, type LstmModelSpec } from './spec';
import { looksLikeGpt, readGptSpec } from './gpt-spec';
import { FastGptSampler } from './gpt-sampler';
import { packPanels } from './panels';
import type { StepModel } from '../step';

export type { StepModel };
export { packPanels };

export interface FastSamplerResult {
  sampler: StepModel | null;
  /** Why the fast path is not used (null when it is). */
  reason: string | null;
}

/** Largest first-layer lookup table (vocab x 4 units floats) worth precomputing. */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;
const PANEL = 32;

/** Convenience: the sampler or null (the reason is available from explainFastSampler). */
export function createFastSampler(model: tf.LayersModel): StepModel | null {
  return explainFastSampler(model).sampler;
}

export interface FastSamplerOptions {
  /** Cap on the precomputed first-layer table; above it the embedding row is fed instead. */
  maxTableBytes?: number;
  /** GPT: attend over at most this many tokens (the trained sequence length); LSTMs ignore it. */
  window?: number;
}

export function explainFastSampler(model: tf.LayersModel, options: FastSamplerOptions = {}): FastSamplerResult {
  const unsupported = kernelsUnsupportedReason();
  if (unsupported) return { sampler: null, reason: unsupported };
  if (looksLikeGpt(model)) {
    const g = readGptSpec(model);
    if (!g.ok) return { sampler: null, reason: g.reason };
    if (options.window !== undefined && !(Number.isInteger(options.window) && options.window >= 1)) return { sampler: null, reason: `window ${options.window} is not a positive whole number` };
    return { sampler: new FastGptSampler(g.spec, options.window), reason: null };
  }
  const read = readLstmSpec(model);
  if (!read.ok) return { sampler: null, reason: read.reason };
  const bad = read.spec.lstm.find((l) => l.units % 4 !== 0);
  if (bad) return { sampler: null, reason: `LSTM ${bad.name} has ${bad.units} units; the fast kernels need a multiple of 4` };
  return { sampler: new FastLstmSampler(read.spec, options.maxTableBytes ?? MAX_TABLE_BYTES), reason: null };
}

interface LayerBuffers {
  units: number;
  inputDim: number;
  /** rows of the packed matrix: [input; recurrent], or recurrent only when the table covers input */
  k: number;
  np: number;
  hard: number;
  packed: number;
  bias: number;
  /** per batch row: [x | h] (or just h), k floats */
  xh: number;
  gates: number;
  cell: number;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;


class FastLstmSampler implements StepModel {
  readonly vocabSize: number;
  private wasm: KernelInstance | null;
  private layers: LayerBuffers[] = [];
  private table = 0;
  private embedding = 0;
  private embeddingDim: number;
  private densePacked = 0;
  private denseBias = 0;
  private denseNp: number;
  private capacity = 0;
  private batch = 0;
  private tokens = 0;
  private logits = 0;
  private probs = 0;

  constructor(spec: LstmModelSpec, maxTableBytes: number) {
    this.wasm = new KernelInstance(kernelModule()!);
    const w = this.wasm;
    this.vocabSize = spec.vocabSize;
    this.embeddingDim = spec.embeddingDim;
    const [emb] = readWeights(spec.embeddingLayer);
    const first = spec.lstm[0];
    const useTable = spec.vocabSize * roundUp(4 * first.units, PANEL) * 4 <= maxTableBytes;

    spec.lstm.forEach((l, i) => {
      const [kernel, recurrent, maybeBias] = readWeights(spec.lstmLayers[i]);
      const n = 4 * l.units;
      const np = roundUp(n, PANEL);
      const withInput = !(i === 0 && useTable);
      const k = (withInput ? l.inputDim : 0) + l.units;
      const packed = w.alloc(np * k);
      const rows: Float32Array[] = [];
      const offs: number[] = [];
      if (withInput) for (let r = 0; r < l.inputDim; r++) (rows.push(kernel), offs.push(r * n));
      for (let r = 0; r < l.units; r++) (rows.push(recurrent), offs.push(r * n));
      packPanels(w.f32(packed, np * k), rows, offs, k, n);
      const bias = w.alloc(np);
      if (l.useBias && maybeBias) w.f32(bias, n).set(maybeBias);
      this.layers.push({ units: l.units, inputDim: l.inputDim, k, np, hard: l.gate === 'hardSigmoid' ? 1 : 0, packed, bias, xh: 0, gates: 0, cell: 0 });
      if (i === 0 && useTable) {
        // table[v] = embedding[v] . kernel, by the same panel kernel over the vocabulary as rows
        const e = spec.embeddingDim;
        const tmpPacked = w.alloc(np * e);
        const krows: Float32Array[] = [];
        const koffs: number[] = [];
        for (let r = 0; r < e; r++) (krows.push(kernel), koffs.push(r * n));
        packPanels(w.f32(tmpPacked, np * e), krows, koffs, e, n);
        const embAt = w.alloc(spec.vocabSize * e);
        w.f32(embAt, emb.length).set(emb);
        this.table = w.alloc(spec.vocabSize * np);
        w.exports.gemv_panels(embAt, spec.vocabSize, e, e, tmpPacked, np, this.table, np);
      }
    });
    if (!useTable) {
      this.embedding = w.alloc(emb.length);
      w.f32(this.embedding, emb.length).set(emb);
    }
    const [dk, db] = readWeights(spec.denseLayer);
    const last = spec.lstm[spec.lstm.length - 1];
    const v = spec.vocabSize;
    this.denseNp = roundUp(v, PANEL);
    this.densePacked = w.alloc(this.denseNp * last.units);
    const drows: Float32Array[] = [];
    const doffs: number[] = [];
    for (let r = 0; r < last.units; r++) (drows.push(dk), doffs.push(r * v));
    packPanels(w.f32(this.densePacked, this.denseNp * last.units), drows, doffs, last.units, v);
    this.denseBias = w.alloc(this.denseNp);
    if (db) w.f32(this.denseBias, v).set(db);
    this.reset(1);
  }

  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    const w = this.wasm!;
    for (const l of this.layers) {
      l.xh = w.alloc(batch * l.k);
      l.gates = w.alloc(batch * l.np);
      l.cell = w.alloc(batch * l.units);
    }
    this.tokens = w.alloc(batch);
    this.logits = w.alloc(batch * this.denseNp);
    this.probs = w.alloc(batch * this.vocabSize);
    this.capacity = batch;
  }

  reset(batch: number): void {
    if (!this.wasm) throw new Error('the fast sampler was disposed');
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    this.ensureCapacity(batch);
    this.batch = batch;
    for (const l of this.layers) {
      this.wasm.f32(l.xh, batch * l.k).fill(0);
      this.wasm.f32(l.cell, batch * l.units).fill(0);
    }
  }

  get batchSize(): number {
    return this.batch;
  }

  step(tokenIds: ArrayLike<number>): Float32Array {
    const w = this.wasm;
    if (!w) throw new Error('the fast sampler was disposed');
    const B = this.batch;
    if (tokenIds.length !== B) throw new RangeError(`step expects ${B} token ids (one per variation), got ${tokenIds.length}`);
    const V = this.vocabSize;
    for (let b = 0; b < B; b++) {
      const t = tokenIds[b];
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`token id ${t} is outside the vocabulary (0..${V - 1})`);
    }
    w.i32(this.tokens, B).set(tokenIds);
    const x = w.exports;
    const layers = this.layers;
    const l0 = layers[0];
    if (!this.table) {
      const e = this.embeddingDim;
      const emb = w.f32(this.embedding, V * e);
      const xh = w.f32(l0.xh, B * l0.k);
      for (let b = 0; b < B; b++) xh.set(emb.subarray(tokenIds[b] * e, tokenIds[b] * e + e), b * l0.k);
    }
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      x.init_rows(l.gates, B, l.np, l.np, l.bias, i === 0 ? this.table : 0, this.tokens);
      x.gemv_panels(l.xh, B, l.k, l.k, l.packed, l.np, l.gates, l.np);
      const next = layers[i + 1];
      const hOffset = (l.k - l.units) * 4;
      x.lstm_pointwise(l.gates, l.np, l.cell, B, l.units, l.hard, l.xh + hOffset, l.k, next ? next.xh : 0, next ? next.k : 0);
    }
    const last = layers[layers.length - 1];
    x.init_rows(this.logits, B, this.denseNp, this.denseNp, this.denseBias, 0, 0);
    x.gemv_panels(last.xh + (last.k - last.units) * 4, B, last.units, last.k, this.densePacked, this.denseNp, this.logits, this.denseNp);
    x.softmax_rows(this.logits, B, V, this.denseNp, this.probs, V);
    return w.f32(this.probs, B * V).slice();
  }

  dispose(): void {
    this.wasm = null;
  }
}
