/** The 32-column panel layout the SIMD kernels stream weights in (shared by the LSTM and GPT samplers). */
const PANEL = 32;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Packs a row-major [k][n] matrix (given as row slices) into [ceil(n/32)][k][32] panels. */
export function packPanels(dst: Float32Array, rows: Float32Array[], rowOffsets: number[], k: number, n: number): void {
  const np = roundUp(n, PANEL);
  for (let p = 0; p < np; p += PANEL) {
    const base = p * k;
    const width = Math.min(PANEL, n - p);
    for (let r = 0; r < k; r++) {
      const src = rows[r];
      const off = rowOffsets[r] + p;
      const d = base + r * PANEL;
      for (let j = 0; j < width; j++) dst[d + j] = src[off + j];
    }
  }
}
