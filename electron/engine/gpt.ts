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
      const h = this.heads;
      const d = w / h;
      const qkv = tf.add(tf.matMul(tf.reshape(x, [b * t, w]), this.qkvKernel.read()), this.qkvBias.read());
      const [q, k, v] = tf.split(qkv, 3, 1).map((m) => tf.transpose(tf.reshape(m, [b, t, h, d]), [0, 2, 1, 3]));
      let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)); // [b, h, t, t]
      // Position i may look at positions <= i only; -1e9 is exp()'d to 0 without NaNs.
      const allowed = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
      scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
      const attended = tf.matMul(tf.softmax(scores), v); // [b, h, t, d]
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * t, w]);
      return tf.reshape(tf.add(tf.matMul(merged, this.outKernel.read()), this.outBias.read()), [b, t, w]);
    });
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
