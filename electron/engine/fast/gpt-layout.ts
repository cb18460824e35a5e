/**
 * Where everything lives in one GPT training shard's wasm memory, and the GptNet struct
 * gpt_train_step reads (gpt.c: 44 words, then up to 12 Block structs of 35 words; all ints,
 * floats or 32-bit pointers). Computed once on the main thread and sent to workers as numbers.
 */
import { paddedVocab, type NetFields, type ParamSegment, type ShardLayout } from './layout';

export const GPT_MAX_BLOCKS = 12;
const HEAD_WORDS = 44;
const BLOCK_WORDS = 35;
export const GPT_NET_WORDS = HEAD_WORDS + GPT_MAX_BLOCKS * BLOCK_WORDS;

export interface GptShape {
  vocab: number;
  width: number;
  blocks: number;
  heads: number;
  /** rows of the position table */
  context: number;
  /** dropout rate of the embedding, attention and MLP outputs (0 = none) */
  dropout: number;
  /** LayerNorm epsilon (every LayerNorm of the model uses the same) */
  epsilon: number;
}

export const GPT_FIELDS: NetFields = { T: 4, B: 5, forwardOnly: 7, scale: 8, loss: 29, correct: 30, row0: 24, dseed: 25 };

const A16 = (n: number) => Math.ceil(n / 16) * 16;

/** Names of one block's weights in segment order (and in the tfjs layers' getWeights() order). */
export const GPT_BLOCK_WEIGHTS = ['ln1_gamma', 'ln1_beta', 'qkv_kernel', 'qkv_bias', 'out_kernel', 'out_bias', 'ln2_gamma', 'ln2_beta', 'mlp_in_kernel', 'mlp_in_bias', 'mlp_out_kernel', 'mlp_out_bias'] as const;

/**
 * Parameter block: token embedding, position table, 12 weights per block, final LayerNorm gain and
 * bias, logits kernel and bias (padded to a multiple of 8 columns). Matrices decay, vectors do not.
 */
export function gptParamSegments(s: GptShape): { segments: ParamSegment[]; floats: number } {
  const segs: ParamSegment[] = [];
  let at = 0;
  const add = (rows: number, cols: number, decay: boolean, ld = cols) => {
    segs.push({ at, rows, cols, ld, decay });
    at += A16(rows * ld);
  };
  const w = s.width;
  add(s.vocab, w, true);
  add(s.context, w, true);
  for (let l = 0; l < s.blocks; l++) {
    add(1, w, false);
    add(1, w, false);
    add(w, 3 * w, true);
    add(1, 3 * w, false);
    add(w, w, true);
    add(1, w, false);
    add(1, w, false);
    add(1, w, false);
    add(w, 4 * w, true);
    add(1, 4 * w, false);
    add(4 * w, w, true);
    add(1, w, false);
  }
  add(1, w, false);
  add(1, w, false);
  const vp = paddedVocab(s.vocab);
  add(w, s.vocab, true, vp);
  add(1, s.vocab, false, vp);
  return { segments: segs, floats: at };
}

/** Lays out one shard (batch rows x time steps) starting at byte offset `base` (the heap base). */
export function layoutGptShard(s: GptShape, batch: number, time: number, base: number): ShardLayout {
  const R = batch * time;
  const W = s.width;
  const Tp = Math.ceil(time / 8) * 8;
  const { segments, floats } = gptParamSegments(s);
  let top = Math.ceil(base / 64) * 64;
  const alloc = (nFloats: number) => {
    const at = top;
    top += Math.ceil((Math.max(1, nFloats) * 4) / 64) * 64;
    return at;
  };
  const net = alloc(GPT_NET_WORDS);
  const params = alloc(floats);
  const grads = alloc(floats);
  const vp = paddedVocab(s.vocab);
  const x = alloc(R);
  const y = alloc(R);
  const w = new Int32Array(GPT_NET_WORDS);
  const f = new Float32Array(w.buffer);
  const p = (seg: number) => params + segments[seg].at * 4;
  const g = (seg: number) => grads + segments[seg].at * 4;
  w.set([s.vocab, vp, W, s.blocks, time, batch, s.heads, 0], 0);
  f[8] = 1;
  w[9] = Tp;
  w.set([x, y, p(0), g(0), p(1), g(1)], 10);
  const fin = 2 + 12 * s.blocks;
  w.set([p(fin), p(fin + 1), g(fin), g(fin + 1), p(fin + 2), p(fin + 3), g(fin + 2), g(fin + 3)], 16);
  w[24] = 0;
  w[25] = 0;
  f[26] = 1 - s.dropout;
  f[27] = s.epsilon;
  const big = Math.max(3 * W, 4 * W, vp);
  w[28] = alloc(Math.max(R * big, 4 * W * W, W * vp, 32 * Tp));
  // 29, 30: loss, correct (outputs)
  w.set([alloc(R * W), alloc(R * W), alloc(2 * R), alloc(R * vp)], 31);
  w.set([alloc(R * W), alloc(R * W), alloc(R * W), alloc(R * 3 * W), alloc(R * 4 * W)], 35);
  const d = W / s.heads;
  w.set([alloc(Math.max(4 * W * W, W * vp)), alloc(Math.max(R * 4 * W, R * vp, time * Tp)), alloc(time * Tp), alloc(d * Tp)], 40);
  for (let l = 0; l < s.blocks; l++) {
    const o = HEAD_WORDS + BLOCK_WORDS * l;
    const seg0 = 2 + 12 * l;
    for (let i = 0; i < 12; i++) {
      w[o + i] = p(seg0 + i);
      w[o + 12 + i] = g(seg0 + i);
    }
    w.set(
      [alloc(R * W), alloc(R * W), alloc(2 * R), alloc(R * 3 * W), alloc(batch * s.heads * time * Tp), alloc(R * W), alloc(R * W), alloc(R * W), alloc(2 * R), alloc(R * 4 * W), alloc(R * 4 * W)],
      o + 24,
    );
  }
  return { bytes: top, net, words: w, params, grads, paramFloats: floats, segments, x, y, masks: [], inputs: [], batch, rows: R, entry: 'gpt_train_step', fields: GPT_FIELDS };
}
