/**
 * The engine benchmark behind `seedsong bench sample|train` and bench/engine.ts: for every preset
 * (LSTM and GPT), sampling ms/token (batch 1 and batched variations) and training tokens/s with
 * peak memory, for the fast kernels and for plain tfjs on the active backend ("before"), and for
 * PyTorch when python3 with torch is present (bench/peers/, run side by side). Never part of the
 * test suite's pass/fail: it measures, it does not judge.
 *
 * The PyTorch peer is only compared when it ran on an optimised BLAS: every row names the BLAS
 * torch loaded (torch_blas), the peer runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (they make
 * OpenBLAS pick a slower kernel), and a peer on the reference BLAS gives no ratio but a reason.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { PRESETS, modelSpecFor, type Preset } from '../hyperparameters';
import { buildModel } from '../model';
import { createStepModel } from '../step';
import { TfjsBatchStepper } from '../train';
import { explainFastSampler } from './sampler';
import { explainFastTrainer } from './trainer';
import { setOrthogonalRecurrentKernels } from './orthogonal';

/** Typical vocabulary sizes per encoding (the real ones depend on the corpus for ABC encodings). */
export const BENCH_VOCAB: Record<string, number> = { 'melody-event': 130, 'midi-event': 388, 'abc-char': 96, 'abc-token': 200 };
export const SAMPLE_DEFAULT = ['melody-rnn', 'abc-token-lstm', 'mit-char-abc', 'abc-token-gpt'];
export const TRAIN_DEFAULT = ['melody-rnn', 'mit-char-abc', 'abc-token-gpt'];

export type BenchRecord = Record<string, string | number | boolean | null>;

export interface BenchOptions {
  presets?: string[];
  /** Seconds per timed training run (default 6). */
  seconds?: number;
  /** Also time plain tfjs (the "before" figures); default true. */
  baseline?: boolean;
  /** Run the PyTorch peer when it can; default true. */
  torch?: boolean;
  /** Folder of the PyTorch peers (default: bench/peers from the working directory). */
  peersDir?: string;
  threads?: number;
  log?: (line: string) => void;
  /** Stops the bench between steps (SIGINT/SIGTERM from the CLI); it then throws BenchInterrupted. */
  signal?: AbortSignal;
}

export class BenchInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Presets the bench knows: recurrent (LSTM) and GPT ones. */
export function benchPresets(): Preset[] {
  return PRESETS.filter((p) => p.model.architecture === 'lstm' || p.model.architecture === 'gpt');
}

function presetsFor(names: string[] | undefined, defaults: string[]): Preset[] {
  const all = benchPresets();
  const wanted = names && names.length ? names : defaults;
  if (wanted.includes('all')) return all;
  return wanted.map((n) => {
    const p = all.find((x) => x.name === n);
    if (!p) throw new RangeError(`unknown preset "${n}"; expected one of ${all.map((x) => x.name).join(', ')} or all`);
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

/** Lets signals in (the steps themselves are synchronous) and stops when asked to. */
async function breathe(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  if (signal?.aborted) throw new BenchInterrupted();
}

/** Wall-clock median and p99 per step, and the mean CPU time per step (steadier on a busy machine). */
async function timeSteps(step: () => void, warm: number, count: number, signal?: AbortSignal): Promise<{ median: number; p99: number; cpu: number }> {
  for (let i = 0; i < warm; i++) step();
  await breathe(signal);
  const t: number[] = [];
  let cpu = 0;
  let c0 = process.cpuUsage();
  let lastBreath = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    step();
    const t1 = performance.now();
    t.push(t1 - t0);
    if (t1 - lastBreath > 100) {
      const c = process.cpuUsage(c0);
      cpu += c.user + c.system;
      await breathe(signal);
      c0 = process.cpuUsage();
      lastBreath = performance.now();
    }
  }
  const c = process.cpuUsage(c0);
  cpu += c.user + c.system;
  t.sort((a, b) => a - b);
  return { median: pct(t, 0.5), p99: pct(t, 0.99), cpu: cpu / 1000 / count };
}

let pythonChecked: { py: string | null; reason: string | null } | null = null;

function findPython(): { py: string | null; reason: string | null } {
  if (pythonChecked) return pythonChecked;
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60000 });
    if (r.status === 0) return (pythonChecked = { py, reason: null });
  }
  return (pythonChecked = { py: null, reason: 'python3 with torch is not importable (Debian: apt-get install python3-torch libopenblas0-pthread)' });
}

/**
 * The peer's environment: one BLAS thread (torch.set_num_threads sets the intra-op threads; an
 * OpenBLAS pool of its own fights them on 2 cores), and without OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE, which make OpenBLAS run an older kernel (about half its speed on this CPU).
 * Only this child's environment changes.
 */
export function peerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export interface PeerResult {
  result: Record<string, number | string | boolean> | null;
  /** why there is no result, or why it is not compared (reference BLAS) */
  reason: string | null;
  /** the result may be compared: PyTorch ran on an optimised BLAS */
  comparable: boolean;
}

/** Judges a peer's BLAS: only an optimised one gives a ratio. */
export function peerVerdict(result: Record<string, unknown>): { comparable: boolean; reason: string | null } {
  const kind = String(result.torch_blas_kind ?? 'unknown');
  if (kind === 'openblas' || kind === 'mkl' || kind === 'blis') return { comparable: true, reason: null };
  return {
    comparable: false,
    reason: `PyTorch ran on the ${kind} BLAS (${String(result.torch_blas ?? '?')}), not an optimised one, so its figure is not PyTorch's best and no ratio is given (Debian: apt-get install libopenblas0-pthread)`,
  };
}

/** Runs a PyTorch peer (asynchronously, so a signal can stop it); returns its JSON or a reason. */
async function runPeer(opts: BenchOptions, script: string, args: string[]): Promise<PeerResult> {
  if (opts.torch === false) return { result: null, reason: 'disabled', comparable: false };
  const dir = opts.peersDir ?? process.env.SEEDSONG_PEERS_DIR ?? resolve(process.cwd(), 'bench/peers');
  const path = join(dir, script);
  if (!existsSync(path)) return { result: null, reason: `${path} not found (run the bench from the project folder)`, comparable: false };
  const { py, reason } = findPython();
  if (!py) return { result: null, reason, comparable: false };
  const child = spawn(py, [path, ...args], { env: peerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const stop = () => child.kill('SIGTERM');
  opts.signal?.addEventListener('abort', stop, { once: true });
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  opts.signal?.removeEventListener('abort', stop);
  if (opts.signal?.aborted) throw new BenchInterrupted();
  if (code !== 0) return { result: null, reason: `peer failed: ${stderr.trim().split('\n').pop()}`, comparable: false };
  try {
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    return { result, ...peerVerdict(result) };
  } catch {
    return { result: null, reason: 'peer printed no JSON', comparable: false };
  }
}

function peerScript(p: Preset): string {
  return p.model.architecture === 'gpt' ? 'torch_gpt.py' : 'torch_lstm.py';
}

export function peerModelArgs(p: Preset, vocab: number): string[] {
  const m = p.model;
  if (m.architecture === 'gpt') {
    return ['--vocab', String(vocab), '--width', String(m.embeddingSize), '--layers', String(m.layers), '--heads', String(m.heads), '--context', String(m.contextLength), '--dropout', String(m.dropout), '--weight-decay', String(p.training.weightDecay ?? 0)];
  }
  // the same dropout as the model (input: one mask per window on each LSTM input; output: Dropout layers)
  return ['--vocab', String(vocab), '--emb', String(m.embeddingSize), '--units', m.units.join(','), '--dropout', String(m.dropout), '--placement', m.dropoutPlacement ?? 'input'];
}

/**
 * What a preset's bench run measures: the model (sizes, vocabulary, dropout), the batch, and its
 * arithmetic per token (multiply-adds x 2 of the forward pass; training is about 3x that).
 */
export function describePreset(p: Preset, vocab: number, params: number): BenchRecord {
  const m = p.model;
  const t = p.training;
  let flops = 0;
  let what: string;
  if (m.architecture === 'gpt') {
    const w = m.embeddingSize;
    const T = t.seqLength;
    // per token and block: QKV + output projection (4 w^2), MLP (8 w^2), attention over T/2 positions on average (2 w T/2)
    flops = 2 * (m.layers * (12 * w * w + w * T) + w * vocab);
    what = `Embedding ${w} + positions -> ${m.layers} blocks (width ${w}, ${m.heads} heads, MLP ${4 * w}) -> Dense ${vocab}, dropout ${m.dropout}`;
  } else {
    let inDim = m.embeddingSize;
    for (const u of m.units) {
      flops += 2 * 4 * u * (inDim + u);
      inDim = u;
    }
    flops += 2 * inDim * vocab;
    const drop = m.dropout > 0 ? `, dropout ${m.dropout} (${m.dropoutPlacement === 'output' ? 'Dropout layers after each LSTM' : 'on each LSTM input, one mask per window'})` : '';
    what = `Embedding ${m.embeddingSize} -> LSTM ${m.units.join(' -> ')} -> Dense ${vocab}${drop}`;
  }
  const rec: BenchRecord = { model: what, vocab, params, forward_mflops_per_token: Math.round(flops / 1e4) / 100 };
  if (t.stateful) rec.note = 'the preset trains stateful (each row carries its state into the next window), which the fast trainer does not do: it trains on tfjs (StatefulLstmStepper); this bench times windows from zero state';
  return rec;
}

function shape(p: Preset): string {
  const m = p.model;
  return m.architecture === 'gpt' ? `${m.layers}x${m.embeddingSize}/${m.heads}h` : m.units.join('x');
}

function common(p: Preset): BenchRecord {
  return { preset: p.name, architecture: p.model.architecture, backend: tf.getBackend(), units: shape(p), load_avg: r3(loadavg()[0]) };
}

export async function benchSample(opts: BenchOptions = {}): Promise<BenchRecord[]> {
  const out: BenchRecord[] = [];
  const emit = (r: BenchRecord) => {
    out.push(r);
    opts.log?.(JSON.stringify(r));
  };
  for (const p of presetsFor(opts.presets, SAMPLE_DEFAULT)) {
    const { model, vocab } = modelFor(p);
    const gpt = p.model.architecture === 'gpt';
    // a GPT samples within its trained window; each side starts a fresh key/value cache every window
    const window = gpt ? p.training.seqLength : undefined;
    const { sampler, reason } = explainFastSampler(model, { window });
    const peer = await runPeer(opts, peerScript(p), ['sample', ...peerModelArgs(p, vocab), ...(gpt ? ['--seq', String(window)] : []), '--seconds', '3', '--threads', '1']);
    const peerFields: BenchRecord = peer.result
      ? { torch_median_ms: r3(Number(peer.result.median_ms)), torch_p99_ms: r3(Number(peer.result.p99_ms)), torch_blas: String(peer.result.torch_blas) }
      : { torch_median_ms: null };
    if (peer.reason) peerFields.torch_reason = peer.reason;
    const stepper = (s: { reset(b: number): void; step(ids: ArrayLike<number>): unknown }, ids: Int32Array, batch: number) => {
      let tok = 0;
      let pos = 0;
      s.reset(batch);
      return () => {
        if (window && pos === window) {
          s.reset(batch);
          pos = 0;
        }
        ids.fill(tok++ % vocab);
        s.step(ids);
        pos++;
      };
    };
    if (sampler) {
      const t1 = await timeSteps(stepper(sampler, new Int32Array(1), 1), 300, 2000, opts.signal);
      const rec: BenchRecord = { bench: 'sample', ...common(p), kernels: 'fast', batch: 1, kv_cache: gpt ? true : null, median_ms: r3(t1.median), p99_ms: r3(t1.p99), cpu_ms: r3(t1.cpu), ...peerFields };
      if (peer.result && peer.comparable) rec.speedup_vs_torch = r3(Number(peer.result.median_ms) / t1.median);
      emit(rec);
      for (const n of [4, 8]) {
        const tn = await timeSteps(stepper(sampler, new Int32Array(n), n), 50, 500, opts.signal);
        emit({ bench: 'sample', ...common(p), kernels: 'fast', batch: n, median_ms: r3(tn.median), p99_ms: r3(tn.p99), cpu_ms: r3(tn.cpu), per_variation_ms: r3(tn.median / n), vs_n_single_passes: r3(tn.median / (n * t1.median)), vs_n_single_passes_cpu: r3(tn.cpu / (n * t1.cpu)) });
      }
      sampler.dispose();
    } else {
      emit({ bench: 'sample', ...common(p), kernels: 'fast', median_ms: null, reason, ...peerFields });
    }
    if (opts.baseline !== false) {
      const s = createStepModel(model, { tfjsOnly: true, window });
      const t = await timeSteps(stepper(s, new Int32Array(1), 1), 20, gpt ? 256 : 200, opts.signal);
      s.dispose();
      emit({ bench: 'sample', ...common(p), kernels: 'tfjs', batch: 1, kv_cache: gpt ? true : null, median_ms: r3(t.median), p99_ms: r3(t.p99), cpu_ms: r3(t.cpu) });
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
  const emit = (r: BenchRecord) => {
    out.push(r);
    opts.log?.(JSON.stringify(r));
  };
  const seconds = opts.seconds ?? 6;
  const cores = Math.min(2, availableParallelism());
  for (const p of presetsFor(opts.presets, TRAIN_DEFAULT)) {
    const { model, vocab } = modelFor(p);
    const gpt = p.model.architecture === 'gpt';
    if (!gpt) {
      // Keras-style orthogonal recurrent kernels for the whole model (tfjs's initializer: minutes)
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const layers = setOrthogonalRecurrentKernels(model, 1);
      const c = process.cpuUsage(c0);
      emit({ bench: 'init', ...common(p), kernels: 'fast', orthogonal_ms: Math.round(performance.now() - t0), cpu_ms: Math.round((c.user + c.system) / 1000), layers: layers.length });
    }
    const B = p.training.batchSize;
    const T = p.training.seqLength;
    const tokens = B * T;
    emit({ bench: 'preset', ...common(p), batch: B, seq: T, ...describePreset(p, vocab, model.countParams()) });
    // PyTorch at 1 and 2 threads, one after the other: its best is what the fast path is held to
    const peers = new Map<number, PeerResult>();
    for (let th = 1; th <= cores; th++) peers.set(th, await runPeer(opts, peerScript(p), ['train', ...peerModelArgs(p, vocab), '--batch', String(B), '--seq', String(T), '--seconds', String(seconds), '--threads', String(th)]));
    const tps = (r: PeerResult | undefined) => (r?.result ? Number(r.result.tokens_per_s) : null);
    let best: { threads: number; tps: number } | null = null;
    for (const [th, r] of peers) {
      const v = tps(r);
      if (v !== null && (!best || v > best.tps)) best = { threads: th, tps: v };
    }
    const first = peers.get(1)!;
    const comparable = first.comparable;
    const peerFields = (threads: number): BenchRecord => {
      const same = tps(peers.get(threads));
      const f: BenchRecord = {
        torch_tokens_per_s: best ? Math.round(best.tps) : null,
        torch_best_threads: best ? best.threads : null,
        torch_same_threads_tokens_per_s: same === null ? null : Math.round(same),
        torch_blas: first.result ? String(first.result.torch_blas) : null,
      };
      if (first.reason) f.torch_reason = first.reason;
      return f;
    };
    // the same three batches, in the same order, for every run: the loss curves must agree
    const batches = [0, 1, 2].map((i) => randomBatch(B, T, vocab, i + 1));
    let fastCurve: number[] | null = null;
    const run = async (threads: number | undefined): Promise<BenchRecord> => {
      const rssBefore = process.memoryUsage().rss;
      const { trainer, reason } = explainFastTrainer(model, { batchSize: B, seqLength: T, learningRate: p.training.learningRate, optimizer: p.training.optimizer, clipNorm: p.training.clipNorm, weightDecay: p.training.weightDecay, seed: p.training.seed, threads });
      if (!trainer) return { bench: 'train', ...common(p), kernels: 'fast', tokens_per_s: null, reason };
      try {
        let peak = process.memoryUsage().rss;
        const curve = [trainer.step(batches[0].x, batches[0].y, T, 0).loss];
        let n = 0;
        const t0 = performance.now();
        let cpu = 0;
        while (performance.now() - t0 < seconds * 1000 || n < 3) {
          const b = batches[(n + 1) % 3];
          const c0 = process.cpuUsage();
          curve.push(trainer.step(b.x, b.y, T, n + 1).loss);
          const c = process.cpuUsage(c0);
          cpu += (c.user + c.system) / 1e6;
          n++;
          peak = Math.max(peak, process.memoryUsage().rss);
          await breathe(opts.signal);
        }
        if (!fastCurve) fastCurve = curve;
        const v = (n * tokens) / ((performance.now() - t0) / 1000);
        const rec: BenchRecord = { bench: 'train', ...common(p), kernels: 'fast', threads: trainer.threads, batch: B, seq: T, tokens_per_s: Math.round(v), ...peerFields(trainer.threads) };
        // CPU time (all threads of this process): steadier than wall time on a shared machine;
        // compared with the peer's at one thread each, where it measures the same thing
        rec.tokens_per_cpu_s = Math.round((n * tokens) / cpu);
        const peerCpu = peers.get(1)?.result?.tokens_per_cpu_s;
        rec.ratio_cpu_1_thread = trainer.threads === 1 && peerCpu && comparable ? r3(rec.tokens_per_cpu_s / Number(peerCpu)) : null;
        rec.ratio = best && comparable ? r3(v / best.tps) : null;
        const same = tps(peers.get(trainer.threads));
        rec.ratio_same_threads = same !== null && comparable ? r3(v / same) : null;
        // RSS is the whole process's: earlier presets (and tfjs baselines) leave memory behind, so
        // the rise during this run is given too; the first preset's peak is its own
        Object.assign(rec, { peak_rss_mb: mb(peak), rss_before_mb: mb(rssBefore), peak_rss_rise_mb: mb(peak - rssBefore), wasm_mb: mb(trainer.memoryBytes) });
        return rec;
      } finally {
        trainer.dispose();
      }
    };
    for (const threads of opts.threads ? [opts.threads] : [undefined, 1]) {
      const rec = await run(threads);
      emit(rec);
      if (rec.tokens_per_s === null) break;
    }
    if (opts.baseline !== false) {
      const params = model.countParams();
      if (params > 3e6 && tf.getBackend() !== 'tensorflow') emit({ bench: 'train', ...common(p), kernels: 'tfjs', tokens_per_s: null, reason: `skipped: ${Math.round(params / 1e6)}M parameters is too slow for a baseline run on ${tf.getBackend()}` });
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
          await breathe(opts.signal);
        }
        const v = (n * tokens) / ((performance.now() - t0) / 1000);
        stepper.dispose();
        // dropout draws differ (tfjs's Math.random stream vs our masks): no curve comparison then
        const hasDropout = p.model.dropout > 0 || p.model.recurrentDropout > 0;
        const fc = fastCurve as number[] | null;
        const steps = fc ? Math.min(fc.length, curve.length) : 0;
        const diff = fc && !hasDropout ? Math.max(...curve.slice(0, steps).map((l, i) => Math.abs(l - fc[i]))) : null;
        emit({ bench: 'train', ...common(p), kernels: 'tfjs', batch: B, seq: T, tokens_per_s: Math.round(v), ...peerFields(1), ratio: best && comparable ? r3(v / best.tps) : null, peak_rss_mb: mb(peak), curve_steps: steps, curve_max_diff_vs_fast: diff === null ? null : Number(diff.toExponential(2)), tfjs_curve: curve.slice(0, 5).map((l) => Number(l.toFixed(5))).join(' '), fast_curve: fc ? fc.slice(0, 5).map((l) => Number(l.toFixed(5))).join(' ') : null });
      }
    }
    model.dispose();
  }
  return out;
}

/** One human-readable line per record, for a terminal. */
export function formatRecord(r: BenchRecord): string {
  const head = `${r.bench} ${r.preset} (${r.units}) ${r.kernels} on ${r.backend}, load ${r.load_avg}`;
  const why = r.torch_reason ? `; PyTorch: ${r.torch_reason}` : '';
  if (r.bench === 'preset') return `preset ${r.preset} (${r.units}), load ${r.load_avg}: ${r.model}; ${r.params} parameters, ${r.forward_mflops_per_token} MFLOP per token forward; batch ${r.batch} x ${r.seq} steps${r.note ? `; ${r.note}` : ''}`;
  if (r.bench === 'init') return `${head}: orthogonal recurrent kernels for ${r.layers} layer(s) in ${r.orthogonal_ms} ms (${r.cpu_ms} ms CPU)`;
  if (r.bench === 'sample') {
    if (r.median_ms === null) return `${head}: not used: ${r.reason}${why}`;
    const torch = r.torch_median_ms != null ? `, PyTorch ${r.torch_median_ms} ms${r.speedup_vs_torch != null ? ` (${r.speedup_vs_torch}x)` : ''}` : '';
    return `${head}, batch ${r.batch}: median ${r.median_ms} ms/step, p99 ${r.p99_ms} ms, CPU ${r.cpu_ms} ms/step${r.per_variation_ms != null ? ` (${r.per_variation_ms} ms per variation)` : ''}${torch}${why}`;
  }
  if (r.tokens_per_s === null) return `${head}: not used: ${r.reason}`;
  const torch = r.torch_tokens_per_s != null ? `, PyTorch best ${r.torch_tokens_per_s} tokens/s (${r.torch_best_threads} thread(s)), ratio ${r.ratio}${r.ratio_same_threads != null ? `, same threads ${r.ratio_same_threads}` : ''}` : '';
  const curve = r.curve_max_diff_vs_fast != null ? `; loss curve vs fast over ${r.curve_steps} steps: max diff ${r.curve_max_diff_vs_fast}` : '';
  const cpu = r.ratio_cpu_1_thread != null ? `, per CPU second ${r.ratio_cpu_1_thread} of PyTorch's` : '';
  const rise = r.peak_rss_rise_mb != null ? ` (+${r.peak_rss_rise_mb} MB during the run)` : '';
  return `${head}${r.threads ? `, threads ${r.threads}` : ''}: ${r.tokens_per_s} tokens/s${torch}${cpu}, peak RSS ${r.peak_rss_mb} MB${rise}${curve}${why}`;
}
