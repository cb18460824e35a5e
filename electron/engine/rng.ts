/**
 * A small deterministic PRNG. Every random choice the engine makes (shuffling, dropout masks,
 * sampling a take) draws from one of these, so a fixed seed reproduces a run or a take exactly;
 * Math.random is never used for that. sfc32 is hand-written because it is ~15 lines, fast in JS,
 * passes PractRand well beyond what sampling needs, and its whole state is four 32-bit words that
 * fit in a checkpoint's JSON.
 */

export type RngState = [number, number, number, number];

/** splitmix32: spreads an arbitrary integer seed over the 128 state bits. */
function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** Hashes a seed and a list of labels (numbers or strings) into one 32-bit seed. */
export function deriveSeed(seed: number, ...labels: (number | string)[]): number {
  let h = (Math.floor(seed) ^ 0x5bd1e995) >>> 0;
  const mix = (v: number) => {
    h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0x5bd1e995) >>> 0;
  };
  // Seeds above 2^32 still matter: fold the high part in.
  mix(Math.floor(seed / 0x100000000));
  for (const l of labels) {
    if (typeof l === 'number') {
      mix(l);
      mix(Math.floor(l / 0x100000000));
    } else for (let i = 0; i < l.length; i++) mix(l.charCodeAt(i));
  }
  return splitmix32(h)();
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      [this.a, this.b, this.c, this.d] = seed.map((v) => v >>> 0) as RngState;
    } else {
      const sm = splitmix32(Math.floor(seed) ^ Math.floor(seed / 0x100000000));
      this.a = sm();
      this.b = sm();
      this.c = sm();
      this.d = sm();
      // Warm up so that nearby seeds diverge at once.
      for (let i = 0; i < 12; i++) this.nextUint32();
    }
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }
}

/**
 * Runs fn with Math.random replaced by a seeded stream. TensorFlow.js seeds its own random ops
 * (dropout masks in LSTM cells) from Math.random when no seed is given and offers no other hook,
 * so this is how a training step with dropout becomes reproducible. The swap is synchronous and
 * always undone, so nothing outside fn ever sees it.
 */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  const rng = new Rng(seed);
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}
