/**
 * Beats, then grid positions between them.
 *
 * Beats: Ellis's dynamic-programming beat tracker (Ellis 2007, "Beat tracking by dynamic
 * programming"), run on the onsets' own strength curve (a Gaussian per onset, longer notes weigh
 * more) instead of an audio novelty curve: the chain of beat times that lands on the most onset
 * strength while keeping each beat-to-beat interval close to the target period (a penalty on the
 * squared log ratio). A beat chain is smooth by construction, so an onset's timing error never
 * moves the next one (reading two triplet eighths as eighths would put every later note off the
 * beat), and tempo drift of a few percent costs little.
 * Positions: each onset is placed on the grid position whose time (interpolated between its two
 * beats) is nearest, weighed by the folk-tune priors of note values and positions, in one Viterbi
 * pass so that onsets keep their order; the timing spread is measured on the playing itself.
 * Hand-written: no library we can use tracks beats in symbolic onsets.
 */
import { lengthCost, positionCost, type UnitGrid } from './track';

/** Frame of the strength curve (seconds). */
const FRAME_S = 0.01;
/** Width of one onset in the strength curve (seconds). */
const ONSET_WIDTH_S = 0.025;
/** Weight of keeping the tempo: penalty per beat = TIGHTNESS * ln(interval / period)^2. */
const TIGHTNESS = 300;

/**
 * Beat times (seconds) at `period` from before the first onset to after the last. `weights` says
 * how much each onset draws a beat. `fixed`: known beat times (a metronome) to start from instead.
 */
export function trackBeatTimes(times: number[], weights: number[], period: number): number[] {
  const t0 = times[0] - 1.2 * period;
  const t1 = times[times.length - 1] + 1.2 * period;
  const frames = Math.max(2, Math.ceil((t1 - t0) / FRAME_S) + 1);
  const strength = new Float64Array(frames);
  const span = Math.ceil((3 * ONSET_WIDTH_S) / FRAME_S);
  for (let i = 0; i < times.length; i++) {
    const c = Math.round((times[i] - t0) / FRAME_S);
    for (let f = Math.max(0, c - span); f <= Math.min(frames - 1, c + span); f++) {
      const z = (t0 + f * FRAME_S - times[i]) / ONSET_WIDTH_S;
      strength[f] += weights[i] * Math.exp(-0.5 * z * z);
    }
  }
  const p = period / FRAME_S;
  const lo = Math.max(1, Math.floor(0.6 * p));
  const hi = Math.ceil(1.6 * p);
  const penalty = new Float64Array(hi + 1);
  for (let d = lo; d <= hi; d++) penalty[d] = TIGHTNESS * Math.log(d / p) ** 2;
  const score = new Float64Array(frames);
  const back = new Int32Array(frames).fill(-1);
  const startBefore = Math.round((times[0] + period - t0) / FRAME_S);
  for (let f = 0; f < frames; f++) {
    let best = f <= startBefore ? 0 : -Infinity;
    let from = -1;
    for (let d = lo; d <= hi && f - d >= 0; d++) {
      const s = score[f - d] - penalty[d];
      if (s > best) {
        best = s;
        from = f - d;
      }
    }
    score[f] = strength[f] + best;
    back[f] = from;
  }
  const endFrom = Math.max(0, Math.round((times[times.length - 1] - 0.5 * period - t0) / FRAME_S));
  let end = endFrom;
  for (let f = endFrom; f < frames; f++) if (score[f] > score[end]) end = f;
  const beats: number[] = [];
  for (let f = end; f >= 0; f = back[f]) {
    beats.push(t0 + f * FRAME_S);
    if (back[f] < 0) break;
  }
  beats.reverse();
  // Extend at the current spacing so that every onset lies between two beats, with one to spare.
  while (beats.length < 2) beats.push(beats[beats.length - 1] + period);
  while (beats[0] > times[0] - 0.5 * period) beats.unshift(beats[0] - (beats[1] - beats[0]));
  while (beats[beats.length - 1] < times[times.length - 1] + 0.5 * period) beats.push(beats[beats.length - 1] + (beats[beats.length - 1] - beats[beats.length - 2]));
  return beats;
}

export interface Placement {
  /** Grid position of each onset in units (R per beat); beat k starts at unit k * R. */
  units: number[];
  /** Negative log-likelihood: timing (with the spread's normalization) and priors. */
  cost: number;
  /** The timing spread measured (seconds, one onset). */
  noise: number;
}

const MIN_NOISE_S = 0.006;
const MAX_NOISE_S = 0.045;
const START_NOISE_S = 0.025;

/** Seconds at a fractional beat index, between the beats (and past either end at the end's spacing). */
export function timeAtBeat(beats: number[], x: number): number {
  const n = beats.length;
  if (x <= 0) return beats[0] + x * (beats[1] - beats[0]);
  if (x >= n - 1) return beats[n - 1] + (x - (n - 1)) * (beats[n - 1] - beats[n - 2]);
  const k = Math.floor(x);
  return beats[k] + (x - k) * (beats[k + 1] - beats[k]);
}

/** Fractional beat index of a time. */
export function beatAtTime(beats: number[], t: number): number {
  const n = beats.length;
  if (t <= beats[0]) return (t - beats[0]) / (beats[1] - beats[0]);
  if (t >= beats[n - 1]) return n - 1 + (t - beats[n - 1]) / (beats[n - 1] - beats[n - 2]);
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (beats[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo + (t - beats[lo]) / (beats[lo + 1] - beats[lo]);
}

/** How much the beat interval may change from one beat to the next (fraction of the period): drift, not wobble. */
const BEAT_CHANGE = 0.01;

/**
 * Beat times refitted to the placed onsets as a smooth clock: least squares of the onsets' timing
 * plus a penalty on the change of beat interval from one beat to the next (a smoothing spline on
 * the beat times, solved as a banded linear system), with a weak pull towards the tracker's beats
 * where no onset says anything. A clock free to bend at every beat would fit a wrong reading as
 * well as the right one.
 */
export function smoothBeats(times: number[], units: number[], beats: number[], R: number, noise: number, period: number): number[] {
  const K = beats.length;
  if (K < 3) return beats;
  // Symmetric band matrix: A[k][j] for j = 0..2 holds entry (k, k + j).
  const A = Array.from({ length: K }, () => new Float64Array(3));
  const b = new Float64Array(K);
  const wObs = 1 / (noise * noise);
  for (let i = 0; i < units.length; i++) {
    const x = units[i] / R;
    const k = Math.max(0, Math.min(K - 2, Math.floor(x)));
    const f = x - k;
    const c0 = 1 - f;
    const c1 = f;
    A[k][0] += wObs * c0 * c0;
    A[k][1] += wObs * c0 * c1;
    A[k + 1][0] += wObs * c1 * c1;
    b[k] += wObs * c0 * times[i];
    b[k + 1] += wObs * c1 * times[i];
  }
  const sCurve = BEAT_CHANGE * period;
  const wCurve = 1 / (sCurve * sCurve);
  for (let k = 1; k < K - 1; k++) {
    // (T[k-1] - 2 T[k] + T[k+1])^2
    const idx = [k - 1, k, k + 1];
    const c = [1, -2, 1];
    for (let p = 0; p < 3; p++) for (let q = p; q < 3; q++) A[idx[p]][q - p] += wCurve * c[p] * c[q];
  }
  const wPull = 1 / (0.2 * period) ** 2;
  for (let k = 0; k < K; k++) {
    A[k][0] += wPull;
    b[k] += wPull * beats[k];
  }
  // Banded Cholesky (bandwidth 2): A = L L^T.
  const L = Array.from({ length: K }, () => new Float64Array(3)); // L[k][j] = entry (k, k - j)
  for (let k = 0; k < K; k++) {
    for (let j = 2; j >= 0; j--) {
      const col = k - j;
      if (col < 0) continue;
      let sum = j === 0 ? A[k][0] : A[col][j];
      for (let m = 1; m <= 2; m++) {
        const c = col - m;
        if (c < 0 || k - c > 2) continue;
        sum -= L[k][k - c] * L[col][col - c];
      }
      if (j === 0) {
        if (!(sum > 0)) return beats;
        L[k][0] = Math.sqrt(sum);
      } else L[k][j] = sum / L[col][0];
    }
  }
  const y = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let sum = b[k];
    for (let j = 1; j <= 2 && k - j >= 0; j++) sum -= L[k][j] * y[k - j];
    y[k] = sum / L[k][0];
  }
  const out = new Array<number>(K);
  for (let k = K - 1; k >= 0; k--) {
    let sum = y[k];
    for (let j = 1; j <= 2 && k + j < K; j++) sum -= L[k + j][j] * out[k + j];
    out[k] = sum / L[k][0];
  }
  for (let k = 1; k < K; k++) if (!(out[k] > out[k - 1]) || !Number.isFinite(out[k])) return beats;
  return out;
}

/** The smoothness prior of a clock: how far each beat interval is from the one before, in BEAT_CHANGE units. */
export function clockCost(beats: number[], period: number): number {
  let c = 0;
  const s = BEAT_CHANGE * period;
  for (let k = 1; k < beats.length - 1; k++) {
    const d = (beats[k + 1] - 2 * beats[k] + beats[k - 1]) / s;
    c += 0.5 * d * d;
  }
  return c;
}

/**
 * Places onsets on the grid between the beats; then refits the beats to the placed onsets, measures
 * the timing spread and places again with both.
 */
export function placeOnBeats(times: number[], beats: number[], grid: UnitGrid, period: number, firstUnit?: number): Placement & { beats: number[] } {
  let noise = START_NOISE_S;
  let placed = placeOnce(times, beats, grid, noise, firstUnit);
  let current = beats;
  for (let round = 0; round < 3; round++) {
    const refit = smoothBeats(times, placed.units, current, grid.R, noise, period);
    const residual = placed.units.map((u, i) => Math.abs(times[i] - timeAtBeat(refit, u / grid.R))).sort((a, b) => a - b);
    const measured = Math.min(MAX_NOISE_S, Math.max(MIN_NOISE_S, 1.4826 * residual[residual.length >> 1]));
    const again = placeOnce(times, refit, grid, measured, firstUnit);
    const same = again.units.every((u, i) => u === placed.units[i]);
    current = refit;
    noise = measured;
    placed = again;
    if (same) break;
  }
  return { ...placed, cost: placed.cost + clockCost(current, period), beats: current };
}

function placeOnce(times: number[], beats: number[], grid: UnitGrid, noise: number, firstUnit?: number): Placement {
  const { R, allowed } = grid;
  const N = times.length;
  const pos = positionCost(grid);
  const maxLen = R * 16;
  const len = lengthCost(R, maxLen);
  const farLength = -Math.log(1e-4);
  const norm = Math.log(noise / START_NOISE_S);
  const cands: number[][] = [];
  const local: number[][] = [];
  for (let i = 0; i < N; i++) {
    const x = beatAtTime(beats, times[i]) * R;
    const list: number[] = [];
    const costs: number[] = [];
    for (let u = Math.ceil(x - R / 2); u <= Math.floor(x + R / 2); u++) {
      const k = ((u % R) + R) % R;
      if (!allowed[k]) continue;
      if (i === 0 && firstUnit !== undefined && u !== firstUnit) continue;
      const e = (times[i] - timeAtBeat(beats, u / R)) / noise;
      list.push(u);
      costs.push(0.5 * e * e + norm + pos[k]);
    }
    if (!list.length) {
      const u = i === 0 && firstUnit !== undefined ? firstUnit : Math.round(x);
      list.push(u);
      costs.push(pos[((u % R) + R) % R]);
    }
    cands.push(list);
    local.push(costs);
  }
  let cost = local[0].slice();
  const back: Int32Array[] = [new Int32Array(cands[0].length).fill(-1)];
  for (let i = 1; i < N; i++) {
    const next = new Array<number>(cands[i].length).fill(Infinity);
    const bk = new Int32Array(cands[i].length).fill(-1);
    for (let k = 0; k < cands[i].length; k++) {
      for (let j = 0; j < cands[i - 1].length; j++) {
        const d = cands[i][k] - cands[i - 1][j];
        if (d <= 0 || cost[j] === Infinity) continue;
        const c = cost[j] + local[i][k] + (d <= maxLen ? len[d] : farLength);
        if (c < next[k]) {
          next[k] = c;
          bk[k] = j;
        }
      }
    }
    if (next.every((c) => c === Infinity)) {
      // Onsets crowded closer than the grid allows: this one goes to the first free position after the previous best.
      let j = 0;
      for (let m = 1; m < cost.length; m++) if (cost[m] < cost[j]) j = m;
      let u = cands[i - 1][j] + 1;
      while (!allowed[((u % R) + R) % R]) u++;
      cands[i] = [u];
      cost = [cost[j] + 20];
      back.push(Int32Array.of(j));
      continue;
    }
    cost = next;
    back.push(bk);
  }
  let k = 0;
  for (let j = 1; j < cost.length; j++) if (cost[j] < cost[k]) k = j;
  const total = cost[k];
  const units = new Array<number>(N);
  for (let i = N - 1; i >= 0; i--) {
    units[i] = cands[i][k];
    k = back[i][k];
  }
  return { units, cost: total, noise };
}
