/**
 * The Result envelope: every request across IPC or the WebSocket answers with one of these.
 * Errors cross the boundary as a code plus a human message, never as thrown objects.
 */
import { z } from 'zod';

export const errorCodes = [
  'invalid_request', // payload failed validation, unknown channel, malformed frame
  'unauthorized', // wrong or missing token, foreign origin or sender
  'not_found', // model, run, take, device ... does not exist
  'busy', // the thing asked for is already running
  'cancelled',
  'engine_failed', // the engine process crashed or reported a failure
  'unsupported', // not possible on this system (no ALSA, no GPU, no Electron ...)
  'io_error', // a file could not be read or written
  'bad_input', // a file or text the user gave could not be understood (ABC, MIDI ...)
  'internal', // a bug: logged with its stack on the main side
] as const;

export const ErrorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorInfoSchema = z.object({ code: ErrorCodeSchema, message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** Thrown by studio services for expected failures; dispatch turns it into a failed Result. */
export class StudioError extends Error {
  override name = 'StudioError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

