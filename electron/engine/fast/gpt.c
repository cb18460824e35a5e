/*
 * GPT: forward and backward of the pre-LayerNorm decoder model.ts builds (token + position
 * embedding, blocks of LayerNorm -> causal self-attention -> residual, LayerNorm -> Dense+GELU ->
 * Dense -> residual, final LayerNorm, Dense logits), for one chunk of batch rows per call
 * (gpt_train_step), and the pieces of one-token sampling with a key/value cache.
 *
 * Rows are batch-major (r = b * T + t). Attention runs per (row, head) as small GEMMs: S = Q K^T
 * over the whole T x T square (the masked half is computed and then zeroed: simpler than
 * triangular tiles and, at T = 128, d = 32, the products are a minor part of a step), a causal
 * softmax in place, then P V. P is kept for the backward pass. GELU is tfjs's exact form with
 * tfjs's own erf approximation (Abramowitz-Stegun 7.1.26), so the two agree to rounding.
 *
 * Dropout masks are not drawn by JavaScript: each element's keep bit is a hash of (step seed,
 * site, global row, column), so a chunk's masks do not depend on which thread runs it or on how
 * the batch was cut, and the backward pass recomputes them instead of storing them.
 */
#include "kernels.h"

#define MAXB 12

typedef struct {
  float *ln1_g, *ln1_b, *Wqkv, *bqkv, *Wo, *bo, *ln2_g, *ln2_b, *W1, *b1, *W2, *b2;             /* weights */
  float *dln1_g, *dln1_b, *dWqkv, *dbqkv, *dWo, *dbo, *dln2_g, *dln2_b, *dW1, *db1, *dW2, *db2; /* gradients */
  float *X;          /* [R][W] block input */
  float *A1, *S1;    /* ln1 output [R][W]; mean and 1/std per row [R][2] */
  float *QKV;        /* [R][3W] */
  float *P;          /* [B][H][T][Tp] attention probabilities */
  float *ATT;        /* [R][W] heads merged, before the output projection */
  float *XM;         /* [R][W] after the attention residual */
  float *A2, *S2;    /* ln2 output and stats */
  float *HP, *HG;    /* [R][4W] MLP before and after GELU */
} Block;             /* 35 words */

typedef struct {
  int V, Vp, W, L, T, B, H, forward_only; /* 0-7 */
  float scale;                            /* 8: 1 / target tokens in the whole batch */
  int Tp;                                 /* 9: T rounded up to 8 (stride of P) */
  const int32_t *x, *y;                   /* 10, 11: [B][T] */
  float *emb, *demb, *pos, *dpos;         /* 12-15: [V][W], [ctx][W] */
  float *lnf_g, *lnf_b, *dlnf_g, *dlnf_b; /* 16-19 */
  float *Wd, *bd, *dWd, *dbd;             /* 20-23: [W][Vp], [Vp] */
  int row0;                               /* 24: this chunk's first row in the whole batch */
  uint32_t dseed;                         /* 25: dropout seed of this step */
  float keep;                             /* 26: 1 - dropout rate (1 = no dropout) */
  float eps;                              /* 27: LayerNorm epsilon */
  float *pack;                            /* 28 */
  float loss, correct;                    /* 29, 30: outputs, summed over this chunk */
  float *XF, *AF, *SF, *Z;                /* 31-34: last block's output, final LN, stats, logits */
  float *dX, *dA, *dT, *dQKV, *dH;        /* 35-39: gradient scratch */
  float *wt, *at, *dP, *kT;               /* 40-43: transposes, per-head scratch */
  Block blocks[MAXB];                     /* 44.. */
} GptNet;

/* ---------------------------------------------------------------- elementwise pieces */

static void zero_f(float* p, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, wasm_f32x4_splat(0));
  for (; i < n; i++) p[i] = 0;
}

static void bias_rows(float* Y, int rows, int n, const float* bias) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j += 4) wasm_v128_store(Y + r * n + j, wasm_v128_load(bias + j));
}

static void colsum_add(float* acc, const float* D, int rows, int n) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j += 4) wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_v128_load(D + r * n + j)));
}

/* mix1, mix4, drop_row: kernels.h (shared with the LSTM trainer's Dropout layers) */

static void drop_rows(GptNet* n, float* Y, int rows, int w, int site) {
  if (n->keep >= 1.0f || n->forward_only) return;
  for (int r = 0; r < rows; r++) drop_row(Y + r * w, w, n->dseed, site, n->row0 * n->T + r, n->keep);
}

/* out = a + b (rows x w, contiguous) */
static void add_rows(float* out, const float* a, const float* b, int count) {
  for (int i = 0; i < count; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
}

/* LayerNorm of each row as gpt.ts computes it: (x - mean) * rsqrt(mean((x - mean)^2) + eps) * g + b. */
static void layernorm_fwd(const float* X, int rows, int w, const float* g, const float* b, float eps, float* Y, float* S) {
  const float invw = 1.0f / (float)w;
  for (int r = 0; r < rows; r++) {
    const float* x = X + r * w;
    float* y = Y + r * w;
    f4 s = wasm_f32x4_splat(0);
    for (int j = 0; j < w; j += 4) s = wasm_f32x4_add(s, wasm_v128_load(x + j));
    const float mean = hsum(s) * invw;
    const f4 vm = wasm_f32x4_splat(mean);
    f4 q = wasm_f32x4_splat(0);
    for (int j = 0; j < w; j += 4) {
      f4 c = wasm_f32x4_sub(wasm_v128_load(x + j), vm);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(c, c));
    }
    const float rstd = 1.0f / __builtin_sqrtf(hsum(q) * invw + eps);
    const f4 vr = wasm_f32x4_splat(rstd);
    for (int j = 0; j < w; j += 4) {
      f4 c = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + j), vm), vr);
      wasm_v128_store(y + j, wasm_f32x4_add(wasm_f32x4_mul(c, wasm_v128_load(g + j)), wasm_v128_load(b + j)));
    }
    if (S) { S[2 * r] = mean; S[2 * r + 1] = rstd; }
  }
}

/* dX += d(LayerNorm)/dX . dY; dg, db accumulate. */
static void layernorm_bwd(const float* X, const float* S, const float* dY, int rows, int w, const float* g, float* dg, float* db, float* dX) {
  const float invw = 1.0f / (float)w;
  for (int r = 0; r < rows; r++) {
    const float* x = X + r * w;
    const float* dy = dY + r * w;
    float* dx = dX + r * w;
    const f4 vm = wasm_f32x4_splat(S[2 * r]), vr = wasm_f32x4_splat(S[2 * r + 1]);
    f4 s1 = wasm_f32x4_splat(0), s2 = s1;
    for (int j = 0; j < w; j += 4) {
      f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + j), vm), vr);
      f4 d = wasm_v128_load(dy + j);
      f4 dxh = wasm_f32x4_mul(d, wasm_v128_load(g + j));
      s1 = wasm_f32x4_add(s1, dxh);
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(dxh, xh));
      wasm_v128_store(dg + j, wasm_f32x4_add(wasm_v128_load(dg + j), wasm_f32x4_mul(d, xh)));
      wasm_v128_store(db + j, wasm_f32x4_add(wasm_v128_load(db + j), d));
    }
    const f4 m1 = wasm_f32x4_splat(hsum(s1) * invw), m2 = wasm_f32x4_splat(hsum(s2) * invw);
    for (int j = 0; j < w; j += 4) {
      f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + j), vm), vr);
      f4 dxh = wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(g + j));
      f4 t = wasm_f32x4_sub(wasm_f32x4_sub(dxh, m1), wasm_f32x4_mul(xh, m2));
      wasm_v128_store(dx + j, wasm_f32x4_add(wasm_v128_load(dx + j), wasm_f32x4_mul(vr, t)));
    }
  }
}

/* erf as tfjs computes it (Abramowitz-Stegun 7.1.26), for GELU(x) = x * 0.5 * (1 + erf(x / sqrt 2)). */
static inline f4 v_erf(f4 u) {
  const f4 one = wasm_f32x4_splat(1.0f);
  f4 a = wasm_f32x4_abs(u);
  f4 t = wasm_f32x4_div(one, wasm_f32x4_add(one, wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), a)));
  f4 p = wasm_f32x4_splat(1.061405429f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.421413741f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.254829592f));
  f4 e = v_exp(wasm_f32x4_neg(wasm_f32x4_mul(a, a)));
  f4 r = wasm_f32x4_sub(one, wasm_f32x4_mul(wasm_f32x4_mul(p, t), e));
  return wasm_v128_or(r, wasm_v128_and(u, wasm_i32x4_splat((int32_t)0x80000000)));
}

static const float SQRT2 = 1.41421356237309515f;

static void gelu_fwd(const float* X, float* Y, int count) {
  const f4 half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f), s2 = wasm_f32x4_splat(SQRT2);
  for (int i = 0; i < count; i += 4) {
    f4 x = wasm_v128_load(X + i);
    f4 cdf = wasm_f32x4_mul(half, wasm_f32x4_add(one, v_erf(wasm_f32x4_div(x, s2))));
    wasm_v128_store(Y + i, wasm_f32x4_mul(x, cdf));
  }
}

/* dY *= GELU'(X), with erf'(u) = 2 / sqrt(pi) exp(-u^2) (tfjs's gradient of its erf). */
static void gelu_bwd(const float* X, float* dY, int count) {
  const f4 half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f), s2 = wasm_f32x4_splat(SQRT2);
  const f4 k = wasm_f32x4_splat(1.12837916709551257f / 1.41421356237309515f);
  for (int i = 0; i < count; i += 4) {
    f4 x = wasm_v128_load(X + i);
    f4 u = wasm_f32x4_div(x, s2);
    f4 cdf = wasm_f32x4_mul(half, wasm_f32x4_add(one, v_erf(u)));
    f4 pdf = wasm_f32x4_mul(wasm_f32x4_mul(half, k), v_exp(wasm_f32x4_neg(wasm_f32x4_mul(u, u))));
    f4 d = wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf));
    wasm_v128_store(dY + i, wasm_f32x4_mul(wasm_v128_load(dY + i), d));
  }
}

/* Row of scores -> probabilities over its first n entries (scaled by sc); the rest of the Tp-wide row is zeroed. */
static void causal_softmax_row(float* p, int n, int tp, float sc) {
  const f4 vs = wasm_f32x4_splat(sc);
  float m = -3.4e38f;
  for (int j = 0; j < n; j++) { float z = p[j] * sc; if (z > m) m = z; }
  const f4 vm = wasm_f32x4_splat(m);
  f4 acc = wasm_f32x4_splat(0);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    f4 e = v_exp(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(p + j), vs), vm));
    wasm_v128_store(p + j, e);
    acc = wasm_f32x4_add(acc, e);
  }
  float s = hsum(acc);
  for (; j < n; j++) { float e = wasm_f32x4_extract_lane(v_exp(wasm_f32x4_splat(p[j] * sc - m)), 0); p[j] = e; s += e; }
  const float inv = 1.0f / s;
  const f4 vi = wasm_f32x4_splat(inv);
  for (j = 0; j + 4 <= n; j += 4) wasm_v128_store(p + j, wasm_f32x4_mul(wasm_v128_load(p + j), vi));
  for (; j < n; j++) p[j] *= inv;
  for (; j < tp; j++) p[j] = 0;
}

/* dst [d][tp] = src [t][d] (ld lds) transposed, columns t..tp zero. */
static void transpose_pad(const float* src, int t, int d, int lds, float* dst, int tp) {
  transpose(src, t, d, lds, dst, tp);
  for (int c = 0; c < d; c++) for (int r = t; r < tp; r++) dst[c * tp + r] = 0;
}

static void zero_block(float* C, int rows, int cols, int ld) {
  for (int r = 0; r < rows; r++) zero_f(C + r * ld, cols);
}

/* ---------------------------------------------------------------- attention */

static void attention_fwd(GptNet* n, Block* bk, int B) {
  const int T = n->T, Tp = n->Tp, W = n->W, H = n->H, d = W / H, W3 = 3 * W;
  const float sc = 1.0f / __builtin_sqrtf((float)d);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const float* q = bk->QKV + b * T * W3 + h * d;
      const float* k = q + W;
      const float* v = q + 2 * W;
      float* P = bk->P + (b * H + h) * T * Tp;
      transpose_pad(k, T, d, W3, n->kT, Tp);
      gemm_nn(T, Tp, d, q, W3, n->kT, Tp, P, Tp, 0, n->pack);
      for (int t = 0; t < T; t++) causal_softmax_row(P + t * Tp, t + 1, Tp, sc);
      gemm_nn(T, d, T, P, Tp, v, W3, bk->ATT + b * T * W + h * d, W, 0, n->pack);
    }
}

/* n->dT [R][W] (gradient of ATT) -> n->dQKV [R][3W] */
static void attention_bwd(GptNet* n, Block* bk, int B) {
  const int T = n->T, Tp = n->Tp, W = n->W, H = n->H, d = W / H, W3 = 3 * W;
  const float sc = 1.0f / __builtin_sqrtf((float)d);
  float* dP = n->dP;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++) {
      const float* q = bk->QKV + b * T * W3 + h * d;
      const float* k = q + W;
      const float* v = q + 2 * W;
      float* dq = n->dQKV + b * T * W3 + h * d;
      float* dk = dq + W;
      float* dv = dq + 2 * W;
      const float* dO = n->dT + b * T * W + h * d;
      const float* P = bk->P + (b * H + h) * T * Tp;
      transpose_pad(v, T, d, W3, n->kT, Tp);
      gemm_nn(T, Tp, d, dO, W, n->kT, Tp, dP, Tp, 0, n->pack);
      for (int t = 0; t < T; t++) {
        const float* p = P + t * Tp;
        float* g = dP + t * Tp;
        float dot = 0;
        for (int j = 0; j <= t; j++) dot += p[j] * g[j];
        for (int j = 0; j <= t; j++) g[j] = p[j] * (g[j] - dot) * sc;
        for (int j = t + 1; j < Tp; j++) g[j] = 0;
      }
      zero_block(dv, T, d, W3);
      gemm_tn(T, d, T, P, Tp, dO, W, dv, W3, n->at, n->pack);
      gemm_nn(T, d, T, dP, Tp, k, W3, dq, W3, 0, n->pack);
      zero_block(dk, T, d, W3);
      gemm_tn(T, d, T, dP, Tp, q, W3, dk, W3, n->at, n->pack);
    }
}

/* ---------------------------------------------------------------- training step */

EXPORT(gpt_train_step) void gpt_train_step(GptNet* n) {
  const int B = n->B, T = n->T, R = B * T, W = n->W, W3 = 3 * W, W4 = 4 * W, V = n->V, Vp = n->Vp, L = n->L;
  float* tmp = n->dA;
  /* embedding + positions, dropout */
  {
    float* X0 = n->blocks[0].X;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        const int r = b * T + t;
        add_rows(X0 + r * W, n->emb + n->x[r] * W, n->pos + t * W, W);
      }
    drop_rows(n, X0, R, W, 0);
  }
  for (int l = 0; l < L; l++) {
    Block* bk = &n->blocks[l];
    float* out = l + 1 < L ? n->blocks[l + 1].X : n->XF;
    layernorm_fwd(bk->X, R, W, bk->ln1_g, bk->ln1_b, n->eps, bk->A1, bk->S1);
    bias_rows(bk->QKV, R, W3, bk->bqkv);
    gemm_nn(R, W3, W, bk->A1, W, bk->Wqkv, W3, bk->QKV, W3, 1, n->pack);
    attention_fwd(n, bk, B);
    bias_rows(tmp, R, W, bk->bo);
    gemm_nn(R, W, W, bk->ATT, W, bk->Wo, W, tmp, W, 1, n->pack);
    drop_rows(n, tmp, R, W, 1 + 2 * l);
    add_rows(bk->XM, bk->X, tmp, R * W);
    layernorm_fwd(bk->XM, R, W, bk->ln2_g, bk->ln2_b, n->eps, bk->A2, bk->S2);
    bias_rows(bk->HP, R, W4, bk->b1);
    gemm_nn(R, W4, W, bk->A2, W, bk->W1, W4, bk->HP, W4, 1, n->pack);
    gelu_fwd(bk->HP, bk->HG, R * W4);
    bias_rows(tmp, R, W, bk->b2);
    gemm_nn(R, W, W4, bk->HG, W4, bk->W2, W, tmp, W, 1, n->pack);
    drop_rows(n, tmp, R, W, 2 + 2 * l);
    add_rows(out, bk->XM, tmp, R * W);
  }
  layernorm_fwd(n->XF, R, W, n->lnf_g, n->lnf_b, n->eps, n->AF, n->SF);
  bias_rows(n->Z, R, Vp, n->bd);
  gemm_nn(R, Vp, W, n->AF, W, n->Wd, Vp, n->Z, Vp, 1, n->pack);
  /* softmax cross-entropy; dZ overwrites Z */
  float loss = 0, correct = 0;
  const float scale = n->scale;
  for (int r = 0; r < R; r++) {
    float* z = n->Z + r * Vp;
    const int target = n->y[r];
    if (target < 0) { for (int j = 0; j < V; j++) z[j] = 0; continue; }
    float m = z[0]; int arg = 0;
    for (int j = 1; j < V; j++) if (z[j] > m) { m = z[j]; arg = j; }
    softmax_rows(z, 1, V, Vp, z, Vp);
    const float p = z[target];
    loss += -s_log(p < 1e-7f ? 1e-7f : p);
    if (arg == target) correct += 1;
    for (int j = 0; j < V; j++) z[j] *= scale;
    z[target] -= scale;
  }
  n->loss = loss; n->correct = correct;
  if (n->forward_only) return;

  /* logits and final LayerNorm backward */
  gemm_tn(W, Vp, R, n->AF, W, n->Z, Vp, n->dWd, Vp, n->at, n->pack);
  colsum_add(n->dbd, n->Z, R, Vp);
  transpose(n->Wd, W, Vp, Vp, n->wt, W);
  gemm_nn(R, W, Vp, n->Z, Vp, n->wt, W, n->dA, W, 0, n->pack);
  zero_f(n->dX, R * W);
  layernorm_bwd(n->XF, n->SF, n->dA, R, W, n->lnf_g, n->dlnf_g, n->dlnf_b, n->dX);
  for (int l = L - 1; l >= 0; l--) {
    Block* bk = &n->blocks[l];
    /* MLP branch: dX is the gradient of the block's output */
    for (int i = 0; i < R * W; i += 4) wasm_v128_store(n->dA + i, wasm_v128_load(n->dX + i));
    drop_rows(n, n->dA, R, W, 2 + 2 * l);
    gemm_tn(W4, W, R, bk->HG, W4, n->dA, W, bk->dW2, W, n->at, n->pack);
    colsum_add(bk->db2, n->dA, R, W);
    transpose(bk->W2, W4, W, W, n->wt, W4);
    gemm_nn(R, W4, W, n->dA, W, n->wt, W4, n->dH, W4, 0, n->pack);
    gelu_bwd(bk->HP, n->dH, R * W4);
    gemm_tn(W, W4, R, bk->A2, W, n->dH, W4, bk->dW1, W4, n->at, n->pack);
    colsum_add(bk->db1, n->dH, R, W4);
    transpose(bk->W1, W, W4, W4, n->wt, W);
    gemm_nn(R, W, W4, n->dH, W4, n->wt, W, n->dA, W, 0, n->pack);
    layernorm_bwd(bk->XM, bk->S2, n->dA, R, W, bk->ln2_g, bk->dln2_g, bk->dln2_b, n->dX);
    /* attention branch: dX is now the gradient of XM */
    for (int i = 0; i < R * W; i += 4) wasm_v128_store(n->dA + i, wasm_v128_load(n->dX + i));
    drop_rows(n, n->dA, R, W, 1 + 2 * l);
    gemm_tn(W, W, R, bk->ATT, W, n->dA, W, bk->dWo, W, n->at, n->pack);
    colsum_add(bk->dbo, n->dA, R, W);
    transpose(bk->Wo, W, W, W, n->wt, W);
    gemm_nn(R, W, W, n->dA, W, n->wt, W, n->dT, W, 0, n->pack);
    attention_bwd(n, bk, B);
    gemm_tn(W, W3, R, bk->A1, W, n->dQKV, W3, bk->dWqkv, W3, n->at, n->pack);
    colsum_add(bk->dbqkv, n->dQKV, R, W3);
    transpose(bk->Wqkv, W, W3, W3, n->wt, W);
    gemm_nn(R, W, W3, n->dQKV, W3, n->wt, W, n->dA, W, 0, n->pack);
    layernorm_bwd(bk->X, bk->S1, n->dA, R, W, bk->ln1_g, bk->dln1_g, bk->dln1_b, n->dX);
  }
  drop_rows(n, n->dX, R, W, 0);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const int r = b * T + t;
      float* de = n->demb + n->x[r] * W;
      float* dp = n->dpos + t * W;
      const float* s = n->dX + r * W;
      add_rows(de, de, s, W);
      add_rows(dp, dp, s, W);
    }
}

/* ---------------------------------------------------------------- sampling with a key/value cache */

/* X[b] = emb[tokens[b]] + pos[p] */
EXPORT(gpt_embed_rows) void gpt_embed_rows(float* X, int rows, int w, const float* emb, const float* pos, const int32_t* tokens, int p) {
  for (int b = 0; b < rows; b++) add_rows(X + b * w, emb + tokens[b] * w, pos + p * w, w);
}

EXPORT(gpt_layernorm_rows) void gpt_layernorm_rows(const float* X, int rows, int w, const float* g, const float* b, float eps, float* Y) {
  layernorm_fwd(X, rows, w, g, b, eps, Y, 0);
}

EXPORT(gpt_gelu) void gpt_gelu(float* X, int count) { gelu_fwd(X, X, count); }

/*
 * One new position p for each row: its key and value (from QKV [rows][ldq], columns W..3W) go into
 * the row's cache (K, V: [rows][ctx][W]) at p, then each head's query attends over positions 0..p.
 * out [rows][W]. scores: scratch of ctx floats.
 */
EXPORT(gpt_attend_step) void gpt_attend_step(const float* QKV, int ldq, int rows, int W, int H, int p, float* K, float* V, int ctx, float* out, float* scores) {
  const int d = W / H;
  const float sc = 1.0f / __builtin_sqrtf((float)d);
  for (int b = 0; b < rows; b++) {
    const float* q = QKV + b * ldq;
    float* kc = K + b * ctx * W;
    float* vc = V + b * ctx * W;
    for (int j = 0; j < W; j += 4) {
      wasm_v128_store(kc + p * W + j, wasm_v128_load(q + W + j));
      wasm_v128_store(vc + p * W + j, wasm_v128_load(q + 2 * W + j));
    }
    for (int h = 0; h < H; h++) {
      const float* qh = q + h * d;
      for (int t = 0; t <= p; t++) {
        const float* kh = kc + t * W + h * d;
        f4 s = wasm_f32x4_splat(0);
        for (int j = 0; j < d; j += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(qh + j), wasm_v128_load(kh + j)));
        scores[t] = hsum(s);
      }
      causal_softmax_row(scores, p + 1, p + 1, sc);
      float* o = out + b * W + h * d;
      for (int j = 0; j < d; j += 4) {
        f4 acc = wasm_f32x4_splat(0);
        for (int t = 0; t <= p; t++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(scores[t]), wasm_v128_load(vc + t * W + h * d + j)));
        wasm_v128_store(o + j, acc);
      }
    }
  }
}
