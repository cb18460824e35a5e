/**
 * The parent side of the engine process: starts it, sends typed requests, routes events to the
 * run they belong to, and supervises it. If the process dies (crash, out of memory, killed), every
 * run in flight fails with 'engine_failed' (their last checkpoints are on disk and resumable) and
 * the process is started again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  EngineError,
  parseEngineEvent,
  parseRunResult,
  type BackendName,
  type BackendReport,
  type BatchProgress,
  type EngineEvent,
  type EngineMemory,
  type EngineRequest,
  type EpochRecord,
  type EvalRequest,
  type EvalResult,
  type GenerateRequest,
  type GeneratedTake,
  type ImportRequest,
  type ImportResult,
  type RunKind,
  type SerializedError,
  type TorchJob,
  type TorchJobRequest,
  type TrainRequest,
  type TrainStartInfo,
  type TrainSummary,
} from '../engine/protocol';
import type { CheckpointInfo } from '../node/catalog';
import type { Note } from '@shared/music/types';

/** What the client needs of a child process; Electron's utilityProcess can be adapted to it. */
export interface EngineChild {
  send(msg: EngineRequest): void;
  /** Every message is checked against the protocol's schemas before it is used. */
  onMessage(handler: (msg: unknown) => void): void;
  onExit(handler: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly pid?: number;
}

export type SpawnEngine = (env: NodeJS.ProcessEnv) => EngineChild;

/** child_process.fork of the engine entry; a .ts entry runs through tsx (dev and tests). */
export function forkEngine(entry: string, opts: { execArgv?: string[]; stdio?: 'inherit' | 'pipe' } = {}): SpawnEngine {
  return (env) => {
    const execArgv = opts.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []);
    const child: ChildProcess = fork(entry, [], { env, execArgv, stdio: opts.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe', 'ipc'] : 'inherit', serialization: 'json' });
    return {
      pid: child.pid,
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (h) => child.on('message', (m) => h(m)),
      onExit: (h) => child.on('exit', (code, signal) => h(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}

/** The part of Electron's utilityProcess module the engine needs (passed in: no 'electron' import here). */
export interface UtilityProcessLike {
  fork(modulePath: string, args?: string[], options?: { env?: NodeJS.ProcessEnv; serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' }): {
    pid?: number;
    postMessage(message: unknown): void;
    on(event: 'message', listener: (message: unknown) => void): unknown;
    on(event: 'exit', listener: (code: number) => void): unknown;
    kill(): boolean;
  };
}

/** Electron: the engine in a utilityProcess (entry = the bundled out/engine/process.js). */
export function utilityProcessEngine(utilityProcess: UtilityProcessLike, entry: string): SpawnEngine {
  return (env) => {
    const child = utilityProcess.fork(entry, [], { env, serviceName: 'Seedsong engine', stdio: 'inherit' });
    return {
      pid: child.pid,
      send: (m) => child.postMessage(m),
      onMessage: (h) => child.on('message', (m) => h(m)),
      onExit: (h) => child.on('exit', (code) => h(code, null)),
      kill: () => void child.kill(),
    };
  };
}

export type EngineState = 'starting' | 'ready' | 'failed' | 'stopped';

export interface EngineStatus {
  state: EngineState;
  backend?: BackendReport;
  message?: string;
  restarts: number;
  pid?: number;
}

export interface TrainHandlers {
  onStart?(info: TrainStartInfo): void;
  onProgress?(p: BatchProgress): void;
  onEpoch?(r: EpochRecord): void;
  onCheckpoint?(c: CheckpointInfo): void;
  /** The run stopped between batches for a pause (true), or went on (false). */
  onPaused?(paused: boolean): void;
}

export interface GenerateHandlers {
  onToken?(variation: number, token: number, text: string): void;
  onNote?(variation: number, note: Note): void;
}

export interface RunHandle<T> {
  runId: string;
  result: Promise<T>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onEvent(e: EngineEvent): void;
  kind: RunKind;
}

export interface EngineClientOptions {
  spawn: SpawnEngine;
  backend?: BackendName;
  env?: NodeJS.ProcessEnv;
  /** Restart after a crash (default true), at most this many times in a row without a 'ready'. */
  maxRestarts?: number;
}

export class EngineClient {
  private child?: EngineChild;
  private readonly pending = new Map<string, Pending>();
  private readonly events = new EventEmitter();
  private st: EngineStatus = { state: 'stopped', restarts: 0 };
  private readyWaiters: { resolve(r: BackendReport): void; reject(e: unknown): void }[] = [];
  private disposed = false;
  private crashesInARow = 0;

  constructor(private readonly opts: EngineClientOptions) {}

  status(): EngineStatus {
    return { ...this.st };
  }

  onStatus(listener: (s: EngineStatus) => void): () => void {
    this.events.on('status', listener);
    return () => this.events.off('status', listener);
  }

  private setStatus(s: Partial<EngineStatus>): void {
    this.st = { ...this.st, ...s };
    this.events.emit('status', this.status());
  }

  /** Starts the process (once) and resolves with the active backend. */
  start(): Promise<BackendReport> {
    if (this.st.state === 'ready' && this.st.backend) return Promise.resolve(this.st.backend);
    const p = new Promise<BackendReport>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (!this.child) this.spawn();
    return p;
  }

  private spawn(): void {
    const env = { ...process.env, ...this.opts.env, SEEDSONG_ENGINE_PROCESS: '1', ...(this.opts.backend ? { SEEDSONG_BACKEND: this.opts.backend } : {}) };
    const child = this.opts.spawn(env);
    this.child = child;
    this.setStatus({ state: 'starting', pid: child.pid, message: undefined });
    child.onMessage((m) => this.onMessage(m));
    child.onExit((code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit(code, signal);
    });
  }

  private onMessage(raw: unknown): void {
    const parsed = parseEngineEvent(raw);
    if (!parsed.ok) {
      // A malformed message is a bug in one side or the other: fail the run it names, if any.
      const p = parsed.runId ? this.pending.get(parsed.runId) : undefined;
      if (p && parsed.runId) {
        this.pending.delete(parsed.runId);
        p.reject(new EngineError('engine_failed', parsed.message));
      } else console.warn(`seedsong: ${parsed.message}`);
      return;
    }
    const m = parsed.value;
    if (m.type === 'ready') {
      this.crashesInARow = 0;
      this.setStatus({ state: 'ready', backend: m.backend, pid: m.pid });
      for (const w of this.readyWaiters.splice(0)) w.resolve(m.backend);
      return;
    }
    if (m.type === 'backend-failed') {
      this.setStatus({ state: 'failed', message: m.error.message });
      for (const w of this.readyWaiters.splice(0)) w.reject(new EngineError(m.error.code, m.error.message));
      return;
    }
    const p = this.pending.get(m.runId);
    if (!p) return;
    if (m.type === 'done') {
      this.pending.delete(m.runId);
      const result = parseRunResult(p.kind, m.result);
      if (result.ok) p.resolve(result.value);
      else p.reject(new EngineError('engine_failed', result.message));
    } else if (m.type === 'error') {
      this.pending.delete(m.runId);
      p.reject(new EngineError(m.error.code, m.error.message));
    } else p.onEvent(m);
  }

  private onExit(code: number | null, signal: string | null): void {
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const runs = [...this.pending.entries()];
    this.pending.clear();
    for (const [runId, p] of runs) {
      const hint = p.kind === 'train' ? '; its last checkpoint is intact and can be resumed' : '';
      p.reject(new EngineError('engine_failed', `the engine process ${how} during ${p.kind} run ${runId}${hint}`));
    }
    if (this.disposed) {
      this.setStatus({ state: 'stopped' });
      return;
    }
    this.crashesInARow++;
    const max = this.opts.maxRestarts ?? 3;
    if (this.crashesInARow > max) {
      this.setStatus({ state: 'failed', message: `the engine process ${how} ${this.crashesInARow} times in a row; not restarting` });
      for (const w of this.readyWaiters.splice(0)) w.reject(new EngineError('engine_failed', this.st.message!));
      return;
    }
    this.setStatus({ state: 'starting', restarts: this.st.restarts + 1, message: `the engine process ${how}; restarting` });
    this.spawn();
  }

  private async request<T>(kind: RunKind, build: (runId: string) => EngineRequest, onEvent: (e: EngineEvent) => void, runId = newRunId()): Promise<RunHandle<T>> {
    await this.start();
    const result = new Promise<T>((resolve, reject) => this.pending.set(runId, { resolve: resolve as (v: unknown) => void, reject, onEvent, kind }));
    this.child!.send(build(runId));
    const send = (type: 'pause' | 'resume' | 'cancel') => this.child?.send({ type, runId });
    return { runId, result, pause: () => send('pause'), resume: () => send('resume'), cancel: () => send('cancel') };
  }

  train(request: TrainRequest, h: TrainHandlers = {}, runId?: string): Promise<RunHandle<TrainSummary>> {
    return this.request<TrainSummary>(
      'train',
      (id) => ({ type: 'train', runId: id, request }),
      (e) => {
        if (e.type === 'started') h.onStart?.(e.info);
        else if (e.type === 'progress') h.onProgress?.(e.progress);
        else if (e.type === 'epoch') h.onEpoch?.(e.record);
        else if (e.type === 'checkpoint') h.onCheckpoint?.(e.checkpoint);
        else if (e.type === 'paused') h.onPaused?.(e.paused);
      },
      runId,
    );
  }

  async generate(request: GenerateRequest, h: GenerateHandlers = {}, signal?: AbortSignal, runId?: string): Promise<GeneratedTake[]> {
    const handle = await this.request<GeneratedTake[]>(
      'generate',
      (id) => ({ type: 'generate', runId: id, request }),
      (e) => {
        if (e.type === 'token') h.onToken?.(e.variation, e.token, e.text);
        else if (e.type === 'note') h.onNote?.(e.variation, e.note);
      },
      runId,
    );
    // Stop pressed while the engine was still starting: the abort happened before we could listen.
    if (signal?.aborted) handle.cancel();
    else signal?.addEventListener('abort', () => handle.cancel(), { once: true });
    return handle.result;
  }

  async evaluate(request: EvalRequest, signal?: AbortSignal): Promise<EvalResult> {
    const handle = await this.request<EvalResult>('evaluate', (id) => ({ type: 'evaluate', runId: id, request }), () => {});
    signal?.addEventListener('abort', () => handle.cancel(), { once: true });
    return handle.result;
  }

  /** Imports a converted Keras / TensorFlow.js model folder into the library (see import.ts). */
  async importModel(request: ImportRequest): Promise<ImportResult> {
    const handle = await this.request<ImportResult>('import', (id) => ({ type: 'import', runId: id, request }), () => {});
    return handle.result;
  }

  /** Writes the job folder of a PyTorch (torchrun) run in the engine process (engine-torch/job.ts). */
  async torchJob(request: TorchJobRequest): Promise<TorchJob> {
    const handle = await this.request<TorchJob>('torch-job', (id) => ({ type: 'torch-job', runId: id, request }), () => {});
    return handle.result;
  }

  /**
   * The engine process's memory: live tensors and their bytes (tf.memory()), resident set and
   * JavaScript heap. Starts the engine if it is not running.
   */
  async memory(): Promise<EngineMemory> {
    const handle = await this.request<EngineMemory>('memory', (id) => ({ type: 'memory', runId: id }), () => {});
    return handle.result;
  }

  /** For tests of supervision: kills the process as a crash would. */
  kill(): void {
    this.child?.kill();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill();
        resolve();
      }, 12_000);
      child.onExit(() => {
        clearTimeout(t);
        resolve();
      });
      child.send({ type: 'shutdown' });
    });
  }
}

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export type { SerializedError, EngineMemory };
