/**
 * The two pieces of a small GPT-style decoder that TensorFlow.js layers do not have: a learned
 * position embedding and causal multi-head self-attention. Both are written with plain tfjs ops
 * so autodiff gives their gradients, and registered for (de)serialisation so saved models load.
 */
import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

export interface PositionEmbeddingConfig {
  contextLength: number;
  seed?: number;
  name?: string;
}

export class PositionEmbedding extends tf.layers.Layer {
  static className = 'SeedsongPositionEmbedding';
  readonly contextLength: number;
  readonly seed?: number;
  private table!: tf.LayerVariable;

  constructor(config: PositionEmbeddingConfig) {
    super(config as never);
    this.contextLength = config.contextLength;
    this.seed = config.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = shape[shape.length - 1] as number;
    this.table = this.addWeight('positions', [this.contextLength, width], 'float32', tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  /** The position table [contextLength, width] (owned by the layer). */
  positions(): tf.Tensor2D {
    return this.table.read() as tf.Tensor2D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [, t, w] = x.shape as number[];
      if (t > this.contextLength) throw new Error(`sequence of ${t} steps is longer than the model's context length ${this.contextLength}`);
      return tf.add(x, tf.slice(this.table.read(), [0, 0], [t, w]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), contextLength: this.contextLength, seed: this.seed ?? null };
  }
}

/**
 * Multi-head attention of queries over keys and values, all [b, h, t, d]: the one piece of math the
 * layer (whole windows, causal mask) and the key/value cache (one new query over the cached keys)
 * share. `causal` masks key positions after each query's own (queries and keys aligned at the end).
 */
export function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, causal: boolean): tf.Tensor4D {
  const d = q.shape[3];
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)) as tf.Tensor4D; // [b, h, tq, tk]
  if (causal) {
    // Position i may look at positions <= i only; -1e9 is exp()'d to 0 without NaNs.
    const [tq, tk] = [q.shape[2], k.shape[2]];
    const allowed = tf.linalg.bandPart(tf.ones([tq, tk]), -1, tk - tq);
    scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
  }
  return tf.matMul(tf.softmax(scores), v) as tf.Tensor4D; // [b, h, tq, d]
}

/** x [b*t, w] -> queries, keys, values [b, h, t, d] with the layer's weights. */
export function projectQkv(x: tf.Tensor2D, b: number, t: number, heads: number, kernel: tf.Tensor, bias: tf.Tensor): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const w = x.shape[1];
  const d = w / heads;
  const qkv = tf.add(tf.matMul(x, kernel as tf.Tensor2D), bias);
  return tf.split(qkv, 3, 1).map((m) => tf.transpose(tf.reshape(m, [b, t, heads, d]), [0, 2, 1, 3])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

/** attended [b, h, t, d] -> [b*t, w] through the output projection. */
export function projectOut(attended: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  const [b, h, t, d] = attended.shape;
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * t, h * d]);
  return tf.add(tf.matMul(merged, kernel as tf.Tensor2D), bias) as tf.Tensor2D;
}

export interface CausalSelfAttentionConfig {
  heads: number;
  seed?: number;
  name?: string;
}

export class CausalSelfAttention extends tf.layers.Layer {
  static className = 'SeedsongCausalSelfAttention';
  readonly heads: number;
  readonly seed?: number;
  private qkvKernel!: tf.LayerVariable;
  private qkvBias!: tf.LayerVariable;
  private outKernel!: tf.LayerVariable;
  private outBias!: tf.LayerVariable;

  constructor(config: CausalSelfAttentionConfig) {
    super(config as never);
    this.heads = config.heads;
    this.seed = config.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const w = shape[shape.length - 1] as number;
    if (w % this.heads !== 0) throw new Error(`width ${w} is not divisible by ${this.heads} heads`);
    const s = this.seed ?? 0;
    this.qkvKernel = this.addWeight('qkv_kernel', [w, 3 * w], 'float32', tf.initializers.glorotUniform({ seed: s }));
    this.qkvBias = this.addWeight('qkv_bias', [3 * w], 'float32', tf.initializers.zeros());
    this.outKernel = this.addWeight('out_kernel', [w, w], 'float32', tf.initializers.glorotUniform({ seed: s + 1 }));
    this.outBias = this.addWeight('out_bias', [w], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const [b, t, w] = x.shape as number[];
      const [q, k, v] = projectQkv(tf.reshape(x, [b * t, w]), b, t, this.heads, this.qkvKernel.read(), this.qkvBias.read());
      return tf.reshape(projectOut(attend(q, k, v, true), this.outKernel.read(), this.outBias.read()), [b, t, w]);
    });
  }

  /** The layer's weights as tensors (owned by the layer): for the key/value cache of sampling. */
  attentionWeights(): { qkvKernel: tf.Tensor; qkvBias: tf.Tensor; outKernel: tf.Tensor; outBias: tf.Tensor } {
    return { qkvKernel: this.qkvKernel.read(), qkvBias: this.qkvBias.read(), outKernel: this.outKernel.read(), outBias: this.outBias.read() };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed ?? null };
  }
}

/**
 * Layer normalisation over the last axis. tfjs-layers has one, but it broadcasts gamma and beta
 * with tile(), whose gradient loops over every [batch, time] position with slice + add: 12,288
 * kernel calls per layer for a batch of 16 x 128, which made a GPT training step take a minute.
 * Plain broadcasting ops have cheap gradients.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = 'SeedsongLayerNorm';
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(config: { epsilon?: number; name?: string }) {
    super(config as never);
    this.epsilon = config.epsilon ?? 1e-5;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const w = shape[shape.length - 1] as number;
    this.gamma = this.addWeight('gamma', [w], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [w], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), -1, true);
      return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon))), this.gamma.read()), this.beta.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(LayerNorm);
tf.serialization.registerClass(PositionEmbedding);
tf.serialization.registerClass(CausalSelfAttention);

// ---------------------------------------------------------------------------------------------
// Sampling with a key/value cache

/**
 * One token at a time through a GPT built by model.ts, keeping each block's keys and values, so a
 * step costs one position instead of the whole window. Same probabilities as running the window
 * (tested to 1e-5). When the window is full it slides: every position then changes (positions are
 * counted from the window's start), so the cache is rebuilt from the last `context` tokens, which
 * costs what the window model pays on every step.
 */
export class GptKvStepModel {
  readonly vocabSize: number;
  private readonly context: number;
  private history: number[][] = [];
  /** Per block: keys and values [b, h, t, d]. */
  private cache: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];

  private constructor(
    private readonly parts: GptParts,
    window?: number,
  ) {
    this.vocabSize = parts.logits.getConfig().units as number;
    this.context = Math.min(parts.positions.contextLength, window ?? Infinity);
  }

  /** null for a model not laid out as model.ts builds a GPT (the window model then serves it). */
  static from(model: tf.LayersModel, window?: number): GptKvStepModel | null {
    const parts = gptParts(model);
    return parts ? new GptKvStepModel(parts, window) : null;
  }

  get batchSize(): number {
    return this.history.length;
  }

  reset(batch: number): void {
    this.clear();
    this.history = Array.from({ length: batch }, () => []);
  }

  step(tokenIds: ArrayLike<number>): Float32Array {
    const b = this.history.length;
    if (tokenIds.length !== b) throw new Error(`step got ${tokenIds.length} tokens for a batch of ${b}`);
    this.history.forEach((h, i) => h.push(tokenIds[i]));
    let probs: tf.Tensor;
    if (this.history[0].length > this.context) {
      for (const h of this.history) h.splice(0, h.length - this.context);
      this.clear();
      probs = this.run(this.history.map((h) => h.slice()), 0);
    } else {
      probs = this.run(Array.from(tokenIds, (t) => [t]), this.history[0].length - 1);
    }
    const out = probs.dataSync() as Float32Array;
    probs.dispose();
    return out;
  }

  /** Feeds `ids` ([b][t], at positions from `start`), extends the cache, returns the last position's probabilities. */
  private run(ids: number[][], start: number): tf.Tensor {
    const p = this.parts;
    const b = ids.length;
    const t = ids[0].length;
    const next: { k: tf.Tensor4D; v: tf.Tensor4D }[] = [];
    const probs = tf.tidy(() => {
      const w = p.positions.positions().shape[1];
      let x = p.embedding.apply(tf.tensor2d(ids.flat(), [b, t], 'int32')) as tf.Tensor;
      x = tf.add(x, tf.slice(p.positions.positions(), [start, 0], [t, w]));
      p.blocks.forEach((blk, l) => {
        let h = blk.ln1.apply(x) as tf.Tensor;
        const a = blk.attention.attentionWeights();
        const [q, k, v] = projectQkv(tf.reshape(h, [b * t, w]), b, t, blk.attention.heads, a.qkvKernel, a.qkvBias);
        const prev = this.cache[l];
        const keys = prev ? tf.concat([prev.k, k], 2) : k;
        const values = prev ? tf.concat([prev.v, v], 2) : v;
        next.push({ k: tf.keep(keys), v: tf.keep(values) });
        h = tf.reshape(projectOut(attend(q, keys, values, t > 1), a.outKernel, a.outBias), [b, t, w]);
        x = tf.add(x, h);
        h = blk.ln2.apply(x) as tf.Tensor;
        h = blk.mlpOut.apply(blk.mlpIn.apply(h)) as tf.Tensor;
        x = tf.add(x, h);
      });
      const logits = p.logits.apply(p.finalLn.apply(tf.slice(x, [0, t - 1, 0], [b, 1, w]))) as tf.Tensor;
      const last = tf.reshape(logits, [b, this.vocabSize]);
      return p.probsOut ? last : tf.softmax(last);
    });
    this.clear();
    this.cache = next;
    return probs;
  }

  private clear(): void {
    for (const c of this.cache) {
      c.k.dispose();
      c.v.dispose();
    }
    this.cache = [];
  }

  dispose(): void {
    this.clear();
    this.history = [];
  }
}

export interface GptParts {
  embedding: tf.layers.Layer;
  positions: PositionEmbedding;
  blocks: { ln1: tf.layers.Layer; attention: CausalSelfAttention; ln2: tf.layers.Layer; mlpIn: tf.layers.Layer; mlpOut: tf.layers.Layer }[];
  finalLn: tf.layers.Layer;
  logits: tf.layers.Layer;
  probsOut: boolean;
}

/** The layers of a GPT as model.ts lays it out, or null for any other model. */
export function gptParts(model: tf.LayersModel): GptParts | null {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const get = (n: string) => byName.get(n);
  const positions = get('positions');
  const embedding = get('embedding');
  const finalLn = get('final_ln');
  const logits = get('logits') ?? model.layers[model.layers.length - 1];
  if (!(positions instanceof PositionEmbedding) || !embedding || !finalLn || logits.getClassName() !== 'Dense') return null;
  const blocks: GptParts['blocks'] = [];
  for (let l = 0; byName.has(`block${l}_attention`); l++) {
    const [ln1, attention, ln2, mlpIn, mlpOut] = ['ln1', 'attention', 'ln2', 'mlp_in', 'mlp_out'].map((s) => get(`block${l}_${s}`));
    if (!ln1 || !(attention instanceof CausalSelfAttention) || !ln2 || !mlpIn || !mlpOut) return null;
    blocks.push({ ln1, attention, ln2, mlpIn, mlpOut });
  }
  // Exactly the layers model.ts lays out (plus dropout and adds): anything else, decline.
  const known = 4 + 5 * blocks.length;
  const others = model.layers.filter((l) => !['InputLayer', 'Dropout', 'Add'].includes(l.getClassName()));
  if (!blocks.length || others.length !== known) return null;
  const act = (logits.getConfig() as { activation?: string }).activation;
  return { embedding, positions, blocks, finalLn, logits, probsOut: act === 'softmax' };
}
