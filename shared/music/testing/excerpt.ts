/**
 * Written melodies for the transcription's recovery tests and bench: a few hand-written tunes that
 * are always there, and seed-sized excerpts of real tunes (read from ../shared/corpora by the
 * callers, which may use node:fs).
 */
import abcjs from 'abcjs';
import { parseAbc } from '../abc/read';
import { monophonic } from '../sequence';
import type { NoteSequence } from '../types';
import type { Written } from './recovery';

/** Quarter notes before the first bar line of an ABC tune (its pickup), from abcjs's parse tree; 0 when the first bar is full. */
export function abcPickup(text: string, barQuarters: number): number {
  type El = { el_type?: string; duration?: number; startTriplet?: number; tripletMultiplier?: number };
  const tune = (abcjs as unknown as { parseOnly(t: string): { lines?: { staff?: { voices?: El[][] }[] }[] }[] }).parseOnly(text)[0];
  let sum = 0;
  let notes = 0;
  let left = 0;
  let multiplier = 1;
  for (const line of tune?.lines ?? []) {
    const voice = line.staff?.[0]?.voices?.[0];
    if (!voice) continue;
    for (const el of voice) {
      if (el.el_type === 'bar') {
        if (notes > 0) return sum * 4 >= barQuarters - 1e-9 ? 0 : sum * 4;
        continue;
      }
      if (el.el_type !== 'note') continue;
      // abcjs marks a tuplet on its first note; the multiplier holds for the whole group.
      if (el.startTriplet) {
        left = el.startTriplet;
        multiplier = el.tripletMultiplier ?? 1;
      }
      sum += (el.duration ?? 0) * (left > 0 ? multiplier : 1);
      if (left > 0) left--;
      notes++;
    }
  }
  return 0;
}

export interface ExcerptOptions {
  /** Whole bars after the pickup (default 4). */
  bars?: number;
}

/**
 * A seed as a musician plays one from a written tune: its pickup, a few bars, and the note on the
 * next downbeat, where the phrase comes to rest. Undefined for tunes that do not make a clean
 * melody seed (meter changes, chords, notes off the 16th and triplet grid, too few notes).
 */
export function excerpt(abc: string, sequence: NoteSequence, opts: ExcerptOptions = {}): Written | undefined {
  if (sequence.timeSignatures.length !== 1 || sequence.keySignatures.length > 1 || sequence.notes.length === 0) return undefined;
  const ts = sequence.timeSignatures[0];
  const meter = { numerator: ts.numerator, denominator: ts.denominator };
  const bar = (meter.numerator * 4) / meter.denominator;
  const mono = monophonic(sequence).notes;
  if (mono.length !== sequence.notes.length) return undefined;
  const onGrid = (x: number) => Math.abs(x * 12 - Math.round(x * 12)) < 1e-6;
  if (mono.some((n) => !onGrid(n.start) || !onGrid(n.end))) return undefined;
  let pickup: number;
  try {
    pickup = abcPickup(abc, bar);
  } catch {
    return undefined;
  }
  const t0 = mono[0].start;
  const cut = t0 + pickup + (opts.bars ?? 4) * bar;
  const notes = mono
    .filter((n) => n.start < cut + 1e-9)
    .map((n) => ({ ...n, start: n.start - t0, end: (n.start < cut - 1e-9 ? Math.min(n.end, cut) : n.end) - t0 }));
  if (notes.length < 8) return undefined;
  return {
    sequence: { notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [{ time: 0, ...meter }], keySignatures: [], totalTime: notes[notes.length - 1].end },
    meter,
    pickup,
  };
}

/**
 * Hand-written tunes (written for these tests, in the styles the default model knows), so the
 * recovery tests always have something to run on.
 */
export const HAND_WRITTEN: { title: string; abc: string }[] = [
  { title: 'jig with a pickup', abc: 'X:1\nT:jig with a pickup\nM:6/8\nL:1/8\nK:G\nA|BAG DGB|dBG AFD|GAB cBA|BGE E2A|BAG DGB|dBG AFD|EFG AFD|G3 G2|]\n' },
  { title: 'reel with a two-eighth pickup', abc: 'X:2\nT:reel with a two-eighth pickup\nM:4/4\nL:1/8\nK:D\nFA|d2fd AdFA|BdAF EFDE|FAdf afdB|AFED E2FA|d2fd AdFA|BdAF EFDE|FAdf afed|d6|]\n' },
  { title: 'polka', abc: 'X:3\nT:polka\nM:2/4\nL:1/8\nK:A\nce dc|BA FA|ce dc|B2 B2|ce dc|BA FA|EF GB|A2 A2|]\n' },
  { title: 'waltz with a quarter pickup', abc: 'X:4\nT:waltz with a quarter pickup\nM:3/4\nL:1/4\nK:G\nD|G B d|c A F|G B/c/ d|e2 d|c A F|G B d|c A F|G2 z|]\n' },
  { title: 'hornpipe with triplets', abc: 'X:5\nT:hornpipe with triplets\nM:4/4\nL:1/8\nK:D\nAB|cBAG FGAF|DFAd cBAG|(3FGA dF GBAG|F2D2 D2AB|cBAG FGAF|DFAd cBAG|(3FGA dF EFGE|D2F2 D4|]\n' },
  { title: 'slip jig', abc: 'X:6\nT:slip jig\nM:9/8\nL:1/8\nK:Em\nGAB dBG AGE|GAB dBG BAG|GAB dBG AGE|c2A B2G A3|GAB dBG AGE|GAB dBG BAG|c2A B2G E3|]\n' },
];

/** The hand-written tunes as written excerpts (pickup and four bars). */
export function handWritten(): (Written & { title: string })[] {
  const out: (Written & { title: string })[] = [];
  for (const t of HAND_WRITTEN) {
    const tune = parseAbc(t.abc, { file: t.title }).tunes[0];
    const w = tune && excerpt(t.abc, tune.sequence);
    if (w) out.push({ ...w, title: t.title });
  }
  return out;
}
