/**
 * StudioApi: the renderer's only way out. One named function per channel plus `on` for events.
 * It is built from the contract over a Transport; the preload bridge (ipcRenderer) and the serve
 * mode client (WebSocket) are the two transports.
 */
import { channelNames, events, isEventName, type ChannelName, type EventName, type EventOf, type RequestOf, type ResponseOf } from './contract';
import { fail, type Result } from './result';

export interface Transport {
  invoke(channel: ChannelName, payload: unknown): Promise<unknown>;
  /** Delivers every event; returns an unsubscribe function. */
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
}

export type StudioCalls = {
  [C in ChannelName]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
};

export type StudioApi = StudioCalls & {
  /** Subscribes to one event; returns its unsubscribe. */
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): () => void;
};

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (v.ok === true) return 'value' in v;
  return v.ok === false && typeof v.error?.code === 'string' && typeof v.error?.message === 'string';
}

export function createStudioApi(transport: Transport): StudioApi {
  const api: Record<string, unknown> = {};
  for (const name of channelNames) {
    api[name] = async (request: unknown) => {
      try {
        const result = await transport.invoke(name, request ?? {});
        return isResult(result) ? result : fail('internal', `${name}: malformed answer from the studio`);
      } catch (e) {
        return fail('internal', `${name}: ${(e as Error)?.message ?? String(e)}`);
      }
    };
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!isEventName(event)) throw new Error(`unknown event "${String(event)}"`);
    const schema = events[event];
    return transport.subscribe((name, payload) => {
      if (name !== event) return;
      const parsed = schema.safeParse(payload);
      if (parsed.success) listener(parsed.data);
      else console.warn(`seedsong: dropped malformed ${event} event`);
    });
  };
  return api as StudioApi;
}
