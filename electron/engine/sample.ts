/**
 * Sampling takes from a StepModel: prime the state with the seed's tokens, then draw one token at
 * a time with temperature, top-k and top-p, streaming each token as it is chosen. Every variation
 * has its own RNG stream derived from (rngSeed, variation), so a fixed seed reproduces a take; without
 * one, a fresh seed is drawn for the run (never a fixed default: two runs must differ).
 */
import { randomInt } from 'node:crypto';
import { EngineError } from './errors';
import { Rng, deriveSeed } from './rng';
import type { StepModel } from './step';
import type { RunControl } from './control';

export interface SampleOptions {
  /** The seed as token ids; must be non-empty (start with the encoding's bos for a fresh tune). */
  prime: number[];
  /** Number of variations, sampled together as one batch. */
  count?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Most tokens to generate after the prime (per variation). */
  maxTokens: number;
  /** Stop a variation when it produces this token (not included in the output). */
  eos?: number;
  /** The run's RNG seed; absent: a fresh one (freshRngSeed()). */
  rngSeed?: number;
  /** Called for each token as soon as it is chosen. */
  onToken?(variation: number, token: number, index: number): void;
  /**
   * Constraints: may zero out probabilities (e.g. allow only header tokens of a given key) before
   * sampling; called with the variation, the position in the output and the row of probabilities.
   */
  mask?(variation: number, index: number, probs: Float64Array): void;
  /** Tokens never to sample (e.g. the start-of-tune token in the middle of a tune). */
  forbid?: number[];
  control?: RunControl;
}

export interface SampledTake {
  tokens: number[];
  /** Why this variation stopped. */
  stop: 'eos' | 'length' | 'cancelled';
}

/** A new RNG seed, 0 .. 2^32 - 1, from the system's random source. */
export function freshRngSeed(): number {
  return randomInt(0, 2 ** 32);
}

/** Chooses one token from a row of probabilities. temperature <= 0 means greedy. */
export function chooseToken(row: ArrayLike<number>, rng: Rng, opts: { temperature?: number; topK?: number; topP?: number }): number {
  const n = row.length;
  const temperature = opts.temperature ?? 1;
  if (temperature <= 1e-6) {
    let best = 0;
    for (let i = 1; i < n; i++) if (row[i] > row[best]) best = i;
    return best;
  }
  // p^(1/T), in log space so low temperatures do not underflow.
  const w = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    w[i] = row[i] > 0 ? Math.log(row[i]) / temperature : -Infinity;
    if (w[i] > max) max = w[i];
  }
  if (max === -Infinity) throw new EngineError('invalid_request', 'every token has probability 0 (a constraint excluded everything)');
  let total = 0;
  for (let i = 0; i < n; i++) {
    w[i] = Math.exp(w[i] - max);
    total += w[i];
  }
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  const topP = opts.topP && opts.topP > 0 && opts.topP < 1 ? opts.topP : 1;
  if (topK < n || topP < 1) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => w[b] - w[a] || a - b);
    let kept = 0;
    let cum = 0;
    for (const i of order) {
      if (kept >= topK || cum >= topP * total) break;
      cum += w[i];
      kept++;
    }
    const keep = new Set(order.slice(0, Math.max(1, kept)));
    total = 0;
    for (let i = 0; i < n; i++) {
      if (!keep.has(i)) w[i] = 0;
      total += w[i];
    }
  }
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= w[i];
    if (u < 0 && w[i] > 0) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (w[i] > 0) return i;
  return 0;
}

export async function sample(model: StepModel, opts: SampleOptions): Promise<SampledTake[]> {
  const count = opts.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new EngineError('invalid_request', `count must be a whole number >= 1, got ${count}`);
  if (!opts.prime.length) throw new EngineError('invalid_request', 'the seed is empty: give at least the start-of-tune token');
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1) throw new EngineError('invalid_request', `length must be a whole number >= 1, got ${opts.maxTokens}`);
  for (const t of opts.prime) if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize) throw new EngineError('invalid_request', `seed token ${t} is outside the vocabulary 0..${model.vocabSize - 1}`);
  const V = model.vocabSize;
  const rngSeed = opts.rngSeed ?? freshRngSeed();
  const rngs = Array.from({ length: count }, (_, v) => new Rng(deriveSeed(rngSeed, 'variation', v)));
  const takes: SampledTake[] = Array.from({ length: count }, () => ({ tokens: [], stop: 'length' as SampledTake['stop'] }));
  const active = new Array<boolean>(count).fill(true);
  model.reset(count);
  try {
    let probs!: Float32Array;
    const feed = new Int32Array(count);
    for (const t of opts.prime) {
      feed.fill(t);
      probs = model.step(feed);
    }
    const row = new Float64Array(V);
    for (let i = 0; i < opts.maxTokens; i++) {
      if (opts.control) {
        // Yield now and then so a cancel message can arrive.
        if (i % 16 === 0) await opts.control.checkpoint();
        if (opts.control.isCancelled) {
          for (let v = 0; v < count; v++) if (active[v]) takes[v].stop = 'cancelled';
          break;
        }
      }
      for (let v = 0; v < count; v++) {
        if (!active[v]) {
          feed[v] = opts.eos ?? 0;
          continue;
        }
        for (let j = 0; j < V; j++) row[j] = probs[v * V + j];
        if (opts.forbid) for (const f of opts.forbid) row[f] = 0;
        opts.mask?.(v, i, row);
        const tok = chooseToken(row, rngs[v], opts);
        feed[v] = tok;
        if (opts.eos !== undefined && tok === opts.eos) {
          active[v] = false;
          takes[v].stop = 'eos';
          continue;
        }
        takes[v].tokens.push(tok);
        opts.onToken?.(v, tok, takes[v].tokens.length - 1);
      }
      if (!active.some(Boolean) || i === opts.maxTokens - 1) break;
      probs = model.step(feed);
    }
    return takes;
  } finally {
    model.dispose();
  }
}
