/**
 * Loads the hand-written SIMD kernels (the C sources -> WebAssembly, embedded as base64 so bundlers
 * and the engine process need no file lookup) and gives each user its own memory with a bump
 * allocator: samplers and trainers are long-lived and allocate once, so nothing is ever freed
 * except by dropping the whole instance.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

export interface KernelExports {
  __heap_base: WebAssembly.Global;
  gemv_panels(X: number, rows: number, k: number, ldx: number, P: number, np: number, Y: number, ldy: number): void;
  init_rows(Y: number, rows: number, n: number, ldy: number, bias: number, table: number, tokens: number): void;
  lstm_pointwise(G: number, ldg: number, C: number, rows: number, u: number, hard: number, h1: number, ld1: number, h2: number, ld2: number): void;
  softmax_rows(Z: number, rows: number, n: number, ld: number, out: number, ldo: number): void;
  gemm_nn(m: number, n: number, k: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, accumulate: number, pack: number): void;
  transpose(src: number, rows: number, cols: number, lds: number, dst: number, ldd: number): void;
  pack_b(B: number, k: number, n: number, ldb: number, pack: number): void;
  gemm_packed_gather(m: number, n: number, k: number, A: number, lda: number, pack: number, K: number, off: number, C: number, ldc: number, accumulate: number): void;
  train_step(net: number): void;
  gpt_train_step(net: number): void;
  gpt_embed_rows(X: number, rows: number, w: number, emb: number, pos: number, tokens: number, p: number): void;
  gpt_layernorm_rows(X: number, rows: number, w: number, g: number, b: number, eps: number, Y: number): void;
  gpt_gelu(X: number, count: number): void;
  gpt_attend_step(QKV: number, ldq: number, rows: number, W: number, H: number, p: number, K: number, V: number, ctx: number, out: number, scores: number): void;
  adam(w: number, g: number, m: number, v: number, n: number, a: number, b1: number, b2: number, c: number, eps: number, gscale: number, wdf: number): void;
  rmsprop(w: number, g: number, v: number, n: number, lr: number, rho: number, eps: number, gscale: number, wdf: number): void;
  sum_squares(g: number, n: number): number;
  orthonormalize_rows(A: number, rows: number, cols: number, qt: number, c: number, pack: number, from: number, to: number): void;
  add_to(dst: number, src: number, n: number): void;
  exp_vec(x: number, n: number): void;
  tanh_vec(x: number, n: number): void;
  sigmoid_vec(x: number, n: number): void;
  lstm_dropout_rows(Y: number, T: number, B: number, n: number, seed: number, layer: number, row0: number, keep: number): void;
}

let compiled: WebAssembly.Module | null = null;
let unsupported: string | null = null;

/** The compiled module (shared by every instance and postable to worker threads), or null. */
export function kernelModule(): WebAssembly.Module | null {
  if (compiled || unsupported) return compiled;
  try {
    compiled = new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  } catch (e) {
    unsupported = `WebAssembly SIMD kernels do not load here: ${(e as Error).message}`;
  }
  return compiled;
}

export function kernelsUnsupportedReason(): string | null {
  kernelModule();
  return unsupported;
}

const PAGE = 65536;

export class KernelInstance {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(module: WebAssembly.Module) {
    // 1 MB: the kernels' static scratch (gemm.c) sits below __heap_base
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.top = align(this.exports.__heap_base.value as number);
  }

  /** Bytes offset of `floats` zeroed 4-byte slots, 64-byte aligned (cache line, SIMD). */
  alloc(floats: number): number {
    const at = this.top;
    this.top = align(at + floats * 4);
    const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    return at;
  }

  get bytesUsed(): number {
    return this.top;
  }

  /** A view; re-take it after any alloc (growing detaches old views). */
  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
