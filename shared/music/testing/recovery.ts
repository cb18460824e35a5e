/**
 * How much of a written melody a transcription got back: for the recovery-rate tests of
 * shared/music/transcribe and the figures in its README.
 */
import type { NoteSequence } from '../types';
import type { Transcription } from '../transcribe/types';

export interface Written {
  /** The melody as written, quantized, time 0 = its first note. */
  sequence: NoteSequence;
  meter: { numerator: number; denominator: number };
  /** Quarter notes from the first note to the first downbeat. */
  pickup: number;
}

export interface Recovery {
  /** Written notes (melody, one per onset). */
  notes: number;
  /** Same pitches in the same order, none missing or added. */
  pitchesExact: boolean;
  /** Written notes found with their pitch at their written onset. */
  onsetsRight: number;
  /**
   * The same at the note value the transcription chose: onsets right once its times are doubled or
   * halved (a tune written in quarters and read in eighths at twice the tempo has the same rhythm).
   */
  onsetsRightAtLevel: number;
  /** Written notes, except the last (held), found with their written onset and end. */
  lengthsRight: number;
  meterRight: boolean;
  /** The same bar lines: meter right, or 4/4 for 2/2 (and the like: same bar length and kind) with the pickup right. */
  barsRight: boolean;
  /** Meter right, or one with the same bar lines (2/2 for 4/4) or twice/half the bar (2/4 for 4/4) with the downbeat on one. */
  barsCompatible: boolean;
  pickupRight: boolean;
}

const eq = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/** Longest common subsequence of the pitch sequences: the matched index pairs. */
function align(a: number[], b: number[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

export function recovery(written: Written, t: Transcription): Recovery {
  const w = written.sequence.notes.slice().sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const g = t.sequence.notes.slice().sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const pairs = align(
    w.map((n) => n.pitch),
    g.map((n) => n.pitch),
  );
  let onsetsRight = 0;
  let lengthsRight = 0;
  for (const [i, j] of pairs) {
    if (!eq(w[i].start, g[j].start)) continue;
    onsetsRight++;
    if (i < w.length - 1 && eq(w[i].end, g[j].end)) lengthsRight++;
  }
  let onsetsRightAtLevel = onsetsRight;
  for (const f of [0.5, 2]) onsetsRightAtLevel = Math.max(onsetsRightAtLevel, pairs.filter(([i, j]) => eq(w[i].start, g[j].start * f)).length);
  const bar = (m: { numerator: number; denominator: number }) => (m.numerator * 4) / m.denominator;
  const meterRight = t.meter.numerator === written.meter.numerator && t.meter.denominator === written.meter.denominator;
  const compound = (m: { numerator: number }) => m.numerator > 3 && m.numerator % 3 === 0;
  const bw = bar(written.meter);
  const bt = bar(t.meter);
  const ratio = bt / bw;
  const sameKind = compound(t.meter) === compound(written.meter) || (bt === bw && (t.meter.numerator % 2 === 0) === (written.meter.numerator % 2 === 0));
  // Bar lines compatible: one meter's bar is 1, 2 or 1/2 of the other's and the downbeats fall together.
  const fine = Math.min(bt, bw);
  const downbeatsTogether = eq(((t.pickup - written.pickup) % fine + fine) % fine, 0) || eq(((t.pickup - written.pickup) % fine + fine) % fine, fine);
  const barsCompatible = meterRight || (sameKind && (eq(ratio, 1) || eq(ratio, 2) || eq(ratio, 0.5)) && downbeatsTogether);
  const pickupRight = eq(t.pickup, written.pickup);
  const barsRight = pickupRight && (meterRight || (eq(bt, bw) && compound(t.meter) === compound(written.meter)));
  return { notes: w.length, pitchesExact: pairs.length === w.length && g.length === w.length, onsetsRight, onsetsRightAtLevel, lengthsRight, meterRight, barsRight, barsCompatible, pickupRight };
}
