/**
 * Stateful training for Embedding -> LSTM xN (-> Dropout) -> Dense models, as Keras trains a
 * `stateful=True` model: each batch row starts from the state the same row ended the previous
 * batch with (truncated back-propagation: gradients stop at the window edge), and states go back to
 * zero only when told (the trainer does it at each epoch start and before each validation pass).
 *
 * tfjs's LSTM layer always starts from zeros when applied to a tensor, so the forward pass is
 * written here over the model's own weights with tfjs ops (the same cell as step.ts: gates i, f,
 * c, o; sigmoid or hard-sigmoid gates, tanh), and tfjs differentiates it. The weights are the
 * model's variables, so checkpoints, sampling and the optimizer snapshot (same slot order as the
 * tfjs stepper) are unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError, HyperparameterError } from './errors';
import { Optimizer, type OptimizerSnapshot } from './optimizer';
import { deriveSeed } from './rng';
import type { BatchStepper } from './batch-stepper';
import type { TrainingConfig } from './hyperparameters';

type Op =
  | { kind: 'embedding'; table: tf.Variable }
  | { kind: 'lstm'; kernel: tf.Variable; recurrent: tf.Variable; bias: tf.Variable | null; units: number; hard: boolean; inputDropout: number }
  | { kind: 'dropout'; rate: number }
  | { kind: 'dense'; kernel: tf.Variable; bias: tf.Variable | null; softmax: boolean };

interface LayerState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** The plan of a model this stepper can run, or the reason it cannot. */
export function readStatefulPlan(model: tf.LayersModel): { ops: Op[] } | { reason: string } {
  const ops: Op[] = [];
  const variable = (w: tf.LayerVariable) => w.read() as tf.Variable;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    if (cls === 'InputLayer') continue;
    if (cls === 'Embedding' && ops.length === 0) ops.push({ kind: 'embedding', table: variable(layer.weights[0]) });
    else if (cls === 'LSTM') {
      if (((cfg.recurrentDropout as number) ?? 0) > 0) return { reason: `LSTM ${layer.name} uses recurrent dropout, which stateful training does not implement` };
      if (cfg.activation !== 'tanh') return { reason: `LSTM ${layer.name} has activation ${String(cfg.activation)}; stateful training needs tanh` };
      const gate = cfg.recurrentActivation;
      if (gate !== 'sigmoid' && gate !== 'hardSigmoid' && gate !== 'hard_sigmoid') return { reason: `LSTM ${layer.name} has gate activation ${String(gate)}` };
      if (cfg.returnSequences !== true) return { reason: `LSTM ${layer.name} does not return sequences` };
      if (cfg.goBackwards) return { reason: `LSTM ${layer.name} runs backwards` };
      const [kernel, recurrent, bias] = layer.weights;
      ops.push({ kind: 'lstm', kernel: variable(kernel), recurrent: variable(recurrent), bias: bias ? variable(bias) : null, units: cfg.units as number, hard: gate !== 'sigmoid', inputDropout: (cfg.dropout as number) ?? 0 });
    } else if (cls === 'Dropout') {
      if (((cfg.rate as number) ?? 0) > 0) ops.push({ kind: 'dropout', rate: cfg.rate as number });
    } else if (cls === 'Dense' && ops.length > 1) {
      const act = cfg.activation as string | undefined;
      if (act !== 'linear' && act !== 'softmax' && act !== undefined) return { reason: `the Dense layer has activation ${act}` };
      ops.push({ kind: 'dense', kernel: variable(layer.weights[0]), bias: layer.weights[1] ? variable(layer.weights[1]) : null, softmax: act === 'softmax' });
    } else if (cls === 'Activation' && (cfg.activation as string) === 'softmax' && ops.at(-1)?.kind === 'dense') {
      (ops.at(-1) as Extract<Op, { kind: 'dense' }>).softmax = true;
    } else return { reason: `stateful training runs Embedding -> LSTM layers -> Dense; this model has a ${cls} layer (${layer.name})` };
  }
  if (ops[0]?.kind !== 'embedding' || ops.at(-1)?.kind !== 'dense' || !ops.some((o) => o.kind === 'lstm')) {
    return { reason: 'stateful training runs Embedding -> LSTM layers -> Dense models (GRU and GPT models train on windows only)' };
  }
  return { ops };
}

export class StatefulLstmStepper implements BatchStepper {
  private readonly ops: Op[];
  private readonly vars: tf.Variable[];
  private readonly optimizer: Optimizer;
  private readonly states: { train: LayerState[] | null; evaluate: LayerState[] | null } = { train: null, evaluate: null };

  constructor(
    model: tf.LayersModel,
    private readonly training: TrainingConfig,
  ) {
    const plan = readStatefulPlan(model);
    if ('reason' in plan) throw new HyperparameterError(`stateful training: ${plan.reason}`);
    this.ops = plan.ops;
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = new Optimizer(training.optimizer, this.vars, { weightDecay: training.weightDecay, epsilon: training.epsilon });
  }

  /** Zero state for the next batch of a phase (the trainer calls it at epoch start and before validation). */
  resetStates(phase: 'train' | 'evaluate'): void {
    const s = this.states[phase];
    if (s) for (const l of s) tf.dispose([l.h, l.c]);
    this.states[phase] = null;
  }

  /** Each LSTM layer's h and c of every row after the last batch of a phase (tests, diagnostics). */
  readState(phase: 'train' | 'evaluate'): { h: Float32Array; c: Float32Array }[] | null {
    return this.states[phase]?.map((l) => ({ h: l.h.dataSync() as Float32Array, c: l.c.dataSync() as Float32Array })) ?? null;
  }

  private initial(phase: 'train' | 'evaluate', batch: number): LayerState[] {
    const s = this.states[phase];
    if (s && s[0].h.shape[0] === batch) return s;
    this.resetStates(phase);
    const zeros = this.ops.flatMap((o) => (o.kind === 'lstm' ? [{ h: tf.zeros([batch, o.units]) as tf.Tensor2D, c: tf.zeros([batch, o.units]) as tf.Tensor2D }] : []));
    this.states[phase] = zeros;
    return zeros;
  }

  /** Log-probabilities [batch * seq, vocab] and the states after the window. */
  private forward(x: tf.Tensor2D, start: LayerState[], training: boolean, step: number): { logp: tf.Tensor2D; logits: tf.Tensor2D; end: LayerState[] } {
    const [B, T] = x.shape;
    let h: tf.Tensor = tf.gather((this.ops[0] as Extract<Op, { kind: 'embedding' }>).table, x); // [B, T, E]
    const end: LayerState[] = [];
    let lstmIndex = 0;
    this.ops.forEach((op, opIndex) => {
      const seed = () => deriveSeed(this.training.seed, 'stateful-dropout', step * 64 + opIndex) % 2147483647;
      if (op.kind === 'lstm') {
        const inDim = h.shape[2]!;
        let input = h;
        if (training && op.inputDropout > 0) {
          // Keras LSTM(dropout=...): one mask per row for the whole window.
          const mask = tf.dropout(tf.ones([B, 1, inDim]), op.inputDropout, undefined, seed());
          input = tf.mul(input, mask);
        }
        let xk = tf.matMul(tf.reshape(input, [B * T, inDim]), op.kernel);
        if (op.bias) xk = tf.add(xk, op.bias);
        const steps = tf.unstack(tf.reshape(xk, [B, T, 4 * op.units]), 1) as tf.Tensor2D[];
        let { h: hPrev, c: cPrev } = start[lstmIndex];
        const outs: tf.Tensor2D[] = [];
        const gate = (z: tf.Tensor2D) => (op.hard ? tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1) : tf.sigmoid(z));
        for (let t = 0; t < T; t++) {
          const z = tf.add(steps[t], tf.matMul(hPrev, op.recurrent)) as tf.Tensor2D;
          const [zi, zf, zc, zo] = tf.split(z, 4, 1) as tf.Tensor2D[];
          const c = tf.add(tf.mul(gate(zf), cPrev), tf.mul(gate(zi), tf.tanh(zc))) as tf.Tensor2D;
          const hNext = tf.mul(gate(zo), tf.tanh(c)) as tf.Tensor2D;
          outs.push(hNext);
          hPrev = hNext;
          cPrev = c;
        }
        end.push({ h: hPrev, c: cPrev });
        h = tf.stack(outs, 1);
        lstmIndex++;
      } else if (op.kind === 'dropout') {
        // Keras Dropout after an LSTM: a fresh mask for every row, step and unit.
        if (training) h = tf.dropout(h, op.rate, undefined, seed());
      } else if (op.kind === 'dense') {
        const inDim = h.shape[2]!;
        let y = tf.matMul(tf.reshape(h, [B * T, inDim]), op.kernel);
        if (op.bias) y = tf.add(y, op.bias);
        h = y;
      }
    });
    // A softmax Dense (an imported Keras model) gives softmax(xW + b): its log is logSoftmax(xW + b).
    const logits = h as tf.Tensor2D;
    return { logp: tf.logSoftmax(logits) as tf.Tensor2D, logits, end };
  }

  private lossOf(logp: tf.Tensor2D, logits: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; accuracy: tf.Scalar } {
    const oneHot = tf.oneHot(y, logp.shape[1]);
    const loss = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logp), -1))) as tf.Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32')) as tf.Scalar;
    return { loss, accuracy };
  }

  private keepStates(phase: 'train' | 'evaluate', end: LayerState[]): void {
    const kept = end.map((l) => ({ h: tf.keep(l.h), c: tf.keep(l.c) }));
    this.resetStates(phase);
    this.states[phase] = kept;
  }

  trainBatch(x: Int32Array, y: Int32Array, batch: number, seq: number, learningRate: number, step: number): { loss: number; accuracy: number } {
    const start = this.initial('train', batch);
    let accuracy!: tf.Scalar;
    let end!: LayerState[];
    const grads = tf.tidy(() => {
      const xt = tf.tensor2d(x, [batch, seq], 'int32');
      const yt = tf.tensor1d(y, 'int32');
      const { value, grads } = tf.variableGrads(() => {
        const f = this.forward(xt, start, true, step);
        const r = this.lossOf(f.logp, f.logits, yt);
        accuracy = tf.keep(r.accuracy);
        end = f.end.map((l) => ({ h: tf.keep(l.h), c: tf.keep(l.c) }));
        return r.loss;
      }, this.vars);
      let list = this.vars.map((v) => grads[v.name]);
      if (this.training.clipNorm > 0) {
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        const factor = tf.div(this.training.clipNorm, tf.maximum(norm, this.training.clipNorm));
        list = list.map((g) => tf.mul(g, factor));
      }
      return [value, ...list];
    });
    // The state carried on is the value only: the next window's gradients stop here.
    this.keepStates('train', end);
    const [value, ...list] = grads;
    this.optimizer.apply(list, learningRate);
    const loss = value.dataSync()[0];
    const acc = accuracy.dataSync()[0];
    tf.dispose(grads);
    accuracy.dispose();
    if (!Number.isFinite(loss)) throw new HyperparameterError(`the loss became ${loss} at batch ${step + 1}; try a lower learning rate or gradient clipping`);
    return { loss, accuracy: acc };
  }

  evaluateBatch(x: Int32Array, y: Int32Array, batch: number, seq: number): { loss: number; accuracy: number } {
    const start = this.initial('evaluate', batch);
    let end!: LayerState[];
    const r = tf.tidy(() => {
      const f = this.forward(tf.tensor2d(x, [batch, seq], 'int32'), start, false, 0);
      end = f.end.map((l) => ({ h: tf.keep(l.h), c: tf.keep(l.c) }));
      const r = this.lossOf(f.logp, f.logits, tf.tensor1d(y, 'int32'));
      return { loss: r.loss.dataSync()[0], accuracy: r.accuracy.dataSync()[0] };
    });
    this.keepStates('evaluate', end);
    return r;
  }

  snapshot(): Promise<OptimizerSnapshot> {
    return this.optimizer.snapshot();
  }

  restore(s: OptimizerSnapshot): void {
    this.optimizer.restore(s);
  }

  dispose(): void {
    this.resetStates('train');
    this.resetStates('evaluate');
    this.optimizer.dispose();
  }
}
