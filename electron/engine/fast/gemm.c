/* Matrix products (training GEMM, batch-1 panel GEMV) and the orthogonal initializer. */
#include "kernels.h"

/* ---------------------------------------------------------------- GEMM for training */

/*
 * C[m][n] (+)= A[m][k] . B[k][n]. B is packed per call into panels of 8 columns ([n/8][k][8]) in
 * `pack` so the inner loop streams it; tiles are 4 rows x 8 columns (8 accumulators: fits the 16
 * SIMD registers V8 gives wasm on x64 without spilling). n % 8 == 0.
 */
EXPORT(pack_b) void pack_b(const float* B, int k, int n, int ldb, float* pack) {
  int j0 = 0;
  /* two panels per pass: each row's 64 bytes (a cache line when aligned) are read once, not in two
   * passes down the rows (rows 8 KB apart share L1 sets, so the second pass missed L1 again) */
  for (; j0 + 16 <= n; j0 += 16) {
    float* p0 = pack + j0 * k;
    float* p1 = p0 + 8 * k;
    const float* b = B + j0;
    for (int i = 0; i < k; i++, p0 += 8, p1 += 8, b += ldb) {
      f4 v0 = wasm_v128_load(b), v1 = wasm_v128_load(b + 4), v2 = wasm_v128_load(b + 8), v3 = wasm_v128_load(b + 12);
      wasm_v128_store(p0, v0); wasm_v128_store(p0 + 4, v1);
      wasm_v128_store(p1, v2); wasm_v128_store(p1 + 4, v3);
    }
  }
  for (int j = j0; j < n; j += 8) {
    float* p = pack + j * k;
    const float* b = B + j;
    for (int i = 0; i < k; i++, p += 8, b += ldb) {
      wasm_v128_store(p, wasm_v128_load(b));
      wasm_v128_store(p + 4, wasm_v128_load(b + 4));
    }
  }
}


EXPORT(gemm_nn) void gemm_nn(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc, int accumulate, float* pack) {
  pack_b(B, k, n, ldb, pack);
  gemm_packed(m, n, k, A, lda, pack, C, ldc, accumulate);
}

/* C (+)= A . B with B already packed by pack_b: the recurrent matrix is packed once per pass
 * instead of once per time step (at batch 4 the packing would cost as much as the product). */
/* Rows packed four at a time, [k][4]: the micro-kernel then reads each step's four A values at
 * fixed offsets from one pointer (no per-row address arithmetic in the inner loop). One block of
 * rows at a time, small enough to stay in L2 while every column panel of B passes over it. */
#define APACK_FLOATS 65536
static float apack[APACK_FLOATS];

static void pack_a4(const float* A, int rows4, int k, int lda, float* pa) {
  for (int i = 0; i < rows4; i += 4) {
    const float* a0 = A + i * lda; const float* a1 = a0 + lda; const float* a2 = a1 + lda; const float* a3 = a2 + lda;
    float* p = pa + i * k;
    int t = 0;
    for (; t + 4 <= k; t += 4, p += 16) {
      /* 4x4 transpose */
      f4 r0 = wasm_v128_load(a0 + t), r1 = wasm_v128_load(a1 + t), r2 = wasm_v128_load(a2 + t), r3 = wasm_v128_load(a3 + t);
      f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      wasm_v128_store(p, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
      wasm_v128_store(p + 4, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
      wasm_v128_store(p + 8, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
      wasm_v128_store(p + 12, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
    }
    for (; t < k; t++, p += 4) { p[0] = a0[t]; p[1] = a1[t]; p[2] = a2[t]; p[3] = a3[t]; }
  }
}

/* The 4x8 micro-tiles' shared pieces, as macros so that each tile keeps its own straight-line code
 * (V8 allocates registers in source order; a helper function taking eight accumulators would not
 * stay in registers). Accumulators c00..c31: row r, columns 0-3 (cr0) and 4-7 (cr1). */
/* One step of k: the four A values at `a` (packed [k][4]) times the panel row b0|b1. */
#define TILE_4x8_STEP(a, b0, b1)                                                                                                     \
  do {                                                                                                                               \
    f4 s;                                                                                                                            \
    s = wasm_v128_load32_splat(a); c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, b1));     \
    s = wasm_v128_load32_splat(a + 1); c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s, b1)); \
    s = wasm_v128_load32_splat(a + 2); c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(s, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(s, b1)); \
    s = wasm_v128_load32_splat(a + 3); c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(s, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(s, b1)); \
  } while (0)
/* C[4][8] at c (row stride ldc) = the tile, or += when accumulate. */
#define TILE_4x8_STORE(c, ldc, accumulate)                                                                                  \
  do {                                                                                                                      \
    if (accumulate) {                                                                                                       \
      float* d = c;                                                                                                         \
      c00 = wasm_f32x4_add(c00, wasm_v128_load(d)); c01 = wasm_f32x4_add(c01, wasm_v128_load(d + 4)); d += ldc;              \
      c10 = wasm_f32x4_add(c10, wasm_v128_load(d)); c11 = wasm_f32x4_add(c11, wasm_v128_load(d + 4)); d += ldc;              \
      c20 = wasm_f32x4_add(c20, wasm_v128_load(d)); c21 = wasm_f32x4_add(c21, wasm_v128_load(d + 4)); d += ldc;              \
      c30 = wasm_f32x4_add(c30, wasm_v128_load(d)); c31 = wasm_f32x4_add(c31, wasm_v128_load(d + 4));                        \
    }                                                                                                                       \
    wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01); c += ldc;                                                         \
    wasm_v128_store(c, c10); wasm_v128_store(c + 4, c11); c += ldc;                                                         \
    wasm_v128_store(c, c20); wasm_v128_store(c + 4, c21); c += ldc;                                                         \
    wasm_v128_store(c, c30); wasm_v128_store(c + 4, c31);                                                                   \
  } while (0)

/* C[4][8] (+)= A4 (packed [k][4]) . P ([k][8]) */
static inline void micro_4x8(int k, const float* a, const float* q, float* c, int ldc, int accumulate) {
  f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int t = 0; t < k; t++, q += 8, a += 4) {
    f4 b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 4);
    TILE_4x8_STEP(a, b0, b1);
  }
  TILE_4x8_STORE(c, ldc, accumulate);
}

/* A^T packed four rows at a time straight from A ([k][m], stride lda): row i of A^T is column i of
 * A, so a tile's four values at step t are A[t][i..i+3], one 16-byte copy (no transposed copy of A
 * first: the weight gradients' A^T . D). The same values pack_a4 makes from A^T. */
static void pack_a4_t(const float* A, int rows4, int k, int lda, float* pa) {
  for (int i = 0; i < rows4; i += 4) {
    float* p = pa + i * k;
    const float* a = A + i;
    for (int t = 0; t < k; t++, p += 4, a += lda) wasm_v128_store(p, wasm_v128_load(a));
  }
}

/* C (+)= op(A) . B, op(A) = A ([m][k], trans 0) or A^T (A is [k][m], trans 1): tiles of 4 rows,
 * then the rows left one at a time (summed over all of k, then added to C) */
static void gemm_packed_op(int m, int n, int k, const float* A, int lda, int trans, const float* pack, float* C, int ldc, int accumulate) {
  const int m4 = m & ~3;
  /* k in blocks of KC: a column panel's block (KC x 8 floats, 8 KB) stays in L1 for every row tile */
  const int KC = 256;
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = k - k0 < KC ? k - k0 : KC;
    const int acc = k0 > 0 ? 1 : accumulate;
    int mc = (APACK_FLOATS / kc) & ~3;
    if (mc > 256) mc = 256;
    for (int i0 = 0; i0 < m4; i0 += mc) {
      const int rows = m4 - i0 < mc ? m4 - i0 : mc;
      if (trans) pack_a4_t(A + k0 * lda + i0, rows, kc, lda, apack);
      else pack_a4(A + i0 * lda + k0, rows, kc, lda, apack);
      for (int j = 0; j < n; j += 8)
        for (int i = 0; i < rows; i += 4) micro_4x8(kc, apack + i * kc, pack + j * k + k0 * 8, C + (i0 + i) * ldc + j, ldc, acc);
    }
  }
  /* element t of row i: A[i * lda + t], or A[t * lda + i] */
  const int si = trans ? 1 : lda, st = trans ? lda : 1;
  for (int j = 0; j < n; j += 8) {
    const float* p = pack + j * k;
    for (int i = m4; i < m; i++) {
      const float* a0 = A + i * si;
      f4 c00 = wasm_f32x4_splat(0), c01 = c00;
      const float* q = p;
      for (int t = 0; t < k; t++, q += 8) {
        f4 s = wasm_f32x4_splat(a0[t * st]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, wasm_v128_load(q)));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, wasm_v128_load(q + 4)));
      }
      float* c = C + i * ldc + j;
      if (accumulate) { c00 = wasm_f32x4_add(c00, wasm_v128_load(c)); c01 = wasm_f32x4_add(c01, wasm_v128_load(c + 4)); }
      wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
    }
  }
}

void gemm_packed(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate) {
  gemm_packed_op(m, n, k, A, lda, 0, pack, C, ldc, accumulate);
}

/* C (+)= A^T . B with A [k][m] (stride lda) and B packed by pack_b */
void gemm_packed_t(int m, int n, int k, const float* A, int lda, const float* pack, float* C, int ldc, int accumulate) {
  gemm_packed_op(m, n, k, A, lda, 1, pack, C, ldc, accumulate);
}

/* ---------------------------------------------------------------- row-gathered products (dropout) */

/* C[4][8] (+)= A4 (packed [k][4]) . rows of a panel: row t of the product is the panel's row at
 * byte offset off[t] (the panel, K x 8 floats, stays in L1 however its rows are picked). */
static inline void micro_4x8_gather(int k, const float* a, const float* panel, const int32_t* off, float* c, int ldc, int accumulate) {
  f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int t = 0; t < k; t++, a += 4) {
    const float* q = (const float*)((const char*)panel + off[t]);
    f4 b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 4);
    TILE_4x8_STEP(a, b0, b1);
  }
  TILE_4x8_STORE(c, ldc, accumulate);
}

/*
 * C (+)= A . B_sel, B_sel = the rows of B picked by off (byte offsets of rows within a panel:
 * row index x 32) from B packed whole by pack_b (K x n, panels [n/8][K][8]); A is m x k, k = rows
 * picked. One batch row's kept inputs against the input kernel packed once per layer, instead of
 * packing the kept rows of W for every batch row (that copy cost a fifth of the product). The
 * picked rows are read through an index (one more integer load per step: ~5% slower per FLOP).
 */
EXPORT(gemm_packed_gather) __attribute__((noinline)) void gemm_packed_gather(int m, int n, int k, const float* A, int lda, const float* pack, int K, const int32_t* off, float* C, int ldc, int accumulate) {
  const int m4 = m & ~3;
  const int KC = 256;
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = k - k0 < KC ? k - k0 : KC;
    const int acc = k0 > 0 ? 1 : accumulate;
    int mc = (APACK_FLOATS / kc) & ~3;
    if (mc > 256) mc = 256;
    for (int i0 = 0; i0 < m4; i0 += mc) {
      const int rows = m4 - i0 < mc ? m4 - i0 : mc;
      pack_a4(A + i0 * lda + k0, rows, kc, lda, apack);
      for (int j = 0; j < n; j += 8)
        for (int i = 0; i < rows; i += 4) micro_4x8_gather(kc, apack + i * kc, pack + j * K, off + k0, C + (i0 + i) * ldc + j, ldc, acc);
    }
  }
  for (int i = m4; i < m; i++) {
    const float* a0 = A + i * lda;
    for (int j = 0; j < n; j += 8) {
      const float* panel = pack + j * K;
      f4 c00 = wasm_f32x4_splat(0), c01 = c00;
      for (int t = 0; t < k; t++) {
        const float* q = (const float*)((const char*)panel + off[t]);
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

static float zero_row[8192];

/* B panels of the transpose of chosen rows of W: B[t][i] = W[idx[i]][t] (t < k, i < n), packed
 * [n8/8][k][8] with n8 = n rounded up to 8 (the extra columns are zero); k % 4 == 0, k <= 8192. */
void pack_bt_rows(const float* W, int ldw, const int32_t* idx, int n, int k, float* pack) {
  for (int j = 0; j < n; j += 8) {
    const float* r[8];
    for (int c = 0; c < 8; c++) r[c] = j + c < n ? W + idx[j + c] * ldw : zero_row;
    float* p = pack + j * k;
    for (int t = 0; t < k; t += 4, p += 32) {
      for (int h = 0; h < 2; h++) {
        f4 r0 = wasm_v128_load(r[4 * h] + t), r1 = wasm_v128_load(r[4 * h + 1] + t);
        f4 r2 = wasm_v128_load(r[4 * h + 2] + t), r3 = wasm_v128_load(r[4 * h + 3] + t);
        f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        float* q = p + 4 * h;
        wasm_v128_store(q, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
        wasm_v128_store(q + 8, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
        wasm_v128_store(q + 16, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
        wasm_v128_store(q + 24, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
      }
    }
  }
}

/* C[4 rows given by pointers][8] += A4 (packed [k][4]) . P ([k][8]) */
static inline void micro_4x8_rows(int k, const float* a, const float* q, float* c0, float* c1, float* c2, float* c3) {
  f4 c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int t = 0; t < k; t++, q += 8, a += 4) {
    f4 b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 4);
    TILE_4x8_STEP(a, b0, b1);
  }
  wasm_v128_store(c0, wasm_f32x4_add(c00, wasm_v128_load(c0))); wasm_v128_store(c0 + 4, wasm_f32x4_add(c01, wasm_v128_load(c0 + 4)));
  wasm_v128_store(c1, wasm_f32x4_add(c10, wasm_v128_load(c1))); wasm_v128_store(c1 + 4, wasm_f32x4_add(c11, wasm_v128_load(c1 + 4)));
  wasm_v128_store(c2, wasm_f32x4_add(c20, wasm_v128_load(c2))); wasm_v128_store(c2 + 4, wasm_f32x4_add(c21, wasm_v128_load(c2 + 4)));
  wasm_v128_store(c3, wasm_f32x4_add(c30, wasm_v128_load(c3))); wasm_v128_store(c3 + 4, wasm_f32x4_add(c31, wasm_v128_load(c3 + 4)));
}

/* C[idx[i]][0..n) += A[i][0..k) . B for i < m, B packed by pack_b (k x n): the weight gradient of
 * the rows of W one batch row used (its kept inputs) scattered straight into dW. */
__attribute__((noinline)) void gemm_packed_scatter(int m, int n, int k, const float* A, int lda, const float* pack, float* C, const int32_t* idx, int ldc) {
  const int m4 = m & ~3;
  const int KC = 256;
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = k - k0 < KC ? k - k0 : KC;
    int mc = (APACK_FLOATS / kc) & ~3;
    if (mc > 256) mc = 256;
    for (int i0 = 0; i0 < m4; i0 += mc) {
      const int rows = m4 - i0 < mc ? m4 - i0 : mc;
      pack_a4(A + i0 * lda + k0, rows, kc, lda, apack);
      for (int j = 0; j < n; j += 8)
        for (int i = 0; i < rows; i += 4) {
          const int32_t* r = idx + i0 + i;
          micro_4x8_rows(kc, apack + i * kc, pack + j * k + k0 * 8, C + r[0] * ldc + j, C + r[1] * ldc + j, C + r[2] * ldc + j, C + r[3] * ldc + j);
        }
    }
  }
  for (int i = m4; i < m; i++) {
    const float* a0 = A + i * lda;
    for (int j = 0; j < n; j += 8) {
      const float* q = pack + j * k;
      f4 c00 = wasm_f32x4_splat(0), c01 = c00;
      for (int t = 0; t < k; t++, q += 8) {
        f4 s = wasm_f32x4_splat(a0[t]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s, wasm_v128_load(q)));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s, wasm_v128_load(q + 4)));
      }
      float* c = C + idx[i] * ldc + j;
      wasm_v128_store(c, wasm_f32x4_add(c00, wasm_v128_load(c)));
      wasm_v128_store(c + 4, wasm_f32x4_add(c01, wasm_v128_load(c + 4)));
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

/* C[i][j] += sum_r A[r][i] * D[r][j]  (weight gradients: A^T . D); A's tiles are packed straight
 * from its columns (pack_a4_t), so `at` is no longer used (kept for the callers' layout). */
void gemm_tn(int m, int n, int k, const float* A, int lda, const float* D, int ldd, float* C, int ldc, float* at, float* pack) {
  (void)at;
  pack_b(D, k, n, ldd, pack);
  gemm_packed_t(m, n, k, A, lda, pack, C, ldc, 1);
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
