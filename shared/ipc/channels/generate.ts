/** Generating takes and stopping runs. */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, NoteSchema, RunIdSchema, SamplingSchema, SeedSchema, TakeSchema } from '../schemas';
import { ErrorInfoSchema } from '../result';

export const generateChannels = {
  generate: channel(
    'Start sampling takes from a model; notes stream as take.note events, then take.done',
    z.object({ modelId: ModelIdSchema.optional(), seed: SeedSchema, sampling: SamplingSchema }).strict(),
    z.object({ runId: RunIdSchema }),
  ),
  cancelRun: channel('Stop a running generation or training run', z.object({ runId: RunIdSchema }).strict(), z.object({ cancelled: z.boolean() })),
} as const;

export const generateEvents = {
  /** One note of a take, sent as soon as it is sampled. */
  'take.note': z.object({ runId: RunIdSchema, variation: z.number().int().min(0), note: NoteSchema }),
  /** A generation run finished: every variation decoded. */
  'take.done': z.object({ runId: RunIdSchema, takes: z.array(TakeSchema) }),
  /** A run (generation or training) failed or was cancelled. */
  'run.failed': z.object({ runId: RunIdSchema, error: ErrorInfoSchema }),
} as const;
