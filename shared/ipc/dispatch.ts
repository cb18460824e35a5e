/**
 * The one place a request is checked and answered. Electron's ipcMain handlers and the WebSocket
 * server both call `dispatch`, so validation is identical on both paths by construction.
 */
import { z } from 'zod';
import { channels, isChannelName, type ChannelName, type ParsedRequestOf, type ResponseOf } from './contract';
import { fail, ok, StudioError, type Result } from './result';

export interface CallContext {
  /** Which front door the call came through. */
  via: 'electron' | 'serve' | 'cli' | 'test';
  /**
   * Aborted when the caller goes away (its WebSocket closes, its window is destroyed): work it
   * started that only it can see, such as a generation, is cancelled then.
   */
  signal?: AbortSignal;
}

export type Handlers = {
  [C in ChannelName]: (request: ParsedRequestOf<C>, ctx: CallContext) => Promise<ResponseOf<C>> | ResponseOf<C>;
};

export interface DispatchLog {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export async function dispatch(
  handlers: Handlers,
  channel: unknown,
  payload: unknown,
  ctx: CallContext,
  log: DispatchLog,
): Promise<Result<unknown>> {
  if (!isChannelName(channel)) {
    const shown = typeof channel === 'string' ? `"${channel.slice(0, 64)}"` : typeof channel;
    log.warn(`rejected call: unknown channel ${shown}`);
    return fail('invalid_request', `unknown channel ${shown}`);
  }
  const parsed = channels[channel].request.safeParse(payload ?? {});
  if (!parsed.success) {
    const reason = z.prettifyError(parsed.error).slice(0, 2000);
    log.warn(`rejected call to ${channel}: ${reason.replace(/\n/g, '; ')}`);
    return fail('invalid_request', `${channel}: ${reason}`);
  }
  try {
    const handler = handlers[channel] as (req: unknown, ctx: CallContext) => unknown;
    const value = await handler(parsed.data, ctx);
    return ok(value);
  } catch (e) {
    if (e instanceof StudioError) return fail(e.code, e.message);
    log.error(`handler ${channel} failed`, e);
    return fail('internal', `${channel} failed unexpectedly: ${(e as Error)?.message ?? String(e)}`);
  }
}

export type { ChannelName, ResponseOf };
