/** Frames of the WebSocket protocol used by `seedsong serve` (the same calls as Electron's IPC). */
import { z } from 'zod';

/** Largest frame the server accepts; larger ones close the connection with code 1009. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Calls a connection may make per second before it is throttled (answered with `busy`). */
export const MAX_CALLS_PER_SECOND = 200;

/**
 * The API token travels in the WebSocket handshake as a subprotocol (`seedsong.token.<token>`), next
 * to the protocol the server answers with (`seedsong.v1`): never in a URL (logged by proxies and
 * kept in history) nor in a cookie (browsers send cookies to every port of a host). The page gets it
 * from the URL fragment of the printed link (`/#token=...`), which the browser never sends.
 */
export const API_PROTOCOL = 'seedsong.v1';
export const TOKEN_PROTOCOL_PREFIX = 'seedsong.token.';
export const apiProtocols = (token: string): string[] => [API_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];

export const CallFrameSchema = z.object({
  type: z.literal('call'),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  channel: z.string().max(128),
  payload: z.unknown(),
});

export type ServerFrame =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'error'; message: string };

/** The IPC channel names used by Electron for each contract channel and for events. */
export const ipcChannel = (name: string) => `seedsong:${name}`;
export const IPC_EVENT_CHANNEL = 'seedsong:event';
