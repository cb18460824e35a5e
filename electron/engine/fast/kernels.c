/*
 * Seedsong fast LSTM kernels: WebAssembly SIMD (128-bit) code for the stateful sampler and the CPU
 * training fallback. Built by build-kernels.sh into kernels.wasm (committed, with kernels-wasm.ts
 * holding the same bytes as base64 so no compiler or file lookup is needed at run time).
 *
 * Why hand-written: tfjs runs an LSTM step as ~20 small ops, each a kernel launch with its own
 * allocation; at batch 1 that overhead dominates and training on wasm is ~27x slower than PyTorch.
 * Here one call does a whole layer step, the weights are pre-packed for streaming, and training runs
 * forward + backward through time over one batch in a single call.
 *
 * Memory is owned by JavaScript: every pointer below is an offset JS allocated in the imported
 * memory. No libc: expf/tanhf are written here (float32, ~1-2 ulp), enough for the 1e-5 check.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef v128_t f4;

/* ---------------------------------------------------------------- math */

static inline f4 v_exp(f4 x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
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
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline f4 v_sigmoid(f4 x) {
  f4 one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(x))));
}

/* tfjs: clip(0.5 + 0.2 * x, 0, 1), rounded in the same order. */
static inline f4 v_hard_sigmoid(f4 x) {
  f4 y = wasm_f32x4_add(wasm_f32x4_splat(0.5f), wasm_f32x4_mul(wasm_f32x4_splat(0.2f), x));
  return wasm_f32x4_min(wasm_f32x4_max(y, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f));
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
static float s_log(float x) {
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

EXPORT(exp_vec) void exp_vec(float* x, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(x + i, v_exp(wasm_v128_load(x + i)));
}
EXPORT(tanh_vec) void tanh_vec(float* x, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(x + i, v_tanh(wasm_v128_load(x + i)));
}
EXPORT(sigmoid_vec) void sigmoid_vec(float* x, int n) {
  for (int i = 0; i < n; i += 4) wasm_v128_store(x + i, v_sigmoid(wasm_v128_load(x + i)));
}

/* ---------------------------------------------------------------- sampler */

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

/* Y[b] = bias (+ table[tokens[b]] when table is set): the first layer's input projection is a
 * lookup because Embedding . kernel is precomputed per token. */
EXPORT(init_rows) void init_rows(float* Y, int rows, int n, int ldy, const float* bias, const float* table, const int32_t* tokens) {
  for (int b = 0; b < rows; b++) {
    float* y = Y + b * ldy;
    const float* t = table ? table + tokens[b] * ldy : 0;
    for (int j = 0; j < n; j += 4) {
      f4 v = wasm_v128_load(bias + j);
      if (t) v = wasm_f32x4_add(v, wasm_v128_load(t + j));
      wasm_v128_store(y + j, v);
    }
  }
}

/* Gate pre-activations G[b] = [i f g o] (u each, u % 4 == 0) -> new c (in place) and h, written to
 * up to two places (this layer's recurrent input and the next layer's input). */
EXPORT(lstm_pointwise) void lstm_pointwise(const float* G, int ldg, float* C, int rows, int u, int hard, float* h1, int ld1, float* h2, int ld2) {
  for (int b = 0; b < rows; b++) {
    const float* g = G + b * ldg;
    float* c = C + b * u;
    for (int j = 0; j < u; j += 4) {
      f4 i = v_gate(wasm_v128_load(g + j), hard);
      f4 f = v_gate(wasm_v128_load(g + u + j), hard);
      f4 z = v_tanh(wasm_v128_load(g + 2 * u + j));
      f4 o = v_gate(wasm_v128_load(g + 3 * u + j), hard);
      f4 cn = wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(c + j)), wasm_f32x4_mul(i, z));
      wasm_v128_store(c + j, cn);
      f4 h = wasm_f32x4_mul(o, v_tanh(cn));
      if (h1) wasm_v128_store(h1 + b * ld1 + j, h);
      if (h2) wasm_v128_store(h2 + b * ld2 + j, h);
    }
  }
}

static float hmax(f4 v) {
  float a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  float c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  float m = a > b ? a : b; float n = c > d ? c : d; return m > n ? m : n;
}

/* Row softmax over the first n of each ld-wide row; the padding columns are ignored. */
EXPORT(softmax_rows) void softmax_rows(const float* Z, int rows, int n, int ld, float* out, int ldo) {
  for (int b = 0; b < rows; b++) {
    const float* z = Z + b * ld;
    float* o = out + b * ldo;
    float m = -3.4e38f;
    int j = 0;
    for (; j + 4 <= n; j += 4) { float t = hmax(wasm_v128_load(z + j)); if (t > m) m = t; }
    for (; j < n; j++) if (z[j] > m) m = z[j];
    f4 vm = wasm_f32x4_splat(m);
    float s = 0;
    f4 vs = wasm_f32x4_splat(0);
    for (j = 0; j + 4 <= n; j += 4) {
      f4 e = v_exp(wasm_f32x4_sub(wasm_v128_load(z + j), vm));
      wasm_v128_store(o + j, e);
      vs = wasm_f32x4_add(vs, e);
    }
    for (; j < n; j++) {
      f4 e = v_exp(wasm_f32x4_splat(z[j] - m));
      o[j] = wasm_f32x4_extract_lane(e, 0);
      s += o[j];
    }
    s += wasm_f32x4_extract_lane(vs, 0) + wasm_f32x4_extract_lane(vs, 1) + wasm_f32x4_extract_lane(vs, 2) + wasm_f32x4_extract_lane(vs, 3);
    float inv = 1.0f / s;
    for (j = 0; j < n; j++) o[j] *= inv;
  }
}

/* ---------------------------------------------------------------- GEMM for training */

/*
 * C[m][n] (+)= A[m][k] . B[k][n]. B is packed per call into panels of 8 columns ([n/8][k][8]) in
 * `pack` so the inner loop streams it; tiles are 4 rows x 8 columns (8 accumulators: fits the 16
 * SIMD registers V8 gives wasm on x64 without spilling). n % 8 == 0.
 */
static void pack_b(const float* B, int k, int n, int ldb, float* pack) {
  for (int j = 0; j < n; j += 8) {
    float* p = pack + j * k;
    const float* b = B + j;
    for (int i = 0; i < k; i++, p += 8, b += ldb) {
      wasm_v128_store(p, wasm_v128_load(b));
      wasm_v128_store(p + 4, wasm_v128_load(b + 4));
    }
  }
}

static void gemm_packed(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate);

EXPORT(gemm_nn) void gemm_nn(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc, int accumulate, float* pack) {
  pack_b(B, k, n, ldb, pack);
  gemm_packed(m, n, k, A, lda, pack, C, ldc, accumulate);
}

/* C (+)= A . B with B already packed by pack_b: the recurrent matrix is packed once per pass
 * instead of once per time step (at batch 4 the packing would cost as much as the product). */
static void gemm_packed(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate) {
  for (int j = 0; j < n; j += 8) {
    const float* p = pack + j * k;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      const float* a0 = A + i * lda; const float* a1 = a0 + lda; const float* a2 = a1 + lda; const float* a3 = a2 + lda;
      f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float* q = p;
      for (int t = 0; t < k; t++, q += 8) {
        f4 b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 4);
        f4 s;
        s = wasm_f32x4_splat(a0[t]); c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, b1));
        s = wasm_f32x4_splat(a1[t]); c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s, b1));
        s = wasm_f32x4_splat(a2[t]); c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(s, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(s, b1));
        s = wasm_f32x4_splat(a3[t]); c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(s, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(s, b1));
      }
      float* c = C + i * ldc + j;
      if (accumulate) {
        c00 = wasm_f32x4_add(c00, wasm_v128_load(c)); c01 = wasm_f32x4_add(c01, wasm_v128_load(c + 4)); c += ldc;
        c10 = wasm_f32x4_add(c10, wasm_v128_load(c)); c11 = wasm_f32x4_add(c11, wasm_v128_load(c + 4)); c += ldc;
        c20 = wasm_f32x4_add(c20, wasm_v128_load(c)); c21 = wasm_f32x4_add(c21, wasm_v128_load(c + 4)); c += ldc;
        c30 = wasm_f32x4_add(c30, wasm_v128_load(c)); c31 = wasm_f32x4_add(c31, wasm_v128_load(c + 4));
        c = C + i * ldc + j;
      }
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01); c += ldc;
      wasm_v128_store(c, c10); wasm_v128_store(c + 4, c11); c += ldc;
      wasm_v128_store(c, c20); wasm_v128_store(c + 4, c21); c += ldc;
      wasm_v128_store(c, c30); wasm_v128_store(c + 4, c31);
    }
    for (; i < m; i++) {
      const float* a0 = A + i * lda;
      f4 c00 = wasm_f32x4_splat(0), c01 = c00;
      const float* q = p;
      for (int t = 0; t < k; t++, q += 8) {
        f4 s = wasm_f32x4_splat(a0[t]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, wasm_v128_load(q)));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, wasm_v128_load(q + 4)));
      }
      float* c = C + i * ldc + j;
      if (accumulate) { c00 = wasm_f32x4_add(c00, wasm_v128_load(c)); c01 = wasm_f32x4_add(c01, wasm_v128_load(c + 4)); }
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
    }
  }
}

/* dst[c][r] = src[r][c] */
EXPORT(transpose) void transpose(const float* src, int rows, int cols, int lds, float* dst, int ldd) {
  for (int r0 = 0; r0 < rows; r0 += 16)
    for (int c0 = 0; c0 < cols; c0 += 16) {
      int r1 = r0 + 16 < rows ? r0 + 16 : rows, c1 = c0 + 16 < cols ? c0 + 16 : cols;
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) dst[c * ldd + r] = src[r * lds + c];
    }
}

/* C[i][j] += sum_r A[r][i] * D[r][j]  (weight gradients: A^T . D), via a transposed copy of A. */
static void gemm_tn(int m, int n, int k, const float* A, int lda, const float* D, int ldd, float* C, int ldc, float* at, float* pack) {
  transpose(A, k, m, lda, at, k);
  gemm_nn(m, n, k, at, k, D, ldd, C, ldc, 1, pack);
}

/* ---------------------------------------------------------------- training step */

typedef struct {
  int in, u;
  float *W, *U, *b;      /* [in][4u], [u][4u], [4u] */
  float *dW, *dU, *db;   /* gradients, accumulated */
  float *G;              /* [rows][4u] gates after activation */
  float *C, *TC, *H;     /* [rows][u] cell, tanh(cell), output */
  float *mask;           /* input dropout [B][in]: 0 or 1/(1-rate), the same at every step; null = none */
} Layer;

typedef struct {
  int V, Vp, E, L, T, B, hard;
  int forward_only;      /* 1: loss and accuracy only (validation), no gradients */
  float scale;           /* 1 / tokens in the whole batch (all workers) */
  const int32_t *x, *y;  /* [B][T] */
  float *emb, *demb;     /* [V][E] */
  float *Wd, *bd, *dWd, *dbd; /* [u][Vp], [Vp] */
  float *X0;             /* [rows][E] */
  float *Z;              /* [rows][Vp] */
  float *dH, *dX;        /* [rows][maxdim] scratch */
  float *dG;             /* [rows][4 maxu] */
  float *dh, *dc;        /* [B][maxu] carried through time */
  float *at, *pack;      /* scratch for transposes and packing */
  float *wt;             /* scratch for a transposed weight [4 maxu][maxdim] */
  float *upack;          /* the recurrent matrix (or its transpose) packed once per pass [4 maxu][maxu] */
  float *xm;             /* [rows][maxdim] a layer's input times its dropout mask */
  float loss, correct;   /* outputs: summed over this worker's tokens */
  Layer layers[4];
} Net;

static void zero(float* p, int n) { for (int i = 0; i < n; i++) p[i] = 0; }

/* dst[t*B+b][:] = src[t*B+b][:] * mask[b][:] (dst may be src) */
static void apply_mask(float* dst, const float* src, const float* mask, int T, int B, int n) {
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      const float* m = mask + b * n;
      const float* x = src + (t * B + b) * n;
      float* d = dst + (t * B + b) * n;
      for (int j = 0; j < n; j += 4) wasm_v128_store(d + j, wasm_f32x4_mul(wasm_v128_load(x + j), wasm_v128_load(m + j)));
    }
}

EXPORT(train_step) void train_step(Net* net) {
  const int B = net->B, T = net->T, rows = B * T, E = net->E, V = net->V, Vp = net->Vp, L = net->L, hard = net->hard;
  /* time-major rows: r = t * B + b */
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      const float* e = net->emb + net->x[b * T + t] * E;
      float* d = net->X0 + (t * B + b) * E;
      for (int j = 0; j < E; j++) d[j] = e[j];
    }
  const float* X = net->X0;
  int in = E;
  for (int l = 0; l < L; l++) {
    Layer* ly = &net->layers[l];
    const int u = ly->u, g4 = 4 * u;
    float* G = ly->G;
    const float* mask = net->forward_only ? 0 : ly->mask;
    if (mask) { apply_mask(net->xm, X, mask, T, B, in); X = net->xm; }
    for (int r = 0; r < rows; r++) for (int j = 0; j < g4; j += 4) wasm_v128_store(G + r * g4 + j, wasm_v128_load(ly->b + j));
    gemm_nn(rows, g4, in, X, in, ly->W, g4, G, g4, 1, net->pack);
    pack_b(ly->U, u, g4, g4, net->upack);
    for (int t = 0; t < T; t++) {
      float* g = G + t * B * g4;
      if (t > 0) gemm_packed(B, g4, u, ly->H + (t - 1) * B * u, u, net->upack, g, g4, 1);
      for (int b = 0; b < B; b++) {
        float* gr = g + b * g4;
        const float* cp = t > 0 ? ly->C + ((t - 1) * B + b) * u : 0;
        float* c = ly->C + (t * B + b) * u;
        float* tc = ly->TC + (t * B + b) * u;
        float* h = ly->H + (t * B + b) * u;
        for (int j = 0; j < u; j += 4) {
          f4 i = v_gate(wasm_v128_load(gr + j), hard);
          f4 f = v_gate(wasm_v128_load(gr + u + j), hard);
          f4 z = v_tanh(wasm_v128_load(gr + 2 * u + j));
          f4 o = v_gate(wasm_v128_load(gr + 3 * u + j), hard);
          f4 cn = wasm_f32x4_mul(i, z);
          if (cp) cn = wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(cp + j)), cn);
          f4 th = v_tanh(cn);
          wasm_v128_store(gr + j, i); wasm_v128_store(gr + u + j, f);
          wasm_v128_store(gr + 2 * u + j, z); wasm_v128_store(gr + 3 * u + j, o);
          wasm_v128_store(c + j, cn); wasm_v128_store(tc + j, th);
          wasm_v128_store(h + j, wasm_f32x4_mul(o, th));
        }
      }
    }
    X = ly->H; in = u;
  }
  /* dense + softmax cross-entropy; dZ overwrites Z */
  const int uL = in;
  for (int r = 0; r < rows; r++) for (int j = 0; j < Vp; j += 4) wasm_v128_store(net->Z + r * Vp + j, wasm_v128_load(net->bd + j));
  gemm_nn(rows, Vp, uL, X, uL, net->Wd, Vp, net->Z, Vp, 1, net->pack);
  float loss = 0, correct = 0;
  const float scale = net->scale;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float* z = net->Z + (t * B + b) * Vp;
      int target = net->y[b * T + t];
      if (target < 0) { for (int j = 0; j < V; j++) z[j] = 0; continue; } /* no loss on this step */
      float m = z[0]; int arg = 0;
      for (int j = 1; j < V; j++) if (z[j] > m) { m = z[j]; arg = j; }
      softmax_rows(z, 1, V, Vp, z, Vp);
      float p = z[target];
      loss += -s_log(p < 1e-7f ? 1e-7f : p);
      if (arg == target) correct += 1;
      for (int j = 0; j < V; j++) z[j] *= scale;
      z[target] -= scale;
    }
  net->loss = loss; net->correct = correct;
  if (net->forward_only) return;
  /* dense backward */
  gemm_tn(uL, Vp, rows, X, uL, net->Z, Vp, net->dWd, Vp, net->at, net->pack);
  for (int r = 0; r < rows; r++) for (int j = 0; j < Vp; j += 4)
    wasm_v128_store(net->dbd + j, wasm_f32x4_add(wasm_v128_load(net->dbd + j), wasm_v128_load(net->Z + r * Vp + j)));
  transpose(net->Wd, uL, Vp, Vp, net->wt, uL);
  gemm_nn(rows, uL, Vp, net->Z, Vp, net->wt, uL, net->dH, uL, 0, net->pack);
  /* LSTM layers backward through time */
  for (int l = L - 1; l >= 0; l--) {
    Layer* ly = &net->layers[l];
    const int u = ly->u, g4 = 4 * u, lin = ly->in;
    const float* Xin = l > 0 ? net->layers[l - 1].H : net->X0;
    if (ly->mask) { apply_mask(net->xm, Xin, ly->mask, T, B, lin); Xin = net->xm; }
    float* dG = net->dG;
    zero(net->dh, B * u); zero(net->dc, B * u);
    transpose(ly->U, u, g4, g4, net->wt, u); /* U^T: [4u][u] */
    pack_b(net->wt, g4, u, u, net->upack);
    for (int t = T - 1; t >= 0; t--) {
      for (int b = 0; b < B; b++) {
        const int r = t * B + b;
        const float* gr = ly->G + r * g4;
        const float* tc = ly->TC + r * u;
        const float* cp = t > 0 ? ly->C + (r - B) * u : 0;
        const float* dHr = net->dH + r * u;
        float* dh = net->dh + b * u;
        float* dc = net->dc + b * u;
        float* dg = dG + r * g4;
        for (int j = 0; j < u; j += 4) {
          f4 i = wasm_v128_load(gr + j), f = wasm_v128_load(gr + u + j);
          f4 z = wasm_v128_load(gr + 2 * u + j), o = wasm_v128_load(gr + 3 * u + j);
          f4 th = wasm_v128_load(tc + j);
          f4 one = wasm_f32x4_splat(1.0f);
          f4 dhv = wasm_f32x4_add(wasm_v128_load(dHr + j), wasm_v128_load(dh + j));
          f4 dcv = wasm_f32x4_add(wasm_v128_load(dc + j),
                                  wasm_f32x4_mul(wasm_f32x4_mul(dhv, o), wasm_f32x4_sub(one, wasm_f32x4_mul(th, th))));
          f4 cpv = cp ? wasm_v128_load(cp + j) : wasm_f32x4_splat(0);
          f4 di = wasm_f32x4_mul(dcv, z), df = wasm_f32x4_mul(dcv, cpv);
          f4 dz = wasm_f32x4_mul(dcv, i), dov = wasm_f32x4_mul(dhv, th);
          dz = wasm_f32x4_mul(dz, wasm_f32x4_sub(one, wasm_f32x4_mul(z, z)));
          if (hard) {
            f4 k = wasm_f32x4_splat(0.2f), zero4 = wasm_f32x4_splat(0);
#define HS(d, s) d = wasm_v128_and(wasm_f32x4_mul(d, k), wasm_v128_and(wasm_f32x4_gt(s, zero4), wasm_f32x4_lt(s, one)))
            HS(di, i); HS(df, f); HS(dov, o);
#undef HS
          } else {
            di = wasm_f32x4_mul(di, wasm_f32x4_mul(i, wasm_f32x4_sub(one, i)));
            df = wasm_f32x4_mul(df, wasm_f32x4_mul(f, wasm_f32x4_sub(one, f)));
            dov = wasm_f32x4_mul(dov, wasm_f32x4_mul(o, wasm_f32x4_sub(one, o)));
          }
          wasm_v128_store(dg + j, di); wasm_v128_store(dg + u + j, df);
          wasm_v128_store(dg + 2 * u + j, dz); wasm_v128_store(dg + 3 * u + j, dov);
          wasm_v128_store(dc + j, wasm_f32x4_mul(dcv, f));
        }
      }
      if (t > 0) gemm_packed(B, u, g4, dG + t * B * g4, g4, net->upack, net->dh, u, 0);
    }
    /* weight gradients over all steps at once */
    if (T > 1) gemm_tn(u, g4, (T - 1) * B, ly->H, u, dG + B * g4, g4, ly->dU, g4, net->at, net->pack);
    gemm_tn(lin, g4, rows, Xin, lin, dG, g4, ly->dW, g4, net->at, net->pack);
    for (int r = 0; r < rows; r++) for (int j = 0; j < g4; j += 4)
      wasm_v128_store(ly->db + j, wasm_f32x4_add(wasm_v128_load(ly->db + j), wasm_v128_load(dG + r * g4 + j)));
    /* input gradient: next dH (layer below) or the embedding rows */
    transpose(ly->W, lin, g4, g4, net->wt, lin);
    float* dIn = l > 0 ? net->dH : net->dX;
    gemm_nn(rows, lin, g4, dG, g4, net->wt, lin, dIn, lin, 0, net->pack);
    if (ly->mask) apply_mask(dIn, dIn, ly->mask, T, B, lin);
  }
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float* d = net->demb + net->x[b * T + t] * E;
      const float* s = net->dX + (t * B + b) * E;
      for (int j = 0; j < E; j += 4) wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_v128_load(s + j)));
    }
}

/* Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= a * m / (sqrt(v * c) + eps).
 * The engine's optimizer passes a = lr sqrt(1-b2^t) / (1-b1^t), c = 1; tf.train.adam's order is
 * a = lr / (1-b1^t), c = 1 / (1-b2^t). g is multiplied by gscale first (global-norm clipping). */
EXPORT(adam) void adam(float* w, const float* g, float* m, float* v, int n, float a, float b1, float b2, float c, float eps, float gscale) {
  f4 vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2), c1 = wasm_f32x4_splat(1 - b1), c2 = wasm_f32x4_splat(1 - b2);
  f4 va = wasm_f32x4_splat(a), vc = wasm_f32x4_splat(c), veps = wasm_f32x4_splat(eps), gs = wasm_f32x4_splat(gscale);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f4 gv = wasm_f32x4_mul(wasm_v128_load(g + i), gs);
    f4 mv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gv, c1));
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c2));
    wasm_v128_store(m + i, mv); wasm_v128_store(v + i, vv);
    f4 d = wasm_f32x4_div(mv, wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vv, vc)), veps));
    wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), wasm_f32x4_mul(va, d)));
  }
  for (; i < n; i++) {
    float gv = g[i] * gscale;
    m[i] = m[i] * b1 + gv * (1 - b1);
    v[i] = v[i] * b2 + gv * gv * (1 - b2);
    w[i] -= a * (m[i] / (__builtin_sqrtf(v[i] * c) + eps));
  }
}

/* RMSprop as the engine's optimizer: v = rho v + (1-rho) g^2; w -= lr * g / (sqrt(v) + eps). */
EXPORT(rmsprop) void rmsprop(float* w, const float* g, float* v, int n, float lr, float rho, float eps, float gscale) {
  f4 vr = wasm_f32x4_splat(rho), c = wasm_f32x4_splat(1 - rho), vlr = wasm_f32x4_splat(lr), veps = wasm_f32x4_splat(eps), gs = wasm_f32x4_splat(gscale);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f4 gv = wasm_f32x4_mul(wasm_v128_load(g + i), gs);
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vr), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c));
    wasm_v128_store(v + i, vv);
    wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), wasm_f32x4_mul(vlr, wasm_f32x4_div(gv, wasm_f32x4_add(wasm_f32x4_sqrt(vv), veps)))));
  }
  for (; i < n; i++) {
    float gv = g[i] * gscale;
    v[i] = v[i] * rho + gv * gv * (1 - rho);
    w[i] -= lr * (gv / (__builtin_sqrtf(v[i]) + eps));
  }
}

EXPORT(sum_squares) float sum_squares(const float* g, int n) {
  f4 s = wasm_f32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) { f4 v = wasm_v128_load(g + i); s = wasm_f32x4_add(s, wasm_f32x4_mul(v, v)); }
  float r = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
  for (; i < n; i++) r += g[i] * g[i];
  return r;
}

EXPORT(add_to) void add_to(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

/* ---------------------------------------------------------------- orthogonal initializer */

static float dot(const float* a, const float* b, int n) {
  f4 s = wasm_f32x4_splat(0);
  for (int i = 0; i < n; i += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
}

static void axpy(float* y, const float* x, float a, int n) {
  f4 va = wasm_f32x4_splat(a);
  for (int i = 0; i < n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
}

/*
 * Orthonormalises the rows of A [rows][cols] in place (rows <= cols, rows % 8 == 0, cols % 8 == 0):
 * block Gram-Schmidt, 32 rows at a time. Each block is projected off the finished rows with two
 * GEMMs (against a transposed copy qt [cols][rows]), then orthonormalised within itself by modified
 * Gram-Schmidt, twice. The result is the Q of A's LQ factorisation with a positive diagonal, which
 * is what Keras's orthogonal initializer returns for a Gaussian A. For a Gaussian A with cols >=
 * 4 rows (an LSTM's recurrent kernel, [units][4 units]) A is well conditioned and one projection
 * pass keeps |Q Q^T - I| near float32 rounding; square A gets a second pass.
 * Scratch: c [32][rows], pack [cols * rows]. Blocks start at multiples of 32.
 */
EXPORT(orthonormalize_rows) void orthonormalize_rows(float* A, int rows, int cols, float* qt, float* c, float* pack, int from, int to) {
  const int BS = 32;
  const int passes = cols >= 4 * rows ? 1 : 2;
  /* rows [from, to) only: the caller goes block by block, so V8 has tiered this code up to its
   * optimising compiler before the expensive late blocks (a single long first call would run
   * entirely in baseline code) */
  for (int k0 = from; k0 < to && k0 < rows; k0 += BS) {
    int b = rows - k0 < BS ? rows - k0 : BS;
    float* blk = A + k0 * cols;
    if (k0 > 0) {
      for (int pass = 0; pass < passes; pass++) {
        /* c = blk . Q^T  ([b][k0]); blk -= c . Q */
        gemm_nn(b, k0, cols, blk, cols, qt, rows, c, k0, 0, pack);
        for (int i = 0; i < b * k0; i++) c[i] = -c[i];
        gemm_nn(b, cols, k0, c, k0, A, cols, blk, cols, 1, pack);
      }
    }
    for (int rep = 0; rep < 2; rep++)
      for (int i = 0; i < b; i++) {
        float* r = blk + i * cols;
        for (int j = 0; j < i; j++) axpy(r, blk + j * cols, -dot(r, blk + j * cols, cols), cols);
        float nrm = __builtin_sqrtf(dot(r, r, cols));
        float inv = nrm > 0 ? 1.0f / nrm : 0.0f;
        for (int t = 0; t < cols; t++) r[t] *= inv;
      }
    for (int i = 0; i < b; i++)
      for (int t = 0; t < cols; t++) qt[t * rows + k0 + i] = blk[i * cols + t];
  }
}
