import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { WebSocket } from 'ws';
import { isLoopbackHost, loggablePath, protocolToken, startServer, type RunningServer } from './index';
import { apiProtocols } from '@shared/ipc/wire';
import { saveProjectInParts } from '@shared/ipc/project-save';
import { createStudio, noMidiHardware, type Studio } from '../studio';
import { createFakeEngine } from '../studio/testing/fake-engine';
import { MAX_FRAME_BYTES } from '@shared/ipc/wire';
import net from 'node:net';

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

function connect(token: string | null = server.token, headers: Record<string, string> = { origin: `http://127.0.0.1:${server.port}` }, query = '') {
  return new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, token === null ? ['seedsong.v1'] : apiProtocols(token), { headers });
}

/** Sends raw bytes as a request line and returns what came back (or '' if the socket was closed). */
function rawRequest(line: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(`${line}\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    socket.setTimeout(3000, () => socket.destroy());
  });
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
  it('prints a loopback URL with the token in its fragment (never sent to a server)', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the public pages without a secret and never sets a cookie (browsers send cookies to every port)', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    const asset = await get('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['set-cookie']).toBeUndefined();
  });

  it('answers GET /%00 and other control bytes with 400 and keeps serving (fs throws synchronously on NUL)', async () => {
    for (const p of ['/%00', '/assets/%00.js', '/%01', '/a%0a', '/%00/']) {
      expect((await get(p)).status, p).toBe(400);
    }
    expect(await rawRequest('GET /\u0000 HTTP/1.1')).toMatch(/^HTTP\/1\.1 400/);
    expect((await get('/')).status).toBe(200);
  });

  it('never logs a token or a query string', async () => {
    log.warn.mockClear();
    await get(`/nothing-here?token=${server.token}`);
    await expect(opened(connect(null, undefined, `?token=${server.token}`))).rejects.toThrow('401');
    await expect(opened(connect('wrong-token'))).rejects.toThrow('401');
    const lines = log.warn.mock.calls.map((c) => String(c[0]));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).not.toContain(server.token);
    expect(loggablePath(`/x?token=${server.token}`)).toBe('/x?…');
  });

  it('does not serve files outside the renderer folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/%2e%2e%2fsecret.txt']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const res = await get('/', { host: `evil.example:${server.port}` });
    expect(res.status).toBe(421);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('unexpected Host header'));
  });
});

describe('seedsong serve: WebSocket API', () => {
  it('answers a call over the real WebSocket, choosing the API protocol (the token is not echoed)', async () => {
    const ws = connect();
    await opened(ws);
    expect(ws.protocol).toBe('seedsong.v1');
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
    await expect(opened(connect(null))).rejects.toThrow('401');
    await expect(opened(connect('wrong'))).rejects.toThrow('401');
    // The token in the URL's query (the old way) is not accepted: URLs end up in logs and history.
    await expect(opened(connect(null, undefined, `?token=${server.token}`))).rejects.toThrow('401');
    await expect(opened(connect(server.token, { origin: 'https://evil.example' }))).rejects.toThrow('403');
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

  it('answers errors without the studio\'s absolute paths', async () => {
    const ws = connect();
    await opened(ws);
    // A corpus whose files/ folder is a file: Node's message names the absolute path it could not read.
    const corpus = await call(ws, 50, 'createCorpus', { name: 'damaged' });
    fs.rmSync(path.join(dir, 'corpora', corpus.value.id, 'files'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'corpora', corpus.value.id, 'files'), 'not a folder');
    const r = await call(ws, 51, 'addCorpusFiles', { corpusId: corpus.value.id, files: [{ name: 'a.abc', base64: Buffer.from('X:1\nK:C\nC|').toString('base64') }] });
    expect(r.ok).toBe(false);
    expect(r.error.message).toMatch(/the studio's data folder/);
    expect(r.error.message).not.toContain(dir);
    ws.close();
  });

  it('autosaves a project larger than one frame (in parts) over the real WebSocket', async () => {
    const ws = connect();
    await opened(ws);
    const n = (i: number) => ({ pitch: 40 + (i % 48), start: i * 0.25, end: i * 0.25 + 0.2, velocity: 80, voice: 0 });
    const seed = Array.from({ length: 2621 }, (_, i) => n(i));
    const take = (i: number) => ({ runId: `r${i}`, variation: 0, number: i + 1, seedLabel: 'piano', settings: '', kept: false, abc: 'X:1\nK:C\nC|', notes: Array.from({ length: 5000 }, (_, k) => n(k)), seed: 0, warnings: [] });
    const project = {
      version: 2 as const,
      sampling: { temperature: 1, topK: 0, topP: 1, length: 128, count: 4, rngSeed: null },
      seed: { source: 'keyboard' as const, abc: '', keyboard: seed },
      desk: { title: 'big', qpm: 120, meter: { numerator: 4, denominator: 4 }, key: null, seedEnd: 0, notes: seed, selectedTake: null, grid: 4 },
      seeds: [seed],
      takes: Array.from({ length: 20 }, (_, i) => take(i)),
    };
    expect(JSON.stringify(project).length).toBeGreaterThan(MAX_FRAME_BYTES);
    let id = 100;
    const r = await saveProjectInParts((part) => call(ws, id++, 'saveProject', part), project);
    expect(r).toMatchObject({ ok: true, value: { savedAt: expect.any(String) } });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const back = await call(ws, id++, 'loadProject', {});
    expect(back.value.project.takes).toHaveLength(20);
    ws.close();
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

describe('isLoopbackHost and protocolToken', () => {
  it('checks addresses, not text prefixes', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['127.0.0.1.example.com', '127.evil.example', '1270.0.0.1', '0.0.0.0', '::', '192.168.1.2', '::ffff:10.0.0.1', 'localhost.example']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('reads the token subprotocol from the handshake header', () => {
    expect(protocolToken('seedsong.v1, seedsong.token.abc-_9')).toBe('abc-_9');
    expect(protocolToken('seedsong.v1')).toBeUndefined();
    expect(protocolToken(undefined)).toBeUndefined();
  });
});

describe('startServer', () => {
  it('refuses to start without a built renderer, saying what to run', async () => {
    await expect(startServer({ studio, port: 0, staticDir: path.join(dir, 'nothing-here') })).rejects.toThrow('npm run build');
  });
});
