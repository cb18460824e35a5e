/**
 * One token at a time through a GPT on the SIMD kernels, with a key/value cache: each step costs
 * one position per block (its projections as panel GEMVs, attention over the cached keys and
 * values), as electron/engine/gpt.ts's GptKvStepModel does on tfjs, and gives the same
 * probabilities (tested to 1e-5). When the window is full it slides as that one does: every
 * position then changes, so the cache is rebuilt from the last `window` tokens.
 *
 * The weights are copied when the sampler is created: after they change, create a new one.
 */
import { KernelInstance, kernelModule } from './wasm';
import { readWeights } from './spec';
import { packPanels } from './panels';
import type { StepModel } from '../step';
import type { GptModelSpec } from './gpt-spec';

const PANEL = 32;
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

interface Dense {
  k: number;
  n: number;
  np: number;
  packed: number;
  bias: number;
}

interface BlockBuffers {
  ln1g: number;
  ln1b: number;
  qkv: Dense;
  out: Dense;
  ln2g: number;
  ln2b: number;
  mlpIn: Dense;
  mlpOut: Dense;
  /** [batch][ctx][W] */
  keys: number;
  values: number;
}

export class FastGptSampler implements StepModel {
  readonly vocabSize: number;
  private wasm: KernelInstance | null;
  private readonly W: number;
  private readonly H: number;
  private readonly eps: number;
  private readonly context: number;
  private readonly emb: number;
  private readonly pos: number;
  private readonly blocks: BlockBuffers[] = [];
  private readonly lnfg: number;
  private readonly lnfb: number;
  private readonly logitsDense: Dense;
  private capacity = 0;
  private batch = 0;
  private history: number[][] = [];
  /** positions in the cache */
  private filled = 0;
  private tokens = 0;
  private x = 0;
  private a = 0;
  private qkvOut = 0;
  private att = 0;
  private o = 0;
  private h = 0;
  private logits = 0;
  private probs = 0;
  private scores = 0;

  constructor(spec: GptModelSpec, window?: number) {
    const { shape, parts } = spec;
    this.vocabSize = shape.vocab;
    this.W = shape.width;
    this.H = shape.heads;
    this.eps = shape.epsilon;
    this.context = Math.max(1, Math.min(shape.context, window ?? Infinity));
    const w = (this.wasm = new KernelInstance(kernelModule()!));
    const W = this.W;
    const put = (data: Float32Array, floats = data.length) => {
      const at = w.alloc(floats);
      w.f32(at, data.length).set(data);
      return at;
    };
    const dense = (kernel: Float32Array, bias: Float32Array, k: number, n: number): Dense => {
      const np = roundUp(n, PANEL);
      const packed = w.alloc(np * k);
      const rows: Float32Array[] = [];
      const offs: number[] = [];
      for (let r = 0; r < k; r++) (rows.push(kernel), offs.push(r * n));
      packPanels(w.f32(packed, np * k), rows, offs, k, n);
      return { k, n, np, packed, bias: put(bias, np) };
    };
    this.emb = put(readWeights(parts.embedding)[0]);
    this.pos = put(readWeights(parts.positions)[0]);
    for (const b of parts.blocks) {
      const [g1, b1] = readWeights(b.ln1);
      const [qk, qb, ok, ob] = readWeights(b.attention);
      const [g2, b2] = readWeights(b.ln2);
      const [ik, ib] = readWeights(b.mlpIn);
      const [mk, mb] = readWeights(b.mlpOut);
      this.blocks.push({ ln1g: put(g1), ln1b: put(b1), qkv: dense(qk, qb, W, 3 * W), out: dense(ok, ob, W, W), ln2g: put(g2), ln2b: put(b2), mlpIn: dense(ik, ib, W, 4 * W), mlpOut: dense(mk, mb, 4 * W, W), keys: 0, values: 0 });
    }
    const [fg, fb] = readWeights(parts.finalLn);
    this.lnfg = put(fg);
    this.lnfb = put(fb);
    const [dk, db] = readWeights(parts.logits);
    this.logitsDense = dense(dk, db ?? new Float32Array(this.vocabSize), W, this.vocabSize);
    this.reset(1);
  }

  get batchSize(): number {
    return this.batch;
  }

  private ensureCapacity(batch: number): void {
    if (batch <= this.capacity) return;
    const w = this.wasm!;
    const W = this.W;
    const b0 = this.blocks[0];
    this.tokens = w.alloc(batch);
    this.x = w.alloc(batch * W);
    this.a = w.alloc(batch * W);
    this.qkvOut = w.alloc(batch * b0.qkv.np);
    this.att = w.alloc(batch * W);
    this.o = w.alloc(batch * b0.out.np);
    this.h = w.alloc(batch * b0.mlpIn.np);
    this.logits = w.alloc(batch * this.logitsDense.np);
    this.probs = w.alloc(batch * this.vocabSize);
    this.scores = w.alloc(this.context + 4);
    for (const b of this.blocks) {
      b.keys = w.alloc(batch * this.context * W);
      b.values = w.alloc(batch * this.context * W);
    }
    this.capacity = batch;
  }

  reset(batch: number): void {
    if (!this.wasm) throw new Error('the fast sampler was disposed');
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    this.ensureCapacity(batch);
    this.batch = batch;
    this.history = Array.from({ length: batch }, () => []);
    this.filled = 0;
  }

  step(tokenIds: ArrayLike<number>): Float32Array {
    const w = this.wasm;
    if (!w) throw new Error('the fast sampler was disposed');
    const B = this.batch;
    if (tokenIds.length !== B) throw new RangeError(`step expects ${B} token ids (one per variation), got ${tokenIds.length}`);
    const V = this.vocabSize;
    for (let b = 0; b < B; b++) {
      const t = tokenIds[b];
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`token id ${t} is outside the vocabulary (0..${V - 1})`);
      this.history[b].push(t);
    }
    if (this.filled < this.context) {
      this.feed(tokenIds, this.filled++);
    } else {
      // the window slides: positions restart at the oldest kept token
      for (const h of this.history) h.splice(0, h.length - this.context);
      this.filled = 0;
      const ids = new Int32Array(B);
      for (let p = 0; p < this.context; p++) {
        for (let b = 0; b < B; b++) ids[b] = this.history[b][p];
        this.feed(ids, this.filled++, p === this.context - 1);
      }
    }
    const x = w.exports;
    const ld = this.logitsDense;
    x.softmax_rows(this.logits, B, V, ld.np, this.probs, V);
    return w.f32(this.probs, B * V).slice();
  }

  /** Runs one position for every row, extending the caches; the logits only when `logits`. */
  private feed(tokenIds: ArrayLike<number>, p: number, logits = true): void {
    const w = this.wasm!;
    const x = w.exports;
    const B = this.batch;
    const W = this.W;
    w.i32(this.tokens, B).set(tokenIds);
    x.gpt_embed_rows(this.x, B, W, this.emb, this.pos, this.tokens, p);
    const dense = (d: Dense, input: number, ldx: number, out: number) => {
      x.init_rows(out, B, d.np, d.np, d.bias, 0, 0);
      x.gemv_panels(input, B, d.k, ldx, d.packed, d.np, out, d.np);
    };
    const addRows = (src: number, ld: number) => {
      if (ld === W) x.add_to(this.x, src, B * W);
      else for (let b = 0; b < B; b++) x.add_to(this.x + b * W * 4, src + b * ld * 4, W);
    };
    for (const blk of this.blocks) {
      x.gpt_layernorm_rows(this.x, B, W, blk.ln1g, blk.ln1b, this.eps, this.a);
      dense(blk.qkv, this.a, W, this.qkvOut);
      x.gpt_attend_step(this.qkvOut, blk.qkv.np, B, W, this.H, p, blk.keys, blk.values, this.context, this.att, this.scores);
      dense(blk.out, this.att, W, this.o);
      addRows(this.o, blk.out.np);
      x.gpt_layernorm_rows(this.x, B, W, blk.ln2g, blk.ln2b, this.eps, this.a);
      dense(blk.mlpIn, this.a, W, this.h);
      x.gpt_gelu(this.h, B * blk.mlpIn.np);
      dense(blk.mlpOut, this.h, blk.mlpIn.np, this.o);
      addRows(this.o, blk.mlpOut.np);
    }
    if (!logits) return;
    x.gpt_layernorm_rows(this.x, B, W, this.lnfg, this.lnfb, this.eps, this.a);
    dense(this.logitsDense, this.a, W, this.logits);
  }

  dispose(): void {
    this.wasm = null;
  }
}
