/**
 * `seedsong serve`: the studio in a browser. Serves the built renderer and carries the same StudioApi
 * over a WebSocket at /api. Loopback by default, a random token per launch, Host and Origin checked
 * (DNS rebinding), frame size and call rate limited. Every rejection is logged with its reason (never
 * with the token or a query string) and the server keeps serving: both handlers are total, a throw
 * inside them answers 500 and is logged.
 *
 * The static pages are the public build of the renderer and need no secret. Only the API needs the
 * token, and it travels in the WebSocket handshake as a subprotocol (see shared/ipc/wire.ts); the
 * printed link carries it in its fragment (`/#token=...`), which a browser never sends anywhere.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { dispatch, type DispatchLog } from '@shared/ipc/dispatch';
import { API_PROTOCOL, CallFrameSchema, MAX_CALLS_PER_SECOND, MAX_FRAME_BYTES, TOKEN_PROTOCOL_PREFIX, type ServerFrame } from '@shared/ipc/wire';
import { fail } from '@shared/ipc/result';
import type { Studio } from '../studio';
import { contentSecurityPolicy } from '@shared/csp';
import { hidePaths } from '../studio/paths';

export interface ServerLog extends DispatchLog {
  info(message: string): void;
}

export interface ServeOptions {
  studio: Studio;
  host?: string;
  port?: number;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  log?: ServerLog;
  /** Open WebSocket connections at most (a browser tab uses one); more are refused with 503. */
  maxConnections?: number;
  /** Calls a connection may have waiting for an answer; more are answered `busy` at once. */
  maxPendingCalls?: number;
}

export const MAX_CONNECTIONS = 16;
export const MAX_PENDING_CALLS = 32;
/** Longer request lines are refused before any work (Node's own limit is 16 kB of headers). */
export const MAX_URL_LENGTH = 4096;

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const consoleLog: ServerLog = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(`seedsong serve: ${m}`),
  error: (m, e) => console.error(`seedsong serve: ${m}`, e ?? ''),
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.sf2': 'application/octet-stream',
  '.sf3': 'application/octet-stream',
  '.woff2': 'font/woff2',
};

/**
 * True only for a loopback address (127.0.0.0/8, ::1, ::ffff:127.x) or the name `localhost`: an
 * address check, not a text prefix (`127.0.0.1.example.com` is a remote name).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const kind = net.isIP(h);
  if (kind === 4) return h.split('.')[0] === '127';
  if (kind === 6) {
    if (h === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(h)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.split('.')[0] === '127';
  }
  return false;
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * The names a browser may put in the Host header to reach this server. A wildcard bind (0.0.0.0,
 * ::) is reached through any of the machine's addresses or its name, so all of those are allowed;
 * anything else (an attacker's domain resolving to us: DNS rebinding) is still refused.
 */
export function hostNamesFor(host: string, interfaces = os.networkInterfaces(), hostname = os.hostname()): string[] {
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  if (isLoopbackHost(host)) return ['127.0.0.1', 'localhost', '[::1]'];
  if (!isWildcardHost(host)) return [bracket(host)];
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', hostname.toLowerCase()]);
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      // Link-local IPv6 needs a zone id a browser cannot put in a Host header: leave it out.
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue;
      names.add(bracket(a.address.toLowerCase()));
    }
  }
  return [...names];
}

/** An address to print for a wildcard bind: the first external IPv4 address, else loopback. */
function reachableAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token offered as a `seedsong.token.<token>` subprotocol, if any. */
export function protocolToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  for (const part of value.split(',')) {
    const p = part.trim();
    if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** What a log line may say about a request: its path, never its query (a token could be there). */
export function loggablePath(rawUrl: string | undefined): string {
  const u = String(rawUrl ?? '');
  const q = u.search(/[?#]/);
  const p = (q === -1 ? u : u.slice(0, q)).slice(0, 200);
  return p.replace(/[^\x20-\x7e]/g, '?') + (q === -1 ? '' : '?…');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? consoleLog;
  const staticDir = path.resolve(options.staticDir);
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`the studio's pages are not built (${path.join(staticDir, 'index.html')} is missing); run \`npm run build\``);
  }
  let port = options.port ?? 0;

  const maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  const maxPending = options.maxPendingCalls ?? MAX_PENDING_CALLS;
  const hostNames = hostNamesFor(host);
  const allowedHosts = (): Set<string> => new Set(hostNames.map((n) => `${n}:${port}`));
  const allowedOrigins = (): Set<string> => new Set([...allowedHosts()].map((h) => `http://${h}`));

  const checkHost = (req: http.IncomingMessage): string | null =>
    allowedHosts().has(String(req.headers.host ?? '').toLowerCase()) ? null : `unexpected Host header "${String(req.headers.host ?? '').slice(0, 100)}"`;

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const reject = (status: number, reason: string, body: string) => {
      log.warn(`rejected ${String(req.method).slice(0, 16)} ${loggablePath(req.url)}: ${reason}`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if ((req.url ?? '').length > MAX_URL_LENGTH) return reject(414, `URL of ${(req.url ?? '').length} characters`, 'Seedsong: URL too long.\n');
    const hostProblem = checkHost(req);
    if (hostProblem) return reject(421, hostProblem, 'Seedsong: unexpected Host header.\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reject(405, `method ${String(req.method).slice(0, 16)}`, 'Seedsong: method not allowed.\n');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(400, 'malformed URL', 'Seedsong: malformed URL.\n');
    }
    if (url.pathname === '/api') return reject(426, 'plain HTTP request to /api', 'Seedsong: /api is a WebSocket.\n');

    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname);
    } catch {
      return reject(400, 'malformed path', 'Seedsong: malformed path.\n');
    }
    // fs throws synchronously on a NUL byte; no file of ours has a control character in its name.
    if (/[\x00-\x1f]/.test(relative)) return reject(400, 'control character in the path', 'Seedsong: malformed path.\n');
    if (relative.endsWith('/')) relative += 'index.html';
    const file = path.resolve(staticDir, '.' + path.posix.normalize(relative));
    if (!file.startsWith(staticDir + path.sep)) return reject(404, 'path outside the renderer folder', 'Not found\n');
    fs.stat(file, (statError, stat) => {
      try {
        if (statError || !stat.isFile()) return reject(404, 'no such file', 'Not found\n');
        const headers: Record<string, string> = {
          'content-type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
          'content-length': String(stat.size),
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        };
        if (file.endsWith('.html')) {
          headers['content-security-policy'] = contentSecurityPolicy();
          headers['x-frame-options'] = 'DENY';
        }
        res.writeHead(200, headers);
        if (req.method === 'HEAD') return void res.end();
        fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
      } catch (e) {
        log.error(`request for ${loggablePath(req.url)} failed`, e instanceof Error ? e.message : String(e));
        reject(500, 'internal error', 'Seedsong: internal error.\n');
      }
    });
  };

  const server = http.createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (e) {
      log.error(`request for ${loggablePath(req.url)} failed`, e instanceof Error ? e.message : String(e));
      try {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Seedsong: internal error.\n');
      } catch {
        res.destroy();
      }
    }
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // Answer with the API protocol, never echo the token protocol back.
    handleProtocols: (protocols) => (protocols.has(API_PROTOCOL) ? API_PROTOCOL : false),
  });

  const handleUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
    const refuse = (status: number, reason: string) => {
      log.warn(`rejected WebSocket ${loggablePath(req.url)}: ${reason}`);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').length > MAX_URL_LENGTH) return refuse(414, `URL of ${(req.url ?? '').length} characters`);
    const hostProblem = checkHost(req);
    if (hostProblem) return refuse(421, hostProblem);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(400, 'malformed URL');
    }
    if (url.pathname !== '/api') return refuse(404, `no WebSocket at ${url.pathname.slice(0, 100)}`);
    const offered = protocolToken(req.headers['sec-websocket-protocol']);
    if (!sameToken(offered, token)) return refuse(401, offered ? 'wrong token' : 'no token');
    const origin = req.headers.origin;
    // Browsers always send Origin; a foreign one means another web page is trying to drive the studio.
    if (origin !== undefined && !allowedOrigins().has(origin.toLowerCase())) return refuse(403, `foreign Origin "${origin.slice(0, 100)}"`);
    // A page (or script) opening connection after connection would hold memory and event streams.
    if (wss.clients.size >= maxConnections) return refuse(503, `already ${wss.clients.size} connections (the limit is ${maxConnections})`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };

  server.on('upgrade', (req, socket, head) => {
    try {
      handleUpgrade(req, socket, head);
    } catch (e) {
      log.error(`WebSocket upgrade for ${loggablePath(req.url)} failed`, e instanceof Error ? e.message : String(e));
      socket.destroy();
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (frame: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const unsubscribe = options.studio.events.subscribe((name, payload) => send({ type: 'event', name, payload }));
    // Runs this connection started (generations) are cancelled when it closes: nobody sees them.
    const connection = new AbortController();
    let windowStart = Date.now();
    let callsInWindow = 0;
    let pending = 0;

    ws.on('message', async (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        log.warn('rejected frame: binary frames are not part of the protocol');
        return send({ type: 'error', message: 'binary frames are not accepted' });
      }
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        log.warn('rejected frame: not JSON');
        return send({ type: 'error', message: 'frame is not JSON' });
      }
      const call = CallFrameSchema.safeParse(frame);
      if (!call.success) {
        log.warn('rejected frame: not a call frame');
        return send({ type: 'error', message: 'expected {type:"call", id, channel, payload}' });
      }
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        callsInWindow = 0;
      }
      if (++callsInWindow > MAX_CALLS_PER_SECOND) {
        if (callsInWindow === MAX_CALLS_PER_SECOND + 1) log.warn('throttled a connection: too many calls per second');
        return send({ type: 'result', id: call.data.id, result: fail('busy', 'too many calls; slow down') });
      }
      // Slow calls (generate, training) must not pile up without bound behind a fast sender.
      if (pending >= maxPending) return send({ type: 'result', id: call.data.id, result: fail('busy', `${pending} calls are still running; wait for their answers`) });
      pending++;
      try {
        const result = await dispatch(options.studio.handlers, call.data.channel, call.data.payload, { via: 'serve', signal: connection.signal }, log);
        // A browser (perhaps on another machine) is told what went wrong, not where our files are.
        if (!result.ok) result.error.message = hidePaths(result.error.message, [[options.studio.userDataDir, 'the studio\'s data folder'], [os.homedir(), '~']]);
        send({ type: 'result', id: call.data.id, result });
      } catch (e) {
        // dispatch answers every failure itself; this is a last guard so no rejection escapes.
        log.error('a call failed outside its handler', e instanceof Error ? e.message : String(e));
        send({ type: 'result', id: call.data.id, result: fail('internal', 'the call failed unexpectedly') });
      } finally {
        pending--;
      }
    });
    ws.on('error', (e) => log.warn(`WebSocket closed: ${e.message}`));
    ws.on('close', (code) => {
      if (code === 1009) log.warn('WebSocket closed: frame larger than the limit');
      unsubscribe();
      connection.abort();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  const shown = isWildcardHost(host) ? reachableAddress() : host;
  const shownHost = shown.includes(':') ? `[${shown}]` : shown;
  const url = `http://${shownHost}:${port}/#token=${token}`;

  return {
    url,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
