/**
 * The grid the onsets go on, the folk-tune priors of where onsets fall and how far apart they are,
 * and the candidate tempi to try.
 *
 * Candidate tempi come from the peaks of the onset-interval histogram (Dixon 2001), each peak taken
 * as each note value a folk tune uses (16th to half note); beats.ts places the onsets for each and
 * the most likely reading wins, so choosing the metrical level (is this an eighth at 120 or a
 * quarter at 60?) is part of the same comparison, decided by these priors and the tempo prior.
 */

/** The quantization grid in units: R units per quarter, and which positions within a quarter exist. */
export interface UnitGrid {
  /** Units per quarter note. */
  R: number;
  /** allowed[k]: position k/R of a quarter is on the caller's grid. */
  allowed: boolean[];
  /** The finest note value that has position k: 1 quarter, 2 eighth, 3 triplet eighth, 4 16th... */
  level: number[];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function unitGrid(stepsPerQuarter: number, triplets: boolean): UnitGrid {
  const t = triplets ? (stepsPerQuarter * 3) / 2 : stepsPerQuarter;
  const R = (stepsPerQuarter * t) / gcd(stepsPerQuarter, t);
  const allowed: boolean[] = [];
  const level: number[] = [];
  for (let k = 0; k < R; k++) {
    allowed.push((k * stepsPerQuarter) % R === 0 || (k * t) % R === 0);
    level.push(R / gcd(k, R));
  }
  return { R, allowed, level };
}

// How often an onset falls on each kind of position (per position), and how often two onsets are a
// given number of quarters apart: rounded from bench/transcribe-priors.ts on the Irish and
// Nottingham ABC corpora (2,940 tunes: onsets on the beat 53%, on the half beat 43%; intervals of an
// eighth 79%, a quarter 13%), with the eighth/quarter split moved towards Nottingham's own (66% and
// 23%) so that a tune in quarter notes is not always read as eighths. Eighths dominate folk dance
// tunes, which is what makes a stream of equal notes an eighth note rather than a quarter or a 16th.
const POSITION_PRIOR: Record<number, number> = { 1: 0.5, 2: 0.44, 3: 0.012, 4: 0.012, 6: 0.002, 8: 0.002 };
const LENGTH_PRIOR: [number, number][] = [
  [0.5, 0.68],
  [1, 0.15],
  [0.25, 0.03],
  [1.5, 0.03],
  [2, 0.025],
  [1 / 3, 0.02],
  [0.75, 0.008],
  [3, 0.006],
  [2.5, 0.003],
  [4, 0.003],
  [1 / 6, 0.002],
  [2 / 3, 0.002],
  [1.25, 0.002],
  [1.75, 0.001],
  [3.5, 0.001],
  [6, 0.001],
  [8, 0.001],
];

/**
 * Position and length priors describe the same rhythm twice (a triplet has triplet positions and
 * triplet lengths), so each counts half.
 */
const PRIOR_WEIGHT = 0.5;

export function positionCost(grid: UnitGrid): Float64Array {
  const c = new Float64Array(grid.R);
  for (let k = 0; k < grid.R; k++) c[k] = grid.allowed[k] ? -PRIOR_WEIGHT * Math.log(POSITION_PRIOR[grid.level[k]] ?? 3e-4) : Infinity;
  return c;
}

export function lengthCost(R: number, maxUnits: number): Float64Array {
  const c = new Float64Array(maxUnits + 1);
  for (let d = 1; d <= maxUnits; d++) {
    const q = d / R;
    const hit = LENGTH_PRIOR.find(([len]) => Math.abs(len - q) < 1e-9);
    c[d] = -PRIOR_WEIGHT * Math.log(hit ? hit[1] : q < 8 ? 3e-4 : 1e-4);
  }
  c[0] = Infinity;
  return c;
}

/** Prior over the tempo a tune is written at (quarter notes per minute): log-normal around 100. */
export function tempoCost(qpm: number): number {
  const z = Math.log(qpm / 100) / 0.45;
  return 0.5 * z * z;
}

/** Prior over the beat a player taps (seconds): log-normal around 0.6 s (100 beats a minute), a beat of 1.5 s or 0.25 s three SDs away. */
export function tactusCost(seconds: number): number {
  const z = Math.log(seconds / 0.6) / 0.3;
  return 0.5 * z * z;
}

export const MIN_QPM = 40;
export const MAX_QPM = 300;

/**
 * Quarter-note lengths (seconds) worth trying: each histogram peak as a 16th, eighth, dotted
 * eighth, triplet eighth, quarter, dotted quarter or half note; near-duplicates merged.
 */
export function quarterCandidates(peaks: number[], extra: number[] = []): number[] {
  const out: number[] = [];
  const add = (p: number) => {
    const qpm = 60 / p;
    if (!(qpm >= MIN_QPM && qpm <= MAX_QPM)) return;
    if (out.some((o) => Math.abs(Math.log(o / p)) < 0.03)) return;
    out.push(p);
  };
  for (const p of extra) add(p);
  for (const c of peaks) for (const m of [2, 1, 4, 3, 4 / 3, 2 / 3, 1 / 2]) add(c * m);
  return out;
}

