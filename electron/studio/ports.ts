/**
 * What the studio's features need from the engine and the model library, as interfaces: the
 * studio composes against these, `engine.ts` implements them over the engine process, tests pass
 * their own. Kept apart from index.ts so features can depend on them without importing the root.
 */
import type { BackendInfo, ModelSummary, Seed, Sampling, Take, NoteDto } from '@shared/ipc/schemas';
import type { EpochRecordDto } from '@shared/ipc/channels/training';
import type { EngineMemoryDto } from '@shared/ipc/channels/app';

/** What the studio needs from the engine process (engine.ts implements it over the engine client). */
export interface StudioEngine {
  status(): BackendInfo;
  onStatus(listener: (info: BackendInfo) => void): () => void;
  generate(
    request: { modelId?: string; seed: Seed; sampling: Sampling & { rngSeed: number }; constraints?: { key?: string; meter?: string }; tuneConstraints?: boolean },
    onNote: (variation: number, note: NoteDto) => void,
    signal: AbortSignal,
  ): Promise<Take[]>;
  /** The engine process's memory (tf.memory() and process figures). */
  memory?(): Promise<EngineMemoryDto>;
  dispose(): Promise<void>;
}

/** The model library as the studio sees it. */
export interface ModelStore {
  list(): Promise<ModelSummary[]>;
  rename(modelId: string, to: string): Promise<ModelSummary>;
  delete(modelId: string): Promise<void>;
  duplicate(modelId: string, to: string): Promise<ModelSummary>;
  trainingLog(modelId: string): Promise<{ history: EpochRecordDto[]; csv: string }>;
  /** Converts a Keras / TensorFlow.js model folder (already on disk) into the library model `name`. */
  import(folder: string, name: string): Promise<ModelSummary>;
}
