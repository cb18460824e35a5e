/**
 * Messages between the studio (parent) and the engine process, as zod schemas checked on both
 * sides: the engine process parses every request it receives (process.ts), the studio's client
 * every event (studio/engine-client.ts), as the IPC contract is checked at its boundary. Every
 * run-scoped message carries the runId it belongs to; the parent chooses run ids. Plain JSON:
 * structured clone over IPC keeps typed arrays, but JSON keeps the contract obvious and the same
 * under utilityProcess.
 *
 * This file is the engine's only face to the studio side (main, preload, studio, server): what
 * they need of the engine (its error type, the presets, the payload types) is exported here, and
 * nothing it loads at run time may reach @tensorflow/* (electron/boundaries.test.ts checks both).
 * The schemas check the envelope and the known fields of each payload; a message that passes is
 * used as it was sent (fields the schemas do not name are kept, not stripped): the engine checks a
 * request's meaning itself (hyperparameters.ts, jobs.ts) with the specific message a musician can
 * act on.
 */
import { z } from 'zod';
import { ErrorCodeSchema } from '@shared/ipc/result';
import type { BackendName, BackendReport } from './backend';
import type { SerializedError } from './errors';
import type { GenerateRequest, GeneratedTake, TrainRequest, TrainSummary } from './jobs';
import type { BatchProgress, EpochRecord } from './train';
import type { CheckpointInfo } from '../node/catalog';
import type { EvalRequest, EvalResult } from './evaluate';
import type { Note } from '@shared/music/types';
import type { EngineMemory } from './memory';
import type { TorchJob, TorchJobRequest } from '../../engine-torch/job';

export { EngineError, HyperparameterError, serializeError, isCancelled, type EngineErrorCode, type SerializedError } from './errors';
export { PRESETS, findPreset, type ModelSpec, type TrainingConfig, type Preset, type HyperparameterOverrides } from './hyperparameters';
export type { BackendName, BackendReport, GenerateRequest, GeneratedTake, TrainRequest, TrainSummary, BatchProgress, EpochRecord, EvalRequest, EvalResult, EngineMemory, TorchJob, TorchJobRequest };
export type { TrainerState } from './train';
export type { OptimizerSnapshot } from './optimizer';

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

/** Progress events are sent at most this often (plus the last batch of every epoch). */
export const PROGRESS_INTERVAL_MS = 100;

// ---- schemas ----

const runId = z.string().min(1).max(200);
const paths = z.array(z.string());
const count = z.number().int().min(0);
/** A measured figure: JSON carries NaN and Infinity (a diverging loss) as null. */
const metric = z.custom<number | null>((v) => v === null || typeof v === 'number');

const ErrorSchema = z.object({ code: ErrorCodeSchema, message: z.string() });

const TrainRequestSchema = z.object({
  preset: z.string().optional(),
  overrides: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'overrides must be an object').optional(),
  corpus: paths.optional(),
  out: z.string().min(1),
  name: z.string().optional(),
  maxSteps: z.number().optional(),
  resume: z.union([z.boolean(), z.string()]).optional(),
  epochs: z.number().optional(),
  validationFraction: z.number().optional(),
});

const NoteSchema = z.object({ pitch: z.number(), start: z.number(), end: z.number(), velocity: z.number(), voice: z.number() });

const GenerateRequestSchema = z.object({
  model: z.string().min(1),
  checkpoint: z.string().optional(),
  seed: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('none') }),
      z.object({ kind: z.literal('abc'), text: z.string() }),
      z.object({ kind: z.literal('notes'), notes: z.array(NoteSchema) }),
      z.object({ kind: z.literal('sequence'), sequence: z.object({ notes: z.array(NoteSchema) }) }),
      z.object({ kind: z.literal('tokens'), ids: z.array(z.number()) }),
    ])
    .optional(),
  header: z.object({ meter: z.string().optional(), key: z.string().optional(), unit: z.string().optional() }).optional(),
  temperature: z.number().optional(),
  topK: z.number().optional(),
  topP: z.number().optional(),
  length: z.number().optional(),
  count: z.number().optional(),
  rngSeed: z.number(),
  grammar: z.boolean().optional(),
});

const EvalRequestSchema = z.object({ model: z.string().min(1), corpus: paths, maxTunes: z.number().optional(), batchSize: z.number().optional() });
const ImportRequestSchema = z.object({ src: z.string().min(1), dest: z.string().min(1), name: z.string().optional(), vocab: z.string().optional(), encoding: z.string().optional() });
const TorchJobRequestSchema = z.object({ preset: z.string().optional(), overrides: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'overrides must be an object').optional(), corpus: paths.optional(), out: z.string().min(1), name: z.string().optional(), validationFraction: z.number().optional(), resume: z.boolean().optional() });

export const EngineRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('train'), runId, request: TrainRequestSchema }),
  z.object({ type: z.literal('generate'), runId, request: GenerateRequestSchema }),
  z.object({ type: z.literal('evaluate'), runId, request: EvalRequestSchema }),
  z.object({ type: z.literal('import'), runId, request: ImportRequestSchema }),
  z.object({ type: z.literal('torch-job'), runId, request: TorchJobRequestSchema }),
  z.object({ type: z.literal('memory'), runId }),
  z.object({ type: z.literal('pause'), runId }),
  z.object({ type: z.literal('resume'), runId }),
  z.object({ type: z.literal('cancel'), runId }),
  z.object({ type: z.literal('shutdown') }),
]);

const CheckpointSchema = z.object({ id: z.string(), dir: z.string(), epoch: z.number(), step: z.number(), reasons: z.array(z.string()), savedAt: z.string() });

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), backend: z.object({ active: z.string(), tfBackend: z.string(), candidates: z.array(z.object({ name: z.string(), available: z.boolean(), reason: z.string() })) }), pid: z.number() }),
  z.object({ type: z.literal('backend-failed'), error: ErrorSchema }),
  z.object({ type: z.literal('started'), runId, info: z.object({ out: z.string(), parameters: count, batchesPerEpoch: count, preset: z.string().optional(), problems: z.array(z.string()), resumedFrom: CheckpointSchema.optional() }) }),
  z.object({ type: z.literal('progress'), runId, progress: z.object({ epoch: z.number(), epochs: z.number(), batch: z.number(), batchesPerEpoch: z.number(), step: z.number(), totalSteps: z.number(), loss: metric, accuracy: metric }) }),
  z.object({ type: z.literal('epoch'), runId, record: z.object({ epoch: z.number(), loss: metric, accuracy: metric, val_loss: metric, val_accuracy: metric }) }),
  z.object({ type: z.literal('checkpoint'), runId, checkpoint: CheckpointSchema }),
  z.object({ type: z.literal('paused'), runId, paused: z.boolean() }),
  z.object({ type: z.literal('token'), runId, variation: count, token: count, text: z.string() }),
  z.object({ type: z.literal('note'), runId, variation: count, note: NoteSchema }),
  // The result's shape depends on the run's kind: the client checks it with resultSchemas.
  z.object({ type: z.literal('done'), runId, result: z.unknown() }),
  z.object({ type: z.literal('error'), runId: z.string(), error: ErrorSchema }),
]);

/** What each kind of run answers with `done`. */
export const resultSchemas = {
  train: z.object({ out: z.string(), stopReason: z.string(), epochs: z.number(), steps: z.number(), history: z.array(z.object({ epoch: z.number() })), bestValLoss: metric }),
  generate: z.array(z.object({ variation: count, tokens: z.array(z.number()), primeLength: count, abc: z.string(), seedChars: count.optional(), sequence: z.object({ notes: z.array(NoteSchema) }), warnings: z.array(z.string()), rngSeed: z.number() })),
  evaluate: z.object({ model: z.string(), tunes: z.number(), tokens: z.number() }),
  import: z.object({ dest: z.string(), name: z.string() }),
  memory: z.object({ pid: z.number(), tensors: z.number(), rss: z.number() }),
  'torch-job': z.object({ out: z.string(), jobDir: z.string(), entry: z.string(), launcher: z.string() }),
} as const;
export type RunKind = keyof typeof resultSchemas;

// The TypeScript types above are what each side writes; they must satisfy the schemas.
type Satisfies<T, U> = [T] extends [U] ? true : never;
const requestsSatisfy: Satisfies<EngineRequest, z.input<typeof EngineRequestSchema>> = true;
const eventsSatisfy: Satisfies<Exclude<EngineEvent, { type: 'done' }>, z.input<typeof EngineEventSchema>> = true;
void requestsSatisfy;
void eventsSatisfy;

export type Parsed<T> = { ok: true; value: T } | { ok: false; runId?: string; message: string };

function parseWith<T>(schema: z.ZodType, what: string, msg: unknown): Parsed<T> {
  const r = schema.safeParse(msg);
  if (r.success) return { ok: true, value: msg as T };
  const id = (msg as { runId?: unknown } | null)?.runId;
  const type = (msg as { type?: unknown } | null)?.type;
  return { ok: false, runId: typeof id === 'string' ? id : undefined, message: `malformed ${what}${typeof type === 'string' ? ` "${type.slice(0, 40)}"` : ''}: ${z.prettifyError(r.error).replace(/\n/g, '; ').slice(0, 1000)}` };
}

/** The engine process's check of what the studio sent. */
export const parseEngineRequest = (msg: unknown): Parsed<EngineRequest> => parseWith(EngineRequestSchema, 'engine request', msg);
/** The studio's check of what the engine process sent. */
export const parseEngineEvent = (msg: unknown): Parsed<EngineEvent> => parseWith(EngineEventSchema, 'engine event', msg);
/** The studio's check of a run's result. */
export const parseRunResult = (kind: RunKind, result: unknown): Parsed<unknown> => parseWith(resultSchemas[kind], `${kind} result`, result);
