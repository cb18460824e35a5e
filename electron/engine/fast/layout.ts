/**
 * Where everything lives in one training shard's wasm memory, and the Net struct train_step reads
 * (lstm.c: 31 words, then 4 Layer structs of 13 words, then the first layer's table pointer, the
 * five per-batch-row scratch pointers of sparse input dropout, the chunk's first row, the dropout
 * seed and the keep rate of the Dropout after each LSTM layer; all ints, floats or 32-bit pointers).
 * Computed once on the main thread and sent to workers as plain numbers.
 */
export const NET_WORDS = 31 + 4 * 13 + 1 + 5 + 2 + 4;
export const MAX_LAYERS = 4;

export interface TrainShape {
  vocab: number;
  embedding: number;
  units: number[];
  hard: boolean;
  /** input dropout rate per LSTM layer (0 = none) */
  dropout?: number[];
  /** rate of a Dropout layer after each LSTM layer (0 = none; model.ts's 'output' placement) */
  outDropout?: number[];
}

export interface ParamSegment {
  /** offset in floats from the start of the parameter block */
  at: number;
  rows: number;
  cols: number;
  /** stored row stride (>= cols: the output layer is padded to a multiple of 8 columns) */
  ld: number;
  /** weight decay applies (matrices: kernels, embeddings; not biases or LayerNorm gains) */
  decay: boolean;
}

/** Word indices in a net struct that JS (main thread and workers) writes or reads per chunk. */
export interface NetFields {
  T: number;
  B: number;
  forwardOnly: number;
  scale: number;
  loss: number;
  correct: number;
  /** first batch row of the chunk (GPT: dropout masks hash the global row) */
  row0?: number;
  /** dropout seed of the step (GPT) */
  dseed?: number;
}

export interface ShardLayout {
  bytes: number;
  net: number;
  words: Int32Array;
  /** byte offsets; grads mirror params at the same relative positions */
  params: number;
  grads: number;
  /** floats in the parameter block (including alignment gaps, which stay zero) */
  paramFloats: number;
  segments: ParamSegment[];
  x: number;
  y: number;
  /** byte offset of each LSTM layer's dropout mask ([batch][input] floats), 0 when it has none */
  masks: number[];
  /** input size of each LSTM layer */
  inputs: number[];
  /** largest batch rows and rows x time this shard was laid out for */
  batch: number;
  rows: number;
  /** the kernel export that runs one chunk: train_step (LSTM) or gpt_train_step */
  entry: 'train_step' | 'gpt_train_step';
  fields: NetFields;
}

const A16 = (n: number) => Math.ceil(n / 16) * 16;

export function paddedVocab(vocab: number): number {
  return Math.ceil(vocab / 8) * 8;
}

/** Parameter block layout: embedding, then [kernel, recurrent, bias] per LSTM, then dense kernel and bias. */
export function paramSegments(s: TrainShape): { segments: ParamSegment[]; floats: number } {
  const segs: ParamSegment[] = [];
  let at = 0;
  const add = (rows: number, cols: number, ld = cols) => {
    segs.push({ at, rows, cols, ld, decay: rows > 1 });
    at += A16(rows * ld);
  };
  add(s.vocab, s.embedding);
  let inDim = s.embedding;
  for (const u of s.units) {
    add(inDim, 4 * u);
    add(u, 4 * u);
    add(1, 4 * u);
    inDim = u;
  }
  const vp = paddedVocab(s.vocab);
  add(inDim, s.vocab, vp);
  add(1, s.vocab, vp);
  return { segments: segs, floats: at };
}

/** Lays out one shard (batch rows x time steps) starting at byte offset `base` (the heap base). */
export function layoutShard(s: TrainShape, batch: number, time: number, base: number): ShardLayout {
  const rows = batch * time;
  const { segments, floats } = paramSegments(s);
  let top = Math.ceil(base / 64) * 64;
  const alloc = (nFloats: number) => {
    const at = top;
    top += Math.ceil((nFloats * 4) / 64) * 64;
    return at;
  };
  const net = alloc(NET_WORDS);
  const params = alloc(floats);
  const grads = alloc(floats);
  const vp = paddedVocab(s.vocab);
  const umax = Math.max(...s.units);
  const dimMax = Math.max(umax, s.embedding);
  const g4max = 4 * umax;
  const x = alloc(rows);
  const y = alloc(rows);
  const X0 = alloc(rows * s.embedding);
  const Z = alloc(rows * vp);
  const dH = alloc(rows * dimMax);
  const dX = alloc(rows * s.embedding);
  const dG = alloc(rows * g4max);
  const dh = alloc(batch * umax);
  const dc = alloc(batch * umax);
  const at = alloc(rows * dimMax);
  let packFloats = rows * Math.max(g4max, vp);
  let inDim = s.embedding;
  let wtFloats = vp * s.units[s.units.length - 1];
  for (const u of s.units) {
    packFloats = Math.max(packFloats, inDim * 4 * u, u * 4 * u);
    wtFloats = Math.max(wtFloats, 4 * u * Math.max(u, inDim));
    inDim = u;
  }
  packFloats = Math.max(packFloats, vp * inDim);
  const pack = alloc(packFloats);
  const wt = alloc(wtFloats);
  const upack = alloc(Math.max(...s.units.map((u) => 4 * u * u)));
  const xm = alloc(rows * dimMax);
  const w = new Int32Array(NET_WORDS);
  const f = new Float32Array(w.buffer);
  const p = (seg: number) => params + segments[seg].at * 4;
  const g = (seg: number) => grads + segments[seg].at * 4;
  w.set([s.vocab, vp, s.embedding, s.units.length, time, batch, s.hard ? 1 : 0, 0], 0);
  f[8] = 1;
  w.set([x, y, p(0), g(0)], 9);
  const last = 1 + 3 * s.units.length;
  w.set([p(last), p(last + 1), g(last), g(last + 1)], 13);
  w.set([X0, Z, dH, dX, dG, dh, dc, at, pack, wt, upack, xm], 17);
  w[31 + 4 * 13] = alloc(s.vocab * 4 * s.units[0]);
  // sparse input dropout (lstm.c sparse_input): kept indices, the row's gathered inputs both ways,
  // their gradient, the kept rows of W packed; only laid out when some layer has input dropout
  const anyDropout = (s.dropout ?? []).some((r) => r > 0);
  if (anyDropout) {
    let wpack = 0;
    let ind = s.embedding;
    for (const u of s.units) {
      wpack = Math.max(wpack, Math.ceil(ind / 8) * 8 * 4 * u);
      ind = u;
    }
    w.set([alloc(dimMax), alloc(time * dimMax), alloc(time * dimMax), alloc(time * dimMax), alloc(wpack)], 31 + 4 * 13 + 1);
  }
  for (let l = 0; l < MAX_LAYERS; l++) f[OUT_KEEP + l] = 1 - (s.outDropout?.[l] ?? 0);
  inDim = s.embedding;
  const masks: number[] = [];
  const inputs: number[] = [];
  s.units.forEach((u, l) => {
    const o = 31 + 13 * l;
    const mask = (s.dropout?.[l] ?? 0) > 0 ? alloc(batch * inDim) : 0;
    masks.push(mask);
    inputs.push(inDim);
    const seg = 1 + 3 * l;
    const G = alloc(rows * 4 * u);
    const C = alloc(rows * u);
    const TC = alloc(rows * u);
    const H = alloc(rows * u);
    w.set([inDim, u, p(seg), p(seg + 1), p(seg + 2), g(seg), g(seg + 1), g(seg + 2), G, C, TC, H, mask], o);
    inDim = u;
  });
  return { bytes: top, net, words: w, params, grads, paramFloats: floats, segments, x, y, masks, inputs, batch, rows, entry: 'train_step', fields: NET };
}

/** Net struct word indices JS writes or reads per step. */
export const NET: NetFields = { T: 4, B: 5, forwardOnly: 7, scale: 8, loss: 29, correct: 30, row0: 89, dseed: 90 };
/** Word index of out_keep[0] (the Dropout after each LSTM layer). */
const OUT_KEEP = 91;
