/**
 * `seedsong train --distributed torchrun ...`: the same preset, corpus and hyperparameters as a
 * local run, trained by the PyTorch trainer (engine-torch/) under torchrun. Seedsong writes the job
 * folder (<out>/torch-job), prints it with the command that runs it by hand (e.g. on a cluster),
 * then runs that command here and shows its progress as a local run's.
 */
import { CommandError, UsageError, numberFlag, type CliIo } from '../command';
import { type BackendName } from '../../engine/backend';
import { bootEngine } from '../../engine/boot';
import { EngineError, HyperparameterError } from '../../engine/errors';
import { formatDuration, formatEpoch, formatProgress } from '../../engine/format';
import type { HyperparameterOverrides } from '../../engine/hyperparameters';
import { writeTorchJob } from '../../../engine-torch/job';
import { launchTorchrun, probeTorch, torchrunCommand, type TorchrunOptions } from '../../../engine-torch/launch';

export const DISTRIBUTED_USAGE = `Several processes or machines (PyTorch DistributedDataParallel, see engine-torch/README.md):
  --distributed torchrun   train with the PyTorch trainer under torchrun instead of on this engine
  --nproc-per-node N       processes on this machine (default: its GPUs with cuda, else 1)
  --nnodes N --node-rank R --master-addr A --master-port P   several machines (run the printed command on each)
  --device cpu|cuda        where each process trains (default: cuda when PyTorch sees a GPU)
  --python PATH            the Python that has torch (default: python3, then /usr/bin/python3)
  --prepare-only           write the job folder and print the command, without running it`;

export const DISTRIBUTED_OPTIONS = {
  distributed: { type: 'string' },
  'nproc-per-node': { type: 'string' },
  nnodes: { type: 'string' },
  'node-rank': { type: 'string' },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string' },
  device: { type: 'string' },
  python: { type: 'string' },
  'prepare-only': { type: 'boolean' },
} as const;

export interface DistributedFlags {
  nprocPerNode?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  device?: 'cpu' | 'cuda';
  python?: string;
  prepareOnly: boolean;
}

/** null when --distributed was not given (and then none of its companions may be). */
export function parseDistributedFlags(values: Record<string, string | boolean | string[] | undefined>): DistributedFlags | null {
  const str = (k: string) => values[k] as string | undefined;
  if (values.distributed === undefined) {
    const stray = Object.keys(DISTRIBUTED_OPTIONS).find((k) => k !== 'distributed' && values[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --distributed torchrun`);
    return null;
  }
  if (values.distributed !== 'torchrun') throw new UsageError(`--distributed must be torchrun (PyTorch DistributedDataParallel), got "${values.distributed}"`);
  const device = str('device');
  if (device !== undefined && device !== 'cpu' && device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, got "${device}"`);
  const flags: DistributedFlags = {
    nprocPerNode: numberFlag('nproc-per-node', str('nproc-per-node'), { integer: true, min: 1, max: 1024 }),
    nnodes: numberFlag('nnodes', str('nnodes'), { integer: true, min: 1, max: 100_000 }),
    nodeRank: numberFlag('node-rank', str('node-rank'), { integer: true, min: 0 }),
    masterAddr: str('master-addr'),
    masterPort: numberFlag('master-port', str('master-port'), { integer: true, min: 1, max: 65535 }),
    device,
    python: str('python'),
    prepareOnly: !!values['prepare-only'],
  };
  const multi = [flags.nodeRank, flags.masterAddr, flags.masterPort].some((v) => v !== undefined) || (flags.nnodes ?? 1) > 1;
  if (multi && (flags.nnodes === undefined || flags.nodeRank === undefined || flags.masterAddr === undefined || flags.masterPort === undefined)) {
    throw new UsageError('several machines need --nnodes N --node-rank R --master-addr A --master-port P together (the same on every machine but the rank)');
  }
  if (flags.nodeRank !== undefined && flags.nnodes !== undefined && flags.nodeRank >= flags.nnodes) throw new UsageError(`--node-rank ${flags.nodeRank} is not below --nnodes ${flags.nnodes}`);
  return flags;
}

export interface DistributedRequest {
  preset?: string;
  overrides: HyperparameterOverrides;
  corpus: string[];
  out: string;
  maxSteps?: number;
  resume: boolean;
  checkpoint?: string;
  epochs?: number;
  validationFraction?: number;
  backend?: BackendName;
}

export async function trainDistributed(io: CliIo, flags: DistributedFlags, req: DistributedRequest, json: boolean): Promise<number> {
  const emit = (o: object) => io.out(JSON.stringify(o));
  try {
    let python = flags.python ?? 'python3';
    let gpus = 0;
    if (!flags.prepareOnly) {
      const probe = await probeTorch({ python: flags.python, env: io.env });
      if (!probe.ok) throw new CommandError(`${probe.reason}. To train with torchrun, ${probe.install}; or train on this machine without --distributed`);
      if (flags.device === 'cuda' && !probe.cuda) throw new CommandError(`--device cuda: PyTorch ${probe.torch} (${probe.python}) sees no CUDA GPU on this machine; use --device cpu`);
      python = probe.python;
      gpus = flags.device === 'cpu' ? 0 : probe.gpus;
    }
    // The initial weights come from the engine's own builder (and its fast orthogonal initializer
    // for large layers, as a local run would use).
    await bootEngine({ backend: req.backend, env: io.env });
    const job = await writeTorchJob({ preset: req.preset, overrides: req.overrides, corpus: req.corpus, out: req.out, validationFraction: req.validationFraction, resume: req.resume }, io.env);
    const options: TorchrunOptions = {
      python,
      launcher: job.launcher,
      entry: job.entry,
      nprocPerNode: flags.nprocPerNode ?? (gpus > 0 ? gpus : 1),
      nnodes: flags.nnodes,
      nodeRank: flags.nodeRank,
      masterAddr: flags.masterAddr,
      masterPort: flags.masterPort,
      device: flags.device,
      epochs: req.epochs,
      steps: req.maxSteps,
      checkpoint: req.checkpoint,
    };
    const byHand = torchrunCommand(options);
    if (json) emit({ event: 'job', jobDir: job.jobDir, out: job.out, written: job.written, command: byHand, local: torchrunCommand(options, true), problems: job.problems.length });
    else {
      io.out(`job: ${job.jobDir}${job.written ? '' : ' (kept from the earlier run)'}`);
      if (job.corpus) io.out(`corpus: ${job.corpus.tunes} tunes (${job.corpus.trainTunes} training, ${job.corpus.validationTunes} validation), ${job.corpus.trainTokens.toLocaleString('en-US')} training tokens`);
      io.out(`command: ${byHand}`);
    }
    if (job.problems.length) io.err(`seedsong: ${job.problems.length} tune(s) skipped; first: ${job.problems[0]}`);
    if (flags.prepareOnly) {
      if (!json) io.out(`not started (--prepare-only): copy ${job.out} where it will train, run the command there (on every machine, each with its --node_rank), then import ${job.out} into the studio or use it with --model`);
      return 0;
    }

    let lastLine = 0;
    const every = json ? 100 : io.isTty ? 1000 : 10_000;
    const run = launchTorchrun(
      options,
      {
        onStart: (s) => {
          if (json) emit(s);
          else {
            const where = `${s.worldSize} process${s.worldSize === 1 ? '' : 'es'}${s.nodes > 1 ? ` on ${s.nodes} machines` : ''}, ${s.device}, ${s.backend}, torch ${s.torch}`;
            io.out(`training ${job.preset} with torchrun (${where}): ${s.parameters.toLocaleString('en-US')} parameters, ${s.batchesPerEpoch} batches per epoch -> ${s.out}`);
            if (s.resumedFrom) io.out(`resuming from checkpoint ${s.resumedFrom.id} (epoch ${s.resumedFrom.epoch}, batch ${s.resumedFrom.step})`);
          }
        },
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastLine < every && p.batch !== p.batchesPerEpoch) return;
          lastLine = now;
          if (json) emit(p);
          else io.out(`${formatProgress(p)} (${Math.round(p.tokensPerSecondPerProcess).toLocaleString('en-US')} per process)`);
        },
        onEpoch: (r) => {
          const { event: _, ...record } = r;
          if (json) emit(r);
          else io.out(formatEpoch(record));
        },
        onCheckpoint: (c) => (json ? emit(c) : undefined),
      },
      { ...process.env, ...io.env },
    );
    const stop = () => run.cancel();
    io.interrupted.addEventListener('abort', stop, { once: true });
    let done;
    try {
      done = await run.result;
    } finally {
      io.interrupted.removeEventListener('abort', stop);
    }
    if (json) emit(done);
    else {
      io.out(`${done.stopReason}: ${done.epochs} epoch(s), ${done.steps} batches${done.bestValLoss !== null ? `, best val_loss ${done.bestValLoss.toFixed(4)}` : ''} in ${formatDuration(done.wallSeconds)} on ${done.worldSize} process${done.worldSize === 1 ? '' : 'es'} -> ${done.out}`);
      if (done.stopReason === 'cancelled') io.out(`resume with: seedsong train --resume --distributed torchrun --out ${done.out}`);
    }
    return done.stopReason === 'cancelled' ? 130 : 0;
  } catch (e) {
    if (e instanceof EngineError) {
      if (e instanceof HyperparameterError) throw new UsageError(e.message);
      throw new CommandError(e.message);
    }
    throw e;
  }
}
