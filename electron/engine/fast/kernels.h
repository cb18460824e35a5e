/*
 * Seedsong fast kernels: WebAssembly SIMD (128-bit) code for the stateful samplers and CPU training
 * (LSTM and GPT). Shared by gemm.c (matrix products, orthogonal init), lstm.c, gpt.c and optim.c,
 * which build-kernels.sh (`npm run build:kernels`) compiles and links into one WebAssembly module,
 * committed as base64 in kernels-wasm.ts so no compiler or file lookup is needed at run time.
 *
 * Why hand-written: tfjs runs an LSTM step as ~20 small ops, each a kernel launch with its own
 * allocation; at batch 1 that overhead dominates and training on wasm is ~27x slower than PyTorch.
 * Here one call does a whole layer step, the weights are pre-packed for streaming, and training runs
 * forward + backward through time over one batch in a single call.
 *
 * Memory is owned by JavaScript: every pointer below is an offset JS allocated in the imported
 * memory. No libc: expf/tanhf are written here (float32, ~1-2 ulp), enough for the 1e-5 check.
 */
#ifndef SEEDSONG_KERNELS_H
#define SEEDSONG_KERNELS_H
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* Phase marks for bench/lstm-phases.ts: built with -DSEEDSONG_PROFILE, PROF(n) calls the imported
 * env.prof_mark(n) ("from here on, time goes to phase n"); in the shipped module it is nothing. */
#ifdef SEEDSONG_PROFILE
__attribute__((import_module("env"), import_name("prof_mark"))) void prof_mark(int phase);
#define PROF(n) prof_mark(n)
#else
#define PROF(n) ((void)0)
#endif

typedef v128_t f4;

/* ---------------------------------------------------------------- math */

static inline f4 v_exp(f4 x) {
  /* pmax/pmin (a < b ? b : a, b < a ? b : a) are one instruction each; f32x4.max/min, with their
   * NaN and -0 rules, are ~7 under V8. Same values here (a NaN x stays NaN). */
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  /* n = round-to-nearest-even(x log2 e) by adding 1.5 * 2^23 (the float addition rounds; |x log2 e|
   * < 2^22): the same n as f32x4.nearest, and its integer is the low bits of j, so no float-to-int
   * conversion (V8's saturating one is ~7 instructions) */
  const f4 magic = wasm_f32x4_splat(12582912.0f);
  f4 j = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), magic);
  f4 n = wasm_f32x4_sub(j, magic);
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  /* exp(r) on |r| <= ln2/2 by its Taylor series to r^7 (truncation < 2e-9 relative). */
  f4 p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  /* j's bits are 0x4B400000 + n: its low 9 bits plus 127 are the exponent field of 2^n */
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(j, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline f4 v_sigmoid(f4 x) {
  f4 one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(x))));
}

/* tfjs: clip(0.5 + 0.2 * x, 0, 1), rounded in the same order. */
static inline f4 v_hard_sigmoid(f4 x) {
  f4 y = wasm_f32x4_add(wasm_f32x4_splat(0.5f), wasm_f32x4_mul(wasm_f32x4_splat(0.2f), x));
  return wasm_f32x4_pmin(wasm_f32x4_pmax(y, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f)); /* see v_exp */
}

/* tanh(x) = sign(x) * (1 - e) / (1 + e), e = exp(-2|x|): no cancellation for large |x|; for tiny
 * |x| the absolute error stays ~1e-7, which is what the probability check cares about. */
static inline f4 v_tanh(f4 x) {
  f4 ax = wasm_f32x4_abs(x);
  f4 e = v_exp(wasm_f32x4_mul(ax, wasm_f32x4_splat(-2.0f)));
  f4 one = wasm_f32x4_splat(1.0f);
  f4 t = wasm_f32x4_div(wasm_f32x4_sub(one, e), wasm_f32x4_add(one, e));
  /* small |x|: odd Taylor series avoids 1 - e losing digits relative to x */
  f4 x2 = wasm_f32x4_mul(x, x);
  f4 s = wasm_f32x4_mul(x2, wasm_f32x4_splat(2.0f / 15.0f));
  s = wasm_f32x4_add(s, wasm_f32x4_splat(-1.0f / 3.0f));
  s = wasm_f32x4_add(wasm_f32x4_mul(s, x2), one);
  f4 small = wasm_f32x4_mul(ax, s);
  t = wasm_v128_bitselect(small, t, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.004f)));
  return wasm_v128_or(t, wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000)));
}

/* natural log for the loss only (the gradient does not use it) */
static inline float s_log(float x) {
  union { float f; int32_t i; } v = { x };
  int e = ((v.i >> 23) & 255) - 127;
  v.i = (v.i & 0x007fffff) | 0x3f800000;
  float m = v.f;
  if (m > 1.41421356f) { m *= 0.5f; e += 1; }
  float f = m - 1.0f, s = f / (2.0f + f), s2 = s * s;
  float p = s * (2.0f + s2 * (2.0f / 3.0f + s2 * (2.0f / 5.0f + s2 * (2.0f / 7.0f + s2 * (2.0f / 9.0f)))));
  return (float)e * 0.693147180559945f + p;
}

static inline f4 v_gate(f4 x, int hard) { return hard ? v_hard_sigmoid(x) : v_sigmoid(x); }

static inline float hmax(f4 v) {
  float a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  float c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  float m = a > b ? a : b; float n = c > d ? c : d; return m > n ? m : n;
}

static inline float hsum(f4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

/* ---------------------------------------------------------------- dropout masks */

/* Each element's keep bit is a hash of (step seed, site, global row, column): the same masks
 * whichever thread takes which rows, and recomputed in the backward pass instead of stored. */
static inline uint32_t mix1(uint32_t h) {
  h ^= h >> 16; h *= 0x7feb352dU; h ^= h >> 15; h *= 0x846ca68bU; h ^= h >> 16;
  return h;
}

static inline v128_t mix4(v128_t h) {
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat((int32_t)0x7feb352dU));
  h = wasm_v128_xor(h, wasm_u32x4_shr(h, 15));
  h = wasm_i32x4_mul(h, wasm_i32x4_splat((int32_t)0x846ca68bU));
  return wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
}

/* y[0..n) *= dropout mask of (seed, site, global row): kept elements scaled by 1/keep. n % 4 == 0. */
static inline void drop_row(float* y, int n, uint32_t seed, int site, int grow, float keep) {
  const uint32_t key = mix1(seed ^ mix1((uint32_t)site * 0x9E3779B9U + (uint32_t)grow * 0x85EBCA77U));
  const v128_t thresh = wasm_i32x4_splat((int32_t)(uint32_t)(keep * 16777216.0f));
  const f4 inv = wasm_f32x4_splat(1.0f / keep), zero = wasm_f32x4_splat(0);
  const v128_t step = wasm_i32x4_make(0, 1, 2, 3);
  for (int j = 0; j < n; j += 4) {
    v128_t idx = wasm_i32x4_add(wasm_i32x4_splat(j), step);
    v128_t h = mix4(wasm_i32x4_add(wasm_i32x4_splat((int32_t)key), wasm_i32x4_mul(idx, wasm_i32x4_splat((int32_t)0x27d4eb2fU))));
    v128_t kept = wasm_u32x4_lt(wasm_u32x4_shr(h, 8), thresh);
    f4 m = wasm_v128_bitselect(inv, zero, kept);
    wasm_v128_store(y + j, wasm_f32x4_mul(wasm_v128_load(y + j), m));
  }
}

/* gemm.c */
void pack_b(const float* B, int k, int n, int ldb, float* pack);
void gemm_packed(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate);
void gemm_packed_t(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate);
void gemm_nn(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc, int accumulate, float* pack);
void gemm_tn(int m, int n, int k, const float* A, int lda, const float* D, int ldd, float* C, int ldc, float* at, float* pack);
void transpose(const float* src, int rows, int cols, int lds, float* dst, int ldd);
void pack_bt_rows(const float* W, int ldw, const int32_t* idx, int n, int k, float* pack);
void gemm_packed_gather(int m, int n, int k, const float* A, int lda, const float* pack, int K, const int32_t* off, float* C, int ldc, int accumulate);
void gemm_packed_scatter(int m, int n, int k, const float* A, int lda, const float* pack, float* C, const int32_t* idx, int ldc);
/* lstm.c */
void softmax_rows(const float* Z, int rows, int n, int ld, float* out, int ldo);

#endif
