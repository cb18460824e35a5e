/**
 * Meter and pickup from onsets already on a grid: which bar length and which downbeat make the
 * playing most likely.
 *
 * The core is Temperley's probabilistic meter model (Music and Probability, 2007): each position of
 * a meter has a probability of holding an onset that depends on its metrical level (downbeat, beat,
 * half beat...), and the likelihood of the rhythm under a meter and a downbeat is the product over
 * all positions of p (an onset) or 1 - p (none). To it are added what a player gives a listener
 * besides onsets: louder notes on strong beats (when velocities vary), the last note of a phrase on
 * a strong beat, and the priors of the model's corpus (how often each meter occurs) and of folk
 * tunes (most start on the downbeat or one or two eighths before it).
 * Hand-written: no library we can use does meter finding on a few bars.
 */
import type { Meter, MeterCandidate } from './types';
import type { UnitGrid } from './track';

interface Level {
  /** Period in quarter notes. */
  period: number;
  p: number;
  /** Accent weight: how much louder a note here is expected to be (bar 1, beat 0.35, off-beat -0.25). */
  accent: number;
}

/**
 * Onset probability below the beat by note value (quarters), rounded from the folk corpora (in 4/4
 * Irish tunes the off-beat eighths hold an onset 71-85% of the time, 16ths 2-4%; in 6/8, 69-94%).
 */
function subdivisionP(value: number, compound: boolean): number {
  if (value >= 1 - 1e-9) return 0.88;
  if (value >= 0.5 - 1e-9) return compound ? 0.82 : 0.76;
  if (value >= 0.25 - 1e-9) return 0.04;
  return 0.004;
}

export function isCompound(m: Meter): boolean {
  return m.numerator > 3 && m.numerator % 3 === 0;
}

/** Bar length in quarter notes. */
export function barQuarters(m: Meter): number {
  return (m.numerator * 4) / m.denominator;
}

/** The beat in quarter notes: a dotted quarter in 6/8, a half note in 2/2. */
export function beatQuarters(m: Meter): number {
  const unit = 4 / m.denominator;
  return isCompound(m) ? 3 * unit : unit;
}

/** The metrical levels of a meter, coarsest first. */
export function meterLevels(m: Meter): Level[] {
  const bar = barQuarters(m);
  const unit = 4 / m.denominator;
  const levels: Level[] = [{ period: bar, p: 0.97, accent: 1 }];
  const compound = isCompound(m);
  const beat = compound ? 3 * unit : unit;
  const beats = compound ? m.numerator / 3 : m.numerator;
  if (beats >= 4 && beats % 2 === 0) levels.push({ period: bar / 2, p: 0.93, accent: 0.6 });
  if (beats > 1) levels.push({ period: beat, p: 0.9, accent: 0.35 });
  let value = compound ? unit : beat / 2;
  while (value >= 0.125 - 1e-9) {
    levels.push({ period: value, p: subdivisionP(value, compound), accent: value >= 1 ? 0.1 : -0.25 });
    value /= 2;
  }
  return levels;
}

// Positions off every binary level: triplets and finer.
const OFF_LEVEL_P: Record<number, number> = { 3: 0.02, 6: 0.005 };

export interface MeterEvidence {
  grid: UnitGrid;
  /** Onset positions in units (sorted). */
  units: number[];
  /** Velocity accent of each onset in standard deviations from the typical one; undefined when velocities do not vary. */
  accents?: number[];
  candidates: MeterCandidate[];
  /** Bar lines likely at multiples of the bar from unit 0 (the metronome's, a notated file's): this bonus (nats) for that downbeat, not a rule. */
  barsFromZero?: number;
  /** The pickup the user set, in units from the first onset. */
  pickupUnits?: number;
}

export interface MeterFit {
  meter: Meter;
  /** A downbeat position in units (bar lines at phase + k * bar). */
  phase: number;
  /** Units from the first onset to the first downbeat. */
  pickupUnits: number;
  score: number;
}

const ACCENT_WEIGHT = 0.7;

/**
 * Prior of a pickup of `q` quarter notes in a bar of `bar`, one for all meters, rounded from
 * bench/transcribe-priors.ts (4/4: a quarter 45%, none 35%, an eighth 17%; 6/8: an eighth 65%, none
 * 24%; 2/4: none 51%, an eighth 38%).
 */
function pickupPrior(q: number, bar: number, phases: number): number {
  if (q < 1e-9) return Math.log(0.38);
  if (Math.abs(q - 0.5) < 1e-9) return Math.log(0.28);
  if (Math.abs(q - 1) < 1e-9 && bar > 1) return Math.log(0.2);
  if (q <= bar / 2 + 1e-9) return Math.log(0.1 / phases);
  return Math.log(0.04 / phases);
}

/** Every candidate meter with its best downbeat, best first. */
export function fitMeters(ev: MeterEvidence): MeterFit[] {
  const { grid, units } = ev;
  const R = grid.R;
  const first = units[0];
  const last = units[units.length - 1];
  const total = ev.candidates.reduce((s, c) => s + c.weight, 0);
  const fits: MeterFit[] = [];
  for (const cand of ev.candidates) {
    const L = Math.round(barQuarters(cand) * R);
    if (Math.abs(barQuarters(cand) * R - L) > 1e-9 || L <= 0) continue;
    const levels = meterLevels(cand).map((l) => ({ ...l, units: Math.round(l.period * R) })).filter((l) => Math.abs(l.period * R - l.units) < 1e-9 && l.units > 0);
    const levelOf = (x: number): { p: number; accent: number; rank: number } => {
      for (let r = 0; r < levels.length; r++) if (x % levels[r].units === 0) return { p: levels[r].p, accent: levels[r].accent, rank: r };
      const k = x % R;
      return { p: OFF_LEVEL_P[grid.level[k]] ?? 0.002, accent: -0.25, rank: levels.length };
    };
    // Positions x in the bar: their level, ln p and ln(1-p).
    const info = Array.from({ length: L }, (_, x) => levelOf(x));
    const prior = Math.log(Math.max(cand.weight, 1e-9) / Math.max(total, 1e-9));
    // The pattern of allowed positions repeats every lcm(L, R) units.
    const Q = (L * R) / gcdInt(L, R);
    const step = R % 2 === 0 ? R / 2 : R;
    const phases: number[] = [];
    if (ev.pickupUnits !== undefined) phases.push((((first + ev.pickupUnits) % L) + L) % L);
    else for (let ph = 0; ph < L; ph += step) phases.push(ph);
    let best: MeterFit | undefined;
    for (const phase of phases) {
      let ll = 0;
      // Silence: every allowed position from the first onset to the last, counted by its residue.
      for (let r = 0; r < Q; r++) {
        if (!grid.allowed[(((r + phase) % R) + R) % R]) continue;
        const g0 = r + phase; // positions g = g0 + kQ
        const n = Math.floor((last - g0) / Q) - Math.floor((first - 1 - g0) / Q);
        if (n > 0) ll += n * Math.log(1 - info[r % L].p);
      }
      // Onsets: ln p instead of ln(1 - p) where there is one.
      let accent = 0;
      for (let i = 0; i < units.length; i++) {
        const x = (((units[i] - phase) % L) + L) % L;
        const lv = info[x];
        ll += Math.log(lv.p) - Math.log(1 - lv.p);
        if (ev.accents) accent += ev.accents[i] * lv.accent;
      }
      const lastLevel = info[(((last - phase) % L) + L) % L];
      const ending = lastLevel.rank === 0 ? 1 : lastLevel.rank < levels.length && levels[lastLevel.rank].period >= 1 ? 0.4 : 0;
      const pickupUnits = (((phase - first) % L) + L) % L;
      const score =
        ll +
        ACCENT_WEIGHT * accent +
        ending +
        prior +
        (ev.pickupUnits === undefined ? pickupPrior(pickupUnits / R, L / R, phases.length) : 0) +
        (phase === 0 ? ev.barsFromZero ?? 0 : 0);
      if (!best || score > best.score) best = { meter: { numerator: cand.numerator, denominator: cand.denominator }, phase, pickupUnits, score };
    }
    if (best) fits.push(best);
  }
  fits.sort((a, b) => b.score - a.score);
  return fits;
}

function gcdInt(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
