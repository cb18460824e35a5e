/**
 * The IPC contract: every request channel and every event, declared once, as zod schemas.
 * Main (ipcMain), the preload bridge, the WebSocket server and client, and the studio services are
 * all generic over these two maps, so a channel with no handler, or a handler of the wrong type,
 * does not compile.
 *
 * To add a channel: add it to its area's map in channels/ (request + response schema and a one-line
 * summary; a new area gets a new file, spread in below), then implement it in electron/studio (the
 * Handlers type will demand it). Nothing else changes: the bridge, server and client pick it up.
 */
import type { z } from 'zod';
import { appChannels, appEvents } from './channels/app';
import { generateChannels, generateEvents } from './channels/generate';
import { modelChannels } from './channels/models';
import { devicesChannels, devicesEvents } from './channels/devices';
import { trainingChannels, trainingEvents } from './channels/training';
import { projectChannels } from './channels/project';
import { liveChannels, liveEvents } from './channels/live';
import { filesChannels } from './channels/files';
import { jobChannels, jobEvents } from './channels/jobs';
import { musicChannels } from './channels/music';

/** Every request channel: one map per area under channels/, merged here. */
export const channels = {
  ...appChannels,
  ...modelChannels,
  ...generateChannels,
  ...devicesChannels,
  ...trainingChannels,
  ...liveChannels,
  ...projectChannels,
  ...filesChannels,
  ...musicChannels,
  ...jobChannels,
} as const;

/** Every event the studio sends; each event of a run carries its runId. */
export const events = {
  ...appEvents,
  ...generateEvents,
  ...devicesEvents,
  ...trainingEvents,
  ...liveEvents,
  ...jobEvents,
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

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}
