/** Channels about the studio itself. */
import { z } from 'zod';
import { channel } from './define';
import { AppInfoSchema, BackendInfoSchema } from '../schemas';

export const EngineMemorySchema = z.object({
  /** Live TensorFlow.js tensors in the engine process (a count that keeps growing is a leak). */
  tensors: z.number().int().min(0),
  tensorBytes: z.number().min(0),
  /** The engine process's resident set and JavaScript heap, bytes. */
  rss: z.number().min(0),
  heapUsed: z.number().min(0),
  backend: z.string(),
});
export type EngineMemoryDto = z.infer<typeof EngineMemorySchema>;

export const appChannels = {
  appInfo: channel('Name, version, mode, active compute backend and MIDI status', z.object({}).strict(), AppInfoSchema),
  engineMemory: channel("The engine process's memory: tf.memory() tensors and bytes, resident set, heap", z.object({}).strict(), EngineMemorySchema),
} as const;

export const appEvents = {
  /** The engine's backend changed state (started, failed, restarted). */
  'engine.status': BackendInfoSchema,
} as const;
