import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from './index';
import { createStudio, noMidiHardware, type Studio } from '../studio';
import { createFakeEngine } from '../studio/testing/fake-engine';
import { MAX_FRAME_BYTES } from '../../shared/ipc/wire';

let dir: string;
let studio: Studio;
let server: RunningServer;
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-serve-'));
  fs.mkdirSync(path.join(dir, 'www', 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), '<!doctype html><title>Seedsong</title>');
  fs.writeFileSync(path.join(dir, 'www', 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  studio = await createStudio({ mode: 'serve', userDataDir: dir, engine: createFakeEngine(), openMidi: noMidiHardware });
  server = await startServer({ studio, port: 0, staticDir: path.join(dir, 'www'), log });
});

afterAll(async () => {
  await server.close();
  await studio.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(query = `token=${server.token}`, headers: Record<string, string> = { origin: `http://127.0.0.1:${server.port}` }) {
  return new WebSocket(`ws://127.0.0.1:${server.port}/api?${query}`, { headers });
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextFrame(ws: WebSocket, predicate: (f: any) => boolean = () => true): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (predicate(frame)) {
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
  });
}

async function call(ws: WebSocket, id: number, channel: string, payload: unknown) {
  const answer = nextFrame(ws, (f) => f.type === 'result' && f.id === id);
  ws.send(JSON.stringify({ type: 'call', id, channel, payload }));
  return (await answer).result;
}

describe('seedsong serve: HTTP', () => {
  it('prints a loopback URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses the page without the token, or with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get('/assets/app.js')).status).toBe(401);
  });

  it('serves the page with the token, with a CSP and a cookie for its assets', async () => {
    const page = await get(`/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`seedsong_token=${server.token}`);
    const asset = await get('/assets/app.js', { cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
  });

  it('does not serve files outside the renderer folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/%2e%2e%2fsecret.txt']) {
      const res = await get(`${p}${p.includes('?') ? '&' : '?'}token=${server.token}`);
      expect(res.status, p).toBe(404);
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await get(`/?token=${server.token}`, { host: `evil.example:${server.port}` });
    expect(res.status).toBe(421);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('unexpected Host header'));
  });
});

describe('seedsong serve: WebSocket API', () => {
  it('answers a call over the real WebSocket', async () => {
    const ws = connect();
    await opened(ws);
    const result = await call(ws, 1, 'appInfo', {});
    expect(result).toMatchObject({ ok: true, value: { name: 'Seedsong', mode: 'serve', backend: { active: 'cpu' } } });
    ws.close();
  });

  it('streams take events for a generate call', async () => {
    const ws = connect();
    await opened(ws);
    const done = nextFrame(ws, (f) => f.type === 'event' && f.name === 'take.done');
    const notes: unknown[] = [];
    ws.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'event' && f.name === 'take.note') notes.push(f.payload);
    });
    const result = await call(ws, 7, 'generate', { seed: { kind: 'none' }, sampling: { count: 2 } });
    expect(result.ok).toBe(true);
    const frame = await done;
    expect(frame.payload.runId).toBe(result.value.runId);
    expect(frame.payload.takes).toHaveLength(2);
    expect(notes).toHaveLength(16);
    ws.close();
  });

  it('refuses a WebSocket without the token, with a wrong token, or from a foreign Origin', async () => {
    await expect(opened(connect(''))).rejects.toThrow('401');
    await expect(opened(connect('token=wrong'))).rejects.toThrow('401');
    await expect(opened(connect(`token=${server.token}`, { origin: 'https://evil.example' }))).rejects.toThrow('403');
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('foreign Origin'));
  });

  it('survives malformed frames and keeps answering on the same connection', async () => {
    const ws = connect();
    await opened(ws);
    for (const junk of ['not json', '{"type":"call"}', '[]', 'null', '{"type":"call","id":-1,"channel":"appInfo"}']) {
      const answer = nextFrame(ws);
      ws.send(junk);
      expect((await answer).type).toBe('error');
    }
    const binary = nextFrame(ws);
    ws.send(Buffer.from([1, 2, 3]));
    expect((await binary).type).toBe('error');
    expect(await call(ws, 2, 'noSuchChannel', {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await call(ws, 3, 'generate', { seed: { kind: 'telepathy' } })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await call(ws, 4, 'appInfo', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('closes a connection that sends an oversized frame, and keeps serving others', async () => {
    const ws = connect();
    await opened(ws);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect(await closed).toBe(1009);
    const other = connect();
    await opened(other);
    expect(await call(other, 1, 'appInfo', {})).toMatchObject({ ok: true });
    other.close();
  });

  it('throttles a connection that floods calls, answering busy', async () => {
    const ws = connect();
    await opened(ws);
    const results: any[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on('message', (d: Buffer) => {
        const f = JSON.parse(d.toString());
        if (f.type === 'result') results.push(f.result);
        if (results.length === 400) resolve();
      });
    });
    for (let i = 0; i < 400; i++) ws.send(JSON.stringify({ type: 'call', id: i, channel: 'listModels', payload: {} }));
    await all;
    expect(results.filter((r) => !r.ok && r.error.code === 'busy').length).toBeGreaterThan(0);
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
    ws.close();
  });
});

describe('startServer', () => {
  it('refuses to start without a built renderer, saying what to run', async () => {
    await expect(startServer({ studio, port: 0, staticDir: path.join(dir, 'nothing-here') })).rejects.toThrow('npm run build');
  });
});
