/**
 * The attacks of issue #18 (a hostile page or process on the same machine, big projects, odd files),
 * each tried many times against the real code: a real `seedsong serve` on loopback, the studio's
 * handlers, the corpus reader and the CLI. Every attack is a list of inputs; each input either is
 * handled as the issue asks (counted `held`) or is a failure with a line saying what happened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { isLoopbackHost, startServer } from '../../electron/server/index';
import { createStudio, noMidiHardware } from '../../electron/studio/index';
import { createFakeEngine } from '../../electron/studio/testing/fake-engine';
import { createStudioEngine } from '../../electron/studio/engine';
import { ModelCatalog } from '../../electron/node/catalog';
import type { EngineClient } from '../../electron/studio/engine-client';
import { checkModelMemory } from '../../electron/engine/model-memory';
import { resourcesDir } from '../../electron/studio/paths';
import { dispatch } from '@shared/ipc/dispatch';
import { apiProtocols } from '@shared/ipc/wire';
import { saveProjectInParts } from '@shared/ipc/project-save';
import type { ProjectDto } from '@shared/ipc/channels/project';
import { loadCorpus } from '@shared/music/corpus/files';
import { rng } from './mutate';

export interface AttackResult {
  name: string;
  /** Inputs tried. */
  tried: number;
  /** Inputs handled as the issue asks. */
  held: number;
  failures: string[];
  /** Extra figures (name -> value). */
  figures: Record<string, number | string>;
  seconds: number;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function tally(name: string): AttackResult & { check(ok: boolean, what: string): void } {
  const r = {
    name,
    tried: 0,
    held: 0,
    failures: [] as string[],
    figures: {} as Record<string, number | string>,
    seconds: 0,
    check(ok: boolean, what: string) {
      r.tried++;
      if (ok) r.held++;
      else if (r.failures.length < 20) r.failures.push(what);
    },
  };
  return r;
}

async function timed<T extends AttackResult>(r: T, body: () => Promise<void>): Promise<T> {
  const t0 = performance.now();
  try {
    await body();
  } catch (e) {
    r.tried++;
    r.failures.push(`the attack itself failed: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
  }
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

function get(port: number, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', () => resolve({ status: 0, headers: {} }));
    req.setTimeout(5000, () => req.destroy());
    req.end();
  });
}

function raw(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`${line}\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(3000, () => s.destroy());
  });
}

async function serveForAttacks(opts: { noteDelayMs?: number; maxGenerations?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-attacks-'));
  fs.mkdirSync(path.join(dir, 'www', 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), '<!doctype html><title>Seedsong</title>');
  fs.writeFileSync(path.join(dir, 'www', 'assets', 'app.js'), 'console.log(1)');
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string, e?: unknown) => lines.push(`${m} ${String(e ?? '')}`) };
  const studio = await createStudio({ mode: 'serve', userDataDir: path.join(dir, 'data'), engine: createFakeEngine({ noteDelayMs: opts.noteDelayMs }), openMidi: noMidiHardware, maxGenerations: opts.maxGenerations });
  const server = await startServer({ studio, port: 0, staticDir: path.join(dir, 'www'), log });
  const open = (token: string | null = server.token) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, token === null ? ['seedsong.v1'] : apiProtocols(token), { headers: { origin: `http://127.0.0.1:${server.port}` } });
      ws.setMaxListeners(100);
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  let id = 1;
  const call = (ws: WebSocket, channel: string, payload: unknown) =>
    new Promise<{ ok: boolean; value?: any; error?: { code: string; message: string } }>((resolve) => {
      const me = id++;
      const on = (d: Buffer) => {
        const f = JSON.parse(d.toString());
        if (f.type === 'result' && f.id === me) {
          ws.off('message', on);
          resolve(f.result);
        }
      };
      ws.on('message', on);
      ws.send(JSON.stringify({ type: 'call', id: me, channel, payload }));
    });
  const alive = async () => (await get(server.port, '/')).status === 200;
  return {
    dir,
    studio,
    server,
    lines,
    open,
    call,
    alive,
    async close() {
      await server.close();
      await studio.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Items 1, 2, 7: requests that used to kill serve or leak its token; loopback checked by address. */
export async function attackServer(opts: { requests: number; runSeed?: number }): Promise<AttackResult> {
  const r = tally('server');
  return timed(r, async () => {
    const s = await serveForAttacks();
    const rand = rng(opts.runSeed ?? 5);
    try {
      // Paths with NUL and other control bytes, percent-encoded and raw, mixed with traversal.
      const pieces = ['%00', '%01', '%0a', '%0d', '%1f', '%7f', '..', '%2e%2e', '%2f', 'assets', 'index.html', '%E0%A4%A', '%ff', 'a', '%25'];
      let killedBefore = 0;
      for (let i = 0; i < opts.requests; i++) {
        const n = 1 + Math.floor(rand() * 4);
        let p = '';
        for (let k = 0; k < n; k++) p += '/' + pieces[Math.floor(rand() * pieces.length)];
        if (i % 10 === 0) p = '/%00';
        const res = await get(s.server.port, p);
        const ok = res.status >= 200 && res.status < 500 && res.headers['set-cookie'] === undefined;
        r.check(ok, `GET ${p}: ${res.status || 'no answer'}`);
        if (!res.status) killedBefore++;
      }
      // Raw NUL in the request line (not percent-encoded).
      for (let i = 0; i < 20; i++) {
        const answer = await raw(s.server.port, `GET /${'\u0000'.repeat(1 + i)} HTTP/1.1`);
        r.check(/^HTTP\/1\.1 4\d\d/.test(answer), `raw NUL request line: ${JSON.stringify(answer.slice(0, 40))}`);
      }
      r.check(await s.alive(), 'serve stopped answering after the hostile requests');
      r.figures['requests-without-answer'] = killedBefore;

      // The token: never in a cookie, never in a log line; the query-string token is not accepted.
      const page = await get(s.server.port, '/');
      r.check(page.headers['set-cookie'] === undefined, 'the page set a cookie');
      let refusedQuery = 0;
      for (let i = 0; i < 20; i++) {
        try {
          const ws = await new Promise<WebSocket>((resolve, reject) => {
            const w = new WebSocket(`ws://127.0.0.1:${s.server.port}/api?token=${s.server.token}`, { headers: { origin: `http://127.0.0.1:${s.server.port}` } });
            w.once('open', () => resolve(w));
            w.once('unexpected-response', () => reject(new Error('refused')));
            w.once('error', reject);
          });
          ws.close();
        } catch {
          refusedQuery++;
        }
        await get(s.server.port, `/nothing-${i}?token=${s.server.token}`);
        await s.open('wrong-token-' + i).then((w) => w.close(), () => undefined);
      }
      r.check(refusedQuery === 20, `${20 - refusedQuery} WebSockets accepted a token in the URL query`);
      const leaking = s.lines.filter((l) => l.includes(s.server.token));
      r.check(leaking.length === 0, `${leaking.length} log lines carry the token, e.g. ${leaking[0]?.slice(0, 80)}`);
      r.figures['log-lines-checked'] = s.lines.length;
      const ws = await s.open();
      r.check((await s.call(ws, 'appInfo', {})).ok, 'the token subprotocol did not open the API');
      ws.close();
    } finally {
      await s.close();
    }
    // --host names that only look like loopback.
    const remote = ['127.0.0.1.example.com', '127.0.0.1.nip.io', '127.evil', '127.0.0.1:80', 'localhost.example', '0.0.0.0', '::', '::ffff:10.0.0.1', '1270.0.0.1', '127.0.0.256', ''];
    const local = ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'];
    for (const h of remote) r.check(!isLoopbackHost(h), `isLoopbackHost(${JSON.stringify(h)}) is true`);
    for (const h of local) r.check(isLoopbackHost(h), `isLoopbackHost(${JSON.stringify(h)}) is false`);
  });
}

function bigProject(takes: number, seedNotes: number, takeNotes: number): ProjectDto {
  const n = (i: number) => ({ pitch: 40 + (i % 48), start: i * 0.25, end: i * 0.25 + 0.2, velocity: 80, voice: 0 });
  const seed = Array.from({ length: seedNotes }, (_, i) => n(i));
  return {
    version: 2,
    sampling: { temperature: 1, topK: 0, topP: 1, length: 128, count: 4, rngSeed: null },
    seed: { source: 'keyboard', abc: '', keyboard: seed },
    desk: { title: 'big', qpm: 120, meter: { numerator: 4, denominator: 4 }, key: null, seedEnd: 0, notes: seed, selectedTake: null, grid: 4 },
    seeds: [seed],
    takes: Array.from({ length: takes }, (_, i) => ({ runId: `r${i}`, variation: 0, number: i + 1, seedLabel: 'piano', settings: '', kept: false, abc: 'X:1\nK:C\nC|', notes: Array.from({ length: takeNotes }, (_, k) => n(k + i)), seed: 0, warnings: [] })),
  };
}

/** Item 3 and the autosave parts of item 9: big projects save over the real WebSocket; temp files swept. */
export async function attackAutosave(opts: { sizes: number[] }): Promise<AttackResult> {
  const r = tally('autosave');
  return timed(r, async () => {
    const s = await serveForAttacks();
    try {
      const ws = await s.open();
      let largest = 0;
      for (const takeNotes of opts.sizes) {
        const p = bigProject(20, 2621, takeNotes);
        const bytes = JSON.stringify(p).length;
        const saved = await saveProjectInParts((part) => s.call(ws, 'saveProject', part) as never, p);
        const back = saved.ok ? await s.call(ws, 'loadProject', {}) : null;
        const ok = saved.ok && ws.readyState === WebSocket.OPEN && back?.ok === true && back.value.project?.takes.length === 20 && back.value.project.takes[19].notes.length === takeNotes;
        r.check(ok, `a ${(bytes / 1048576).toFixed(1)} MiB project: ${saved.ok ? 'did not read back' : saved.error.message}`);
        if (ok) largest = Math.max(largest, bytes);
      }
      r.figures['largest-saved-MiB'] = (largest / 1048576).toFixed(1);
      // Past the limit (32 parts of 1,000,000 characters) the save is refused in words, not dropped.
      const huge = bigProject(20, 2621, 40_000);
      const refused = await saveProjectInParts((part) => s.call(ws, 'saveProject', part) as never, huge);
      r.check(!refused.ok && /too large to autosave .* delete some takes/.test(refused.error.message), `a ${(JSON.stringify(huge).length / 1048576).toFixed(0)} MiB project: ${refused.ok ? 'saved' : refused.error.message}`);
      ws.close();
      // Temp files of a crashed save (a writer that is gone) are swept when the studio opens.
      const folder = path.join(s.dir, 'data', 'projects');
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(folder, `.autosave.json.${900000000 + i}.abcd${i}.tmp`), 'x'.repeat(1000));
      const again = await createStudio({ mode: 'serve', userDataDir: path.join(s.dir, 'data'), engine: createFakeEngine(), openMidi: noMidiHardware });
      const left = fs.readdirSync(folder).filter((f) => f.endsWith('.tmp'));
      r.check(left.length === 0, `${left.length} stale temp files left`);
      await again.dispose();
    } finally {
      await s.close();
    }
  });
}

/** Item 5: a corpus add does not stall the API (parsing in workers) and parses only the new files. */
export async function attackCorpusAdd(opts: { tunes: number }): Promise<AttackResult> {
  const r = tally('corpus-add');
  return timed(r, async () => {
    const s = await serveForAttacks();
    try {
      const ws = await s.open();
      const corpus = await s.call(ws, 'createCorpus', { name: 'big' });
      const book = Array.from({ length: opts.tunes }, (_, i) => `X:${i + 1}\nT:T${i}\nM:6/8\nL:1/8\nK:D\n${'DFA dAF|GBd gdB|'.repeat(1 + (i % 5))}${String.fromCharCode(65 + (i % 7))}3 ${String.fromCharCode(97 + (i % 7))}3|]\n`).join('\n');
      const payload = { corpusId: corpus.value.id, files: [{ name: 'book.abc', base64: Buffer.from(book).toString('base64') }] };
      r.figures['file-KiB'] = Math.round(book.length / 1024);
      // While the add runs, appInfo calls go on: their worst answer time is the stall.
      let adding = true;
      const latencies: number[] = [];
      const add = s.call(ws, 'addCorpusFiles', payload).then((res) => ((adding = false), res));
      while (adding) {
        const t0 = performance.now();
        await s.call(ws, 'appInfo', {});
        latencies.push(performance.now() - t0);
        // Under the call-rate limit (200 a second), so every call is really answered.
        await new Promise((res) => setTimeout(res, 10));
      }
      const first = await add;
      r.check(first.ok && first.value.stats.tunes > 0, `the add failed: ${first.error?.message}`);
      const worst = Math.max(0, ...latencies);
      r.figures['api-calls-during-add'] = latencies.length;
      r.figures['worst-api-answer-during-add-ms'] = Math.round(worst);
      r.check(worst < 500, `an API call waited ${Math.round(worst)} ms while the corpus was parsed`);
      // A second add parses only the new file: its time is that of the small file, and the
      // summaries of the first are reused (summaries.json).
      const t0 = performance.now();
      const second = await s.call(ws, 'addCorpusFiles', { corpusId: corpus.value.id, files: [{ name: 'one.abc', base64: Buffer.from('X:1\nT:One\nK:G\nGABc d2B2|]\n').toString('base64') }] });
      const secondMs = performance.now() - t0;
      r.figures['second-add-ms'] = Math.round(secondMs);
      r.check(second.ok && second.value.stats.tunes === first.value.stats.tunes + 1, `the second add did not count one more tune: ${second.ok ? second.value.stats.tunes : second.error?.message}`);
      const summaries = JSON.parse(fs.readFileSync(path.join(s.dir, 'data', 'corpora', corpus.value.id, 'summaries.json'), 'utf8'));
      r.check(Object.keys(summaries.files).length === 2, 'the summaries do not list both files');
      ws.close();
    } finally {
      await s.close();
    }
  });
}

/** Item 6: ids and names that would reach outside the model folders. */
export async function attackIds(): Promise<AttackResult> {
  const r = tally('ids');
  return timed(r, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-attack-ids-'));
    try {
      const builtIn = path.join(dir, 'resources', 'models');
      fs.mkdirSync(builtIn, { recursive: true });
      fs.cpSync(path.join(resourcesDir(), 'models', 'default'), path.join(builtIn, 'default'), { recursive: true });
      const library = new ModelCatalog(path.join(dir, 'data', 'models'));
      const store = createStudioEngine({ client: { status: () => ({ state: 'stopped' }), onStatus: () => () => {}, dispose: async () => {} } as unknown as EngineClient, library, builtInDir: builtIn });
      const studio = await createStudio({ mode: 'serve', userDataDir: path.join(dir, 'data'), engine: store, models: store, openMidi: noMidiHardware });
      const bad = ['builtin...', 'builtin..', 'builtin.', 'builtin./', '..', '.', '.hidden', '../x', 'a/b', 'a\\b', '/etc', 'x'.repeat(200), 'builtin.' + 'x'.repeat(200), 'é', 'a\u0000b', '', ' ', 'builtin.%2e%2e'];
      const calls: [string, (id: string) => unknown][] = [
        ['duplicateModel', (id) => ({ modelId: id, to: 'copy' })],
        ['duplicateModel', (id) => ({ modelId: 'builtin.default', to: id })],
        ['trainingLog', (id) => ({ modelId: id })],
        ['deleteModel', (id) => ({ modelId: id })],
        ['renameModel', (id) => ({ modelId: id, to: 'x' })],
        ['generate', (id) => ({ modelId: id, seed: { kind: 'none' }, sampling: {} })],
      ];
      for (const id of bad) {
        for (const [channel, payload] of calls) {
          const res = await dispatch(studio.handlers, channel, payload(id), { via: 'test' }, quiet);
          const msg = res.ok ? '' : res.error.message;
          r.check(!res.ok && res.error.code !== 'internal' && !msg.includes(dir), `${channel} ${JSON.stringify(id).slice(0, 40)}: ${res.ok ? 'accepted' : `${res.error.code} ${msg.slice(0, 80)}`}`);
        }
      }
      const made = fs.existsSync(library.root) ? fs.readdirSync(library.root).filter((f) => !f.startsWith('.')) : [];
      r.check(made.length === 0, `models appeared in the library: ${made.join(', ')}`);
      // And the store behind the contract refuses them too (defence in depth).
      for (const id of ['builtin...', 'builtin..', 'builtin.', '..', '.']) {
        const tries = [() => store.duplicate(id, 'copy'), () => store.trainingLog(id)];
        for (const t of tries) {
          let code = 'accepted';
          try {
            await t();
          } catch (e) {
            code = (e as { code?: string }).code ?? 'untyped';
          }
          r.check(code === 'not_found', `store ${JSON.stringify(id)}: ${code}`);
        }
      }
      await studio.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Item 8 and 11: odd files through the corpus reader and the CLI, each within a time limit. */
export async function attackFiles(): Promise<AttackResult> {
  const r = tally('files');
  return timed(r, async () => {
    if (process.platform === 'win32') {
      r.figures.skipped = 'FIFOs and /dev links need a POSIX system';
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-attack-files-'));
    try {
      const odd: [string, () => boolean][] = [
        ['zero.abc', () => (fs.symlinkSync('/dev/zero', path.join(dir, 'zero.abc')), true)],
        ['urandom.mid', () => (fs.symlinkSync('/dev/urandom', path.join(dir, 'urandom.mid')), true)],
        ['null.abc', () => (fs.symlinkSync('/dev/null', path.join(dir, 'null.abc')), true)],
        ['tty.abc', () => (fs.symlinkSync('/dev/tty', path.join(dir, 'tty.abc')), true)],
        ['pipe.abc', () => spawnSync('mkfifo', [path.join(dir, 'pipe.abc')]).status === 0],
        ['pipe.mid', () => spawnSync('mkfifo', [path.join(dir, 'pipe.mid')]).status === 0],
        ['socket.abc', () => {
          const srv = net.createServer().listen(path.join(dir, 'socket.abc'));
          srv.unref();
          return true;
        }],
        ['wide.mid', () => (fs.writeFileSync(path.join(dir, 'wide.mid'), Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0xff, 0xff, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 4, 0x00, 0xff, 0x2f, 0x00])), true)],
        ['big.abc', () => (fs.writeFileSync(path.join(dir, 'big.abc'), Buffer.alloc(21_000_000, 0x41)), true)],
      ];
      const made = odd.filter(([, make]) => make()).map(([name]) => name);
      // Headers claiming 2..65,535 tracks over a file holding one.
      for (const tracks of [2, 3, 16, 255, 256, 4096, 65535]) {
        fs.writeFileSync(path.join(dir, `tracks-${tracks}.mid`), Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, tracks >> 8, tracks & 0xff, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 4, 0x00, 0xff, 0x2f, 0x00]));
        made.push(`tracks-${tracks}.mid`);
      }
      // A readable tune under a name that is not UTF-8.
      fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'caf')), Buffer.from([0xe9]), Buffer.from('.abc')]), 'X:1\nT:Latin-1 name\nK:D\nDEFG A2|]\n');
      for (const name of made) {
        const t0 = performance.now();
        const c = await loadCorpus([path.join(dir, name)], { encodings: [], workers: 0 });
        const ms = performance.now() - t0;
        const messages = c.files.flatMap((f) => f.errors.map((e) => e.message));
        r.check(c.stats.tunes === 0 && messages.length > 0 && ms < 2000 && !messages.some((m) => /Cannot read properties|undefined/.test(m)), `${name}: ${Math.round(ms)} ms, ${messages[0]?.slice(0, 100) ?? 'no error'}`);
      }
      const latin = fs.readdirSync(dir).find((n) => n.startsWith('caf'))!;
      const read = await loadCorpus([path.join(dir, latin)], { encodings: [], workers: 0 });
      r.check(read.stats.tunes === 1, `a file named with non-UTF-8 bytes did not open: ${read.files[0]?.errors[0]?.message}`);
      // The CLI: corpus stats --json with nothing readable, and convert of odd files, each in time.
      const bin = path.resolve(import.meta.dirname, '../../bin/seedsong.js');
      const stats = spawnSync(process.execPath, [bin, 'corpus', 'stats', '--json', ...['zero.abc', 'pipe.abc', 'wide.mid'].filter((n) => made.includes(n)).map((n) => path.join(dir, n))], { encoding: 'utf8', timeout: 60_000 });
      const errLines = stats.stderr.trim().split('\n').filter(Boolean);
      r.check(stats.status === 1 && errLines.length === 1 && /^seedsong: /.test(errLines[0]!), `corpus stats --json: exit ${stats.status}, stderr ${JSON.stringify(stats.stderr.slice(0, 120))}`);
      for (const name of ['zero.abc', 'pipe.abc', 'wide.mid', 'urandom.mid'].filter((n) => made.includes(n))) {
        const conv = spawnSync(process.execPath, [bin, 'convert', path.join(dir, name), path.join(dir, `out-${name}.abc`)], { encoding: 'utf8', timeout: 60_000 });
        r.check(conv.status === 1 && /^seedsong: /.test(conv.stderr) && conv.stderr.trim().split('\n').length === 1, `convert ${name}: exit ${conv.status}, ${conv.stderr.slice(0, 100)}`);
      }
      r.figures['odd-files'] = made.length + 1;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Item 9: generations bounded and cancelled with their connection; model size refused before building. */
export async function attackEngineLimits(opts: { floods: number }): Promise<AttackResult> {
  const r = tally('engine-limits');
  return timed(r, async () => {
    const s = await serveForAttacks({ noteDelayMs: 5 });
    try {
      const runs = new Map<string, string>();
      s.studio.events.subscribe((name, payload) => {
        const p = payload as { runId: string; error?: { code: string } };
        if (name === 'take.done') runs.set(p.runId, 'done');
        if (name === 'run.failed') runs.set(p.runId, p.error!.code);
      });
      // A page asking for 30 long generations at once: at most 4 run, the rest are busy.
      let maxBusy = 0;
      for (let f = 0; f < opts.floods; f++) {
        const ws = await s.open();
        const answers = await Promise.all(Array.from({ length: 30 }, () => s.call(ws, 'generate', { seed: { kind: 'none' }, sampling: { count: 16, length: 4096 } })));
        const started = answers.filter((a) => a.ok).map((a) => a.value.runId as string);
        const busy = answers.filter((a) => !a.ok && a.error!.code === 'busy').length;
        maxBusy = Math.max(maxBusy, busy);
        r.check(started.length <= 4 && started.length + busy === 30, `flood ${f}: ${started.length} started, ${busy} busy`);
        // The page goes away: its runs are cancelled.
        ws.close();
        const deadline = Date.now() + 10_000;
        while (started.some((id) => !runs.has(id)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
        for (const id of started) r.check(runs.get(id) === 'cancelled', `run ${id} after its connection closed: ${runs.get(id) ?? 'still running'}`);
      }
      r.figures['busy-answers-per-flood'] = maxBusy;
    } finally {
      await s.close();
    }
    // Models too large for memory are refused before a tensor is made.
    const lstm = (units: number[]) => ({ architecture: 'lstm' as const, vocabSize: 100, embeddingSize: 256, units, dropout: 0, recurrentDropout: 0, layers: 0, heads: 0, contextLength: 0 });
    for (const units of [[4096, 4096], [8192], [2048, 2048, 2048, 2048], [16384]]) {
      let refused = '';
      try {
        checkModelMemory(lstm(units), 'train', { batchSize: 16, seqLength: 64 }, {});
      } catch (e) {
        refused = (e as Error).message;
      }
      r.check(/would need about [\d,]+ MB to train; the limit is 2,048 MB/.test(refused), `LSTM ${units.join('x')} was not refused`);
    }
  });
}
