/**
 * Malformed messages through a real `seedsong serve` on loopback (and the same junk straight into
 * the shared dispatch that Electron's IPC handlers call). Every frame must get exactly one answer
 * (an error frame or a Result), the server must keep serving, nothing may reach Object.prototype,
 * and a well-formed call must still work afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { startServer } from '../../electron/server/index';
import { createStudio, noMidiHardware } from '../../electron/studio/index';
import { createFakeEngine } from '../../electron/studio/testing/fake-engine';
import { channelNames, channels } from '@shared/ipc/contract';
import { dispatch } from '@shared/ipc/dispatch';
import { MAX_CALLS_PER_SECOND, MAX_FRAME_BYTES, apiProtocols } from '@shared/ipc/wire';
import { rng, type Rng } from './mutate';

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

const NASTY_STRINGS = ['', ' ', '\u0000', '__proto__', 'constructor', 'prototype', 'toString', '../../etc/passwd', 'C:\\Windows\\win.ini', '%s%n', '\ud800', 'x'.repeat(10_000), '1e309', 'NaN', '-0', 'null', '<script>alert(1)</script>', '\u202e'];
const NASTY_NUMBERS = [0, -1, 1, -0, 0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 4294967296, Number.MIN_VALUE];

/** Property names each channel's request knows, so fuzzed payloads get past the first check. */
const FIELDS: Record<string, string[]> = {};
for (const name of channelNames) {
  const names = new Set<string>();
  const walk = (s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
    for (const v of Object.values(o)) walk(v);
  };
  try {
    walk(z.toJSONSchema(channels[name].request as z.ZodType, { io: 'input', unrepresentable: 'any' }));
  } catch {
    /* a schema JSON Schema cannot express: random fields only */
  }
  FIELDS[name] = [...names];
}

function randomValue(r: Rng, depth: number, fields: string[]): unknown {
  const k = int(r, depth > 3 ? 6 : 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, NASTY_NUMBERS);
    case 3:
      return int(r, 1000) - 100;
    case 4:
      return pick(r, NASTY_STRINGS);
    case 5:
      return String.fromCharCode(...Array.from({ length: int(r, 20) }, () => int(r, 0xffff)));
    case 6:
      return Array.from({ length: int(r, 5) }, () => randomValue(r, depth + 1, fields));
    default: {
      const o: Record<string, unknown> = {};
      for (let n = int(r, 5); n > 0; n--) {
        const key = fields.length && r() < 0.7 ? pick(r, fields) : pick(r, ['__proto__', 'constructor', 'kind', 'id', 'x', ...NASTY_STRINGS.slice(0, 8)]);
        o[key] = randomValue(r, depth + 1, fields);
      }
      return o;
    }
  }
}

/** One malformed (or occasionally valid) frame as text, or a Buffer for a binary frame. */
export function junkFrame(r: Rng, id: number): { data: string | Buffer; expectClose?: boolean } {
  const channel = pick(r, channelNames as readonly string[]);
  const roll = int(r, 100);
  if (roll < 5) return { data: Buffer.from(Array.from({ length: 1 + int(r, 64) }, () => int(r, 256))) };
  if (roll < 12) return { data: pick(r, ['', 'not json', '{', '[1,2', '"\\u0000"', 'null', 'true', '42', '[]', '{}', '{"type":"call"}', '\ufeff{}']) };
  if (roll < 15) return { data: '['.repeat(5000 + int(r, 50_000)) + ']'.repeat(int(r, 2) ? 0 : 5000) };
  if (roll < 18) {
    // Deeply nested payloads, built as text (JSON.stringify itself would recurse that deep).
    const depth = 2000 + int(r, 50_000);
    return { data: `{"type":"call","id":${id},"channel":${JSON.stringify(channel)},"payload":{"a":${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}}}` };
  }
  if (roll < 20) {
    // Prototype pollution through the parsed frame (JSON.parse makes __proto__ an own key).
    return { data: `{"type":"call","id":${id},"channel":${JSON.stringify(channel)},"payload":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}}` };
  }
  if (roll < 28) {
    const frame: Record<string, unknown> = { type: pick(r, ['call', 'Call', 'result', 'event', '', null, 1]), id: pick(r, [id, -1, 1.5, '1', null, 2 ** 60, undefined]), channel: pick(r, [channel, '', 'x'.repeat(200), '__proto__', 'constructor', 'hasOwnProperty', 123, null]) };
    frame.payload = randomValue(r, 0, FIELDS[channel] ?? []);
    return { data: JSON.stringify(frame) };
  }
  if (roll < 29) return { data: 'x'.repeat(MAX_FRAME_BYTES + 1), expectClose: true };
  return { data: JSON.stringify({ type: 'call', id, channel, payload: randomValue(r, 0, FIELDS[channel] ?? []) }) };
}

export interface WsFuzzResult {
  frames: number;
  answered: number;
  unanswered: number;
  errorFrames: number;
  okResults: number;
  refusedResults: number;
  busy: number;
  internalErrors: number;
  oversizedClosed: number;
  unexpectedCloses: number;
  closeCodes: Record<number, number>;
  polluted: boolean;
  healthy: boolean;
  httpProbes: number;
  httpRefused: number;
  seconds: number;
  p99AnswerMs: number;
  serverRssMb: number;
}

function get(port: number, pathname: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(-1));
    req.end();
  });
}

export async function fuzzWebSocket(opts: { frames: number; connections?: number; runSeed?: number }): Promise<WsFuzzResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-wsfuzz-'));
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), '<!doctype html><title>Seedsong</title>');
  let internalErrors = 0;
  const log = { info: () => {}, warn: () => {}, error: () => void internalErrors++ };
  const studio = await createStudio({ mode: 'serve', userDataDir: path.join(dir, 'data'), engine: createFakeEngine(), openMidi: noMidiHardware });
  const server = await startServer({ studio, port: 0, staticDir: path.join(dir, 'www'), log });
  const origin = `http://127.0.0.1:${server.port}`;
  const r = rng(opts.runSeed ?? 7);
  // Under the server's connection cap (MAX_CONNECTIONS), each a browser tab's worth of traffic.
  const nConn = opts.connections ?? 12;
  const perConn = Math.ceil(opts.frames / nConn);
  const res: WsFuzzResult = { frames: 0, answered: 0, unanswered: 0, errorFrames: 0, okResults: 0, refusedResults: 0, busy: 0, internalErrors: 0, oversizedClosed: 0, unexpectedCloses: 0, closeCodes: {}, polluted: false, healthy: false, httpProbes: 0, httpRefused: 0, seconds: 0, p99AnswerMs: 0, serverRssMb: 0 };
  const latencies: number[] = [];
  const started = performance.now();

  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, apiProtocols(server.token), { headers: { origin } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  // Answers are matched by order for error frames (they carry no id) and by id for results.
  const runConnection = async (c: number) => {
    let ws = await open();
    let sent = 0;
    while (sent < perConn && res.frames < opts.frames) {
      // A window under the rate limit, then wait for every answer before the next one.
      const windowStart = performance.now();
      // Under the rate limit and the pending-call cap, so frames reach validation instead of `busy`.
      const burst = Math.min(MAX_CALLS_PER_SECOND / 8, perConn - sent);
      let expected = 0;
      let got = 0;
      let closedCode = 0;
      const sendTimes: number[] = [];
      let finishEmpty = () => {};
      const done = new Promise<void>((resolve) => {
        const onMessage = (d: Buffer) => {
          got++;
          const f = JSON.parse(d.toString());
          const t0 = sendTimes.shift();
          if (t0 !== undefined) latencies.push(performance.now() - t0);
          if (f.type === 'error') res.errorFrames++;
          else if (f.type === 'result') {
            if (f.result.ok) res.okResults++;
            else if (f.result.error.code === 'busy') res.busy++;
            else res.refusedResults++;
          } else got--; // events from generate calls: not answers
          if (got >= expected) finish();
        };
        const onClose = (code: number) => {
          closedCode = code;
          finish();
        };
        const timer = setTimeout(() => finish(), 10_000);
        finishEmpty = () => finish();
        const finish = () => {
          clearTimeout(timer);
          ws.off('message', onMessage);
          ws.off('close', onClose);
          resolve();
        };
        ws.on('message', onMessage);
        ws.on('close', onClose);
      });
      let oversized: (string | Buffer) | undefined;
      for (let k = 0; k < burst; k++) {
        const f = junkFrame(r, c * 1_000_000 + sent);
        sent++;
        res.frames++;
        if (f.expectClose) {
          // Sent on its own after this window's answers: the close drops answers still in flight.
          oversized = f.data;
          break;
        }
        expected++;
        sendTimes.push(performance.now());
        ws.send(f.data);
      }
      if (expected === 0) finishEmpty();
      await done;
      res.answered += Math.min(got, expected);
      res.unanswered += Math.max(0, expected - got);
      if (closedCode) {
        res.unexpectedCloses++;
        res.closeCodes[closedCode] = (res.closeCodes[closedCode] ?? 0) + 1;
        ws = await open();
      }
      if (oversized !== undefined) {
        const closed = new Promise<number>((rs) => ws.once('close', (code) => rs(code)));
        ws.send(oversized);
        const code = await Promise.race([closed, new Promise<number>((rs) => setTimeout(() => rs(0), 10_000))]);
        if (code === 1009) res.oversizedClosed++;
        else {
          res.unexpectedCloses++;
          res.closeCodes[code] = (res.closeCodes[code] ?? 0) + 1;
        }
        ws = await open();
      }
      const wait = 130 - (performance.now() - windowStart);
      if (wait > 0) await new Promise((rs) => setTimeout(rs, wait));
    }
    ws.close();
  };
  await Promise.all(Array.from({ length: nConn }, (_, c) => runConnection(c)));

  // The HTTP side (the pages are public; these must all be refused and must not stop the server):
  // a foreign Host, paths outside the renderer, bad encodings, NUL and control bytes (GET /%00 used
  // to kill serve: fs.stat throws synchronously on a NUL byte), plain HTTP to /api.
  const probes: [string, Record<string, string>][] = [
    ['/', { host: `evil.example:${server.port}` }],
    ['/', { host: `127.0.0.1.example.com:${server.port}` }],
    ['/../../etc/passwd', {}],
    ['/%2e%2e/%2e%2e/etc/passwd', {}],
    ['/%E0%A4%A', {}],
    ['/%00', {}],
    ['/assets/%00.js', {}],
    ['/%01', {}],
    ['/a%0a/', {}],
    ['/api', {}],
  ];
  for (let k = 0; k < 20; k++) {
    for (const [p, h] of probes) {
      res.httpProbes++;
      const status = await get(server.port, p, h);
      if (status >= 400) res.httpRefused++;
    }
  }

  res.polluted = ({} as Record<string, unknown>).polluted !== undefined || (Object.prototype as Record<string, unknown>).polluted !== undefined;
  const ws = await open();
  const health = await new Promise<boolean>((resolve) => {
    ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()).result?.ok === true));
    ws.send(JSON.stringify({ type: 'call', id: 1, channel: 'appInfo', payload: {} }));
    setTimeout(() => resolve(false), 5000);
  });
  ws.close();
  res.healthy = health;
  res.internalErrors = internalErrors;
  res.seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  res.p99AnswerMs = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  res.serverRssMb = process.memoryUsage().rss / 1e6;
  await server.close();
  await studio.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  return res;
}

export interface DispatchFuzzResult {
  calls: number;
  ok: number;
  refused: number;
  internal: number;
  threw: number;
  polluted: boolean;
  seconds: number;
}

/** The same junk straight into dispatch(), the function behind Electron's ipcMain handlers. */
export async function fuzzDispatch(opts: { calls: number; runSeed?: number }): Promise<DispatchFuzzResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-ipcfuzz-'));
  const studio = await createStudio({ mode: 'electron', userDataDir: dir, engine: createFakeEngine(), openMidi: noMidiHardware });
  const r = rng(opts.runSeed ?? 11);
  const res: DispatchFuzzResult = { calls: 0, ok: 0, refused: 0, internal: 0, threw: 0, polluted: false, seconds: 0 };
  const started = performance.now();
  const log = { warn: () => {}, error: () => {} };
  for (let i = 0; i < opts.calls; i++) {
    const channel = r() < 0.9 ? pick(r, channelNames as readonly string[]) : randomValue(r, 2, []);
    const payload = r() < 0.05 ? JSON.parse('{"__proto__":{"polluted":1}}') : randomValue(r, 0, typeof channel === 'string' ? (FIELDS[channel] ?? []) : []);
    res.calls++;
    try {
      const out = await dispatch(studio.handlers, channel, payload, { via: 'electron' }, log);
      if (out.ok) res.ok++;
      else if (out.error.code === 'internal') res.internal++;
      else res.refused++;
    } catch {
      res.threw++;
    }
  }
  res.polluted = ({} as Record<string, unknown>).polluted !== undefined;
  res.seconds = (performance.now() - started) / 1000;
  await studio.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  return res;
}
