/**
 * train(model, data, options, callbacks): the one training loop, used by the engine process and
 * the CLI. A custom loop rather than model.fit because a run must pause, cancel, checkpoint in the
 * middle of an epoch and resume to exactly the weights an uninterrupted run would have.
 *
 * Reproducibility rests on three things: the window order of an epoch depends only on
 * (seed, epoch); dropout masks are drawn from a stream seeded by (seed, step); and the optimizer's
 * state is restored exactly (see optimizer.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError, HyperparameterError } from './errors';
import { prepareData, type PreparedData, type StatefulRows, type TokenData, type WindowSet } from './data';
import { Optimizer, type OptimizerSnapshot } from './optimizer';
import { RunControl } from './control';
import { deriveSeed, withSeededMathRandom } from './rng';
import { logProbabilities, outputIsProbabilities } from './model';
import { validateTrainingConfig, type TrainingConfig } from './hyperparameters';
import { StatefulLstmStepper } from './stateful';
import type { BatchStepper } from './batch-stepper';

const DEFAULT_EPSILON = 1e-7;

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
  learning_rate: number;
  seconds: number;
}

export interface TrainerState {
  /** Completed epochs. */
  epoch: number;
  /** Batches already done in the current (incomplete) epoch. */
  batchInEpoch: number;
  /** Batches done in the whole run. */
  step: number;
  history: EpochRecord[];
  bestValLoss: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
  /** Sums over the batches of the current epoch, so a resumed epoch reports the same mean. */
  epochLossSum: number;
  epochAccuracySum: number;
  epochSeconds: number;
  finished: boolean;
}

export type StopReason = 'completed' | 'early-stopping' | 'steps' | 'cancelled';

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  tokensPerSecond: number;
  etaSeconds: number;
}

export type CheckpointReason = 'periodic' | 'best' | 'final';

export interface Checkpoint {
  reasons: CheckpointReason[];
  state: TrainerState;
  optimizer: OptimizerSnapshot;
  model: tf.LayersModel;
}

export interface TrainCallbacks {
  onBatch?(p: BatchProgress): void;
  onEpoch?(r: EpochRecord, state: TrainerState): void;
  /** Persist the checkpoint (weights, optimizer, state); awaited before training continues. */
  onCheckpoint?(c: Checkpoint): Promise<void>;
}

export interface TrainOptions {
  training: TrainingConfig;
  /** Stop after this many batches in this call (the CLI's --steps), writing a final checkpoint. */
  maxSteps?: number;
  /** Continue from a checkpoint: the model must already hold its weights. */
  resume?: { state: TrainerState; optimizer: OptimizerSnapshot };
  control?: RunControl;
  /** A faster batch implementation may be plugged in here; the default runs tfjs ops. */
  stepper?: (model: tf.LayersModel, training: TrainingConfig) => BatchStepper;
}

export interface TrainResult {
  stopReason: StopReason;
  state: TrainerState;
  history: EpochRecord[];
}

export type { BatchStepper } from './batch-stepper';

export type BatchStepperFactory = (model: tf.LayersModel, training: TrainingConfig) => BatchStepper | null;
const stepperFactories: BatchStepperFactory[] = [];

/** Registers a faster BatchStepper; tried before the tfjs one when train() is given no stepper. It may decline (null). */
export function registerBatchStepperFactory(f: BatchStepperFactory): () => void {
  stepperFactories.unshift(f);
  return () => {
    const i = stepperFactories.indexOf(f);
    if (i >= 0) stepperFactories.splice(i, 1);
  };
}

function defaultStepper(model: tf.LayersModel, training: TrainingConfig): BatchStepper {
  // The registered (fast) steppers start every window from zero state and use the default epsilon.
  if (training.stateful) return new StatefulLstmStepper(model, training);
  if (training.epsilon !== undefined && training.epsilon !== DEFAULT_EPSILON) return new TfjsBatchStepper(model, training);
  for (const f of stepperFactories) {
    const s = f(model, training);
    if (s) return s;
  }
  return new TfjsBatchStepper(model, training);
}

/** Cross-entropy and accuracy of a batch, on every step or only on the last one. */
function lossAndAccuracy(model: tf.LayersModel, probs: boolean, x: tf.Tensor2D, y: tf.Tensor2D, training: boolean, lastOnly: boolean): { loss: tf.Scalar; accuracy: tf.Scalar } {
  let out = model.apply(x, { training }) as tf.Tensor3D;
  let targets: tf.Tensor = y;
  if (lastOnly) {
    const [b, t, v] = out.shape;
    out = tf.slice(out, [0, t - 1, 0], [b, 1, v]);
    targets = tf.slice(y, [0, t - 1], [b, 1]);
  }
  const vocab = out.shape[2];
  const logp = logProbabilities(model, out, probs);
  const oneHot = tf.oneHot(tf.cast(targets, 'int32'), vocab);
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logp), -1))) as tf.Scalar;
  const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(targets, 'int32')), 'float32')) as tf.Scalar;
  return { loss, accuracy };
}

export class TfjsBatchStepper implements BatchStepper {
  private readonly vars: tf.Variable[];
  private readonly optimizer: Optimizer;
  private readonly probs: boolean;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly training: TrainingConfig,
  ) {
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = new Optimizer(training.optimizer, this.vars, { weightDecay: training.weightDecay, epsilon: training.epsilon });
    this.probs = outputIsProbabilities(model);
  }

  trainBatch(x: Int32Array, y: Int32Array, batch: number, seq: number, learningRate: number, step: number): { loss: number; accuracy: number } {
    const lastOnly = this.training.loss === 'last';
    let accuracy!: tf.Scalar;
    const grads = tf.tidy(() => {
      const xt = tf.tensor2d(x, [batch, seq], 'int32');
      const yt = tf.tensor2d(y, [batch, seq], 'int32');
      const { value, grads } = withSeededMathRandom(deriveSeed(this.training.seed, 'dropout', step), () =>
        tf.variableGrads(() => {
          const r = lossAndAccuracy(this.model, this.probs, xt, yt, true, lastOnly);
          accuracy = tf.keep(r.accuracy);
          return r.loss;
        }, this.vars),
      );
      let list = this.vars.map((v) => grads[v.name]);
      if (this.training.clipNorm > 0) {
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        const factor = tf.div(this.training.clipNorm, tf.maximum(norm, this.training.clipNorm));
        list = list.map((g) => tf.mul(g, factor));
      }
      return [value, ...list];
    });
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
    return tf.tidy(() => {
      const r = lossAndAccuracy(this.model, this.probs, tf.tensor2d(x, [batch, seq], 'int32'), tf.tensor2d(y, [batch, seq], 'int32'), false, this.training.loss === 'last');
      return { loss: r.loss.dataSync()[0], accuracy: r.accuracy.dataSync()[0] };
    });
  }

  snapshot(): Promise<OptimizerSnapshot> {
    return this.optimizer.snapshot();
  }

  restore(s: OptimizerSnapshot): void {
    this.optimizer.restore(s);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Mean loss and accuracy over every window of a set, in order (no training-mode dropout). */
export function evaluateWindows(stepper: Pick<BatchStepper, 'evaluateBatch'>, set: WindowSet, batchSize: number): { loss: number; accuracy: number } {
  const T = set.seqLength;
  let lossSum = 0;
  let accSum = 0;
  let n = 0;
  for (let start = 0; start < set.size; start += batchSize) {
    const b = Math.min(batchSize, set.size - start);
    const idx = Int32Array.from({ length: b }, (_, i) => start + i);
    const x = new Int32Array(b * T);
    const y = new Int32Array(b * T);
    set.fill(idx, x, y);
    const r = stepper.evaluateBatch(x, y, b, T);
    lossSum += r.loss * b;
    accSum += r.accuracy * b;
    n += b;
  }
  return { loss: lossSum / n, accuracy: accSum / n };
}

/** Stateful validation: every row from zero state, its windows in order, state carried across them. */
export function evaluateRows(stepper: Pick<BatchStepper, 'evaluateBatch' | 'resetStates'>, rows: StatefulRows): { loss: number; accuracy: number } {
  const T = rows.seqLength;
  const x = new Int32Array(rows.rows * T);
  const y = new Int32Array(rows.rows * T);
  const stream = rows.stream(0, 0, false);
  stepper.resetStates?.('evaluate');
  let lossSum = 0;
  let accSum = 0;
  for (let k = 0; k < rows.batches; k++) {
    rows.fill(stream, k, x, y);
    const r = stepper.evaluateBatch(x, y, rows.rows, T);
    lossSum += r.loss;
    accSum += r.accuracy;
  }
  stepper.resetStates?.('evaluate');
  return { loss: lossSum / rows.batches, accuracy: accSum / rows.batches };
}

export function initialState(): TrainerState {
  return { epoch: 0, batchInEpoch: 0, step: 0, history: [], bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0, epochLossSum: 0, epochAccuracySum: 0, epochSeconds: 0, finished: false };
}

export function learningRateAt(t: TrainingConfig, epoch: number, step: number): number {
  const warm = t.warmupSteps > 0 ? Math.min(1, (step + 1) / t.warmupSteps) : 1;
  return t.learningRate * Math.pow(t.lrDecay, epoch) * warm;
}

export async function train(model: tf.LayersModel, data: TokenData | PreparedData, options: TrainOptions, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const t = options.training;
  validateTrainingConfig(t);
  const prepared = 'batchesPerEpoch' in data ? data : prepareData(data, t);
  const { train: windows, validation, batchesPerEpoch } = prepared;
  const control = options.control ?? new RunControl();
  const stepper = (options.stepper ?? defaultStepper)(model, t);
  const rows = prepared.stateful;
  if (t.stateful && !rows) throw new HyperparameterError('stateful training needs data prepared with stateful: true');
  if (rows && !stepper.resetStates) throw new HyperparameterError('this trainer cannot carry state between batches (stateful training)');
  const state: TrainerState = options.resume ? structuredClone(options.resume.state) : initialState();
  try {
    if (options.resume) stepper.restore(options.resume.optimizer);
    const B = t.batchSize;
    const T = t.seqLength;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    const totalSteps = t.epochs * batchesPerEpoch;
    const callStart = state.step;
    let stopReason: StopReason = 'completed';
    let rate = 0; // smoothed batches per second
    let lastTime = performance.now();

    const saveCheckpoint = async (reasons: CheckpointReason[]) => {
      if (callbacks.onCheckpoint && reasons.length) await callbacks.onCheckpoint({ reasons, state: structuredClone(state), optimizer: await stepper.snapshot(), model });
    };

    outer: while (state.epoch < t.epochs && !state.finished) {
      const shuffle = t.shuffle ?? true;
      const order = rows ? null : windows.order(t.seed, state.epoch, shuffle);
      const stream = rows ? rows.train.stream(t.seed, state.epoch, shuffle) : null;
      // A stateful epoch starts from zero state; a run resumed mid-epoch does too (states are not checkpointed).
      if (rows) stepper.resetStates!('train');
      const epochStart = performance.now() - state.epochSeconds * 1000;
      while (state.batchInEpoch < batchesPerEpoch) {
        await control.checkpoint();
        if (control.isCancelled) {
          stopReason = 'cancelled';
          break outer;
        }
        if (options.maxSteps !== undefined && state.step - callStart >= options.maxSteps) {
          stopReason = 'steps';
          break outer;
        }
        if (rows) rows.train.fill(stream!, state.batchInEpoch, x, y);
        else windows.fill(order!.subarray(state.batchInEpoch * B, (state.batchInEpoch + 1) * B), x, y);
        const lr = learningRateAt(t, state.epoch, state.step);
        const r = stepper.trainBatch(x, y, B, T, lr, state.step);
        state.step++;
        state.batchInEpoch++;
        state.epochLossSum += r.loss;
        state.epochAccuracySum += r.accuracy;
        state.epochSeconds = (performance.now() - epochStart) / 1000;
        const now = performance.now();
        const inst = 1000 / Math.max(1e-3, now - lastTime);
        lastTime = now;
        rate = rate === 0 ? inst : 0.9 * rate + 0.1 * inst;
        const remaining = Math.min(totalSteps - state.step, options.maxSteps !== undefined ? options.maxSteps - (state.step - callStart) : Infinity);
        callbacks.onBatch?.({
          epoch: state.epoch + 1,
          epochs: t.epochs,
          batch: state.batchInEpoch,
          batchesPerEpoch,
          step: state.step,
          totalSteps,
          loss: r.loss,
          accuracy: r.accuracy,
          learningRate: lr,
          tokensPerSecond: rate * B * T,
          etaSeconds: rate > 0 ? remaining / rate : 0,
        });
        if (t.checkpointEverySteps > 0 && state.step % t.checkpointEverySteps === 0 && state.batchInEpoch < batchesPerEpoch) await saveCheckpoint(['periodic']);
      }

      // End of an epoch: validation, history, early stopping, checkpoints.
      const val = rows ? (rows.validation ? evaluateRows(stepper, rows.validation) : null) : validation ? evaluateWindows(stepper, validation, B) : null;
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        loss: state.epochLossSum / batchesPerEpoch,
        accuracy: state.epochAccuracySum / batchesPerEpoch,
        val_loss: val ? val.loss : null,
        val_accuracy: val ? val.accuracy : null,
        learning_rate: learningRateAt(t, state.epoch, state.step - 1),
        seconds: (performance.now() - epochStart) / 1000,
      };
      state.history.push(record);
      state.epoch++;
      state.batchInEpoch = 0;
      state.epochLossSum = 0;
      state.epochAccuracySum = 0;
      state.epochSeconds = 0;
      const reasons: CheckpointReason[] = [];
      if (val && (state.bestValLoss === null || val.loss < state.bestValLoss)) {
        state.bestValLoss = val.loss;
        state.bestEpoch = record.epoch;
        state.epochsWithoutImprovement = 0;
        reasons.push('best');
      } else if (val) state.epochsWithoutImprovement++;
      if (t.patience > 0 && state.epochsWithoutImprovement >= t.patience) {
        state.finished = true;
        stopReason = 'early-stopping';
      }
      if (state.epoch >= t.epochs) state.finished = true;
      if (t.checkpointEveryEpochs > 0 && state.epoch % t.checkpointEveryEpochs === 0) reasons.push('periodic');
      if (state.finished) reasons.push('final');
      callbacks.onEpoch?.(record, structuredClone(state));
      await saveCheckpoint(reasons);
      lastTime = performance.now();
    }
    if (stopReason === 'steps' || stopReason === 'cancelled') await saveCheckpoint(['final']);
    if (stepper.syncWeights) stepper.syncWeights();
    else if (!(stepper instanceof TfjsBatchStepper)) await stepper.snapshot();
    return { stopReason, state, history: state.history };
  } finally {
    stepper.dispose();
    releaseDropoutMasks(model);
  }
}

/** tfjs LSTM/GRU cells keep their last dropout masks as tensors; nothing else frees them. */
function releaseDropoutMasks(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const cell = (layer as unknown as { cell?: Record<string, unknown> }).cell;
    if (!cell) continue;
    for (const key of ['dropoutMask', 'recurrentDropoutMask']) {
      const mask = cell[key] as tf.Tensor | tf.Tensor[] | null | undefined;
      if (mask) {
        tf.dispose(mask);
        cell[key] = null;
      }
    }
  }
}
