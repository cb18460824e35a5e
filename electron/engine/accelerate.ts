/**
 * Puts the hand-written fast path (fast/: wasm SIMD LSTM and GPT kernels) in front of tfjs for training
 * and sampling, where it applies; each factory declines (null) for models or backends it does not
 * cover, and tfjs runs them as before. Loaded lazily so a broken or missing fast path only costs
 * speed: the reason is kept for `seedsong doctor`. SEEDSONG_FAST=0 turns it off.
 */
import { registerBatchStepperFactory } from './train';
import { registerStepModelFactory } from './step';
import { registerOrthogonalInitializer } from './model';

export interface FastPathState {
  enabled: boolean;
  reason: string;
}

let state: FastPathState | undefined;

export async function enableFastPath(env: NodeJS.ProcessEnv = process.env): Promise<FastPathState> {
  if (state) return state;
  if (env.SEEDSONG_FAST === '0') return (state = { enabled: false, reason: 'turned off by SEEDSONG_FAST=0' });
  try {
    const fast = await import('./fast/stepper');
    registerBatchStepperFactory((model, training) => fast.createFastBatchStepper(model, training));
    registerStepModelFactory((model, opts) => fast.createFastStepModel(model, { window: opts.window, kvCache: opts.kvCache }));
    try {
      const orthogonal = await import('./fast/orthogonal');
      registerOrthogonalInitializer((rows, cols, seed) => orthogonal.randomOrthogonal(rows, cols, seed));
    } catch {
      /* the initializer is optional: large layers keep glorot-uniform recurrent weights */
    }
    state = { enabled: true, reason: 'fast kernels registered (used for LSTM and GPT models on the wasm/cpu backends)' };
  } catch (e) {
    state = { enabled: false, reason: `fast path unavailable: ${(e as Error).message.split('\n')[0]}` };
  }
  return state;
}
