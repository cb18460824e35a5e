/**
 * The IPC contract: every request channel and every event, declared once, as zod schemas.
 * Main (ipcMain), the preload bridge, the WebSocket server and client, and the studio services are
 * all generic over these two maps, so a channel with no handler, or a handler of the wrong type,
 * does not compile.
 *
 * To add a channel: add an entry to `channels` (request + response schema and a one-line summary),
 * then implement it in electron/studio (the Handlers type will demand it). Nothing else changes:
 * the bridge, server and client pick it up from this map.
 */
import { z } from 'zod';
import {
  AppInfoSchema,
  BackendInfoSchema,
  ModelSummarySchema,
  RunIdSchema,
  ModelIdSchema,
  NoteSchema,
  SamplingSchema,
  SeedSchema,
  TakeSchema,
} from './schemas';
import { ErrorInfoSchema } from './result';

const Empty = z.object({}).strict();

function channel<Req extends z.ZodType, Res extends z.ZodType>(summary: string, request: Req, response: Res) {
  return { summary, request, response };
}

export const channels = {
  appInfo: channel('Name, version, mode, active compute backend and MIDI status', Empty, AppInfoSchema),
  listModels: channel('Every model in the library, the built-in default first', Empty, z.array(ModelSummarySchema)),
  generate: channel(
    'Start sampling takes from a model; notes stream as take.note events, then take.done',
    z.object({ modelId: ModelIdSchema.optional(), seed: SeedSchema, sampling: SamplingSchema }).strict(),
    z.object({ runId: RunIdSchema }),
  ),
  cancelRun: channel(
    'Stop a running generation or training run',
    z.object({ runId: RunIdSchema }).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
} as const;

export const events = {
  /** The engine's backend changed state (started, failed, restarted). */
  'engine.status': BackendInfoSchema,
  /** One note of a take, sent as soon as it is sampled. */
  'take.note': z.object({ runId: RunIdSchema, variation: z.number().int().min(0), note: NoteSchema }),
  /** A generation run finished: every variation decoded. */
  'take.done': z.object({ runId: RunIdSchema, takes: z.array(TakeSchema) }),
  /** A run (generation or training) failed or was cancelled. */
  'run.failed': z.object({ runId: RunIdSchema, error: ErrorInfoSchema }),
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>;
export type ResponseOf<C extends ChannelName> = z.output<Channels[C]['response']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.output<Events[E]>;

export const channelNames = Object.keys(channels) as ChannelName[];
export const eventNames = Object.keys(events) as EventName[];

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}
