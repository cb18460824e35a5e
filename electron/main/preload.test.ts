/**
 * The preload bridge (electron/preload) exposes the StudioApi as named functions only: no
 * ipcRenderer, no generic invoke or send, and calls go only to the contract's channels. Also the
 * page's Content-Security-Policy, which both front doors serve.
 */
import { describe, expect, it, vi } from 'vitest';

const bridge = vi.hoisted(() => ({ exposed: new Map<string, unknown>(), invoked: [] as { channel: string; payload: unknown }[], listeners: new Map<string, unknown>() }));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => bridge.exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (channel: string, payload: unknown) => {
      bridge.invoked.push({ channel, payload });
      return { ok: true, value: {} };
    },
    on: (channel: string, fn: unknown) => bridge.listeners.set(channel, fn),
    removeListener: (channel: string) => bridge.listeners.delete(channel),
  },
}));

import '../preload/index';
import { channelNames } from '@shared/ipc/contract';
import { ipcChannel, IPC_EVENT_CHANNEL } from '@shared/ipc/wire';
import { contentSecurityPolicy } from '@shared/csp';

describe('the preload bridge', () => {
  it('exposes exactly one object, window.seedsong, made of named functions', () => {
    expect([...bridge.exposed.keys()]).toEqual(['seedsong']);
    const api = bridge.exposed.get('seedsong') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...channelNames, 'on'].sort());
    for (const [k, v] of Object.entries(api)) expect(typeof v, k).toBe('function');
    for (const forbidden of ['invoke', 'send', 'sendSync', 'ipcRenderer', 'require', 'process']) expect(api, forbidden).not.toHaveProperty(forbidden);
  });

  it('each function calls only its own channel', async () => {
    const api = bridge.exposed.get('seedsong') as Record<string, (p: unknown) => Promise<unknown>>;
    await api.appInfo({});
    expect(bridge.invoked.at(-1)).toEqual({ channel: ipcChannel('appInfo'), payload: {} });
  });

  it('on() listens to the one event channel and gives back an unsubscribe', () => {
    const api = bridge.exposed.get('seedsong') as { on: (e: string, fn: () => void) => () => void };
    const off = api.on('engine.status', () => {});
    expect([...bridge.listeners.keys()]).toEqual([IPC_EVENT_CHANNEL]);
    off();
    expect(bridge.listeners.size).toBe(0);
  });
});

describe('the Content-Security-Policy', () => {
  const csp = Object.fromEntries(
    contentSecurityPolicy()
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  ) as Record<string, string[]>;

  it('allows nothing remote and no eval or inline script', () => {
    for (const [name, values] of Object.entries(csp)) {
      for (const v of values) {
        expect(v, `${name} ${v}`).not.toMatch(/^(https?:|wss?:|\*)/);
        if (v === 'data:') expect(['img-src', 'font-src'], `data: in ${name}`).toContain(name);
      }
    }
    expect(csp['script-src']).toEqual(expect.arrayContaining(["'self'"]));
    expect(csp['script-src']).not.toContain("'unsafe-eval'");
    expect(csp['script-src']).not.toContain("'unsafe-inline'");
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['form-action']).toEqual(["'none'"]);
  });
});
