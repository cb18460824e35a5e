/**
 * What a model's encoding can spell, as transcription options: the grid, triplets, the note lengths
 * of an ABC vocabulary, how chords are reduced and which meters the vocabulary knows.
 */
import { MELODY_STEPS_PER_QUARTER, MIDI_EVENT_STEPS_PER_QUARTER } from '../encodings/events';
import { DEFAULT_METERS } from './transcribe';
import { isLengthToken, lengthOfToken } from '../encodings/abc-tokens';
import type { ChordPolicy, MeterCandidate, SeedGrid } from './types';

export interface Spelling {
  grid: SeedGrid;
  chords: ChordPolicy;
  /** The meters the vocabulary has (ABC models); undefined: any. */
  meters?: MeterCandidate[];
  /** ABC models: the unit length (L:1/8 -> 8) to write the seed with, one the vocabulary has. */
  unitDenominator?: number;
}

const NOTE_TOKEN = /^(?:\^{1,2}|_{1,2}|=)?[A-Ga-gz][,']*(\d*)(?:\/(\d*))?$/;

/** Weight of a meter the vocabulary has: the folk mix's, else as rare as the rarest there. */
function weightOf(num: number, den: number): number {
  return DEFAULT_METERS.find((m) => m.numerator === num && m.denominator === den)?.weight ?? 1;
}

/**
 * The spelling of an encoding, from its name and vocabulary:
 * - melody-event: 16ths, the top note of a chord (its own reduction);
 * - midi-event: 12 steps per quarter (16ths and triplets), chords kept;
 * - abc-token: 16ths (or as fine as its shortest length), triplets when it has "(3", the note lengths
 *   it has tokens for, the meters of its M: tokens; the top note of a chord, since a vocabulary
 *   learned from single melodies has no voice fields for chord notes of different lengths;
 * - abc-char: 16ths and triplets, any length, top note.
 */
export function spellingFor(encoding: { name: string; tokens: readonly string[]; version?: number }): Spelling {
  if (encoding.name === 'melody-event') return { grid: { stepsPerQuarter: MELODY_STEPS_PER_QUARTER, triplets: false }, chords: 'top' };
  if (encoding.name === 'midi-event') return { grid: { stepsPerQuarter: MIDI_EVENT_STEPS_PER_QUARTER, triplets: false }, chords: 'keep' };
  const tokens = encoding.tokens;
  const hasVoices = tokens.some((t) => /^\[?V:/.test(t));
  const chords: ChordPolicy = hasVoices && tokens.includes('[') ? 'keep' : 'top';
  const meters: MeterCandidate[] = [];
  for (const t of tokens) {
    const m = /^M:(?:(\d+)\/(\d+)|(C\|?))$/.exec(t);
    if (!m) continue;
    const [num, den] = m[3] === 'C' ? [4, 4] : m[3] === 'C|' ? [2, 2] : [Number(m[1]), Number(m[2])];
    if (!meters.some((x) => x.numerator === num && x.denominator === den)) meters.push({ numerator: num, denominator: den, weight: weightOf(num, den) });
  }
  if (encoding.name !== 'abc-token') return { grid: { stepsPerQuarter: 4, triplets: true }, chords, ...(meters.length ? { meters } : {}) };
  if ((encoding as { version?: number }).version === 2) {
    // Version 2 (abc-tokens.ts): a pitch then a length token in eighths (none for one eighth); L:1/8.
    const lengths = new Set<number>([0.5]);
    for (const t of tokens) {
      const l = isLengthToken(t) ? lengthOfToken(t) : null;
      if (l && l > 0) lengths.add(l / 2);
    }
    const sorted = [...lengths].sort((a, b) => a - b);
    const { stepsPerQuarter, triplets } = gridOf(sorted, tokens);
    return { grid: { stepsPerQuarter, triplets, lengths: sorted }, chords, ...(meters.length ? { meters } : {}), unitDenominator: 8 };
  }
  // Lengths are written in units of L:; seeds are written with L:1/8 when the vocabulary has it (as the engine does).
  const units = tokens.map((t) => /^L:1\/(\d+)$/.exec(t)?.[1]).filter((d): d is string => !!d).map(Number);
  const unit = units.includes(8) ? 8 : units[0] ?? 8;
  const lengths = new Set<number>();
  for (const t of tokens) {
    const m = NOTE_TOKEN.exec(t);
    if (!m) continue;
    const num = m[1] ? Number(m[1]) : 1;
    const den = m[2] === undefined ? 1 : m[2] === '' ? 2 : Number(m[2]);
    if (!(num > 0 && den > 0)) continue;
    lengths.add(((num / den) * 4) / unit);
  }
  const sorted = [...lengths].sort((a, b) => a - b);
  const { stepsPerQuarter, triplets } = gridOf(sorted, tokens);
  return { grid: { stepsPerQuarter, triplets, ...(sorted.length ? { lengths: sorted } : {}) }, chords, ...(meters.length ? { meters } : {}), ...(units.length ? { unitDenominator: unit } : {}) };
}

/** The coarsest grid (1, 2, 4 or 8 steps per quarter, at least 2) on which every length (in quarters) falls; triplets when the vocabulary writes them. */
function gridOf(sorted: readonly number[], tokens: readonly string[]): { stepsPerQuarter: number; triplets: boolean } {
  let stepsPerQuarter = 4;
  for (const spq of [1, 2, 4, 8]) {
    if (sorted.every((l) => Math.abs(l * spq - Math.round(l * spq)) < 1e-9)) {
      stepsPerQuarter = Math.max(spq, 2);
      break;
    }
  }
  return { stepsPerQuarter, triplets: tokens.includes('(3') && stepsPerQuarter % 2 === 0 };
}
