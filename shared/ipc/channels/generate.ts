/** Generating takes and stopping runs. */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, NoteSchema, RunIdSchema, SamplingSchema, SeedSchema, TakeSchema } from '../schemas';
import { ErrorInfoSchema } from '../result';

export const generateChannels = {
  generate: channel(
    'Start sampling takes from a model; notes stream as take.note events, then take.done',
    z
      .object({
        modelId: ModelIdSchema.optional(),
        seed: SeedSchema,
        sampling: SamplingSchema,
        /**
         * Key and meter the take should have. ABC models start the tune with this header (when there
         * is no seed); event models keep to the key's scale.
         */
        constraints: z
          .object({
            key: z.string().regex(/^[A-Ga-g][#b]?\s*[A-Za-z]{0,10}$/, 'a key such as D, Ador, F#m or D Major').optional(),
            meter: z.string().regex(/^(\d{1,2}\/\d{1,2}|C\|?)$/, 'a meter such as 6/8, 4/4 or C').optional(),
          })
          .strict()
          .optional(),
        /**
         * ABC models: sample with the tune constraints (every bar holds the meter, 8-bar sections
         * where the meter names a dance tune, the tune ends on the key's tonic). On unless false;
         * a client that does not send it gets them (absent = true; optional rather than
         * .default(true) so that the parsed request type stays what callers already build).
         */
        tuneConstraints: z.boolean().optional(),
      })
      .strict(),
    /** rngSeed: the seed the run uses (the request's, or one the studio drew for it). */
    z.object({ runId: RunIdSchema, rngSeed: z.number().int().min(0).max(2 ** 32 - 1) }),
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
