/**
 * The same job trained on 1, 2, ... processes (torchrun, gloo on CPU or nccl on GPUs): wall time,
 * training tokens/s (all processes and each), held-out loss, and its difference to the first run.
 * Every run starts from the same job folder (same initial weights, windows and batches).
 *
 *   npx tsx engine-torch/bench.ts --corpus ../shared/corpora/abc_mit_6s191_irish [--preset abc-token-lstm]
 *       [--epochs 1] [--steps N] [--nproc 1,2] [--threads 1] [--device cpu|cuda] [--units 512,512,512] [--batch 64] [--seq 64] [--json]
 */
import { parseArgs } from 'node:util';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { writeTorchJob, JOB_DIR } from './job';
import { launchTorchrun, probeTorch, torchrunCommand, type EpochLine, type StartLine } from './launch';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', multiple: true },
    preset: { type: 'string', default: 'abc-token-lstm' },
    epochs: { type: 'string', default: '1' },
    steps: { type: 'string' },
    nproc: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' },
    device: { type: 'string', default: 'cpu' },
    units: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    json: { type: 'boolean' },
  },
});
if (!values.corpus?.length) {
  console.error('bench: --corpus PATH is required (.abc/.mid files or folders)');
  process.exit(2);
}
const probe = await probeTorch();
if (!probe.ok) {
  console.error(`bench: ${probe.reason}; ${probe.install}`);
  process.exit(1);
}
const say = (o: Record<string, unknown>, text: string) => console.log(values.json ? JSON.stringify(o) : text);

await initBackend();
await enableFastPath();
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'seedsong-torch-bench-'));
const base = await writeTorchJob({
  preset: values.preset,
  corpus: values.corpus.map((p) => path.resolve(p)),
  out: path.join(root, 'base'),
  overrides: {
    model: values.units ? { units: values.units.split(',').map(Number) } : {},
    training: { epochs: Number(values.epochs), patience: 0, ...(values.batch ? { batchSize: Number(values.batch) } : {}), ...(values.seq ? { seqLength: Number(values.seq) } : {}) },
  },
});
say(
  { event: 'job', preset: base.preset, parameters: base.parameters, batchesPerEpoch: base.batchesPerEpoch, corpus: base.corpus, torch: probe.torch, cpus: os.cpus().length },
  `${base.preset}: ${base.parameters.toLocaleString('en-US')} parameters, ${base.batchesPerEpoch} batches per epoch, ${base.corpus?.tunes} tunes (${base.corpus?.trainTokens.toLocaleString('en-US')} training tokens); torch ${probe.torch}, ${os.cpus().length} cores`,
);

let first: number | null = null;
for (const n of values.nproc.split(',').map(Number)) {
  const out = path.join(root, `run-${n}`);
  await fs.cp(base.jobDir, path.join(out, JOB_DIR), { recursive: true });
  const options = {
    python: probe.python,
    launcher: path.join(out, JOB_DIR, 'torchrun.py'),
    entry: path.join(out, JOB_DIR, 'train.py'),
    nprocPerNode: n,
    device: values.device as 'cpu' | 'cuda',
    threads: Number(values.threads),
    steps: values.steps ? Number(values.steps) : undefined,
    progressInterval: 1,
  };
  const load = os.loadavg()[0];
  let start: StartLine | undefined;
  const epochs: EpochLine[] = [];
  const t0 = performance.now();
  const run = launchTorchrun(options, { onStart: (s) => (start = s), onEpoch: (e) => epochs.push(e) }, { ...process.env, OMP_NUM_THREADS: values.threads });
  const done = await run.result;
  const wall = (performance.now() - t0) / 1000;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0) || done.wallSeconds;
  const job = JSON.parse(await fs.readFile(path.join(out, JOB_DIR, 'job.json'), 'utf8'));
  const tokens = done.steps * job.training.batchSize * job.training.seqLength;
  const val = epochs.at(-1)?.val_loss ?? null;
  first ??= val;
  const diff = val !== null && first !== null ? (100 * (val - first)) / first : null;
  say(
    { event: 'run', processes: n, threads: Number(values.threads), device: start?.device, backend: start?.backend, wallSeconds: wall, trainerSeconds: done.wallSeconds, steps: done.steps, tokensPerSecond: tokens / trainSeconds, tokensPerSecondPerProcess: tokens / trainSeconds / n, valLoss: val, valLossDifferencePercent: diff, loadAverage: [load, os.loadavg()[0]], command: torchrunCommand(options, true) },
    `${n} process${n === 1 ? '' : 'es'} (${start?.backend}, ${start?.device}, ${values.threads} thread each): wall ${wall.toFixed(1)} s (training ${trainSeconds.toFixed(1)} s), ${done.steps} batches, ${Math.round(tokens / trainSeconds).toLocaleString('en-US')} tokens/s (${Math.round(tokens / trainSeconds / n).toLocaleString('en-US')} per process), held-out loss ${val?.toFixed(6) ?? '-'}${diff !== null && n !== Number(values.nproc.split(',')[0]) ? ` (${diff >= 0 ? '+' : ''}${diff.toFixed(4)}% vs the first run)` : ''}; load average ${load.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`,
  );
}
await fs.rm(root, { recursive: true, force: true });
