/**
 * Typed engine errors. They cross the process boundary as {code, message}, so the message must say
 * on its own what was wrong and where (file, tune, line, flag) and what was expected. The codes are
 * the IPC contract's own (shared/ipc/result.ts): an engine error reaches the window as it was
 * thrown, with no table between. invalid_request: the request or its hyperparameters; bad_input: a
 * corpus or model the engine cannot use; not_found; busy (the folder is taken); unsupported (no such
 * backend here); cancelled; engine_failed (the process died, or an unexpected failure in it).
 */
import type { ErrorCode } from '@shared/ipc/result';

export type EngineErrorCode = ErrorCode;

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SerializedError {
  code: EngineErrorCode;
  message: string;
}

/** A preset or hyperparameters that cannot work (the CLI answers it as a usage error, exit 2). */
export class HyperparameterError extends EngineError {
  override name = 'HyperparameterError';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof EngineError) return { code: e.code, message: e.message };
  const err = e as Error;
  return { code: 'engine_failed', message: err?.message ? String(err.message) : String(e) };
}

export function isCancelled(e: unknown): boolean {
  return e instanceof EngineError && e.code === 'cancelled';
}
