/**
 * The renderer's StudioApi: the preload bridge's `window.seedsong` in Electron, otherwise a
 * WebSocket client to `seedsong serve` using the token from the page's link.
 */
import { createStudioApi, type StudioApi } from '../../../../shared/ipc/api';
import { createWsTransport } from './ws-transport';

declare global {
  interface Window {
    seedsong?: StudioApi;
  }
}

export function connectStudio(onConnectionChange?: (connected: boolean) => void): StudioApi {
  if (window.seedsong) return window.seedsong;
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`;
  return createStudioApi(createWsTransport({ url, onConnectionChange }));
}

/** Electron (the preload bridge is there: saves go through its dialog) or `seedsong serve` in a browser. */
export function studioMode(): 'electron' | 'serve' {
  return window.seedsong ? 'electron' : 'serve';
}
