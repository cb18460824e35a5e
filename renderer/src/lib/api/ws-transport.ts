/**
 * The serve mode's Transport: StudioApi calls as frames over one WebSocket to /api, answers matched
 * by id, events fanned out to subscribers. Reconnects with back-off if the server restarts; calls
 * made while disconnected fail with a readable message instead of hanging.
 */
import type { Transport } from '@shared/ipc/api';
import { fail } from '@shared/ipc/result';

type Pending = { resolve: (value: unknown) => void; timer: ReturnType<typeof setTimeout> };

export interface WsTransportOptions {
  url: string;
  /** WebSocket subprotocols offered in the handshake (serve's carry the token: apiProtocols). */
  protocols?: string[];
  /** The WebSocket class (the browser's, or the `ws` package in Node tests). */
  WebSocketImpl?: typeof WebSocket;
  callTimeoutMs?: number;
  onConnectionChange?: (connected: boolean) => void;
}

export function createWsTransport(options: WsTransportOptions): Transport & { close(): void; ready: Promise<void> } {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const timeoutMs = options.callTimeoutMs ?? 60_000;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(name: string, payload: unknown) => void>();
  let nextId = 1;
  let socket: WebSocket;
  let closed = false;
  let retryMs = 250;
  let everConnected = false;
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = () => {
    socket = options.protocols ? new Impl(options.url, options.protocols) : new Impl(options.url);
    socket.onopen = () => {
      retryMs = 250;
      everConnected = true;
      markReady();
      options.onConnectionChange?.(true);
    };
    socket.onmessage = (message: MessageEvent) => {
      let frame: { type?: string; id?: number; result?: unknown; name?: string; payload?: unknown; message?: string };
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (frame.type === 'result' && typeof frame.id === 'number') {
        const call = pending.get(frame.id);
        if (call) {
          clearTimeout(call.timer);
          pending.delete(frame.id);
          call.resolve(frame.result);
        }
      } else if (frame.type === 'event' && typeof frame.name === 'string') {
        for (const listener of [...listeners]) listener(frame.name, frame.payload);
      } else if (frame.type === 'error') {
        console.warn(`seedsong: the studio rejected a frame: ${frame.message}`);
      }
    };
    socket.onclose = () => {
      options.onConnectionChange?.(false);
      for (const [id, call] of pending) {
        clearTimeout(call.timer);
        call.resolve(fail('unsupported', 'lost the connection to the studio; reconnecting'));
        pending.delete(id);
      }
      if (!closed) setTimeout(connect, (retryMs = Math.min(retryMs * 2, 5000)));
    };
    socket.onerror = () => {
      /* onclose follows and handles it */
    };
  };
  connect();

  return {
    ready,
    async invoke(channel, payload) {
      // Calls made while the first connection is being opened wait for it; after a drop they fail fast.
      if (socket.readyState === Impl.CONNECTING && !everConnected) await Promise.race([ready, new Promise((r) => setTimeout(r, timeoutMs))]);
      if (socket.readyState !== Impl.OPEN) return fail('unsupported', 'not connected to the studio; reconnecting');
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(fail('internal', `${channel}: no answer from the studio within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        pending.set(id, { resolve, timer });
        socket.send(JSON.stringify({ type: 'call', id, channel, payload }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      socket.close();
    },
  };
}
