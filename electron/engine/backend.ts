/**
 * Picks the TensorFlow.js backend: tfjs-node-gpu (CUDA) -> tfjs-node (native CPU) -> wasm -> cpu.
 * The native packages are optional dependencies that fail to install where libtensorflow cannot be
 * downloaded, so they are imported lazily and every failure is kept as a reason the studio and
 * `seedsong doctor` can show.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { registerMissingKernels } from './kernels';
import { EngineError } from './errors';

import { BackendNameSchema, type BackendName } from '@shared/ipc/schemas';

/** The contract's names (tensorflow-gpu = tfjs-node-gpu, tensorflow = tfjs-node), in order of preference. */
export type { BackendName };
export const BACKEND_ORDER: readonly BackendName[] = BackendNameSchema.options;

export interface BackendCandidate {
  name: BackendName;
  available: boolean;
  /** Why it is not used (or '' for the active one). */
  reason: string;
}

export interface BackendReport {
  active: BackendName;
  /** tf.getBackend(): 'tensorflow', 'wasm' or 'cpu'. */
  tfBackend: string;
  candidates: BackendCandidate[];
  simd?: boolean;
  threads?: boolean;
  tfjsVersion: string;
  forced: boolean;
}

export interface BackendOptions {
  /** Use exactly this backend (fail if it cannot start). Also read from SEEDSONG_BACKEND. */
  force?: BackendName;
  /** Folder holding tfjs-backend-wasm's .wasm files; found next to the package when omitted. */
  wasmDir?: string;
}

const NATIVE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

function firstLine(e: unknown): string {
  const msg = (e as Error)?.message ?? String(e);
  return msg.split('\n')[0].slice(0, 300);
}

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<string | null> {
  const pkg = NATIVE_PACKAGES[name];
  try {
    // A variable specifier keeps bundlers from trying to resolve an optional package at build time.
    await import(/* @vite-ignore */ pkg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${pkg} is not installed (optional dependency; it needs libtensorflow, which could not be downloaded here)`;
    return `${pkg} failed to load: ${firstLine(e)}`;
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) return `${pkg} loaded but its backend did not initialise`;
    if (name === 'tensorflow-gpu') {
      // tfjs-node-gpu falls back to the CPU build of libtensorflow silently when CUDA is missing.
      const gpus = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
      if (gpus === false) return `${pkg} loaded but found no CUDA device`;
    }
    return null;
  } catch (e) {
    return `${pkg} backend failed: ${firstLine(e)}`;
  }
}

export function defaultWasmDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    return existsSync(path.join(dir, 'tfjs-backend-wasm.wasm')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The emscripten loader inside tfjs-backend-wasm adds process-wide uncaughtException and
 * unhandledRejection listeners that rethrow, which turns any later stray error into a crash that
 * prints the whole minified loader. Those listeners are removed again after start-up.
 */
async function withoutNewProcessListeners<T>(fn: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const proc = process as unknown as { listeners(e: string): ((...a: unknown[]) => void)[]; removeListener(e: string, l: (...a: unknown[]) => void): void };
  const before = events.map((e) => new Set(proc.listeners(e)));
  try {
    return await fn();
  } finally {
    events.forEach((e, i) => {
      for (const l of proc.listeners(e)) if (!before[i].has(l)) proc.removeListener(e, l);
    });
  }
}

async function tryWasm(wasmDir: string | undefined): Promise<string | null> {
  return withoutNewProcessListeners(() => startWasm(wasmDir));
}

async function startWasm(wasmDir: string | undefined): Promise<string | null> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = wasmDir ?? process.env.SEEDSONG_WASM_DIR ?? defaultWasmDir();
    if (!dir) return 'the .wasm files of @tensorflow/tfjs-backend-wasm were not found';
    // In Node the wasm loader reads files, so the "path prefix" is a folder ending in a separator.
    wasm.setWasmPaths(dir.endsWith(path.sep) || dir.endsWith('/') ? dir : dir + path.sep);
    // Threads need a worker loaded from a blob URL, which Node's Worker cannot do with tfjs 4.22.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialise';
    await tf.ready();
    return null;
  } catch (e) {
    return `wasm backend failed: ${firstLine(e)}`;
  }
}

let current: BackendReport | undefined;

/** Starts the best available backend (or the forced one) and reports on all of them. */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendReport> {
  const envForce = process.env.SEEDSONG_BACKEND as BackendName | undefined;
  const force = opts.force ?? (envForce && envForce.length ? envForce : undefined);
  if (force && !BACKEND_ORDER.includes(force)) {
    throw new EngineError('unsupported', `unknown backend "${force}"; expected one of ${BACKEND_ORDER.join(', ')}`);
  }
  if (current && (!force || current.active === force)) return current;

  const candidates: BackendCandidate[] = [];
  let active: BackendName | undefined;
  for (const name of BACKEND_ORDER) {
    if (active) {
      candidates.push({ name, available: false, reason: `not needed: ${active} is active` });
      continue;
    }
    if (force && name !== force) {
      candidates.push({ name, available: false, reason: `not tried: backend forced to ${force}` });
      continue;
    }
    let reason: string | null;
    if (name === 'tensorflow-gpu' || name === 'tensorflow') reason = await tryNative(name);
    else if (name === 'wasm') reason = await tryWasm(opts.wasmDir);
    else reason = (await tf.setBackend('cpu')) ? null : 'the cpu backend did not initialise';
    if (reason === null) {
      active = name;
      candidates.push({ name, available: true, reason: '' });
    } else candidates.push({ name, available: false, reason });
  }
  if (!active) {
    const why = candidates.find((c) => c.name === force)?.reason ?? 'no backend started';
    throw new EngineError('unsupported', `backend ${force ?? ''} could not start: ${why}`.replace('  ', ' '));
  }
  await tf.ready();
  registerMissingKernels(tf.getBackend());
  const env = tf.env();
  current = {
    active,
    tfBackend: tf.getBackend(),
    candidates,
    simd: active === 'wasm' ? env.getBool('WASM_HAS_SIMD_SUPPORT') : undefined,
    threads: active === 'wasm' ? env.getBool('WASM_HAS_MULTITHREAD_SUPPORT') : undefined,
    tfjsVersion: tf.version.tfjs,
    forced: !!force,
  };
  return current;
}

export function backendReport(): BackendReport | undefined {
  return current;
}

export function describeBackend(r: BackendReport): string[] {
  const lines = [`active backend: ${r.active} (tfjs ${r.tfjsVersion}, tf backend "${r.tfBackend}"${r.forced ? ', forced' : ''})`];
  if (r.active === 'wasm') lines.push(`  wasm: SIMD ${r.simd ? 'on' : 'off'}, threads ${r.threads ? 'on' : 'off (not supported in Node with tfjs 4.22)'}`);
  for (const c of r.candidates) lines.push(`  ${c.available ? '*' : '-'} ${c.name}${c.reason ? ': ' + c.reason : ''}`);
  return lines;
}
