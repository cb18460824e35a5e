/**
 * CPU training for Embedding -> LSTM xN -> Dense models without tfjs-node: forward and backward
 * through time for a whole batch in one wasm call (train_step in kernels.c), the batch split across
 * worker threads (data parallel: each shard computes its gradients, the main thread sums them and
 * runs Adam, then publishes the new weights), and the weights written back into the tfjs model
 * (syncToModel) so saving, loading and sampling are unchanged.
 *
 * It reproduces what tfjs computes for the same model: sparse softmax cross-entropy averaged over
 * every target step, Adam in tfjs's order (epsilon 1e-7 by default), optional global-norm clipping.
 * Dropout is not implemented here: models with dropout get null and a reason, and train with tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { KernelInstance, kernelModule, kernelsUnsupportedReason } from './wasm';
import { readLstmSpec, readWeights, type LstmModelSpec } from './spec';
import { layoutShard, NET, paramSegments, MAX_LAYERS, type ShardLayout, type TrainShape } from './layout';
import { WORKER_SOURCE } from './worker-source';

export interface FastTrainerOptions {
  batchSize: number;
  seqLength: number;
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** tfjs's Adam default is the backend epsilon, 1e-7. */
  epsilon?: number;
  /** Clip the global gradient norm to this (0 = off). */
  clipNorm?: number;
  /** Threads including the caller's (default: min(2, CPU count)). */
  threads?: number;
}

export interface StepResult {
  loss: number;
  accuracy: number;
}

export interface Trainer {
  /**
   * One Adam step on a batch. batchX: batch x time token ids, row-major. batchY: the same shape
   * (loss on every step; -1 skips a step) or one target per row (loss on the last step only).
   */
  step(batchX: Int32Array, batchY: Int32Array, time?: number): Promise<StepResult>;
  /** Loss and accuracy without updating (validation). */
  evaluate(batchX: Int32Array, batchY: Int32Array, time?: number): Promise<StepResult>;
  learningRate: number;
  readonly iterations: number;
  /** Copies the trained weights into the tfjs model's layers. */
  syncToModel(): void;
  dispose(): Promise<void>;
}

export function createFastTrainer(model: tf.LayersModel, options: FastTrainerOptions): Trainer | null {
  return explainFastTrainer(model, options).trainer;
}

export function explainFastTrainer(model: tf.LayersModel, options: FastTrainerOptions): { trainer: Trainer | null; reason: string | null } {
  const no = (reason: string) => ({ trainer: null, reason });
  const unsupported = kernelsUnsupportedReason();
  if (unsupported) return no(unsupported);
  const read = readLstmSpec(model);
  if (!read.ok) return no(read.reason);
  const spec = read.spec;
  if (spec.lstm.length > MAX_LAYERS) return no(`${spec.lstm.length} LSTM layers; the fast trainer handles up to ${MAX_LAYERS}`);
  for (const l of spec.lstm) {
    if (l.units % 8 !== 0) return no(`LSTM ${l.name} has ${l.units} units; the fast trainer needs a multiple of 8`);
    if (l.dropout > 0 || l.recurrentDropout > 0) return no(`LSTM ${l.name} uses dropout, which the fast trainer does not implement`);
    if (l.stateful) return no(`LSTM ${l.name} is stateful`);
    if (!l.useBias) return no(`LSTM ${l.name} has no bias`);
    if (l.gate !== spec.lstm[0].gate) return no('the LSTM layers mix sigmoid and hardSigmoid gates');
  }
  if (spec.embeddingDim % 8 !== 0) return no(`embedding size ${spec.embeddingDim} is not a multiple of 8`);
  if (readWeights(spec.denseLayer).length !== 2) return no('the Dense layer has no bias');
  const trainable = new Set(model.trainableWeights.map((w) => w.name));
  const all = [spec.embeddingLayer, ...spec.lstmLayers, spec.denseLayer].flatMap((l) => l.weights);
  if (all.some((w) => !trainable.has(w.name))) return no('some weights are frozen');
  if (!(options.batchSize >= 1 && options.seqLength >= 1)) return no('batch size and sequence length must be at least 1');
  return { trainer: new FastLstmTrainer(spec, options), reason: null };
}

interface ShardWorker {
  worker: Worker;
  grads: Float32Array;
  pending: { resolve: (v: { loss: number; correct: number }) => void; reject: (e: Error) => void } | null;
}

class FastLstmTrainer implements Trainer {
  learningRate: number;
  private _iterations = 0;
  private readonly shape: TrainShape;
  private readonly main: KernelInstance;
  private readonly layouts: ShardLayout[];
  private readonly capacities: number[];
  private readonly workers: ShardWorker[] = [];
  private readonly weightsShared: Float32Array;
  private readonly m: number;
  private readonly v: number;
  private readonly scratch: number;
  private version = 0;
  private accBeta1: number;
  private accBeta2: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  private ready: Promise<void>;
  private disposed = false;

  constructor(
    private readonly spec: LstmModelSpec,
    private readonly options: FastTrainerOptions,
  ) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.clipNorm = options.clipNorm ?? 0;
    this.accBeta1 = this.beta1;
    this.accBeta2 = this.beta2;
    this.shape = { vocab: spec.vocabSize, embedding: spec.embeddingDim, units: spec.lstm.map((l) => l.units), hard: spec.lstm[0].gate === 'hardSigmoid' };
    const module = kernelModule()!;
    this.main = new KernelInstance(module);
    const base = this.main.bytesUsed;
    const threads = Math.max(1, Math.min(options.threads ?? Math.min(2, availableParallelism()), options.batchSize));
    this.capacities = split(options.batchSize, threads);
    this.layouts = this.capacities.map((b) => layoutShard(this.shape, b, options.seqLength, base));
    const l0 = this.layouts[0];
    this.main.alloc((l0.bytes - base) / 4);
    this.m = this.main.alloc(l0.paramFloats);
    this.v = this.main.alloc(l0.paramFloats);
    this.scratch = this.main.alloc(l0.paramFloats);
    this.main.i32(l0.net, l0.words.length).set(l0.words);
    this.loadWeights();
    this.weightsShared = new Float32Array(new SharedArrayBuffer(l0.paramFloats * 4));
    this.weightsShared.set(this.params());
    const inits: Promise<void>[] = [];
    for (let i = 1; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      const grads = new Float32Array(new SharedArrayBuffer(l0.paramFloats * 4));
      const w: ShardWorker = { worker, grads, pending: null };
      inits.push(
        new Promise<void>((resolve, reject) => {
          w.pending = { resolve: () => resolve(), reject };
        }),
      );
      worker.on('message', (msg: { type: string; loss?: number; correct?: number; message?: string }) => {
        const p = w.pending;
        w.pending = null;
        if (!p) return;
        if (msg.type === 'error') p.reject(new Error(`training worker: ${msg.message}`));
        else p.resolve({ loss: msg.loss ?? 0, correct: msg.correct ?? 0 });
      });
      worker.on('error', (e) => {
        const p = w.pending;
        w.pending = null;
        p?.reject(e);
      });
      const layout = this.layouts[i];
      worker.postMessage({ type: 'init', module, layout: { ...layout, words: Array.from(layout.words) }, weights: this.weightsShared.buffer, grads: grads.buffer });
      worker.unref();
      this.workers.push(w);
    }
    this.ready = Promise.all(inits).then(() => undefined);
  }

  get iterations(): number {
    return this._iterations;
  }

  private params(): Float32Array {
    const l0 = this.layouts[0];
    return this.main.f32(l0.params, l0.paramFloats);
  }

  private loadWeights(): void {
    const { segments } = paramSegments(this.shape);
    const p = this.params();
    const arrays = [readWeights(this.spec.embeddingLayer)[0], ...this.spec.lstmLayers.flatMap((l) => readWeights(l)), ...readWeights(this.spec.denseLayer)];
    arrays.forEach((a, i) => {
      const s = segments[i];
      if (s.ld === s.cols) p.set(a, s.at);
      else for (let r = 0; r < s.rows; r++) p.set(a.subarray(r * s.cols, (r + 1) * s.cols), s.at + r * s.ld);
    });
  }

  syncToModel(): void {
    const { segments } = paramSegments(this.shape);
    const p = this.params();
    const take = (i: number) => {
      const s = segments[i];
      const out = new Float32Array(s.rows * s.cols);
      for (let r = 0; r < s.rows; r++) out.set(p.subarray(s.at + r * s.ld, s.at + r * s.ld + s.cols), r * s.cols);
      return s.rows === 1 ? tfc.tensor1d(out) : tfc.tensor2d(out, [s.rows, s.cols]);
    };
    const set = (layer: tf.layers.Layer, idx: number[]) => {
      const ts = idx.map(take);
      layer.setWeights(ts);
      ts.forEach((t) => t.dispose());
    };
    set(this.spec.embeddingLayer, [0]);
    this.spec.lstmLayers.forEach((l, i) => set(l, [1 + 3 * i, 2 + 3 * i, 3 + 3 * i]));
    const d = 1 + 3 * this.spec.lstmLayers.length;
    set(this.spec.denseLayer, [d, d + 1]);
  }

  step(batchX: Int32Array, batchY: Int32Array, time?: number): Promise<StepResult> {
    return this.run(batchX, batchY, time, false);
  }

  evaluate(batchX: Int32Array, batchY: Int32Array, time?: number): Promise<StepResult> {
    return this.run(batchX, batchY, time, true);
  }

  private async run(batchX: Int32Array, batchY: Int32Array, time: number | undefined, forwardOnly: boolean): Promise<StepResult> {
    if (this.disposed) throw new Error('the fast trainer was disposed');
    await this.ready;
    const T = time ?? this.options.seqLength;
    if (!(T >= 1) || batchX.length % T !== 0 || batchX.length === 0) throw new RangeError(`batch of ${batchX.length} tokens is not a whole number of ${T}-step windows`);
    const B = batchX.length / T;
    const V = this.shape.vocab;
    let y = batchY;
    if (batchY.length === B && T > 1) {
      // last-step-only loss: every other step gets -1 (no loss)
      y = new Int32Array(B * T).fill(-1);
      for (let b = 0; b < B; b++) y[b * T + T - 1] = batchY[b];
    } else if (batchY.length !== B * T) throw new RangeError(`targets: expected ${B * T} (every step) or ${B} (last step), got ${batchY.length}`);
    let count = 0;
    for (let i = 0; i < batchX.length; i++) {
      const t = batchX[i];
      if (!(t >= 0 && t < V)) throw new RangeError(`token id ${t} at position ${i} is outside the vocabulary (0..${V - 1})`);
      const u = y[i];
      if (u >= V || u < -1) throw new RangeError(`target id ${u} at position ${i} is outside the vocabulary (0..${V - 1})`);
      if (u >= 0) count++;
    }
    if (count === 0) throw new RangeError('the batch has no targets');
    const sizes = split(B, this.layouts.length);
    sizes.forEach((s, i) => {
      if (s > this.capacities[i] || s * T > this.layouts[i].rows) throw new RangeError(`batch ${B} x ${T} is larger than the trainer was built for (${this.options.batchSize} x ${this.options.seqLength})`);
    });
    const scale = 1 / count;
    // workers first, so they run while this thread does shard 0
    const waits: Promise<{ loss: number; correct: number }>[] = [];
    let row = sizes[0];
    for (let i = 1; i < sizes.length; i++) {
      const w = this.workers[i - 1];
      const b0 = row;
      row += sizes[i];
      if (sizes[i] === 0) continue;
      waits.push(
        new Promise((resolve, reject) => {
          w.pending = { resolve, reject };
          w.worker.postMessage({ type: 'step', version: this.version, T, B: sizes[i], scale, forwardOnly, x: batchX.slice(b0 * T, row * T), y: y.slice(b0 * T, row * T) });
        }),
      );
    }
    const l0 = this.layouts[0];
    const words = this.main.i32(l0.net, l0.words.length);
    const floats = this.main.f32(l0.net, l0.words.length);
    words[NET.T] = T;
    words[NET.B] = sizes[0];
    words[NET.forwardOnly] = forwardOnly ? 1 : 0;
    floats[NET.scale] = scale;
    let loss = 0;
    let correct = 0;
    if (sizes[0] > 0) {
      this.main.i32(l0.x, sizes[0] * T).set(batchX.subarray(0, sizes[0] * T));
      this.main.i32(l0.y, sizes[0] * T).set(y.subarray(0, sizes[0] * T));
      if (!forwardOnly) this.main.f32(l0.grads, l0.paramFloats).fill(0);
      this.main.exports.train_step(l0.net);
      const f = this.main.f32(l0.net, l0.words.length);
      loss += f[NET.loss];
      correct += f[NET.correct];
    } else if (!forwardOnly) this.main.f32(l0.grads, l0.paramFloats).fill(0);
    const results = await Promise.all(waits);
    for (const r of results) {
      loss += r.loss;
      correct += r.correct;
    }
    if (!forwardOnly) {
      const x = this.main.exports;
      for (let i = 1; i < sizes.length; i++) {
        if (sizes[i] === 0) continue;
        this.main.f32(this.scratch, l0.paramFloats).set(this.workers[i - 1].grads);
        x.add_to(l0.grads, this.scratch, l0.paramFloats);
      }
      let gscale = 1;
      if (this.clipNorm > 0) {
        const norm = Math.sqrt(x.sum_squares(l0.grads, l0.paramFloats));
        if (norm > this.clipNorm) gscale = this.clipNorm / norm;
      }
      x.adam(l0.params, l0.grads, this.m, this.v, l0.paramFloats, this.learningRate, this.beta1, this.beta2, this.epsilon, gscale, 1 - this.accBeta1, 1 - this.accBeta2);
      this.accBeta1 = Math.fround(this.accBeta1 * this.beta1);
      this.accBeta2 = Math.fround(this.accBeta2 * this.beta2);
      this._iterations++;
      if (this.workers.length) {
        this.weightsShared.set(this.params());
        this.version++;
      }
    }
    return { loss: loss / count, accuracy: correct / count };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** n split into k near-equal whole parts, larger first. */
function split(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0));
}
