import { describe, expect, it } from 'vitest';
import { KernelInstance, kernelModule } from './wasm';

/**
 * gemm_packed_gather (gemm.c): the input product of LSTM input dropout, one batch row's kept inputs
 * against the input kernel packed once. The trainer tests reach it only with a few kept inputs;
 * here the sizes cross its k blocks (256) and row tiles (4), against a plain product in float64.
 */
describe('gemm_packed_gather', () => {
  it.each([
    [7, 16, 300, 600, 0],
    [64, 24, 257, 512, 1],
    [3, 8, 5, 9, 1],
  ])('C (+)= A . B[kept rows]: m %i, n %i, %i of %i rows kept, accumulate %i', (m, n, k, K, accumulate) => {
    const inst = new KernelInstance(kernelModule()!);
    const x = inst.exports;
    let s = 7 + m + k;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    const B = inst.alloc(K * n);
    const P = inst.alloc(K * n);
    const A = inst.alloc(m * k);
    const C = inst.alloc(m * n);
    const off = inst.alloc(k);
    const b = Float32Array.from({ length: K * n }, rnd);
    const a = Float32Array.from({ length: m * k }, rnd);
    const c0 = Float32Array.from({ length: m * n }, rnd);
    // k distinct rows of B in increasing order, as kept_inputs lists them
    const rows = Array.from({ length: K }, (_, i) => i)
      .sort((p, q) => ((p * 2654435761) >>> 0) - ((q * 2654435761) >>> 0))
      .slice(0, k)
      .sort((p, q) => p - q);
    inst.f32(B, K * n).set(b);
    inst.f32(A, m * k).set(a);
    inst.f32(C, m * n).set(c0);
    inst.i32(off, k).set(rows.map((r) => r * 32));
    x.pack_b(B, K, n, n, P);
    x.gemm_packed_gather(m, n, k, A, k, P, K, off, C, n, accumulate);
    const c = inst.f32(C, m * n);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let want = accumulate ? c0[i * n + j] : 0;
        for (let t = 0; t < k; t++) want += a[i * k + t] * b[rows[t] * n + j];
        worst = Math.max(worst, Math.abs(c[i * n + j] - want));
      }
    expect(worst).toBeLessThan(2e-5 * Math.sqrt(k));
  });
});
