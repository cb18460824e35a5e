/* Optimizers and gradient helpers, shared by the LSTM and GPT trainers. */
#include "kernels.h"

/* Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w = w * wdf - a * m / (sqrt(v * c) + eps).
 * The engine's optimizer passes a = lr sqrt(1-b2^t) / (1-b1^t), c = 1; tf.train.adam's order is
 * a = lr / (1-b1^t), c = 1 / (1-b2^t). g is multiplied by gscale first (global-norm clipping).
 * wdf = 1 - lr * weight decay (decoupled, as torch.optim.AdamW), 1 for no decay. */
EXPORT(adam) void adam(float* w, const float* g, float* m, float* v, int n, float a, float b1, float b2, float c, float eps, float gscale, float wdf) {
  f4 vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2), c1 = wasm_f32x4_splat(1 - b1), c2 = wasm_f32x4_splat(1 - b2);
  f4 va = wasm_f32x4_splat(a), vc = wasm_f32x4_splat(c), veps = wasm_f32x4_splat(eps), gs = wasm_f32x4_splat(gscale), vw = wasm_f32x4_splat(wdf);
  const int decay = wdf != 1.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f4 gv = wasm_f32x4_mul(wasm_v128_load(g + i), gs);
    f4 mv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gv, c1));
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c2));
    wasm_v128_store(m + i, mv); wasm_v128_store(v + i, vv);
    f4 d = wasm_f32x4_div(mv, wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vv, vc)), veps));
    f4 wv = wasm_v128_load(w + i);
    if (decay) wv = wasm_f32x4_mul(wv, vw);
    wasm_v128_store(w + i, wasm_f32x4_sub(wv, wasm_f32x4_mul(va, d)));
  }
  for (; i < n; i++) {
    float gv = g[i] * gscale;
    m[i] = m[i] * b1 + gv * (1 - b1);
    v[i] = v[i] * b2 + gv * gv * (1 - b2);
    w[i] = (decay ? w[i] * wdf : w[i]) - a * (m[i] / (__builtin_sqrtf(v[i] * c) + eps));
  }
}

/* RMSprop as the engine's optimizer: v = rho v + (1-rho) g^2; w = w * wdf - lr * g / (sqrt(v) + eps). */
EXPORT(rmsprop) void rmsprop(float* w, const float* g, float* v, int n, float lr, float rho, float eps, float gscale, float wdf) {
  const int decay = wdf != 1.0f;
  f4 vw = wasm_f32x4_splat(wdf);
  f4 vr = wasm_f32x4_splat(rho), c = wasm_f32x4_splat(1 - rho), vlr = wasm_f32x4_splat(lr), veps = wasm_f32x4_splat(eps), gs = wasm_f32x4_splat(gscale);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f4 gv = wasm_f32x4_mul(wasm_v128_load(g + i), gs);
    f4 vv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vr), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), c));
    wasm_v128_store(v + i, vv);
    f4 wv = wasm_v128_load(w + i);
    if (decay) wv = wasm_f32x4_mul(wv, vw);
    wasm_v128_store(w + i, wasm_f32x4_sub(wv, wasm_f32x4_mul(vlr, wasm_f32x4_div(gv, wasm_f32x4_add(wasm_f32x4_sqrt(vv), veps)))));
  }
  for (; i < n; i++) {
    float gv = g[i] * gscale;
    v[i] = v[i] * rho + gv * gv * (1 - rho);
    w[i] = (decay ? w[i] * wdf : w[i]) - lr * (gv / (__builtin_sqrtf(v[i]) + eps));
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
