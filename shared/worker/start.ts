/**
 * The one way Seedsong starts a worker thread.
 *
 * - A named entry (entries.ts): in the built app, `<name>.js` that electron-vite built beside the
 *   bundle (out/main/, where this module lands itself or one folder up, in chunks/); no tsx is
 *   involved. Running from the TypeScript sources (the CLI, `seedsong serve`, tests: all under tsx or
 *   Vitest already), the entry's `.ts` source, loaded through tsx's require hook: a worker does not
 *   inherit the parent's `--import tsx`, so it registers tsx itself first.
 * - Code (`{ source }`): plain JavaScript evaluated as the worker (the fast path's training worker,
 *   which must run unchanged in every process that has no file to point at).
 *
 * Node only (node:worker_threads); not for the renderer.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { WORKER_ENTRIES, type WorkerName } from './entries';

export type { WorkerName } from './entries';
export { WORKER_ENTRIES } from './entries';

export type WorkerTarget = { name: WorkerName } | { file: string } | { source: string };

/** Where this module runs from: its folder, and whether it is the TypeScript source or a bundle. */
function here(): { dir: string; fromSource: boolean } | null {
  try {
    const file = fileURLToPath(import.meta.url);
    return { dir: path.dirname(file), fromSource: /\.[cm]?ts$/.test(file) };
  } catch {
    return null; // not a file: URL (bundled in a way we cannot see through)
  }
}

/**
 * The file a named worker starts from, or null when this build has none (the caller then does the
 * work on its own thread and says why).
 */
export function workerEntry(name: WorkerName): string | null {
  const at = here();
  if (!at) return null;
  if (at.fromSource) {
    const file = path.resolve(at.dir, '..', '..', WORKER_ENTRIES[name]);
    return existsSync(file) ? file : null;
  }
  // A bundle may put this module in a chunks/ folder below the entry points (electron-vite does).
  for (const dir of [at.dir, path.join(at.dir, '..')]) {
    for (const ext of ['.js', '.mjs', '.cjs']) {
      const file = path.join(dir, name + ext);
      if (existsSync(file)) return file;
    }
  }
  return null;
}

/** Why a named worker cannot start in this build (for the fallback's log line). */
export function missingWorker(name: WorkerName): string {
  return `the worker script ${name}.js is not part of this build`;
}

/**
 * Starts a worker. Throws what `new Worker` throws (and an Error naming the script when a named
 * entry is missing): callers catch it and fall back to their own thread.
 */
export function startWorker(target: WorkerTarget, options: WorkerOptions = {}): Worker {
  if ('source' in target) return new Worker(target.source, { ...options, eval: true });
  const file = 'file' in target ? target.file : workerEntry(target.name);
  if (!file) throw new Error(missingWorker((target as { name: WorkerName }).name));
  if (/\.[cm]?ts$/.test(file)) {
    // Only the sources (already under tsx or Vitest) start TypeScript; a bundle never loads tsx.
    if (!here()?.fromSource) throw new Error(`${path.basename(file)}: a built app starts only built workers (.js)`);
    return new Worker(tsBootstrap(file), { ...options, eval: true });
  }
  return new Worker(file, options);
}

/** A TypeScript entry (sources only): register tsx's require hook in the worker, then load it. */
function tsBootstrap(entry: string): string {
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(entry)});`;
}
