/**
 * CPU training without tfjs-node for Embedding -> LSTM xN -> Dense models and for model.ts's GPT:
 * forward and backward for a chunk of the batch in one wasm call (train_step in lstm.c,
 * gpt_train_step in gpt.c), the chunks shared by worker threads (data parallel: each chunk's
 * gradients are summed in chunk order, the main thread runs the optimizer, then publishes the new
 * weights), and the weights written back into the tfjs model (syncToModel) so saving, loading and
 * sampling are unchanged. One driver (ShardedTrainer) serves both; a TrainerPlan says where each
 * architecture's weights live.
 *
 * It reproduces what tfjs computes for the same model: sparse softmax cross-entropy averaged over
 * every target step, Adam in tfjs's order (epsilon 1e-7 by default), decoupled weight decay of the
 * matrices (AdamW, as optimizer.ts), optional global-norm clipping. LSTM input dropout and GPT
 * dropout use our own seeded masks (not tfjs's draws); LSTM recurrent dropout is not supported:
 * such models get null and a reason, and train with tfjs.
 */
import type * as tf from '@tensorflow/tfjs';
import * as tfc from '@tensorflow/tfjs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '@shared/worker/start';
import { availableParallelism } from 'node:os';
import { KernelInstance, kernelModule, kernelsUnsupportedReason } from './wasm';
import { readLstmSpec, readWeights, type LstmModelSpec } from './spec';
import { layoutShard, paramSegments, MAX_LAYERS, type ShardLayout, type TrainShape } from './layout';
import { gptParamSegments, layoutGptShard } from './gpt-layout';
import { looksLikeGpt, readGptSpec, type GptModelSpec } from './gpt-spec';
import { WORKER_SOURCE } from './worker-source';
import { deriveSeed, Rng } from '../rng';

export interface FastTrainerOptions {
  batchSize: number;
  seqLength: number;
  learningRate: number;
  optimizer?: 'adam' | 'rmsprop';
  /**
   * 'seedsong' (default): the engine's optimizer.ts (bias correction in float64 from the step
   * count, w -= lr_t m / (sqrt(v) + eps)); 'tf.train.adam': tfjs's own order of operations.
   */
  adamStyle?: 'seedsong' | 'tf.train.adam';
  beta1?: number;
  beta2?: number;
  /** tfjs's default is the backend epsilon, 1e-7 (also RMSprop's). */
  epsilon?: number;
  /** RMSprop decay. */
  rho?: number;
  /** Clip the global gradient norm to this (0 = off). */
  clipNorm?: number;
  /** Threads including the caller's (default: min(2, CPU count), or 1 for small batches over large layers). */
  threads?: number;
  /** Seed of the dropout masks; each step's masks derive from (seed, step index). */
  seed?: number;
  /** Decoupled weight decay of the matrices (AdamW; optimizer.ts does the same on tfjs). */
  weightDecay?: number;
}

export interface StepResult {
  loss: number;
  accuracy: number;
}

/** Optimizer slots per weight, in layer order (embedding; kernel, recurrent, bias per LSTM; dense kernel, bias). */
export interface FastOptimizerState {
  step: number;
  m: Float32Array[] | null;
  v: Float32Array[];
}

export interface Trainer {
  /**
   * One optimizer step on a batch (blocks until done). batchX: batch x time token ids, row-major.
   * batchY: the same shape (loss on every step; -1 skips a step) or one target per row (loss on the
   * last step only).
   */
  step(batchX: Int32Array, batchY: Int32Array, time?: number, stepIndex?: number): StepResult;
  /** Loss and accuracy without updating (validation). */
  evaluate(batchX: Int32Array, batchY: Int32Array, time?: number): StepResult;
  learningRate: number;
  readonly iterations: number;
  /** The tfjs weights this trainer updates, in the order of the slots in FastOptimizerState. */
  readonly weightNames: string[];
  /** Copies the trained weights into the tfjs model's layers. */
  syncToModel(): void;
  /** Re-reads the weights from the tfjs model (after a checkpoint was loaded into it). */
  syncFromModel(): void;
  getOptimizerState(): FastOptimizerState;
  setOptimizerState(s: FastOptimizerState): void;
  /** Bytes of wasm memory this trainer holds (main thread + workers). */
  readonly memoryBytes: number;
  /** Threads that share a step (the caller's included). */
  readonly threads: number;
  dispose(): void;
}

export function createFastTrainer(model: tf.LayersModel, options: FastTrainerOptions): Trainer | null {
  return explainFastTrainer(model, options).trainer;
}

export function explainFastTrainer(model: tf.LayersModel, options: FastTrainerOptions): { trainer: Trainer | null; reason: string | null } {
  const no = (reason: string) => ({ trainer: null, reason });
  const unsupported = kernelsUnsupportedReason();
  if (unsupported) return no(unsupported);
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return no('SharedArrayBuffer is not available');
  if (!(options.weightDecay === undefined || (options.weightDecay >= 0 && options.weightDecay < 1))) return no(`weight decay ${options.weightDecay} is outside [0, 1)`);
  if (looksLikeGpt(model)) {
    const g = readGptSpec(model);
    if (!g.ok) return no(g.reason);
    if (!(options.batchSize >= 1 && options.seqLength >= 1)) return no('batch size and sequence length must be at least 1');
    if (options.seqLength > g.spec.shape.context) return no(`sequence length ${options.seqLength} is longer than the context length ${g.spec.shape.context}`);
    return { trainer: new ShardedTrainer(gptPlan(g.spec), options), reason: null };
  }
  const read = readLstmSpec(model);
  if (!read.ok) return no(read.reason);
  const spec = read.spec;
  if (spec.unplacedDropout.length) return no(`Dropout layer ${spec.unplacedDropout[0]} is not applied by the fast trainer`);
  if (spec.lstm.length > MAX_LAYERS) return no(`${spec.lstm.length} LSTM layers; the fast trainer handles up to ${MAX_LAYERS}`);
  for (const l of spec.lstm) {
    if (l.units % 8 !== 0) return no(`LSTM ${l.name} has ${l.units} units; the fast trainer needs a multiple of 8`);
    if (l.recurrentDropout > 0) return no(`LSTM ${l.name} uses recurrent dropout, which the fast trainer does not implement`);
    if (!(l.dropout >= 0 && l.dropout < 1)) return no(`LSTM ${l.name} has dropout ${l.dropout}`);
    if (l.stateful) return no(`LSTM ${l.name} is stateful`);
    if (!l.useBias) return no(`LSTM ${l.name} has no bias`);
    if (l.gate !== spec.lstm[0].gate) return no('the LSTM layers mix sigmoid and hardSigmoid gates');
  }
  if (spec.embeddingDim % 8 !== 0) return no(`embedding size ${spec.embeddingDim} is not a multiple of 8`);
  if (spec.denseLayer.weights.length !== 2) return no('the Dense layer has no bias');
  const trainable = new Set(model.trainableWeights.map((w) => w.name));
  const all = [spec.embeddingLayer, ...spec.lstmLayers, spec.denseLayer].flatMap((l) => l.weights);
  if (all.some((w) => !trainable.has(w.name))) return no('some weights are frozen');
  if (all.length !== model.trainableWeights.length) return no('the model has trainable weights outside the Embedding, LSTM and Dense layers');
  if (!(options.batchSize >= 1 && options.seqLength >= 1)) return no('batch size and sequence length must be at least 1');
  return { trainer: new ShardedTrainer(lstmPlan(spec, options), options), reason: null };
}

/** What the shared trainer needs to know about one architecture. */
interface TrainerPlan {
  layout(batch: number, time: number, base: number): ShardLayout;
  weightNames: string[];
  /** the tfjs weights, in segment order */
  read(): Float32Array[];
  /** writes arrays in segment order into the tfjs layers */
  write(arrays: Float32Array[]): void;
  /** LSTM input dropout masks, [batch][input] per layer (null: none) */
  masks(batch: number, stepIndex: number): (Float32Array | null)[];
  /** the default thread count for a batch */
  threads(batch: number): number;
  /** batch rows per chunk when `threads` (> 1) share a step */
  chunkRows(batch: number, threads: number): number;
}

/**
 * Two chunks per thread, so a descheduled thread's second share is taken by the other: the default
 * (GPT: its matrices are small, so a chunk's products run as fast at 4 rows as at 8).
 */
const twoChunksPerThread = (batch: number, threads: number) => Math.max(1, Math.ceil(batch / (2 * threads)));

/**
 * LSTM: a chunk's recurrent product at each time step streams the whole recurrent matrix (4 MB at
 * 512 units) for the chunk's rows, and each chunk's gradients are a full copy of the weights to sum.
 * Below 32 rows per chunk that costs more than the second chunk saves, so each thread then takes one
 * chunk (midi-event-lm, batch 32 on 2 threads: 16 rows instead of 8).
 */
export function lstmChunkRows(batch: number, threads: number): number {
  const two = twoChunksPerThread(batch, threads);
  return two >= 32 ? two : Math.ceil(batch / threads);
}

function lstmPlan(spec: LstmModelSpec, options: FastTrainerOptions): TrainerPlan {
  const shape: TrainShape = { vocab: spec.vocabSize, embedding: spec.embeddingDim, units: spec.lstm.map((l) => l.units), hard: spec.lstm[0].gate === 'hardSigmoid', dropout: spec.lstm.map((l) => l.dropout), outDropout: spec.outputDropout };
  const inputs = [spec.embeddingDim, ...shape.units.slice(0, -1)];
  const { segments } = paramSegments(shape);
  return {
    layout: (batch, time, base) => layoutShard(shape, batch, time, base),
    weightNames: [spec.embeddingLayer, ...spec.lstmLayers, spec.denseLayer].flatMap((l) => l.weights.map((w) => w.name)),
    read: () => [readWeights(spec.embeddingLayer)[0], ...spec.lstmLayers.flatMap((l) => readWeights(l)), ...readWeights(spec.denseLayer)],
    write: (arrays) => {
      const tensor = (i: number) => (segments[i].rows === 1 && i > 0 ? tfc.tensor1d(arrays[i]) : tfc.tensor2d(arrays[i], [segments[i].rows, segments[i].cols]));
      setLayer(spec.embeddingLayer, [0].map(tensor));
      spec.lstmLayers.forEach((l, i) => setLayer(l, [1 + 3 * i, 2 + 3 * i, 3 + 3 * i].map(tensor)));
      const d = 1 + 3 * spec.lstmLayers.length;
      setLayer(spec.denseLayer, [d, d + 1].map(tensor));
    },
    masks: (B, stepIndex) => spec.lstm.map((l, i) => (l.dropout > 0 ? dropoutMask(options.seed ?? 0, stepIndex, i, B, inputs[i], l.dropout) : null)),
    threads: (batch) => defaultThreads(batch, shape.units),
    chunkRows: lstmChunkRows,
  };
}

function gptPlan(spec: GptModelSpec): TrainerPlan {
  const { segments } = gptParamSegments(spec.shape);
  const layers = spec.weightLayers;
  return {
    layout: (batch, time, base) => layoutGptShard(spec.shape, batch, time, base),
    weightNames: layers.flatMap((l) => l.weights.map((w) => w.name)),
    read: () => layers.flatMap((l) => readWeights(l)),
    write: (arrays) => {
      let i = 0;
      for (const layer of layers) {
        const ts = layer.weights.map(() => {
          const s = segments[i];
          const a = arrays[i++];
          return s.rows === 1 ? tfc.tensor1d(a) : tfc.tensor2d(a, [s.rows, s.cols]);
        });
        setLayer(layer, ts);
      }
    },
    masks: () => [],
    // the weights are small (4 blocks of width 128: 3 MB): two threads always pay off
    threads: () => Math.min(2, availableParallelism()),
    chunkRows: twoChunksPerThread,
  };
}

function setLayer(layer: tf.layers.Layer, ts: tf.Tensor[]): void {
  layer.setWeights(ts);
  ts.forEach((t) => t.dispose());
}

interface ShardWorker {
  worker: Worker;
  ctrl: Int32Array;
  lastError: string | null;
}

const sab = (bytes: number) => new SharedArrayBuffer(Math.max(4, bytes));
/** How long a worker may stay silent (start-up or one shard's step) before the step fails. */
const WORKER_TIMEOUT_MS = 10 * 60 * 1000;

class ShardedTrainer implements Trainer {
  learningRate: number;
  readonly weightNames: string[];
  readonly threads: number;
  private _iterations = 0;
  private readonly main: KernelInstance;
  /** one layout for every thread: each holds one chunk of rows at a time */
  private readonly layout: ShardLayout;
  private readonly chunkRows: number;
  private readonly workers: ShardWorker[] = [];
  private readonly weightsShared: Float32Array;
  private readonly job: Int32Array;
  private readonly jobF: Float32Array;
  private readonly xs: Int32Array;
  private readonly ys: Int32Array;
  private readonly masks: Float32Array;
  /** per chunk: its gradients and [loss, correct], summed in chunk order (deterministic) */
  private readonly chunkGrads: Float32Array;
  private readonly chunkStats: Float32Array;
  /** float offset of each layer's [batch][input] mask in `masks` */
  private readonly maskAt: number[];
  private readonly m: number;
  private readonly v: number;
  private readonly scratch: number;
  private version = 0;
  private seq = 0;
  private readonly optimizer: 'adam' | 'rmsprop';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly rho: number;
  private readonly clipNorm: number;
  private readonly tfStyle: boolean;
  private readonly weightDecay: number;
  private accBeta1: number;
  private accBeta2: number;
  private disposed = false;

  constructor(
    private readonly plan: TrainerPlan,
    private readonly options: FastTrainerOptions,
  ) {
    this.weightDecay = options.weightDecay ?? 0;
    this.learningRate = options.learningRate;
    this.optimizer = options.optimizer ?? 'adam';
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.rho = options.rho ?? 0.9;
    this.clipNorm = options.clipNorm ?? 0;
    this.tfStyle = options.adamStyle === 'tf.train.adam';
    this.accBeta1 = this.beta1;
    this.accBeta2 = this.beta2;
    this.weightNames = plan.weightNames;
    const module = kernelModule()!;
    this.main = new KernelInstance(module);
    const base = this.main.bytesUsed;
    const threads = Math.max(1, Math.min(options.threads ?? plan.threads(options.batchSize), options.batchSize));
    this.threads = threads;
    // two chunks per thread: enough for a descheduled thread's share to be taken by the other
    this.chunkRows = threads === 1 ? options.batchSize : plan.chunkRows(options.batchSize, threads);
    this.layout = plan.layout(this.chunkRows, options.seqLength, base);
    const l0 = this.layout;
    this.main.alloc((l0.bytes - base) / 4);
    this.m = this.main.alloc(l0.paramFloats);
    this.v = this.main.alloc(l0.paramFloats);
    this.scratch = this.main.alloc(l0.paramFloats);
    this.main.i32(l0.net, l0.words.length).set(l0.words);
    this.syncFromModel();
    this.weightsShared = new Float32Array(sab(l0.paramFloats * 4));
    this.weightsShared.set(this.params());
    const rows = options.batchSize * options.seqLength;
    this.job = new Int32Array(sab(16 * 4));
    this.jobF = new Float32Array(sab(4 * 4));
    this.xs = new Int32Array(sab(rows * 4));
    this.ys = new Int32Array(sab(rows * 4));
    this.maskAt = [];
    let maskFloats = 0;
    l0.inputs.forEach((n, l) => {
      this.maskAt.push(maskFloats);
      if (l0.masks[l]) maskFloats += options.batchSize * n;
    });
    this.masks = new Float32Array(sab(maskFloats * 4));
    const maxChunks = threads > 1 ? Math.ceil(options.batchSize / this.chunkRows) : 0;
    this.chunkGrads = new Float32Array(sab(maxChunks * l0.paramFloats * 4));
    this.chunkStats = new Float32Array(sab(maxChunks * 2 * 4));
    for (let i = 1; i < threads; i++) {
      const w: ShardWorker = {
        worker: startWorker({ source: WORKER_SOURCE }),
        ctrl: new Int32Array(sab(8 * 4)),
        lastError: null,
      };
      w.worker.on('message', (m: string) => (w.lastError = m));
      w.worker.on('error', (e) => (w.lastError = e.message));
      w.worker.unref();
      w.worker.postMessage({
        module,
        layout: { ...l0, words: Array.from(l0.words) },
        ctrl: w.ctrl.buffer,
        job: this.job.buffer,
        jobF: this.jobF.buffer,
        weights: this.weightsShared.buffer,
        chunkGrads: this.chunkGrads.buffer,
        chunkStats: this.chunkStats.buffer,
        xs: this.xs.buffer,
        ys: this.ys.buffer,
        masks: this.masks.buffer,
        maskAt: this.maskAt,
      });
      this.workers.push(w);
    }
  }

  get iterations(): number {
    return this._iterations;
  }

  get memoryBytes(): number {
    return this.main.memory.buffer.byteLength * (1 + this.workers.length) + this.chunkGrads.byteLength;
  }

  private params(): Float32Array {
    const l0 = this.layout;
    return this.main.f32(l0.params, l0.paramFloats);
  }

  /** Reads the segments of a parameter-shaped block as unpadded arrays. */
  private unpack(block: Float32Array): Float32Array[] {
    return this.layout.segments.map((s) => {
      const out = new Float32Array(s.rows * s.cols);
      for (let r = 0; r < s.rows; r++) out.set(block.subarray(s.at + r * s.ld, s.at + r * s.ld + s.cols), r * s.cols);
      return out;
    });
  }

  private pack(block: Float32Array, arrays: Float32Array[]): void {
    const { segments } = this.layout;
    if (arrays.length !== segments.length) throw new RangeError(`expected ${segments.length} weight arrays, got ${arrays.length}`);
    arrays.forEach((a, i) => {
      const s = segments[i];
      if (a.length !== s.rows * s.cols) throw new RangeError(`weight ${this.weightNames[i]}: expected ${s.rows * s.cols} values, got ${a.length}`);
      if (s.ld === s.cols) block.set(a, s.at);
      else for (let r = 0; r < s.rows; r++) block.set(a.subarray(r * s.cols, (r + 1) * s.cols), s.at + r * s.ld);
    });
  }

  syncFromModel(): void {
    this.pack(this.params(), this.plan.read());
    if (this.weightsShared) this.publishWeights();
  }

  private publishWeights(): void {
    if (!this.workers.length) return;
    this.weightsShared.set(this.params());
    this.version++;
  }

  syncToModel(): void {
    this.plan.write(this.unpack(this.params()));
  }

  getOptimizerState(): FastOptimizerState {
    const l0 = this.layout;
    return {
      step: this._iterations,
      m: this.optimizer === 'adam' ? this.unpack(this.main.f32(this.m, l0.paramFloats)) : null,
      v: this.unpack(this.main.f32(this.v, l0.paramFloats)),
    };
  }

  setOptimizerState(s: FastOptimizerState): void {
    const l0 = this.layout;
    if ((s.m === null) !== (this.optimizer !== 'adam')) throw new RangeError(`optimizer state is for ${s.m ? 'adam' : 'rmsprop'}, this trainer uses ${this.optimizer}`);
    if (s.m) this.pack(this.main.f32(this.m, l0.paramFloats), s.m);
    this.pack(this.main.f32(this.v, l0.paramFloats), s.v);
    this._iterations = s.step;
    this.accBeta1 = Math.fround(Math.pow(this.beta1, s.step + 1));
    this.accBeta2 = Math.fround(Math.pow(this.beta2, s.step + 1));
  }

  step(batchX: Int32Array, batchY: Int32Array, time?: number, stepIndex?: number): StepResult {
    return this.run(batchX, batchY, time, false, stepIndex);
  }

  evaluate(batchX: Int32Array, batchY: Int32Array, time?: number): StepResult {
    return this.run(batchX, batchY, time, true);
  }


  private run(batchX: Int32Array, batchY: Int32Array, time: number | undefined, forwardOnly: boolean, stepIndex?: number): StepResult {
    if (this.disposed) throw new Error('the fast trainer was disposed');
    const T = time ?? this.options.seqLength;
    if (!(T >= 1) || batchX.length % T !== 0 || batchX.length === 0) throw new RangeError(`batch of ${batchX.length} tokens is not a whole number of ${T}-step windows`);
    const B = batchX.length / T;
    const V = this.layout.words[0];
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
    if (B > this.options.batchSize || T > this.options.seqLength) throw new RangeError(`batch ${B} x ${T} is larger than the trainer was built for (${this.options.batchSize} x ${this.options.seqLength})`);
    const scale = 1 / count;
    const masks = forwardOnly ? null : this.plan.masks(B, stepIndex ?? this._iterations);
    const dseed = deriveSeed(this.options.seed ?? 0, 'fast-gpt-dropout', stepIndex ?? this._iterations) | 0;
    const l0 = this.layout;
    const per = this.chunkRows;
    const chunks = Math.ceil(B / per);
    // publish the batch, then wake the workers; this thread takes chunks too
    this.xs.set(batchX);
    this.ys.set(y);
    masks?.forEach((m, l) => m && this.masks.set(m, this.maskAt[l]));
    this.seq++;
    const job = this.job;
    job[1] = 0;
    job[2] = chunks;
    job[3] = T;
    job[4] = B;
    job[5] = forwardOnly ? 1 : 0;
    job[6] = this.version;
    job[7] = per;
    job[8] = dseed;
    this.jobF[0] = scale;
    if (this.workers.length && chunks > 1) {
      Atomics.store(job, 0, this.seq);
      Atomics.notify(job, 0);
    } else job[1] = 0;
    const x = this.main.exports;
    const words = this.main.i32(l0.net, l0.words.length);
    const floats = this.main.f32(l0.net, l0.words.length);
    const shared = this.workers.length > 0 && chunks > 1;
    const F = l0.fields;
    const grads = this.main.f32(l0.grads, l0.paramFloats);
    if (!forwardOnly) grads.fill(0);
    let loss = 0;
    let correct = 0;
    for (;;) {
      const i = shared ? Atomics.add(job, 1, 1) : job[1]++;
      if (i >= chunks) break;
      const b0 = i * per;
      const b1 = Math.min(B, b0 + per);
      words[F.T] = T;
      words[F.B] = b1 - b0;
      words[F.forwardOnly] = forwardOnly ? 1 : 0;
      floats[F.scale] = scale;
      if (F.row0 !== undefined) words[F.row0] = b0;
      if (F.dseed !== undefined) words[F.dseed] = dseed;
      this.main.i32(l0.x, (b1 - b0) * T).set(batchX.subarray(b0 * T, b1 * T));
      this.main.i32(l0.y, (b1 - b0) * T).set(y.subarray(b0 * T, b1 * T));
      masks?.forEach((m, l) => m && this.main.f32(l0.masks[l], (b1 - b0) * l0.inputs[l]).set(m.subarray(b0 * l0.inputs[l], b1 * l0.inputs[l])));
      if (shared && !forwardOnly) grads.fill(0);
      x[l0.entry](l0.net);
      if (shared) {
        if (!forwardOnly) this.chunkGrads.set(grads, i * l0.paramFloats);
        this.chunkStats[2 * i] = floats[F.loss];
        this.chunkStats[2 * i + 1] = floats[F.correct];
      } else {
        loss += floats[F.loss];
        correct += floats[F.correct];
      }
    }
    if (shared) {
      for (const w of this.workers) this.waitForWorker(w, this.seq);
      if (!forwardOnly) grads.fill(0);
      const scratch = this.main.f32(this.scratch, l0.paramFloats);
      for (let i = 0; i < chunks; i++) {
        loss += this.chunkStats[2 * i];
        correct += this.chunkStats[2 * i + 1];
        if (forwardOnly) continue;
        scratch.set(this.chunkGrads.subarray(i * l0.paramFloats, (i + 1) * l0.paramFloats));
        x.add_to(l0.grads, this.scratch, l0.paramFloats);
      }
    }
    if (!Number.isFinite(loss)) throw new RangeError(`the loss became ${loss / count}; try a lower learning rate or gradient clipping`);
    if (!forwardOnly) {
      let gscale = 1;
      if (this.clipNorm > 0) {
        const norm = Math.sqrt(x.sum_squares(l0.grads, l0.paramFloats));
        if (norm > this.clipNorm) gscale = this.clipNorm / norm;
      }
      const t = this._iterations + 1;
      // one call over the whole block, or per segment when matrices decay and vectors do not
      const wdf = 1 - this.learningRate * this.weightDecay;
      const parts = this.weightDecay > 0 ? l0.segments.map((s) => ({ at: s.at * 4, n: s.rows * s.ld, wdf: s.decay ? wdf : 1 })) : [{ at: 0, n: l0.paramFloats, wdf: 1 }];
      for (const part of parts) {
        const w = l0.params + part.at;
        const g = l0.grads + part.at;
        const m = this.m + part.at;
        const v = this.v + part.at;
        if (this.optimizer === 'rmsprop') x.rmsprop(w, g, v, part.n, this.learningRate, this.rho, this.epsilon, gscale, part.wdf);
        else if (this.tfStyle) x.adam(w, g, m, v, part.n, this.learningRate / (1 - this.accBeta1), this.beta1, this.beta2, 1 / (1 - this.accBeta2), this.epsilon, gscale, part.wdf);
        else {
          const lrT = (this.learningRate * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
          x.adam(w, g, m, v, part.n, lrT, this.beta1, this.beta2, 1, this.epsilon, gscale, part.wdf);
        }
      }
      if (this.tfStyle) {
        this.accBeta1 = Math.fround(this.accBeta1 * this.beta1);
        this.accBeta2 = Math.fround(this.accBeta2 * this.beta2);
      }
      this._iterations = t;
      this.publishWeights();
    }
    return { loss: loss / count, accuracy: correct / count };
  }

  private waitForWorker(w: ShardWorker, seq: number): void {
    const started = Date.now();
    while (Atomics.load(w.ctrl, 2) === 0) {
      // first use: the worker is still instantiating its kernels
      if (Date.now() - started > WORKER_TIMEOUT_MS) throw new Error('a training worker did not start');
      Atomics.wait(w.ctrl, 2, 0, 1000);
    }
    if (Atomics.load(w.ctrl, 2) < 0) throw new Error(`a training worker failed to start: ${w.lastError ?? 'unknown error'}`);
    for (;;) {
      const cur = Atomics.load(w.ctrl, 1);
      if (cur === seq) break;
      if (Date.now() - started > WORKER_TIMEOUT_MS) throw new Error('a training worker stopped responding');
      Atomics.wait(w.ctrl, 1, cur, 1000);
    }
    if (w.ctrl[7]) {
      w.ctrl[7] = 0;
      throw new Error(`a training worker failed: ${w.lastError ?? 'unknown error'}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.workers.length) {
      Atomics.store(this.job, 0, -1);
      Atomics.notify(this.job, 0);
    }
    for (const w of this.workers) void w.worker.terminate();
  }
}

/**
 * One LSTM layer's input dropout mask for a batch: [batch][inputs], each value 0 or 1/(1-rate) as
 * tf.dropout scales, held for every step of the window as tfjs's LSTM does. Drawn from our seeded
 * RNG by (seed, step, layer), so a resumed run draws the same masks (but not tfjs's draws).
 */
export function dropoutMask(seed: number, step: number, layer: number, batch: number, inputs: number, rate: number): Float32Array {
  const rng = new Rng(deriveSeed(seed, 'fast-dropout', step, layer));
  const keep = 1 - rate;
  const m = new Float32Array(batch * inputs);
  for (let j = 0; j < m.length; j++) m[j] = rng.next() < keep ? 1 / keep : 0;
  return m;
}

/**
 * Two threads unless each would get a small slice of a batch over a large recurrent matrix: then
 * every time step streams the whole packed matrix (16 MB at 1024 units) per thread for a few rows,
 * two copies fight over the shared L3, and one thread was faster (MIT preset, 1x1024, batch 8:
 * 433 vs 273 tokens/s measured).
 */
function defaultThreads(batch: number, units: number[]): number {
  const cores = Math.min(2, availableParallelism());
  const bigRecurrent = Math.max(...units.map((u) => 16 * u * u)) >= 8 * 1024 * 1024;
  return bigRecurrent && batch / cores < 16 ? 1 : cores;
}
