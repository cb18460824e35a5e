/**
 * The engine benchmark behind `seedsong bench sample|train` and bench/engine.ts: for LSTM presets,
 * sampling ms/token (batch 1 and batched variations) and training tokens/s with peak memory, for
 * the fast kernels and for plain tfjs on the active backend ("before"), and for PyTorch when
 * python3 with torch is present (bench/peers/torch_lstm.py, run side by side). Never part of the
 * test suite's pass/fail: it measures, it does not judge.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { PRESETS, modelSpecFor, type Preset } from '../hyperparameters';
import { buildModel } from '../model';
import { createStepModel } from '../step';
import { TfjsBatchStepper } from '../train';
import { explainFastSampler } from './sampler';
import { explainFastTrainer } from './trainer';
import { setOrthogonalRecurrentKernels } from './orthogonal';

/** Typical vocabulary sizes per encoding (the real ones depend on the corpus for ABC encodings). */
export const BENCH_VOCAB: Record<string, number> = { 'melody-event': 130, 'midi-event': 388, 'abc-char': 96, 'abc-token': 200 };
export const SAMPLE_DEFAULT = ['melody-rnn', 'abc-token-lstm', 'mit-char-abc'];
export const TRAIN_DEFAULT = ['melody-rnn', 'mit-char-abc'];

export type BenchRecord = Record<string, string | number | boolean | null>;

export interface BenchOptions {
  presets?: string[];
  /** Seconds per timed training run (default 6). */
  seconds?: number;
  /** Also time plain tfjs (the "before" figures); default true. */
  baseline?: boolean;
  /** Run the PyTorch peer when it can; default true. */
  torch?: boolean;
  /** Path of bench/peers/torch_lstm.py (default: found from the working directory). */
  torchPeer?: string;
  threads?: number;
  log?: (line: string) => void;
}

export function lstmPresets(): Preset[] {
  return PRESETS.filter((p) => p.model.architecture === 'lstm');
}

function presetsFor(names: string[] | undefined, defaults: string[]): Preset[] {
  const all = lstmPresets();
  const wanted = names && names.length ? names : defaults;
  if (wanted.includes('all')) return all;
  return wanted.map((n) => {
    const p = all.find((x) => x.name === n);
    if (!p) throw new RangeError(`unknown LSTM preset "${n}"; expected one of ${all.map((x) => x.name).join(', ')} or all`);
    return p;
  });
}

function modelFor(p: Preset): { model: tf.LayersModel; vocab: number } {
  const vocab = BENCH_VOCAB[p.encoding] ?? 128;
  return { model: buildModel(modelSpecFor(p, vocab), 1), vocab };
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const mb = (bytes: number) => Math.round(bytes / 1e6);

/** Wall-clock median and p99 per step, and the mean CPU time per step (steadier on a busy machine). */
function timeSteps(step: () => void, warm: number, count: number): { median: number; p99: number; cpu: number } {
  for (let i = 0; i < warm; i++) step();
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    step();
    t.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  t.sort((a, b) => a - b);
  return { median: pct(t, 0.5), p99: pct(t, 0.99), cpu: (c.user + c.system) / 1000 / count };
}

function findPeer(opts: BenchOptions): string | null {
  const candidates = [opts.torchPeer, process.env.SEEDSONG_TORCH_PEER, resolve(process.cwd(), 'bench/peers/torch_lstm.py')].filter(Boolean) as string[];
  return candidates.find((c) => existsSync(c)) ?? null;
}

function findPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60000 });
    if (r.status === 0) return py;
  }
  return null;
}

let pythonChecked: { py: string | null; reason: string | null } | null = null;

/** Runs the PyTorch peer; returns its JSON or a reason it could not. */
function torchPeer(opts: BenchOptions, args: string[]): { result: Record<string, number> | null; reason: string | null } {
  if (opts.torch === false) return { result: null, reason: 'disabled' };
  const peer = findPeer(opts);
  if (!peer) return { result: null, reason: 'bench/peers/torch_lstm.py not found from the working directory' };
  if (!pythonChecked) {
    const py = findPython();
    pythonChecked = { py, reason: py ? null : 'python3 with torch is not importable (Debian: apt-get install python3-torch)' };
  }
  if (!pythonChecked.py) return { result: null, reason: pythonChecked.reason };
  // One BLAS thread and one intra-op thread: OpenBLAS's own pool fights torch's on 2 cores.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const r = spawnSync(pythonChecked.py, [peer, ...args], { encoding: 'utf8', env, timeout: 10 * 60 * 1000 });
  if (r.status !== 0) return { result: null, reason: `peer failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  try {
    return { result: JSON.parse(r.stdout.trim().split('\n').pop()!), reason: null };
  } catch {
    return { result: null, reason: 'peer printed no JSON' };
  }
}

function common(p: Preset): BenchRecord {
  return { preset: p.name, backend: tf.getBackend(), units: p.model.units.join('x'), load_avg: r3(loadavg()[0]) };
}

export async function benchSample(opts: BenchOptions = {}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  for (const p of presetsFor(opts.presets, SAMPLE_DEFAULT)) {
    const { model, vocab } = modelFor(p);
    const { sampler, reason } = explainFastSampler(model);
    const torch = torchPeer(opts, ['sample', '--vocab', String(vocab), '--emb', String(p.model.embeddingSize), '--units', p.model.units.join(','), '--seconds', '3', '--threads', '1']);
    const peerFields: BenchRecord = torch.result ? { torch_median_ms: r3(torch.result.median_ms), torch_p99_ms: r3(torch.result.p99_ms) } : { torch_median_ms: null, torch_reason: torch.reason };
    if (sampler) {
      let tok = 0;
      const one = Int32Array.of(0);
      sampler.reset(1);
      const t1 = timeSteps(() => ((one[0] = tok++ % vocab), sampler.step(one)), 300, 2000);
      const rec: BenchRecord = { bench: 'sample', ...common(p), kernels: 'fast', batch: 1, median_ms: r3(t1.median), p99_ms: r3(t1.p99), cpu_ms: r3(t1.cpu), ...peerFields };
      if (torch.result) rec.speedup_vs_torch = r3(torch.result.median_ms / t1.median);
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
      for (const n of [4, 8]) {
        sampler.reset(n);
        const ids = new Int32Array(n);
        const tn = timeSteps(() => (ids.fill(tok++ % vocab), sampler.step(ids)), 50, 500);
        const r: BenchRecord = { bench: 'sample', ...common(p), kernels: 'fast', batch: n, median_ms: r3(tn.median), p99_ms: r3(tn.p99), cpu_ms: r3(tn.cpu), per_variation_ms: r3(tn.median / n), vs_n_single_passes: r3(tn.median / (n * t1.median)), vs_n_single_passes_cpu: r3(tn.cpu / (n * t1.cpu)) };
        out.push(r);
        opts.log?.(JSON.stringify(r));
      }
      sampler.dispose();
    } else {
      const rec: BenchRecord = { bench: 'sample', ...common(p), kernels: 'fast', median_ms: null, reason };
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
    }
    if (opts.baseline !== false) {
      const s = createStepModel(model, { tfjsOnly: true });
      s.reset(1);
      let tok = 0;
      const t = timeSteps(() => s.step([tok++ % vocab]), 20, 200);
      s.dispose();
      const rec: BenchRecord = { bench: 'sample', ...common(p), kernels: 'tfjs', batch: 1, median_ms: r3(t.median), p99_ms: r3(t.p99), cpu_ms: r3(t.cpu) };
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
    }
    model.dispose();
  }
  return out;
}

function randomBatch(B: number, T: number, vocab: number, seed: number): { x: Int32Array; y: Int32Array } {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s >>> 8);
  const x = Int32Array.from({ length: B * T }, () => next() % vocab);
  const y = Int32Array.from({ length: B * T }, () => next() % vocab);
  return { x, y };
}

export async function benchTrain(opts: BenchOptions = {}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const seconds = opts.seconds ?? 6;
  for (const p of presetsFor(opts.presets, TRAIN_DEFAULT)) {
    const { model, vocab } = modelFor(p);
    {
      // Keras-style orthogonal recurrent kernels for the whole model (tfjs's initializer: minutes)
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const layers = setOrthogonalRecurrentKernels(model, 1);
      const c = process.cpuUsage(c0);
      const rec: BenchRecord = { bench: 'init', ...common(p), kernels: 'fast', orthogonal_ms: Math.round(performance.now() - t0), cpu_ms: Math.round((c.user + c.system) / 1000), layers: layers.length };
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
    }
    const B = p.training.batchSize;
    const T = p.training.seqLength;
    const tokens = B * T;
    const torch = torchPeer(opts, ['train', '--vocab', String(vocab), '--emb', String(p.model.embeddingSize), '--units', p.model.units.join(','), '--batch', String(B), '--seq', String(T), '--seconds', String(seconds), '--threads', '1']);
    const torchTps = torch.result ? torch.result.tokens_per_s : null;
    // the same three batches, in the same order, for every run: the loss curves must agree
    const batches = [0, 1, 2].map((i) => randomBatch(B, T, vocab, i + 1));
    let fastCurve: number[] | null = null;
    const run = (threads: number | undefined): BenchRecord => {
      const { trainer, reason } = explainFastTrainer(model, { batchSize: B, seqLength: T, learningRate: p.training.learningRate, optimizer: p.training.optimizer, clipNorm: p.training.clipNorm, seed: p.training.seed, threads });
      if (!trainer) return { bench: 'train', ...common(p), kernels: 'fast', tokens_per_s: null, reason };
      let peak = process.memoryUsage().rss;
      const curve = [trainer.step(batches[0].x, batches[0].y, T, 0).loss];
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000 || n < 3) {
        const b = batches[(n + 1) % 3];
        curve.push(trainer.step(b.x, b.y, T, n + 1).loss);
        n++;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      if (!fastCurve) fastCurve = curve;
      const tps = (n * tokens) / ((performance.now() - t0) / 1000);
      const rec: BenchRecord = { bench: 'train', ...common(p), kernels: 'fast', threads: threads ?? 'auto', batch: B, seq: T, tokens_per_s: Math.round(tps), torch_tokens_per_s: torchTps === null ? null : Math.round(torchTps), ratio: torchTps ? r3(tps / torchTps) : null, peak_mb: mb(peak), wasm_mb: mb(trainer.memoryBytes) };
      if (!torch.result) rec.torch_reason = torch.reason;
      trainer.dispose();
      return rec;
    };
    for (const threads of opts.threads ? [opts.threads] : [undefined, 1]) {
      const rec = run(threads);
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
      if (rec.tokens_per_s === null) break;
    }
    if (opts.baseline !== false) {
      const params = model.countParams();
      let rec: BenchRecord;
      if (params > 3e6 && tf.getBackend() !== 'tensorflow') rec = { bench: 'train', ...common(p), kernels: 'tfjs', tokens_per_s: null, reason: `skipped: ${Math.round(params / 1e6)}M parameters is too slow for a baseline run on ${tf.getBackend()}` };
      else {
        const stepper = new TfjsBatchStepper(model, p.training);
        // the first step (kernel compilation) is timed apart but its loss is on the curve
        const curve = [stepper.trainBatch(batches[0].x, batches[0].y, B, T, p.training.learningRate, 0).loss];
        let peak = process.memoryUsage().rss;
        const t0 = performance.now();
        let n = 0;
        while (n < 2 || (performance.now() - t0 < seconds * 1000 && n < 20)) {
          const b = batches[(n + 1) % 3];
          curve.push(stepper.trainBatch(b.x, b.y, B, T, p.training.learningRate, n + 1).loss);
          n++;
          peak = Math.max(peak, process.memoryUsage().rss);
        }
        const tps = (n * tokens) / ((performance.now() - t0) / 1000);
        stepper.dispose();
        const hasDropout = p.model.dropout > 0 || p.model.recurrentDropout > 0;
        const fc = fastCurve as number[] | null;
        const steps = fc ? Math.min(fc.length, curve.length) : 0;
        const diff = fc && !hasDropout ? Math.max(...curve.slice(0, steps).map((l, i) => Math.abs(l - fc[i]))) : null;
        rec = { bench: 'train', ...common(p), kernels: 'tfjs', batch: B, seq: T, tokens_per_s: Math.round(tps), torch_tokens_per_s: torchTps === null ? null : Math.round(torchTps), ratio: torchTps ? r3(tps / torchTps) : null, peak_mb: mb(peak), curve_steps: steps, curve_max_diff_vs_fast: diff === null ? null : Number(diff.toExponential(2)), tfjs_curve: curve.slice(0, 5).map((l) => Number(l.toFixed(5))).join(' '), fast_curve: fc ? fc.slice(0, 5).map((l) => Number(l.toFixed(5))).join(' ') : null };
      }
      out.push(rec);
      opts.log?.(JSON.stringify(rec));
    }
    model.dispose();
  }
  return out;
}

/** One human-readable line per record, for a terminal. */
export function formatRecord(r: BenchRecord): string {
  const head = `${r.bench} ${r.preset} (${r.units}) ${r.kernels} on ${r.backend}`;
  if (r.bench === 'init') return `${head}: orthogonal recurrent kernels for ${r.layers} layer(s) in ${r.orthogonal_ms} ms (${r.cpu_ms} ms CPU)`;
  if (r.bench === 'sample') {
    if (r.median_ms === null) return `${head}: not used: ${r.reason}`;
    const torch = r.torch_median_ms != null ? `, PyTorch ${r.torch_median_ms} ms` : '';
    return `${head}, batch ${r.batch}: median ${r.median_ms} ms/step, p99 ${r.p99_ms} ms, CPU ${r.cpu_ms} ms/step${r.per_variation_ms != null ? ` (${r.per_variation_ms} ms per variation)` : ''}${torch}`;
  }
  if (r.tokens_per_s === null) return `${head}: not used: ${r.reason}`;
  const torch = r.torch_tokens_per_s != null ? `, PyTorch ${r.torch_tokens_per_s} tokens/s, ratio ${r.ratio}` : '';
  const curve = r.curve_max_diff_vs_fast != null ? `; loss curve vs fast over ${r.curve_steps} steps: max diff ${r.curve_max_diff_vs_fast}` : '';
  return `${head}${r.threads ? `, threads ${r.threads}` : ''}: ${r.tokens_per_s} tokens/s${torch}, peak ${r.peak_mb} MB${curve}`;
}
