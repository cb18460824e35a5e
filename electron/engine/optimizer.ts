/**
 * Adam and RMSprop written over tfjs ops rather than tf.train.*: their whole state (step count and
 * per-weight slots) can be snapshotted and restored exactly, and the bias correction is computed
 * in float64 from the step count. tf.train.adam keeps running float32 products of beta instead,
 * which a resumed run cannot reproduce bit for bit.
 *
 * Weight decay is decoupled (AdamW, as torch.optim.AdamW): w *= 1 - lr * weightDecay before the
 * update, for matrices only (rank >= 2: kernels, embeddings, the position table), not for biases
 * and LayerNorm gains, as nanoGPT does.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from './errors';
import type { OptimizerName } from './hyperparameters';

export interface OptimizerSlot {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface OptimizerSnapshot {
  optimizer: OptimizerName;
  step: number;
  slots: OptimizerSlot[];
}

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const RMSPROP = { rho: 0.9, epsilon: 1e-7 };

export class Optimizer {
  private step = 0;
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];

  private readonly weightDecay: number;
  private readonly epsilon: number | undefined;

  constructor(
    readonly name: OptimizerName,
    private readonly vars: tf.Variable[],
    /** weightDecay: AdamW's decoupled decay of matrices; epsilon: Adam / RMSprop epsilon, default 1e-7 (tf.keras's). */
    options: { weightDecay?: number; epsilon?: number } = {},
  ) {
    this.weightDecay = options.weightDecay ?? 0;
    this.epsilon = options.epsilon;
    // tidy frees the zerosLike() initial values; variables are not tracked by tidy, so they stay.
    const slot = (w: tf.Variable) => tf.tidy(() => tf.variable(tf.zerosLike(w), false));
    this.m = name === 'adam' ? vars.map(slot) : [];
    this.v = vars.map(slot);
  }

  get iterations(): number {
    return this.step;
  }

  /** Applies one update. grads are in the same order as the variables. */
  apply(grads: tf.Tensor[], learningRate: number): void {
    this.step++;
    const decay = (i: number) => (this.weightDecay > 0 && this.vars[i].rank >= 2 ? tf.mul(this.vars[i], 1 - learningRate * this.weightDecay) : this.vars[i]);
    tf.tidy(() => {
      if (this.name === 'adam') {
        const { beta1, beta2 } = ADAM;
        const epsilon = this.epsilon ?? ADAM.epsilon;
        const lrT = (learningRate * Math.sqrt(1 - Math.pow(beta2, this.step))) / (1 - Math.pow(beta1, this.step));
        grads.forEach((g, i) => {
          const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
          const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
          this.m[i].assign(m);
          this.v[i].assign(v);
          this.vars[i].assign(tf.sub(decay(i), tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(v), epsilon)))));
        });
      } else {
        const { rho } = RMSPROP;
        const epsilon = this.epsilon ?? RMSPROP.epsilon;
        grads.forEach((g, i) => {
          const v = tf.add(tf.mul(this.v[i], rho), tf.mul(tf.square(g), 1 - rho));
          this.v[i].assign(v);
          this.vars[i].assign(tf.sub(decay(i), tf.mul(learningRate, tf.div(g, tf.add(tf.sqrt(v), epsilon)))));
        });
      }
    });
  }

  async snapshot(): Promise<OptimizerSnapshot> {
    const slots: OptimizerSlot[] = [];
    const add = async (kind: string, list: tf.Variable[]) => {
      for (let i = 0; i < list.length; i++) slots.push({ name: `${i}/${kind}`, shape: list[i].shape, data: (await list[i].data()) as Float32Array });
    };
    await add('m', this.m);
    await add('v', this.v);
    return { optimizer: this.name, step: this.step, slots };
  }

  restore(s: OptimizerSnapshot): void {
    if (s.optimizer !== this.name) throw new EngineError('bad_input', `the checkpoint was trained with ${s.optimizer}, not ${this.name}`);
    const expect = (this.m.length + this.v.length);
    if (s.slots.length !== expect) throw new EngineError('bad_input', `the checkpoint's optimizer state has ${s.slots.length} slots, expected ${expect} for this model`);
    const byName = new Map(s.slots.map((x) => [x.name, x]));
    const load = (kind: string, list: tf.Variable[]) =>
      list.forEach((v, i) => {
        const slot = byName.get(`${i}/${kind}`);
        if (!slot || slot.data.length !== v.size) throw new EngineError('bad_input', `the checkpoint's optimizer slot ${i}/${kind} does not match the model`);
        tf.tidy(() => v.assign(tf.tensor(slot.data, v.shape, 'float32')));
      });
    load('m', this.m);
    load('v', this.v);
    this.step = s.step;
  }

  dispose(): void {
    for (const v of [...this.m, ...this.v]) v.dispose();
    this.m = [];
    this.v = [];
  }
}
