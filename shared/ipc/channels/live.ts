/** Call-and-response: play a phrase, pause, and the model answers through the synth. */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, NoteSchema, SamplingSchema } from '../schemas';

export const liveChannels = {
  setCallAndResponse: channel(
    'Turn call-and-response on or off: after a pause in your playing the model answers your phrase',
    z
      .object({
        enabled: z.boolean(),
        modelId: ModelIdSchema.optional(),
        qpm: z.number().min(20).max(400).default(120),
        pauseMs: z.number().int().min(150).max(5000).default(600),
        sampling: SamplingSchema.default({ temperature: 1, topK: 0, topP: 1, length: 96, count: 1 }),
      })
      .strict(),
    z.object({ enabled: z.boolean() }),
  ),
} as const;

export const liveEvents = {
  'call.state': z.object({ state: z.enum(['off', 'listening', 'hearing', 'thinking', 'answering']) }),
  /** The phrase just played, as the seed the model answers. */
  'call.seed': z.object({ notes: z.array(NoteSchema) }),
  /** One note of the answer, as scheduled (beats from the answer's start). */
  'call.answer': z.object({ note: NoteSchema }),
  /** From the end of the pause to the first answering note leaving for the synth. */
  'call.latency': z.object({ ms: z.number() }),
} as const;
