/** Channels about the studio itself. */
import { z } from 'zod';
import { channel } from './define';
import { AppInfoSchema, BackendInfoSchema } from '../schemas';

export const appChannels = {
  appInfo: channel('Name, version, mode, active compute backend and MIDI status', z.object({}).strict(), AppInfoSchema),
} as const;

export const appEvents = {
  /** The engine's backend changed state (started, failed, restarted). */
  'engine.status': BackendInfoSchema,
} as const;
