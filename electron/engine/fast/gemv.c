/* The batch-1 panel GEMV of sampling. A file of its own: build-kernels.sh compiles it without the
 * code-generation flags of the training kernels (with them its one-row loop ran 10-30% slower under
 * V8, most on weights streamed from memory: the 1024-unit MIT preset; splitting the row into two
 * 16-column halves helped small layers and hurt large ones). */
#include "kernels.h"

/* ---------------------------------------------------------------- GEMV for sampling */

/*
 * Y[b][0..np) += X[b][0..k) . P, where P is a [k][n] matrix packed as column panels of 32:
 * P[panel][k][32]. Streaming one panel keeps 8 accumulators in registers and reads the weights
 * once, contiguously, for each pair of rows.
 */
EXPORT(gemv_panels) void gemv_panels(const float* X, int rows, int k, int ldx, const float* P, int np, float* Y, int ldy) {
  /* panel-major: one panel (k x 32 floats, <= 128 KB at k = 1024) is read from memory once and
   * then served from L2 to every pair of rows, so N variations cost far less than N passes. */
  const int pairs = rows & ~1;
  for (int j = 0; j < np; j += 32) {
    const float* p = P + j * k;
    for (int b = 0; b < pairs; b += 2) {
      const float* x0 = X + b * ldx;
      const float* x1 = x0 + ldx;
      for (int half = 0; half < 32; half += 16) {
        float* y0 = Y + b * ldy + j + half;
        float* y1 = y0 + ldy;
        f4 a0 = wasm_v128_load(y0), a1 = wasm_v128_load(y0 + 4), a2 = wasm_v128_load(y0 + 8), a3 = wasm_v128_load(y0 + 12);
        f4 c0 = wasm_v128_load(y1), c1 = wasm_v128_load(y1 + 4), c2 = wasm_v128_load(y1 + 8), c3 = wasm_v128_load(y1 + 12);
        const float* q = p + half;
        for (int i = 0; i < k; i++, q += 32) {
          f4 s0 = wasm_f32x4_splat(x0[i]), s1 = wasm_f32x4_splat(x1[i]);
          f4 w0 = wasm_v128_load(q), w1 = wasm_v128_load(q + 4), w2 = wasm_v128_load(q + 8), w3 = wasm_v128_load(q + 12);
          a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s0, w0));
          a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s0, w1));
          a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s0, w2));
          a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s0, w3));
          c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(s1, w0));
          c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(s1, w1));
          c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(s1, w2));
          c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(s1, w3));
        }
        wasm_v128_store(y0, a0); wasm_v128_store(y0 + 4, a1); wasm_v128_store(y0 + 8, a2); wasm_v128_store(y0 + 12, a3);
        wasm_v128_store(y1, c0); wasm_v128_store(y1 + 4, c1); wasm_v128_store(y1 + 8, c2); wasm_v128_store(y1 + 12, c3);
      }
    }
    if (pairs < rows) {
      const float* x0 = X + pairs * ldx;
      float* y0 = Y + pairs * ldy + j;
      f4 a0 = wasm_v128_load(y0), a1 = wasm_v128_load(y0 + 4), a2 = wasm_v128_load(y0 + 8), a3 = wasm_v128_load(y0 + 12);
      f4 a4 = wasm_v128_load(y0 + 16), a5 = wasm_v128_load(y0 + 20), a6 = wasm_v128_load(y0 + 24), a7 = wasm_v128_load(y0 + 28);
      const float* q = p;
      for (int i = 0; i < k; i++, q += 32) {
        f4 s = wasm_f32x4_splat(x0[i]);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, wasm_v128_load(q)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, wasm_v128_load(q + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, wasm_v128_load(q + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, wasm_v128_load(q + 12)));
        a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(s, wasm_v128_load(q + 16)));
        a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(s, wasm_v128_load(q + 20)));
        a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(s, wasm_v128_load(q + 24)));
        a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(s, wasm_v128_load(q + 28)));
      }
      wasm_v128_store(y0, a0); wasm_v128_store(y0 + 4, a1); wasm_v128_store(y0 + 8, a2); wasm_v128_store(y0 + 12, a3);
      wasm_v128_store(y0 + 16, a4); wasm_v128_store(y0 + 20, a5); wasm_v128_store(y0 + 24, a6); wasm_v128_store(y0 + 28, a7);
    }
  }
}
