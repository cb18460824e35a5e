/**
 * Typed engine errors. They cross the process boundary as {code, message}, so the message must say
 * on its own what was wrong and where (file, tune, line, flag) and what was expected.
 */
export type EngineErrorCode =
  | 'unknown-preset'
  | 'bad-hyperparameters'
  | 'bad-corpus'
  | 'bad-model'
  | 'bad-request'
  | 'not-found'
  | 'exists'
  | 'backend'
  | 'cancelled'
  | 'engine-crashed'
  | 'internal';

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

export function serializeError(e: unknown): SerializedError {
  if (e instanceof EngineError) return { code: e.code, message: e.message };
  const err = e as Error;
  return { code: 'internal', message: err?.message ? String(err.message) : String(e) };
}

export function isCancelled(e: unknown): boolean {
  return e instanceof EngineError && e.code === 'cancelled';
}
