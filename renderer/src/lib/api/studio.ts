/**
 * The renderer's StudioApi: the preload bridge's `window.seedsong` in Electron, otherwise a
 * WebSocket client to `seedsong serve` using the token from the page's link (its fragment).
 */
import { createStudioApi, type StudioApi } from '@shared/ipc/api';
import { createWsTransport } from './ws-transport';
import { apiProtocols } from '@shared/ipc/wire';

const TOKEN_KEY = 'seedsong.token';

/**
 * The token of `seedsong serve` comes in the link's fragment (`/#token=...`), which browsers never
 * send to a server. It is kept in this tab's sessionStorage (per origin, so per port) so a reload
 * still connects, and taken out of the address bar so it is not shared with a screenshot or copy.
 */
export function takeServeToken(location: Pick<Location, 'hash'>, storage: Pick<Storage, 'getItem' | 'setItem'> | null, clearHash: () => void): string {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    try {
      storage?.setItem(TOKEN_KEY, fromHash);
    } catch {
      /* storage disabled: the token still works for this page */
    }
    clearHash();
    return fromHash;
  }
  try {
    return storage?.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

declare global {
  interface Window {
    seedsong?: StudioApi;
  }
}

export function connectStudio(onConnectionChange?: (connected: boolean) => void): StudioApi {
  if (window.seedsong) return window.seedsong;
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = null;
  }
  const token = takeServeToken(window.location, storage, () => history.replaceState(null, '', window.location.pathname + window.location.search));
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}/api`;
  return createStudioApi(createWsTransport({ url, protocols: apiProtocols(token), onConnectionChange }));
}

/** Electron (the preload bridge is there: saves go through its dialog) or `seedsong serve` in a browser. */
export function studioMode(): 'electron' | 'serve' {
  return window.seedsong ? 'electron' : 'serve';
}
