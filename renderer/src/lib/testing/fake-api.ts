/**
 * A StudioApi for state-class tests: the real createStudioApi over a transport whose answers come
 * from handler functions, and whose events the test emits (validated by the contract like real ones).
 */
import { createStudioApi, type StudioApi } from '@shared/ipc/api';
import type { ChannelName, EventName, EventOf } from '@shared/ipc/contract';
import { OpenedFiles } from '@shared/ipc/opened-files';

export type FakeHandlers = Partial<Record<ChannelName, (request: any) => unknown>>;

export interface FakeStudio {
  api: StudioApi;
  calls: { channel: ChannelName; request: any }[];
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
}

export function fakeStudio(handlers: FakeHandlers): FakeStudio {
  const listeners = new Set<(name: string, payload: unknown) => void>();
  const calls: FakeStudio['calls'] = [];
  // Opening files is pure: the studio's own code answers unless the test fakes it.
  const opened = new OpenedFiles();
  handlers = { openFile: (r) => opened.open(r.name, r.base64), openTune: (r) => opened.tune(r.fileId, r.tune, r.tracks), ...handlers };
  const api = createStudioApi({
    async invoke(channel, payload) {
      calls.push({ channel, request: payload });
      const h = handlers[channel];
      if (!h) return { ok: false, error: { code: 'unsupported', message: `${channel} is not faked` } };
      try {
        return { ok: true, value: await h(payload) };
      } catch (e) {
        return { ok: false, error: { code: 'bad_input', message: (e as Error).message } };
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  return { api, calls, emit: (event, payload) => listeners.forEach((l) => l(event, payload)) };
}
