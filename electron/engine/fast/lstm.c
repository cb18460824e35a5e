/* LSTM: the sampler's fused step pieces and the training step (forward + backward through time). */
#include "kernels.h"

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
  float *etab;           /* [V][4 u0]: Embedding . first kernel (forward), per-token sums of dG (backward) */
  /* per batch row, for a layer whose input dropout zeroes many inputs (see sparse_input) */
  int32_t *idx;          /* [maxdim] the kept inputs */
  float *xg, *xgt;       /* [T][kept] and [kept][T]: the row's kept inputs, scaled by the mask */
  float *dxg;            /* [T][kept rounded up to 8]: their gradient */
  float *wpack;          /* [maxin][4 maxu]: W packed whole (forward), or its kept rows transposed (backward) */
  /* Dropout layers after LSTM layers (model.ts's 'output' placement): hashed masks per element */
  int row0;              /* this chunk's first row in the whole batch */
  uint32_t dseed;        /* dropout seed of the step */
  float out_keep[4];     /* 1 - rate of the Dropout after each LSTM layer (1: none) */
} Net;

/*
 * Y (time-major rows t * B + b, n wide) *= the Dropout mask after LSTM layer `layer`: element
 * (global row, step, column) kept with probability keep and scaled by 1/keep, hashed from the step
 * seed, so a chunk's mask does not depend on which thread runs it and the backward pass recomputes
 * it. Exported so the tests can build the very masks a step uses.
 */
EXPORT(lstm_dropout_rows) void lstm_dropout_rows(float* Y, int T, int B, int n, uint32_t seed, int layer, int row0, float keep) {
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) drop_row(Y + (t * B + b) * n, n, seed, 100 + layer, (row0 + b) * T + t, keep);
}

/* dst = src with layer l's output Dropout applied (rows x n) */
static void dropped_copy(Net* net, int l, const float* src, float* dst, int n) {
  const int rows = net->B * net->T;
  for (int i = 0; i < rows * n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  lstm_dropout_rows(dst, net->T, net->B, n, net->dseed, l, net->row0, net->out_keep[l]);
}

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

/*
 * Input dropout zeroes a fraction `rate` of a batch row's inputs, the same ones at every step. With
 * many zeroed (abc-token-lstm: 0.5), the input products skip them: per batch row, its T steps
 * times the kept rows of W (forward), the kept rows of dW (weight gradient) and the kept columns of
 * the input gradient, instead of one product over every input. That halves a fifth to a third of
 * the step's arithmetic at rate 0.5; below ~0.25 the per-row packing costs more than it saves.
 */
#ifndef SPARSE_FWD_KEEP
#define SPARSE_FWD_KEEP 75
#endif
#ifndef SPARSE_BWD_KEEP
#define SPARSE_BWD_KEEP 75
#endif
static int sparse_input(const float* mask, int B, int in, int g4, int keepPct) {
  if (!mask || g4 > 8192) return 0;
  int kept = 0;
  for (int i = 0; i < B * in; i++) kept += mask[i] != 0;
  return kept * 100 <= B * in * keepPct;
}

/* The kept inputs of batch row b; returns how many. */
static int kept_inputs(const float* mask, int b, int in, int32_t* idx) {
  const float* m = mask + b * in;
  int n = 0;
  for (int i = 0; i < in; i++) if (m[i] != 0) idx[n++] = i;
  return n;
}

/* The dropped inputs of batch row b; returns how many. */
static int dropped_inputs(const float* mask, int b, int in, int32_t* idx) {
  const float* m = mask + b * in;
  int n = 0;
  for (int i = 0; i < in; i++) if (m[i] == 0) idx[n++] = i;
  return n;
}

/*
 * Whether the first layer's table (emb . W) still pays under input dropout, and its scale: with
 * mask m_b = s (1 - d_b) (d_b: the dropped indicator of batch row b, s = 1/(1-rate)),
 * (emb[x] * m_b) W = s (emb[x] W - (emb[x] * d_b) W), so a row's input product is a table row minus
 * a product over its dropped inputs only; likewise the weight and embedding gradients (the per-token
 * sums, minus per-row corrections over the dropped inputs). Pays while the table (V rows) plus the
 * dropped fraction costs less than the kept inputs' products (the sparse path): rate 0.1 yes, 0.5 no.
 * Needs every kept value equal (one scale s), as dropoutMask makes them.
 */
static int table_under_mask(const float* mask, int B, int in, int V, int rows, float* scale) {
  int dropped = 0;
  float s = 0;
  for (int i = 0; i < B * in; i++) {
    const float v = mask[i];
    if (v == 0) { dropped++; continue; }
    if (s == 0) s = v;
    else if (v != s) return 0;
  }
  if (s == 0) return 0;
  *scale = s;
  const double total = (double)B * in, drop = dropped / total;
  return drop + (double)V / rows < 1 - drop;
}

/* One batch row's gates and cell at one step (pre-activations in gr, overwritten by the gates; cp:
 * the previous cell or null). Two vectors per iteration: their exp chains (~20 cycles of latency
 * each) overlap; `hard` is a constant at each call, so each variant has no branch inside. u % 8 == 0. */
static inline void cell4(float* gr, int u, int j, const float* cp, float* c, float* tc, float* h, int hard) {
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

static inline void cell_row(float* gr, int u, const float* cp, float* c, float* tc, float* h, int hard) {
  for (int j = 0; j < u; j += 8) {
    cell4(gr, u, j, cp, c, tc, h, hard);
    cell4(gr, u, j + 4, cp, c, tc, h, hard);
  }
}

EXPORT(train_step) void train_step(Net* net) {
  const int B = net->B, T = net->T, rows = B * T, E = net->E, V = net->V, Vp = net->Vp, L = net->L, hard = net->hard;
  /* The first layer's input is an embedding row, so its projection is a row of the table
   * emb . W (V rows instead of B*T), and its weight and embedding gradients come from the per-token
   * sums of its gate gradients: a fifth to a quarter of a step's arithmetic for a vocabulary smaller
   * than the chunk. Not with an input dropout mask (each row's input then differs). */
  const float* mask0 = net->forward_only ? 0 : net->layers[0].mask;
  float s0 = 1; /* the kept inputs' scale of layer 0's input dropout (1: none) */
  const int table0 = net->etab && V < rows && (!mask0 || table_under_mask(mask0, B, E, V, rows, &s0));
  const float* tmask = table0 ? mask0 : 0; /* layer 0's mask, applied through the table's corrections */
  PROF(1);
  /* time-major rows: r = t * B + b */
  if (!table0) for (int t = 0; t < T; t++)
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
    const int tab = l == 0 && table0;
    const int sparse = !tab && sparse_input(mask, B, in, g4, SPARSE_FWD_KEEP);
    PROF(7);
    if (mask && !sparse && !tab) { apply_mask(net->xm, X, mask, T, B, in); X = net->xm; }
    PROF(2);
    if (sparse) {
      for (int r = 0; r < rows; r++) for (int j = 0; j < g4; j += 4) wasm_v128_store(G + r * g4 + j, wasm_v128_load(ly->b + j));
      /* W packed once; each batch row's product reads its kept rows of it through an index */
      pack_b(ly->W, in, g4, g4, net->wpack);
      for (int b = 0; b < B; b++) {
        const int n = kept_inputs(mask, b, in, net->idx);
        if (!n) continue;
        const float* m = mask + b * in;
        for (int t = 0; t < T; t++) {
          const float* x = X + (t * B + b) * in;
          float* d = net->xg + t * n;
          for (int i = 0; i < n; i++) d[i] = x[net->idx[i]] * m[net->idx[i]];
        }
        for (int i = 0; i < n; i++) net->idx[i] *= 32; /* byte offset of the row in a panel */
        PROF(3);
        gemm_packed_gather(T, g4, n, net->xg, n, net->wpack, in, net->idx, G + b * g4, B * g4, 1);
        PROF(2);
      }
    } else if (l == 0 && table0) {
      gemm_nn(V, g4, E, net->emb, E, ly->W, g4, net->etab, g4, 0, net->pack);
      const f4 sv = wasm_f32x4_splat(s0);
      for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
          const float* e = net->etab + net->x[b * T + t] * g4;
          float* g = G + (t * B + b) * g4;
          for (int j = 0; j < g4; j += 4) wasm_v128_store(g + j, wasm_f32x4_add(wasm_v128_load(ly->b + j), wasm_f32x4_mul(sv, wasm_v128_load(e + j))));
        }
      if (tmask) {
        /* minus s (emb[x] * d_b) W: each batch row's dropped inputs, W packed once (see table_under_mask) */
        pack_b(ly->W, in, g4, g4, net->wpack);
        for (int b = 0; b < B; b++) {
          const int n = dropped_inputs(tmask, b, in, net->idx);
          if (!n) continue;
          for (int t = 0; t < T; t++) {
            const float* e = net->emb + net->x[b * T + t] * E;
            float* d = net->xg + t * n;
            for (int i = 0; i < n; i++) d[i] = -s0 * e[net->idx[i]];
          }
          for (int i = 0; i < n; i++) net->idx[i] *= 32; /* byte offset of the row in a panel */
          gemm_packed_gather(T, g4, n, net->xg, n, net->wpack, in, net->idx, G + b * g4, B * g4, 1);
        }
      }
    } else {
      for (int r = 0; r < rows; r++) for (int j = 0; j < g4; j += 4) wasm_v128_store(G + r * g4 + j, wasm_v128_load(ly->b + j));
      gemm_nn(rows, g4, in, X, in, ly->W, g4, G, g4, 1, net->pack);
    }
    PROF(4);
    pack_b(ly->U, u, g4, g4, net->upack);
    for (int t = 0; t < T; t++) {
      float* g = G + t * B * g4;
      PROF(5);
      if (t > 0) gemm_packed(B, g4, u, ly->H + (t - 1) * B * u, u, net->upack, g, g4, 1);
      PROF(6);
      for (int b = 0; b < B; b++) {
        float* gr = g + b * g4;
        const float* cp = t > 0 ? ly->C + ((t - 1) * B + b) * u : 0;
        float* c = ly->C + (t * B + b) * u;
        float* tc = ly->TC + (t * B + b) * u;
        float* h = ly->H + (t * B + b) * u;
        if (hard) cell_row(gr, u, cp, c, tc, h, 1);
        else cell_row(gr, u, cp, c, tc, h, 0);
      }
    }
    X = ly->H; in = u;
    PROF(7);
    if (!net->forward_only && net->out_keep[l] < 1.0f) { dropped_copy(net, l, ly->H, net->xm, u); X = net->xm; }
  }
  /* dense + softmax cross-entropy; dZ overwrites Z */
  const int uL = in;
  PROF(8);
  for (int r = 0; r < rows; r++) for (int j = 0; j < Vp; j += 4) wasm_v128_store(net->Z + r * Vp + j, wasm_v128_load(net->bd + j));
  gemm_nn(rows, Vp, uL, X, uL, net->Wd, Vp, net->Z, Vp, 1, net->pack);
  PROF(9);
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
  PROF(0);
  if (net->forward_only) return;
  /* dense backward */
  PROF(10);
  gemm_tn(uL, Vp, rows, X, uL, net->Z, Vp, net->dWd, Vp, net->at, net->pack);
  PROF(11);
  for (int r = 0; r < rows; r++) for (int j = 0; j < Vp; j += 4)
    wasm_v128_store(net->dbd + j, wasm_f32x4_add(wasm_v128_load(net->dbd + j), wasm_v128_load(net->Z + r * Vp + j)));
  transpose(net->Wd, uL, Vp, Vp, net->wt, uL);
  gemm_nn(rows, uL, Vp, net->Z, Vp, net->wt, uL, net->dH, uL, 0, net->pack);
  if (net->out_keep[L - 1] < 1.0f) lstm_dropout_rows(net->dH, T, B, uL, net->dseed, L - 1, net->row0, net->out_keep[L - 1]);
  /* LSTM layers backward through time */
  for (int l = L - 1; l >= 0; l--) {
    Layer* ly = &net->layers[l];
    const int u = ly->u, g4 = 4 * u, lin = ly->in;
    const float* Xin = l > 0 ? net->layers[l - 1].H : net->X0;
    const int dropBelow = l > 0 && net->out_keep[l - 1] < 1.0f;
    PROF(7);
    if (dropBelow) { dropped_copy(net, l - 1, Xin, net->xm, lin); Xin = net->xm; }
    const int tab = l == 0 && table0;
    const int sparse = !tab && sparse_input(ly->mask, B, lin, g4, SPARSE_BWD_KEEP);
    if (ly->mask && !sparse && !tab) { apply_mask(net->xm, Xin, ly->mask, T, B, lin); Xin = net->xm; }
    float* dG = net->dG;
    PROF(12);
    zero(net->dh, B * u); zero(net->dc, B * u);
    transpose(ly->U, u, g4, g4, net->wt, u); /* U^T: [4u][u] */
    pack_b(net->wt, g4, u, u, net->upack);
    for (int t = T - 1; t >= 0; t--) {
      PROF(13);
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
      PROF(14);
      if (t > 0) gemm_packed(B, u, g4, dG + t * B * g4, g4, net->upack, net->dh, u, 0);
    }
    PROF(15);
    /* weight gradients over all steps at once */
    if (T > 1) {
      const int k = (T - 1) * B;
      PROF(25);
      pack_b(dG + B * g4, k, g4, g4, net->pack);
      PROF(26);
      gemm_packed_t(u, g4, k, ly->H, u, net->pack, ly->dU, g4, 1); /* H^T . dG, H's columns packed directly */
    }
    PROF(16);
    for (int r = 0; r < rows; r++) for (int j = 0; j < g4; j += 4)
      wasm_v128_store(ly->db + j, wasm_f32x4_add(wasm_v128_load(ly->db + j), wasm_v128_load(dG + r * g4 + j)));
    if (sparse) {
      /* per batch row: dW[kept] += Xg^T dG_b; dIn[kept] = (dG_b W[kept]^T) * mask, 0 elsewhere */
      float* dIn = l > 0 ? net->dH : net->dX;
      PROF(22);
      zero(dIn, rows * lin);
      for (int b = 0; b < B; b++) {
        PROF(17);
        const int n = kept_inputs(ly->mask, b, lin, net->idx);
        if (!n) continue;
        const int n8 = (n + 7) & ~7;
        const float* m = ly->mask + b * lin;
        for (int t = 0; t < T; t++) {
          const float* x = Xin + (t * B + b) * lin;
          for (int i = 0; i < n; i++) net->xgt[i * T + t] = x[net->idx[i]] * m[net->idx[i]];
        }
        PROF(18);
        pack_b(dG + b * g4, T, g4, B * g4, net->pack);
        PROF(19);
        gemm_packed_scatter(n, g4, T, net->xgt, T, net->pack, ly->dW, net->idx, g4);
        PROF(20);
        pack_bt_rows(ly->W, g4, net->idx, n, g4, net->wpack);
        PROF(21);
        gemm_packed(T, n8, g4, dG + b * g4, B * g4, net->wpack, net->dxg, n8, 0);
        PROF(22);
        for (int t = 0; t < T; t++) {
          float* d = dIn + (t * B + b) * lin;
          const float* s = net->dxg + t * n8;
          for (int i = 0; i < n; i++) d[net->idx[i]] = s[i] * m[net->idx[i]];
        }
      }
      PROF(7);
      if (dropBelow) lstm_dropout_rows(dIn, T, B, lin, net->dseed, l - 1, net->row0, net->out_keep[l - 1]);
      continue;
    }
    PROF(23);
    transpose(ly->W, lin, g4, g4, net->wt, lin);
    if (l == 0 && table0) {
      /* S[v] = sum of dG over the rows whose token is v; dW += emb^T S; demb += S W^T */
      float* S = net->etab;
      zero(S, V * g4);
      for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
          float* s = S + net->x[b * T + t] * g4;
          const float* d = dG + (t * B + b) * g4;
          for (int j = 0; j < g4; j += 4) wasm_v128_store(s + j, wasm_f32x4_add(wasm_v128_load(s + j), wasm_v128_load(d + j)));
        }
      if (tmask) {
        const f4 sv = wasm_f32x4_splat(s0);
        for (int i = 0; i < V * g4; i += 4) wasm_v128_store(S + i, wasm_f32x4_mul(sv, wasm_v128_load(S + i)));
      }
      gemm_tn(lin, g4, V, net->emb, lin, S, g4, ly->dW, g4, net->at, net->pack);
      gemm_nn(V, lin, g4, S, g4, net->wt, lin, net->demb, lin, 1, net->pack);
      if (tmask)
        /* minus the dropped inputs' share, per batch row (see table_under_mask):
         * dW[dropped] -= s emb[x][dropped]^T dG_b; demb[x][dropped] -= s (dG_b W[dropped]^T) */
        for (int b = 0; b < B; b++) {
          const int n = dropped_inputs(tmask, b, lin, net->idx);
          if (!n) continue;
          const int n8 = (n + 7) & ~7;
          for (int t = 0; t < T; t++) {
            const float* e = net->emb + net->x[b * T + t] * E;
            for (int i = 0; i < n; i++) net->xgt[i * T + t] = -s0 * e[net->idx[i]];
          }
          pack_b(dG + b * g4, T, g4, B * g4, net->pack);
          gemm_packed_scatter(n, g4, T, net->xgt, T, net->pack, ly->dW, net->idx, g4);
          pack_bt_rows(ly->W, g4, net->idx, n, g4, net->wpack);
          gemm_packed(T, n8, g4, dG + b * g4, B * g4, net->wpack, net->dxg, n8, 0);
          for (int t = 0; t < T; t++) {
            float* d = net->demb + net->x[b * T + t] * E;
            const float* sx = net->dxg + t * n8;
            for (int i = 0; i < n; i++) d[net->idx[i]] -= s0 * sx[i];
          }
        }
      PROF(0);
      return;
    }
    gemm_tn(lin, g4, rows, Xin, lin, dG, g4, ly->dW, g4, net->at, net->pack);
    /* input gradient: next dH (layer below) or the embedding rows */
    float* dIn = l > 0 ? net->dH : net->dX;
    gemm_nn(rows, lin, g4, dG, g4, net->wt, lin, dIn, lin, 0, net->pack);
    if (ly->mask) apply_mask(dIn, dIn, ly->mask, T, B, lin);
    if (dropBelow) lstm_dropout_rows(dIn, T, B, lin, net->dseed, l - 1, net->row0, net->out_keep[l - 1]);
  }
  PROF(24);
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      float* d = net->demb + net->x[b * T + t] * E;
      const float* s = net->dX + (t * B + b) * E;
      for (int j = 0; j < E; j += 4) wasm_v128_store(d + j, wasm_f32x4_add(wasm_v128_load(d + j), wasm_v128_load(s + j)));
    }
  PROF(0);
}
