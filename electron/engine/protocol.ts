/**
 * Messages between the studio (parent) and the engine process. Every run-scoped message carries
 * the runId it belongs to; the parent chooses run ids. Plain JSON: structured clone over IPC keeps
 * typed arrays, but JSON keeps the contract obvious and the same under utilityProcess.
 */
import type { BackendName, BackendReport } from './backend';
import type { SerializedError } from './errors';
import type { GenerateRequest, GeneratedTake, TrainRequest, TrainSummary } from './jobs';
import type { BatchProgress, EpochRecord } from './train';
import type { CheckpointInfo } from './library';
import type { EvalRequest, EvalResult } from './evaluate';
import type { Note } from '../../shared/music/types';
import type { EngineMemory } from './memory';
import type { TorchJob, TorchJobRequest } from '../../engine-torch/job';

/** Import a converted Keras / TensorFlow.js LayersModel folder (src) into the library folder dest. */
export interface ImportRequest {
  src: string;
  dest: string;
  name?: string;
  vocab?: string;
  encoding?: string;
}
export interface ImportResult {
  dest: string;
  name: string;
}

export type EngineRequest =
  | { type: 'train'; runId: string; request: TrainRequest }
  | { type: 'generate'; runId: string; request: GenerateRequest }
  | { type: 'evaluate'; runId: string; request: EvalRequest }
  | { type: 'import'; runId: string; request: ImportRequest }
  /** Write a PyTorch trainer job folder (engine-torch/job.ts: corpus encoding, initial weights); done: TorchJob. */
  | { type: 'torch-job'; runId: string; request: TorchJobRequest }
  /** The engine process's memory (answered with done: EngineMemory); not a run, nothing to cancel. */
  | { type: 'memory'; runId: string }
  | { type: 'pause'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'cancel'; runId: string }
  | { type: 'shutdown' };

export type TrainStartInfo = { out: string; parameters: number; batchesPerEpoch: number; preset?: string; problems: string[]; resumedFrom?: CheckpointInfo };

export type EngineEvent =
  | { type: 'ready'; backend: BackendReport; pid: number }
  | { type: 'backend-failed'; error: SerializedError }
  | { type: 'started'; runId: string; info: TrainStartInfo }
  | { type: 'progress'; runId: string; progress: BatchProgress }
  | { type: 'epoch'; runId: string; record: EpochRecord }
  | { type: 'checkpoint'; runId: string; checkpoint: CheckpointInfo }
  /** The run stopped between batches for a pause (true), or went on (false). */
  | { type: 'paused'; runId: string; paused: boolean }
  | { type: 'token'; runId: string; variation: number; token: number; text: string }
  | { type: 'note'; runId: string; variation: number; note: Note }
  | { type: 'done'; runId: string; result: TrainSummary | GeneratedTake[] | EvalResult | ImportResult | EngineMemory | TorchJob }
  | { type: 'error'; runId: string; error: SerializedError };

export interface EngineProcessOptions {
  backend?: BackendName;
}

/** Progress events are sent at most this often (plus the last batch of every epoch). */
export const PROGRESS_INTERVAL_MS = 100;
