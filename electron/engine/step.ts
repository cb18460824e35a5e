/**
 * Stateful one-token-at-a-time models. The sampler only knows the StepModel interface, so a faster
 * implementation (hand-written kernels over the same weights, see fast/) can be registered in front
 * of the tfjs one here; each must give the tfjs model's own probabilities.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from './errors';
import { GptKvStepModel } from './gpt';

export interface StepModel {
  readonly vocabSize: number;
  /** Rows in the current batch (set by reset). */
  readonly batchSize: number;
  /** Clears the state and sets the batch size (one row per variation). */
  reset(batch: number): void;
  /** Feeds one token per row; returns next-token probabilities, row-major [batch * vocabSize]. */
  step(tokenIds: ArrayLike<number>): Float32Array;
  /** Frees the state (not the model's weights). */
  dispose(): void;
}

/** What the caller asked for that a factory must honour (a GPT's window, or no key/value cache). */
export interface StepModelRequest {
  window?: number;
  kvCache?: boolean;
}

export type StepModelFactory = (model: tf.LayersModel, opts: StepModelRequest) => StepModel | null;

const factories: StepModelFactory[] = [];

/** Registers a faster step implementation; it is tried before the tfjs one and may decline (null). */
export function registerStepModelFactory(f: StepModelFactory): () => void {
  factories.unshift(f);
  return () => {
    const i = factories.indexOf(f);
    if (i >= 0) factories.splice(i, 1);
  };
}

export interface StepModelOptions {
  tfjsOnly?: boolean;
  /** Window models: attend over at most this many tokens (the trained sequence length). */
  window?: number;
  /** GPT models: keep keys and values between steps (default); false re-runs the whole window. */
  kvCache?: boolean;
}

export function createStepModel(model: tf.LayersModel, opts: StepModelOptions = {}): StepModel {
  if (!opts.tfjsOnly) {
    for (const f of factories) {
      const s = f(model, { window: opts.window, kvCache: opts.kvCache });
      if (s) return s;
    }
  }
  if (isRecurrent(model)) return new TfRnnStepModel(model);
  return (opts.kvCache !== false ? GptKvStepModel.from(model, opts.window) : null) ?? new TfWindowStepModel(model, opts.window);
}

function isRecurrent(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.getClassName() === 'LSTM' || l.getClassName() === 'GRU');
}

type Act = (x: tf.Tensor) => tf.Tensor;
function activation(name: string | undefined, layer: string): Act {
  switch (name ?? 'linear') {
    case 'tanh':
      return tf.tanh;
    case 'sigmoid':
      return tf.sigmoid;
    case 'hardSigmoid':
    case 'hard_sigmoid':
      return (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'relu':
      return tf.relu;
    case 'linear':
      return (x) => x;
    default:
      throw new EngineError('bad_input', `layer ${layer}: activation "${name}" is not supported for stateful sampling`);
  }
}

interface RecurrentLayer {
  kind: 'LSTM' | 'GRU';
  units: number;
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor1D | null;
  act: Act;
  recAct: Act;
}

/**
 * LSTM/GRU stepped with explicit tfjs ops over the layers' own weight tensors (Magenta-style).
 * The equations follow tfjs-layers' LSTMCell/GRUCell (Keras gate order i, f, c, o; GRU with
 * reset_after=false); the test checks them against model.predict on whole sequences.
 */
export class TfRnnStepModel implements StepModel {
  readonly vocabSize: number;
  private readonly embeddings: tf.Tensor2D;
  private readonly layers: RecurrentLayer[] = [];
  private readonly dense: { kernel: tf.Tensor2D; bias: tf.Tensor1D | null };
  private state: tf.Tensor2D[] = [];
  private rows = 0;

  constructor(model: tf.LayersModel) {
    let embeddings: tf.Tensor2D | undefined;
    let dense: { kernel: tf.Tensor2D; bias: tf.Tensor1D | null } | undefined;
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const cfg = layer.getConfig() as Record<string, unknown>;
      const w = layer.weights.map((v) => v.read());
      if (cls === 'InputLayer' || cls === 'Dropout' || cls === 'SpatialDropout1D') continue;
      if (cls === 'Activation' && cfg.activation === 'softmax') continue;
      if (dense) throw new EngineError('bad_input', `layer ${layer.name} (${cls}) after the output layer is not supported for sampling`);
      if (cls === 'Embedding') {
        if (embeddings || this.layers.length) throw new EngineError('bad_input', `unexpected second embedding ${layer.name}`);
        embeddings = w[0] as tf.Tensor2D;
      } else if (cls === 'LSTM' || cls === 'GRU') {
        if (!embeddings) throw new EngineError('bad_input', `layer ${layer.name}: a recurrent layer before any Embedding is not supported (the model must take token ids)`);
        if (cfg.go_backwards || cfg.goBackwards) throw new EngineError('bad_input', `layer ${layer.name} runs backwards; a (bi)directional model cannot generate left to right`);
        const useBias = cfg.useBias ?? cfg.use_bias ?? true;
        this.layers.push({
          kind: cls,
          units: (cfg.units as number) ?? w[1].shape[0],
          kernel: w[0] as tf.Tensor2D,
          recurrent: w[1] as tf.Tensor2D,
          bias: useBias ? (w[2] as tf.Tensor1D) : null,
          act: activation(cfg.activation as string, layer.name),
          recAct: activation((cfg.recurrentActivation ?? cfg.recurrent_activation) as string, layer.name),
        });
      } else if (cls === 'Dense' || cls === 'TimeDistributed') {
        dense = { kernel: w[0] as tf.Tensor2D, bias: (w[1] as tf.Tensor1D) ?? null };
      } else {
        throw new EngineError('bad_input', `layer ${layer.name} (${cls}) is not supported for stateful sampling; expected Embedding -> LSTM/GRU... -> Dense`);
      }
    }
    if (!embeddings) throw new EngineError('bad_input', 'the model has no Embedding layer, so it does not take token ids');
    if (!dense) throw new EngineError('bad_input', 'the model has no Dense output layer');
    this.embeddings = embeddings;
    this.dense = dense;
    this.vocabSize = dense.kernel.shape[1];
  }

  get batchSize(): number {
    return this.rows;
  }

  reset(batch: number): void {
    tf.dispose(this.state);
    this.rows = batch;
    this.state = [];
    for (const l of this.layers) {
      this.state.push(tf.zeros([batch, l.units]));
      if (l.kind === 'LSTM') this.state.push(tf.zeros([batch, l.units]));
    }
  }

  step(tokenIds: ArrayLike<number>): Float32Array {
    if (tokenIds.length !== this.rows) throw new EngineError('invalid_request', `step got ${tokenIds.length} tokens for a batch of ${this.rows}`);
    const next: tf.Tensor2D[] = [];
    const probs = tf.tidy(() => {
      let x = tf.gather(this.embeddings, tf.tensor1d(Int32Array.from(tokenIds), 'int32')) as tf.Tensor2D;
      let s = 0;
      for (const l of this.layers) {
        const u = l.units;
        let xw = tf.matMul(x, l.kernel);
        if (l.bias) xw = tf.add(xw, l.bias);
        if (l.kind === 'LSTM') {
          const h = this.state[s];
          const c = this.state[s + 1];
          const z = tf.add(xw, tf.matMul(h, l.recurrent));
          const [zi, zf, zc, zo] = tf.split(z, 4, 1);
          const c2 = tf.add(tf.mul(l.recAct(zf), c), tf.mul(l.recAct(zi), l.act(zc))) as tf.Tensor2D;
          const h2 = tf.mul(l.recAct(zo), l.act(c2)) as tf.Tensor2D;
          next.push(tf.keep(h2), tf.keep(c2));
          x = h2;
          s += 2;
        } else {
          const h = this.state[s];
          const [xz, xr, xh] = tf.split(xw, 3, 1);
          const rk = l.recurrent;
          const rzr = tf.matMul(h, tf.slice(rk, [0, 0], [u, 2 * u]));
          const [rz, rr] = tf.split(rzr, 2, 1);
          const z = l.recAct(tf.add(xz, rz));
          const r = l.recAct(tf.add(xr, rr));
          const hh = l.act(tf.add(xh, tf.matMul(tf.mul(r, h), tf.slice(rk, [0, 2 * u], [u, u]))));
          const h2 = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
          next.push(tf.keep(h2));
          x = h2;
          s += 1;
        }
      }
      let logits = tf.matMul(x, this.dense.kernel);
      if (this.dense.bias) logits = tf.add(logits, this.dense.bias);
      return tf.softmax(logits);
    });
    tf.dispose(this.state);
    this.state = next;
    const out = probs.dataSync() as Float32Array;
    probs.dispose();
    return out;
  }

  dispose(): void {
    tf.dispose(this.state);
    this.state = [];
    this.rows = 0;
  }
}

/**
 * For models without a recurrent state (the GPT decoder): keeps each row's recent tokens and runs
 * the model over the last contextLength of them at every step. Correct for any model that maps
 * [batch, time] ids to [batch, time, vocab]; a key/value cache would make it faster.
 */
export class TfWindowStepModel implements StepModel {
  readonly vocabSize: number;
  private readonly context: number;
  private readonly probsOut: boolean;
  private history: number[][] = [];

  constructor(
    private readonly model: tf.LayersModel,
    window?: number,
  ) {
    const out = model.outputs[0].shape;
    this.vocabSize = out[out.length - 1] as number;
    const pos = model.layers.find((l) => l.getClassName() === 'SeedsongPositionEmbedding');
    this.context = pos ? ((pos.getConfig() as { contextLength: number }).contextLength) : ((model.inputs[0].shape[1] as number | null) ?? 256);
    // Positions beyond the trained sequence length were never trained, so the window stops there.
    if (window !== undefined) this.context = Math.min(this.context, window);
    const last = model.layers[model.layers.length - 1].getConfig() as { activation?: string };
    this.probsOut = last.activation === 'softmax';
  }

  get batchSize(): number {
    return this.history.length;
  }

  reset(batch: number): void {
    this.history = Array.from({ length: batch }, () => []);
  }

  step(tokenIds: ArrayLike<number>): Float32Array {
    if (tokenIds.length !== this.history.length) throw new EngineError('invalid_request', `step got ${tokenIds.length} tokens for a batch of ${this.history.length}`);
    this.history.forEach((h, i) => {
      h.push(tokenIds[i]);
      if (h.length > this.context) h.shift();
    });
    const t = this.history[0].length;
    const flat = new Int32Array(this.history.length * t);
    this.history.forEach((h, i) => flat.set(h, i * t));
    const probs = tf.tidy(() => {
      const out = this.model.predict(tf.tensor2d(flat, [this.history.length, t], 'int32')) as tf.Tensor3D;
      const last = tf.reshape(tf.slice(out, [0, t - 1, 0], [this.history.length, 1, this.vocabSize]), [this.history.length, this.vocabSize]);
      return this.probsOut ? last : tf.softmax(last);
    });
    const out = probs.dataSync() as Float32Array;
    probs.dispose();
    return out;
  }

  dispose(): void {
    this.history = [];
  }
}
