/**
 * Plugs the fast kernels into the engine: a BatchStepper for train() (electron/engine/train.ts,
 * option `stepper`) and a StepModel factory for the sampler (electron/engine/step.ts,
 * registerStepModelFactory). Both decline (null) when a native TensorFlow backend (tfjs-node or
 * tfjs-node-gpu) is active, which stays the first choice, and when the model is outside what the
 * kernels cover (then tfjs runs it as before).
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchStepper } from '../train';
import type { OptimizerSnapshot } from '../optimizer';
import type { TrainingConfig } from '../hyperparameters';
import type { StepModelFactory } from '../step';
import { EngineError, HyperparameterError } from '../errors';
import { explainFastTrainer, type Trainer } from './trainer';
import { explainFastSampler, type StepModel } from './sampler';

export interface FastPathOptions {
  /** Use the kernels even when tfjs-node is the active backend (benchmarks, tests). */
  evenWithNativeBackend?: boolean;
  threads?: number;
  /** GPT sampling: attend over at most this many tokens (the trained sequence length). */
  window?: number;
  /** GPT sampling: false asks for the window model (no key/value cache), which only tfjs has. */
  kvCache?: boolean;
}

function nativeBackendActive(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/** Why the fast path was or was not taken last time (for `seedsong doctor` and the run log). */
export let lastFastTrainerReason: string | null = null;
export let lastFastSamplerReason: string | null = null;

export function createFastStepModel(model: tf.LayersModel, opts: FastPathOptions = {}): StepModel | null {
  if (!opts.evenWithNativeBackend && nativeBackendActive()) {
    lastFastSamplerReason = 'the native TensorFlow backend is active';
    return null;
  }
  if (opts.kvCache === false) {
    lastFastSamplerReason = 'sampling without a key/value cache was asked for';
    return null;
  }
  const r = explainFastSampler(model, { window: opts.window });
  lastFastSamplerReason = r.reason;
  return r.sampler;
}

export function createFastBatchStepper(model: tf.LayersModel, training: TrainingConfig, opts: FastPathOptions = {}): BatchStepper | null {
  if (!opts.evenWithNativeBackend && nativeBackendActive()) {
    lastFastTrainerReason = 'the native TensorFlow backend is active';
    return null;
  }
  const r = explainFastTrainer(model, {
    batchSize: training.batchSize,
    seqLength: training.seqLength,
    learningRate: training.learningRate,
    optimizer: training.optimizer,
    clipNorm: training.clipNorm,
    weightDecay: training.weightDecay,
    threads: opts.threads,
    seed: training.seed,
  });
  lastFastTrainerReason = r.reason;
  return r.trainer ? new FastBatchStepper(model, r.trainer, training) : null;
}

// Compile-time check that the fast sampler fits the engine's factory slot.
const asFactory: StepModelFactory = (model, opts) => createFastStepModel(model, opts);
void asFactory;

/** For train()'s `stepper` option: the fast stepper when it applies, else `fallback`. */
export function fastStepperOr(fallback: (model: tf.LayersModel, training: TrainingConfig) => BatchStepper, opts: FastPathOptions = {}) {
  return (model: tf.LayersModel, training: TrainingConfig): BatchStepper => createFastBatchStepper(model, training, opts) ?? fallback(model, training);
}

class FastBatchStepper implements BatchStepper {
  /** slot index in the trainer (layer order) -> index in model.trainableWeights (the engine's slot names) */
  private readonly order: number[];
  private readonly shapes: number[][];
  private dirty = false;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly trainer: Trainer,
    private readonly training: TrainingConfig,
  ) {
    const names = model.trainableWeights.map((w) => w.name);
    this.order = trainer.weightNames.map((n) => names.indexOf(n));
    this.shapes = model.trainableWeights.map((w) => w.shape as number[]);
  }

  private targets(y: Int32Array, batch: number, seq: number): Int32Array {
    if (this.training.loss !== 'last') return y;
    return Int32Array.from({ length: batch }, (_, b) => y[b * seq + seq - 1]);
  }

  trainBatch(x: Int32Array, y: Int32Array, batch: number, seq: number, learningRate: number, step: number): { loss: number; accuracy: number } {
    this.trainer.learningRate = learningRate;
    let r;
    try {
      r = this.trainer.step(x, this.targets(y, batch, seq), seq, step);
    } catch (e) {
      if (e instanceof RangeError && /loss became/.test(e.message)) throw new HyperparameterError(`${e.message} (batch ${step + 1})`);
      throw e;
    }
    this.dirty = true;
    return r;
  }

  evaluateBatch(x: Int32Array, y: Int32Array, batch: number, seq: number): { loss: number; accuracy: number } {
    return this.trainer.evaluate(x, this.targets(y, batch, seq), seq);
  }

  /** Also writes the weights into the model: train() saves the model right after a snapshot. */
  async snapshot(): Promise<OptimizerSnapshot> {
    this.flush();
    const s = this.trainer.getOptimizerState();
    const slots: OptimizerSnapshot['slots'] = [];
    const add = (kind: 'm' | 'v', list: Float32Array[]) => {
      const byVar: Float32Array[] = [];
      list.forEach((data, i) => (byVar[this.order[i]] = data));
      byVar.forEach((data, i) => slots.push({ name: `${i}/${kind}`, shape: this.shapes[i], data }));
    };
    if (s.m) add('m', s.m);
    add('v', s.v);
    return { optimizer: this.training.optimizer, step: s.step, slots };
  }

  restore(s: OptimizerSnapshot): void {
    if (s.optimizer !== this.training.optimizer) throw new EngineError('bad_input', `the checkpoint was trained with ${s.optimizer}, not ${this.training.optimizer}`);
    const byName = new Map(s.slots.map((x) => [x.name, x.data]));
    const take = (kind: string) =>
      this.order.map((vi) => {
        const d = byName.get(`${vi}/${kind}`);
        if (!d) throw new EngineError('bad_input', `the checkpoint's optimizer state has no slot ${vi}/${kind}`);
        return d;
      });
    try {
      this.trainer.setOptimizerState({ step: s.step, m: s.optimizer === 'adam' ? take('m') : null, v: take('v') });
    } catch (e) {
      if (e instanceof RangeError) throw new EngineError('bad_input', `the checkpoint's optimizer state does not match the model: ${e.message}`);
      throw e;
    }
    // resume loads the checkpoint's weights into the model before training continues
    this.trainer.syncFromModel();
  }

  private flush(): void {
    if (this.dirty) this.trainer.syncToModel();
    this.dirty = false;
  }

  dispose(): void {
    this.flush();
    this.trainer.dispose();
  }
}
