/**
 * What train() drives each batch through: tfjs's own optimizer step, the stateful stepper
 * (stateful.ts) or the fast kernels (fast/). Its own file so the steppers need not import train.ts.
 */
import type { OptimizerSnapshot } from './optimizer';

/** One batch forward + backward + update, and one evaluation batch. */
export interface BatchStepper {
  trainBatch(x: Int32Array, y: Int32Array, batch: number, seq: number, learningRate: number, step: number): { loss: number; accuracy: number };
  evaluateBatch(x: Int32Array, y: Int32Array, batch: number, seq: number): { loss: number; accuracy: number };
  /** Optimizer state; a stepper that keeps its own copy of the weights also writes them into the model here. */
  snapshot(): Promise<OptimizerSnapshot>;
  restore(s: OptimizerSnapshot): void;
  /** Writes the stepper's weights into the model, if it keeps its own copy (called when train() returns). */
  syncWeights?(): void;
  /** Stateful steppers: zero the carried state of a phase (at each epoch start, before each validation pass). */
  resetStates?(phase: 'train' | 'evaluate'): void;
  dispose(): void;
}
