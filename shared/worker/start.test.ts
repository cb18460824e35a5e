import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_ENTRIES, startWorker, workerEntry, type WorkerName } from './start';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'seedsong-worker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function firstMessage(w: import('node:worker_threads').Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once('message', (m) => {
      void w.terminate();
      resolve(m);
    });
    w.once('error', reject);
  });
}

describe('startWorker', () => {
  it('finds every named entry among the sources (the list electron.vite.config.ts builds)', () => {
    for (const name of Object.keys(WORKER_ENTRIES) as WorkerName[]) {
      const file = workerEntry(name);
      expect(file).toBe(path.resolve(here, '..', '..', WORKER_ENTRIES[name]));
      expect(existsSync(file!)).toBe(true);
    }
  });

  it('starts code as a worker, and a TypeScript file through tsx when running from the sources', async () => {
    expect(await firstMessage(startWorker({ source: "require('node:worker_threads').parentPort.postMessage(6 * 7)" }))).toBe(42);
    const file = path.join(tmp, 'answer.ts');
    writeFileSync(file, "import { parentPort } from 'node:worker_threads';\nconst n: number = 7;\nparentPort!.postMessage(n * 6);\n");
    expect(await firstMessage(startWorker({ file }))).toBe(42);
  });

  it('a bundle starts the built <name>.js beside it or one folder up, with plain node and no tsx', async () => {
    const out = path.join(tmp, 'out', 'main');
    mkdirSync(path.join(out, 'chunks'), { recursive: true });
    writeFileSync(path.join(out, 'read-worker.js'), "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('built read-worker');\n");
    writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    // The helper as electron-vite would place it: in a chunk below the entries.
    await build({
      stdin: {
        contents: `import { startWorker, workerEntry } from ${JSON.stringify(path.join(here, 'start.ts'))};
          const w = startWorker({ name: 'read-worker' });
          w.once('message', (m) => { console.log(JSON.stringify({ m, entry: workerEntry('read-worker'), player: workerEntry('player-worker') })); void w.terminate(); });
          let ts = 'started';
          try { startWorker({ file: ${JSON.stringify(path.join(here, '..', '..', WORKER_ENTRIES['read-worker']))} }); } catch (e) { ts = e.message; }
          console.log(JSON.stringify({ ts }));`,
        resolveDir: here,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: path.join(out, 'chunks', 'probe.js'),
      logLevel: 'silent',
    });
    const lines = execFileSync(process.execPath, [path.join(out, 'chunks', 'probe.js')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toContainEqual({ ts: 'read-worker.ts: a built app starts only built workers (.js)' });
    expect(lines).toContainEqual({ m: 'built read-worker', entry: path.join(out, 'read-worker.js'), player: null });
  });
});
