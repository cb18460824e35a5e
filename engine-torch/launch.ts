/**
 * Starting the PyTorch trainer under torchrun and following it: finding a Python with PyTorch,
 * the command line (also printed for running by hand on a cluster), the child process, its
 * progress lines (JSON, one per line, checked with zod), and cancelling by signal. Used by the
 * CLI and by the studio's training service; plain Node, no TensorFlow.js.
 */
import { spawn, execFile } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { EngineError, HyperparameterError, type EngineErrorCode } from '../electron/engine/errors';
import { errorCodes } from '@shared/ipc/result';

// ---------------------------------------------------------------------------------------------
// Progress lines (what seedsong_torch/train.py prints on stdout, rank 0 only)

const num = z.number();
export const StartLineSchema = z.object({
  event: z.literal('start'),
  out: z.string(),
  parameters: num,
  batchesPerEpoch: num,
  preset: z.string().nullish(),
  worldSize: z.number().int().min(1),
  nodes: z.number().int().min(1),
  device: z.string(),
  backend: z.string(),
  torch: z.string(),
  threads: num,
  resumedFrom: z.object({ id: z.string(), epoch: num, step: num }).nullable(),
});
export const ProgressLineSchema = z.object({
  event: z.literal('progress'),
  epoch: num,
  epochs: num,
  batch: num,
  batchesPerEpoch: num,
  step: num,
  totalSteps: num,
  loss: num,
  accuracy: num,
  learningRate: num,
  tokensPerSecond: num,
  tokensPerSecondPerProcess: num,
  etaSeconds: num,
});
export const EpochLineSchema = z.object({
  event: z.literal('epoch'),
  epoch: num,
  loss: num,
  accuracy: num,
  val_loss: num.nullable(),
  val_accuracy: num.nullable(),
  learning_rate: num,
  seconds: num,
});
export const CheckpointLineSchema = z.object({ event: z.literal('checkpoint'), id: z.string(), epoch: num, step: num, reasons: z.array(z.string()) });
export const DoneLineSchema = z.object({
  event: z.literal('done'),
  stopReason: z.enum(['completed', 'early-stopping', 'steps', 'cancelled']),
  epochs: num,
  steps: num,
  bestValLoss: num.nullable(),
  out: z.string(),
  worldSize: num,
  wallSeconds: num,
  lastCheckpoint: z.string().nullable(),
});
export const ErrorLineSchema = z.object({ event: z.literal('error'), code: z.string(), message: z.string(), hyperparameters: z.boolean().optional() });
export const TrainerLineSchema = z.discriminatedUnion('event', [StartLineSchema, ProgressLineSchema, EpochLineSchema, CheckpointLineSchema, DoneLineSchema, ErrorLineSchema]);

export type StartLine = z.infer<typeof StartLineSchema>;
export type ProgressLine = z.infer<typeof ProgressLineSchema>;
export type EpochLine = z.infer<typeof EpochLineSchema>;
export type CheckpointLine = z.infer<typeof CheckpointLineSchema>;
export type DoneLine = z.infer<typeof DoneLineSchema>;
export type TrainerLine = z.infer<typeof TrainerLineSchema>;

/** A stdout line as one of the trainer's events, or null (torch's own output, a stray print). */
export function parseTrainerLine(line: string): TrainerLine | null {
  const s = line.trim();
  if (!s.startsWith('{')) return null;
  try {
    const r = TrainerLineSchema.safeParse(JSON.parse(s));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Finding PyTorch

export const INSTALL_HINT = 'install PyTorch for Python 3: on Debian or Ubuntu `sudo apt install python3-torch libopenblas0-pthread`, elsewhere `pip install torch` (see pytorch.org)';

export type TorchProbe =
  | { ok: true; python: string; torch: string; gloo: boolean; nccl: boolean; cuda: boolean; gpus: number; cpus: number }
  | { ok: false; reason: string; install: string };

const PROBE = `import json, multiprocessing, sys
import torch, torch.distributed as d
print(json.dumps({"torch": torch.__version__, "gloo": d.is_available() and d.is_gloo_available(), "nccl": d.is_available() and d.is_nccl_available(), "cuda": torch.cuda.is_available(), "gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0, "cpus": multiprocessing.cpu_count()}))`;

/** Pythons to try: the one asked for, else python3 on PATH, then the system's own (Debian's packages live there). */
export function pythonCandidates(python?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (python) return [python];
  if (env.SEEDSONG_PYTHON) return [env.SEEDSONG_PYTHON];
  return process.platform === 'win32' ? ['python', 'py'] : ['python3', '/usr/bin/python3'];
}

function runProbe(python: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: true; value: Omit<Extract<TorchProbe, { ok: true }>, 'ok' | 'python'> } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ ok: false, reason: `${python}: no such program` });
        if ((err as { killed?: boolean }).killed) return resolve({ ok: false, reason: `${python}: importing torch took more than ${Math.round(timeoutMs / 1000)} s` });
        const last = String(stderr).trim().split('\n').filter(Boolean).at(-1) ?? err.message;
        return resolve({ ok: false, reason: `${python} cannot import torch (${last})` });
      }
      try {
        const v = JSON.parse(String(stdout).trim().split('\n').at(-1) ?? '');
        resolve({ ok: true, value: v });
      } catch {
        resolve({ ok: false, reason: `${python}: unexpected answer to the torch check: ${String(stdout).slice(0, 200)}` });
      }
    });
  });
}

/** Whether `python -c 'import torch'` works (and with which distributed backends), for the first Python that has it. */
export async function probeTorch(opts: { python?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<TorchProbe> {
  const env = { ...process.env, ...opts.env };
  const reasons: string[] = [];
  for (const python of pythonCandidates(opts.python, env)) {
    const r = await runProbe(python, env, opts.timeoutMs ?? 60_000);
    if (!r.ok) {
      reasons.push(r.reason);
      continue;
    }
    if (!r.value.gloo && !r.value.nccl) {
      reasons.push(`${python}: torch ${r.value.torch} was built without torch.distributed (gloo or nccl)`);
      continue;
    }
    return { ok: true, python, ...r.value };
  }
  return { ok: false, reason: `PyTorch is not available: ${reasons.join('; ')}`, install: INSTALL_HINT };
}

// ---------------------------------------------------------------------------------------------
// The command line

export interface TorchrunOptions {
  /** The Python that runs torch.distributed.run (torchrun). */
  python: string;
  /** The job's train.py. */
  entry: string;
  /** The job's torchrun.py, run by `python`; without it, `python -m torch.distributed.run`. */
  launcher?: string;
  nprocPerNode: number;
  /** Several machines: all four together (torchrun's static rendezvous). */
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  device?: 'cpu' | 'cuda' | 'auto';
  /** Train up to this many epochs in total. */
  epochs?: number;
  /** Stop after this many batches in this call. */
  steps?: number;
  /** Resume from this checkpoint id instead of the newest. */
  checkpoint?: string;
  threads?: number;
  /** Seconds between progress lines (default 0.1). */
  progressInterval?: number;
  /** Run torchrun and its processes at this niceness (the studio's engine runs at 10). */
  nice?: number;
}

function torchrunOptions(o: TorchrunOptions): string[] {
  const multi = (o.nnodes ?? 1) > 1 || o.masterAddr !== undefined;
  // torchrun 1.13 knows only the underscore spellings; later versions take both.
  const args = multi
    ? ['--nnodes', String(o.nnodes ?? 1), '--node_rank', String(o.nodeRank ?? 0), '--master_addr', o.masterAddr ?? '127.0.0.1', '--master_port', String(o.masterPort ?? 29500)]
    : ['--standalone', '--nnodes', '1'];
  return [...args, '--nproc_per_node', String(o.nprocPerNode)];
}

function trainerOptions(o: TorchrunOptions): string[] {
  const a: string[] = [];
  if (o.device) a.push('--device', o.device);
  if (o.epochs !== undefined) a.push('--epochs', String(o.epochs));
  if (o.steps !== undefined) a.push('--steps', String(o.steps));
  if (o.checkpoint !== undefined) a.push('--checkpoint', o.checkpoint);
  if (o.threads !== undefined) a.push('--threads', String(o.threads));
  if (o.progressInterval !== undefined) a.push('--progress-interval', String(o.progressInterval));
  return a;
}

/** argv for spawn: torchrun through the Python that has torch (so PATH does not matter). */
export function torchrunArgv(o: TorchrunOptions): string[] {
  return [...(o.launcher ? [o.launcher] : ['-m', 'torch.distributed.run']), ...torchrunOptions(o), o.entry, ...trainerOptions(o)];
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The same run as a command to type: `torchrun ...` (e.g. on each node of a cluster), or with
 * `local`, exactly what Seedsong runs here (`python3 <job>/torchrun.py ...`).
 */
export function torchrunCommand(o: TorchrunOptions, local = false): string {
  const head = local ? [o.python, ...(o.launcher ? [o.launcher] : ['-m', 'torch.distributed.run'])] : ['torchrun'];
  return [...head, ...torchrunOptions(o), o.entry, ...trainerOptions(o)].map(quote).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Running it

export interface TorchRunHandlers {
  onStart?(l: StartLine): void;
  onProgress?(l: ProgressLine): void;
  onEpoch?(l: EpochLine): void;
  onCheckpoint?(l: CheckpointLine): void;
  /** Anything else the processes print (torch warnings, torchrun's own messages). */
  onLog?(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface TorchRun {
  readonly pid?: number;
  /** The trainer's `done` line; rejects with its `error` line, or with what torchrun printed last. */
  readonly result: Promise<DoneLine>;
  /** SIGTERM to torchrun, which passes it to every process: they finish the batch, checkpoint and stop. */
  cancel(): void;
}

export function launchTorchrun(o: TorchrunOptions, h: TorchRunHandlers = {}, env: NodeJS.ProcessEnv = process.env): TorchRun {
  const child = spawn(o.python, torchrunArgv(o), { env: { ...env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Set before torchrun imports torch and forks its processes, which inherit it.
  if (o.nice !== undefined && child.pid) {
    try {
      os.setPriority(child.pid, o.nice);
    } catch {
      /* not allowed here: normal priority */
    }
  }
  let done: DoneLine | null = null;
  let error: { code: string; message: string; hyperparameters?: boolean } | null = null;
  const tail: string[] = [];
  let killTimer: NodeJS.Timeout | undefined;

  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const ev = parseTrainerLine(line);
    if (!ev) return h.onLog?.(line, 'stdout');
    switch (ev.event) {
      case 'start':
        return h.onStart?.(ev);
      case 'progress':
        return h.onProgress?.(ev);
      case 'epoch':
        return h.onEpoch?.(ev);
      case 'checkpoint':
        return h.onCheckpoint?.(ev);
      case 'done':
        done = ev;
        return;
      case 'error':
        error = ev;
        return;
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    h.onLog?.(line, 'stderr');
  });

  const result = new Promise<DoneLine>((resolve, reject) => {
    child.on('error', (e) => reject(new EngineError('unsupported', `cannot start ${o.python} (torchrun): ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      if (done) return resolve(done);
      if (error) return reject(error.hyperparameters ? new HyperparameterError(error.message) : new EngineError(toEngineCode(error.code), error.message));
      const why = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const last = tail.filter((l) => l.trim() && !/^\s/.test(l)).slice(-3).join(' | ');
      reject(new EngineError('engine_failed', `torchrun ${why} before the trainer finished${last ? `: ${last}` : ''}`));
    });
  });
  result.catch(() => {});
  return {
    pid: child.pid,
    result,
    cancel: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // torchrun gives its processes 30 s to stop before it kills them; this is the backstop for torchrun itself.
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), 60_000);
    },
  };
}

/** The trainer speaks the contract's codes; anything else is an unexpected failure in it. */
function toEngineCode(code: string): EngineErrorCode {
  return (errorCodes as readonly string[]).includes(code) ? (code as EngineErrorCode) : 'engine_failed';
}
