/** Serve-mode limits beyond the basics in server.test.ts: connection and pending-call caps, long URLs, wildcard binds. */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { WebSocket } from 'ws';
import { hostNamesFor, startServer, type RunningServer } from './index';
import { apiProtocols } from '@shared/ipc/wire';
import { createStudio, noMidiHardware, type Studio } from '../studio';
import { createFakeEngine } from '../studio/testing/fake-engine';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function serve(opts: { host?: string; maxConnections?: number; maxPendingCalls?: number; noteDelayMs?: number; maxGenerations?: number } = {}): Promise<{ server: RunningServer; studio: Studio }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-harden-'));
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), '<!doctype html><title>Seedsong</title>');
  const studio = await createStudio({ mode: 'serve', userDataDir: path.join(dir, 'data'), engine: createFakeEngine({ noteDelayMs: opts.noteDelayMs }), openMidi: noMidiHardware, maxGenerations: opts.maxGenerations });
  const server = await startServer({ studio, port: 0, staticDir: path.join(dir, 'www'), log: quiet, host: opts.host, maxConnections: opts.maxConnections, maxPendingCalls: opts.maxPendingCalls });
  cleanup.push(async () => {
    await server.close();
    await studio.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, studio };
}

function status(port: number, pathname: string, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, headers: host ? { host } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function open(server: RunningServer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, apiProtocols(server.token));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('hostNamesFor', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: '192.168.1.20', family: 'IPv4', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '2001:db8::5', family: 'IPv6', internal: false },
    ],
  } as unknown as NodeJS.Dict<os.NetworkInterfaceInfo[]>;

  it('loopback binds answer to loopback names only', () => {
    expect(hostNamesFor('127.0.0.1', interfaces, 'box')).toEqual(['127.0.0.1', 'localhost', '[::1]']);
  });
  it('a specific address answers to itself', () => {
    expect(hostNamesFor('192.168.1.20', interfaces, 'box')).toEqual(['192.168.1.20']);
    expect(hostNamesFor('2001:db8::5', interfaces, 'box')).toEqual(['[2001:db8::5]']);
  });
  it('a wildcard bind answers to every address of the machine and its name, nothing else', () => {
    const names = hostNamesFor('0.0.0.0', interfaces, 'Box');
    expect(names).toEqual(expect.arrayContaining(['127.0.0.1', 'localhost', '192.168.1.20', '[2001:db8::5]', 'box']));
    expect(names).not.toContain('[fe80::1]');
    expect(names).not.toContain('0.0.0.0');
  });
});

describe('serve limits', () => {
  it('refuses very long URLs with 414, before looking at anything else', async () => {
    const { server } = await serve();
    expect(await status(server.port, `/?pad=${'x'.repeat(5000)}`)).toBe(414);
    expect(await status(server.port, '/')).toBe(200);
  });

  it('refuses connections past the limit with 503, and accepts again once one closes', async () => {
    const { server } = await serve({ maxConnections: 2 });
    const a = await open(server);
    const b = await open(server);
    await expect(open(server)).rejects.toThrow('503');
    const closed = new Promise((r) => a.once('close', r));
    a.close();
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    const c = await open(server);
    b.close();
    c.close();
  });

  it('answers busy when too many calls are still running on one connection', async () => {
    const { server } = await serve({ maxPendingCalls: 2, noteDelayMs: 40 });
    const ws = await open(server);
    const results = new Map<number, { ok: boolean; error?: { code: string } }>();
    const all = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString());
        if (f.type === 'result') results.set(f.id, f.result);
        if (results.size === 5) resolve();
      }),
    );
    for (let id = 1; id <= 5; id++) ws.send(JSON.stringify({ type: 'call', id, channel: 'generate', payload: { seed: { kind: 'none' }, sampling: { count: 1 } } }));
    await all;
    const busy = [...results.values()].filter((r) => !r.ok && r.error?.code === 'busy').length;
    expect(busy).toBe(3);
    expect([...results.values()].filter((r) => r.ok).length).toBe(2);
    ws.close();
  });

  it('answers busy past the limit of generations running at once, and accepts again when one ends', async () => {
    const { server, studio } = await serve({ maxGenerations: 2, noteDelayMs: 5 });
    const ws = await open(server);
    const call = (id: number) =>
      new Promise<{ ok: boolean; value?: { runId: string }; error?: { code: string; message: string } }>((resolve) => {
        const onMessage = (d: Buffer) => {
          const f = JSON.parse(d.toString());
          if (f.type === 'result' && f.id === id) {
            ws.off('message', onMessage);
            resolve(f.result);
          }
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ type: 'call', id, channel: 'generate', payload: { seed: { kind: 'none' }, sampling: { count: 4 } } }));
      });
    const ended = new Set<string>();
    studio.events.subscribe((name, payload) => {
      if (name === 'take.done' || name === 'run.failed') ended.add((payload as { runId: string }).runId);
    });
    const a = await call(1);
    const b = await call(2);
    expect(a.ok && b.ok).toBe(true);
    expect(await call(3)).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringMatching(/2 generations are already running \(the limit is 2\)/) } });
    while (!ended.has(a.value!.runId) || !ended.has(b.value!.runId)) await new Promise((r) => setTimeout(r, 10));
    expect((await call(4)).ok).toBe(true);
    ws.close();
  });

  it('cancels the generations of a connection when it closes', async () => {
    const { server, studio } = await serve({ noteDelayMs: 20 });
    const failed = new Map<string, string>();
    const done = new Set<string>();
    studio.events.subscribe((name, payload) => {
      const p = payload as { runId: string; error?: { code: string } };
      if (name === 'run.failed') failed.set(p.runId, p.error!.code);
      if (name === 'take.done') done.add(p.runId);
    });
    const ws = await open(server);
    const answer = new Promise<{ ok: boolean; value: { runId: string } }>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString());
        if (f.type === 'result' && f.id === 1) resolve(f.result);
      }),
    );
    // 16 takes of 8 notes, 20 ms a note: about 2.5 s if nobody stopped it.
    ws.send(JSON.stringify({ type: 'call', id: 1, channel: 'generate', payload: { seed: { kind: 'none' }, sampling: { count: 16 } } }));
    const { value } = await answer;
    ws.close();
    while (!failed.has(value.runId) && !done.has(value.runId)) await new Promise((r) => setTimeout(r, 10));
    expect(failed.get(value.runId)).toBe('cancelled');
    expect(done.has(value.runId)).toBe(false);
  });

  it('a wildcard bind prints a reachable address and still refuses foreign Host headers', async () => {
    const { server } = await serve({ host: '0.0.0.0' });
    expect(server.url).not.toContain('0.0.0.0');
    expect(await status(server.port, '/', `127.0.0.1:${server.port}`)).toBe(200);
    expect(await status(server.port, '/', `${os.hostname().toLowerCase()}:${server.port}`)).toBe(200);
    expect(await status(server.port, '/', `evil.example:${server.port}`)).toBe(421);
    expect(await status(server.port, '/', `0.0.0.0:${server.port}`)).toBe(421);
  });
});
