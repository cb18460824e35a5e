/**
 * Where one LSTM training step spends its time, at one thread: `npx tsx bench/lstm-phases.ts
 * [--preset abc-token-lstm] [--steps 8] [--json]`. Builds the kernels once more with
 * build-kernels.sh and -DSEEDSONG_PROFILE (needs clang + lld), so lstm.c's PROF(n) marks call back into JavaScript, and
 * runs the trainer's own sequence per step (dropout masks, batch copies, train_step, clipping norm,
 * Adam) on one chunk of the whole batch, as the one-thread trainer does. Prints ms per step and the
 * share of each phase (CPU time), and tokens per CPU second (the marks cost a little: compare the bench's
 * figure for the absolute rate). Weights are random: the arithmetic does not depend on them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PRESETS } from '../electron/engine/hyperparameters';
import { BENCH_VOCAB } from '../electron/engine/fast/bench';
import { layoutShard, type TrainShape } from '../electron/engine/fast/layout';
import { dropoutMask } from '../electron/engine/fast/trainer';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'abc-token-lstm' }, steps: { type: 'string', default: '8' }, json: { type: 'boolean', default: false } } });
const preset = PRESETS.find((p) => p.name === values.preset);
if (!preset || preset.model.architecture !== 'lstm') throw new RangeError(`--preset: an LSTM preset, got ${values.preset}`);
const steps = Number(values.steps);

const PHASES: Record<number, string> = {
  0: 'train_step: return',
  1: 'embedding rows',
  2: 'fwd input: gather kept inputs, pack W rows',
  3: 'fwd input: GEMM',
  4: 'fwd: pack U',
  5: 'fwd recurrent GEMM',
  6: 'fwd gate math',
  7: 'masks, dropout copies',
  8: 'dense fwd GEMM (+bias)',
  9: 'softmax, loss, dZ',
  10: 'dense bwd: dWd (transpose + GEMM)',
  11: 'dense bwd: dbd, Wd^T, dH GEMM',
  12: 'bwd: transpose + pack U^T',
  13: 'bwd gate math',
  14: 'bwd recurrent GEMM',
  15: 'dU (pack A^T: see 26)',
  16: 'db',
  17: 'sparse bwd: gather X^T',
  18: 'sparse bwd: pack dG',
  19: 'sparse bwd: dW scatter GEMM',
  20: 'sparse bwd: pack W^T rows',
  21: 'sparse bwd: dX GEMM',
  22: 'sparse bwd: zero + scatter dX',
  23: 'dense-input bwd: dW, dX',
  24: 'embedding gradient',
  25: 'dU: pack dG',
  26: 'dU: GEMM',
  100: 'js: dropout masks (Rng)',
  101: 'js: copy batch + masks, zero grads',
  102: 'js: clip norm + Adam',
};

const dir = mkdtempSync(join(tmpdir(), 'lstm-phases-'));
const src = resolve(import.meta.dirname, '../electron/engine/fast');
try {
  execFileSync('sh', [join(src, 'build-kernels.sh'), '--out', dir], { env: { ...process.env, SEEDSONG_KERNEL_CFLAGS: `-DSEEDSONG_PROFILE ${process.env.SEEDSONG_KERNEL_CFLAGS ?? ''}` }, stdio: ['ignore', 'ignore', 'inherit'] });
} catch (e) {
  console.error(`build-kernels.sh failed (needs clang + lld): ${(e as Error).message}`);
  process.exit(1);
}
const bytes = readFileSync(join(dir, 'kernels.wasm'));
rmSync(dir, { recursive: true });

const time = new Float64Array(200);
let phase = 0;
let last = 0;
// CPU time of this (one-thread) process, not wall time: other processes on the machine do not count
const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const mark = (n: number) => {
  const now = cpuNow();
  time[phase] += now - last;
  phase = n;
  last = now;
};
const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, prof_mark: mark } });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const x = inst.exports as any;

const m = preset.model;
const vocab = BENCH_VOCAB[preset.encoding] ?? 128;
const B = preset.training.batchSize;
const T = preset.training.seqLength;
const shape: TrainShape = { vocab, embedding: m.embeddingSize, units: m.units, hard: false, dropout: m.units.map(() => (m.dropoutPlacement === 'output' ? 0 : m.dropout)), outDropout: m.units.map(() => (m.dropoutPlacement === 'output' ? m.dropout : 0)) };
const l0 = layoutShard(shape, B, T, Math.ceil((x.__heap_base.value as number) / 64) * 64);
let top = l0.bytes;
const alloc = (floats: number) => {
  const at = top;
  top += Math.ceil((floats * 4) / 64) * 64;
  return at;
};
const mOpt = alloc(l0.paramFloats);
const vOpt = alloc(l0.paramFloats);
memory.grow(Math.ceil(top / 65536) - memory.buffer.byteLength / 65536 + 1);
const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
const i32 = (at: number, n: number) => new Int32Array(memory.buffer, at, n);
i32(l0.net, l0.words.length).set(l0.words);
let s = 12345;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
const params = f32(l0.params, l0.paramFloats);
for (let i = 0; i < params.length; i++) params[i] = (rnd() - 0.5) * 0.1;
const xs = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * vocab));
const ys = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * vocab));
const inputs = [m.embeddingSize, ...m.units.slice(0, -1)];
const F = l0.fields;

function step(i: number): void {
  mark(100);
  const masks = shape.dropout!.map((r, l) => (r > 0 ? dropoutMask(1, i, l, B, inputs[l], r) : null));
  mark(101);
  const words = i32(l0.net, l0.words.length);
  const floats = f32(l0.net, l0.words.length);
  words[F.T] = T;
  words[F.B] = B;
  words[F.forwardOnly] = 0;
  floats[F.scale] = 1 / (B * T);
  words[F.row0!] = 0;
  words[F.dseed!] = i;
  i32(l0.x, B * T).set(xs);
  i32(l0.y, B * T).set(ys);
  masks.forEach((mk, l) => mk && f32(l0.masks[l], mk.length).set(mk));
  f32(l0.grads, l0.paramFloats).fill(0);
  x.train_step(l0.net); // marks its own phases, ends with PROF(0)
  mark(102);
  const norm = Math.sqrt(x.sum_squares(l0.grads, l0.paramFloats));
  const gscale = norm > 5 ? 5 / norm : 1;
  x.adam(l0.params, l0.grads, mOpt, vOpt, l0.paramFloats, 1e-3, 0.9, 0.999, 1, 1e-7, gscale, 1);
  mark(0);
}

step(0);
step(1);
time.fill(0);
const c0 = process.cpuUsage();
const t0 = performance.now();
last = cpuNow();
for (let i = 0; i < steps; i++) step(2 + i);
mark(0);
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
const cpu = (c.user + c.system) / 1e6;
const rows = [...time.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
const total = rows.reduce((a, [, v]) => a + v, 0);
const out = {
  preset: preset.name,
  batch: B,
  seq: T,
  steps,
  ms_per_step: Math.round((wall / steps) * 10) / 10,
  tokens_per_cpu_s: Math.round((steps * B * T) / cpu),
  phases: rows.map(([id, v]) => ({ id, phase: PHASES[id] ?? String(id), ms: Math.round((v / steps) * 100) / 100, share: Math.round((v / total) * 1000) / 10 })),
};
if (values.json) console.log(JSON.stringify(out));
else {
  console.log(`${out.preset} B${B} T${T}, one thread: ${out.ms_per_step} ms per step (wall), ${out.tokens_per_cpu_s} tokens per CPU second (with marks)`);
  for (const r of out.phases) console.log(`${String(r.ms).padStart(9)} CPU ms ${String(r.share).padStart(5)}%  ${r.phase}`);
}
