/**
 * Note entry from the computer keyboard, as MuseScore's note input does it: a digit chooses the
 * length, a letter A-G adds that note at the input cursor (with the key signature's sharps and
 * flats, in the octave nearest the note before it) and moves the cursor on; Shift+letter adds a
 * note to the chord just entered. Pure functions over the roll's sorted notes.
 */
import type { KeySignature } from '@shared/music/types';
import { addNote, type Selection } from './edit';
import type { RollNote } from './notes';

/** MuseScore's length digits, in quarters: 1 = 64th, 2 = 32nd, 3 = 16th, 4 = 8th, 5 = quarter, 6 = half, 7 = whole. */
export const LENGTH_DIGITS: Readonly<Record<number, number>> = { 1: 1 / 16, 2: 1 / 8, 3: 1 / 4, 4: 1 / 2, 5: 1, 6: 2, 7: 4 };

export const LENGTH_NAMES: Readonly<Record<number, string>> = { 1: '1/64', 2: '1/32', 3: '1/16', 4: '1/8', 5: '1/4', 6: '1/2', 7: '1' };

export type Letter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g';

const NATURAL: Record<Letter, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };
const SHARPS: Letter[] = ['f', 'c', 'g', 'd', 'a', 'e', 'b'];
const FLATS: Letter[] = ['b', 'e', 'a', 'd', 'g', 'c', 'f'];

/** The pitch class of a letter in a key: F in D major is F sharp, B in F major is B flat. */
export function letterClass(letter: Letter, key: Pick<KeySignature, 'accidentals'> | undefined): number {
  const n = key?.accidentals ?? 0;
  let pc = NATURAL[letter];
  if (n > 0 && SHARPS.slice(0, n).includes(letter)) pc += 1;
  if (n < 0 && FLATS.slice(0, -n).includes(letter)) pc -= 1;
  return (pc + 12) % 12;
}

/** The pitch of `pitchClass` nearest `near` (ties go down); `above` takes the nearest strictly above. */
export function nearestPitch(pitchClass: number, near: number, above = false): number {
  if (above) {
    let p = near + 1;
    while ((p % 12 + 12) % 12 !== pitchClass) p++;
    return Math.min(127, p);
  }
  const base = near - (((near - pitchClass) % 12) + 12) % 12; // at or below near
  const up = base + 12;
  return Math.max(0, Math.min(127, near - base <= up - near ? base : up));
}

/** Where note input starts: after the selection, else at the playhead, else after the last note. */
export function inputStart(notes: readonly RollNote[], selection: Selection, playhead: number): number {
  const chosen = notes.filter((n) => selection.has(n.id));
  if (chosen.length) return Math.max(...chosen.map((n) => n.end));
  if (playhead > 0) return playhead;
  return notes.reduce((m, n) => Math.max(m, n.end), 0);
}

/** The note a new letter's octave follows: the selected one, else the last to start before the cursor. */
export function previousNote(notes: readonly RollNote[], selection: Selection, cursor: number): RollNote | undefined {
  const chosen = notes.filter((n) => selection.has(n.id));
  if (chosen.length) return chosen.reduce((a, b) => (b.start > a.start || (b.start === a.start && b.pitch > a.pitch) ? b : a));
  let found: RollNote | undefined;
  for (const n of notes) if (n.start < cursor - 1e-9) found = n;
  return found;
}

export interface Entered {
  notes: RollNote[];
  id: number;
  /** Where the cursor goes next. */
  cursor: number;
}

/**
 * Adds `letter` at `cursor` for `length` quarters. With `chord`, the note joins the selected
 * (last entered) note at its start and length, above it, and the cursor stays.
 */
export function enterNote(notes: readonly RollNote[], selection: Selection, o: { letter: Letter; cursor: number; length: number; key?: KeySignature; chord?: boolean }): Entered {
  const before = previousNote(notes, selection, o.cursor);
  const pc = letterClass(o.letter, o.key);
  const velocity = before?.velocity ?? 90;
  if (o.chord && before) {
    const pitch = nearestPitch(pc, before.pitch, true);
    const { notes: out, id } = addNote(notes, { pitch, start: before.start, end: before.end, velocity, voice: before.voice, seed: false });
    return { notes: out, id, cursor: o.cursor };
  }
  const pitch = nearestPitch(pc, before?.pitch ?? 65);
  const { notes: out, id } = addNote(notes, { pitch, start: o.cursor, end: o.cursor + o.length, velocity, voice: 0, seed: false });
  return { notes: out, id, cursor: o.cursor + o.length };
}

/**
 * The note after (delta 1) or before (-1) the selection in time order; with nothing selected, the
 * first note at or after the cursor (or the last before it). Undefined at either end.
 */
export function neighbour(notes: readonly RollNote[], selection: Selection, cursor: number, delta: 1 | -1): RollNote | undefined {
  if (!notes.length) return undefined;
  const indices = notes.map((n, i) => (selection.has(n.id) ? i : -1)).filter((i) => i >= 0);
  if (indices.length) {
    const i = delta > 0 ? Math.max(...indices) + 1 : Math.min(...indices) - 1;
    return notes[i];
  }
  if (delta > 0) return notes.find((n) => n.start >= cursor - 1e-9);
  return [...notes].reverse().find((n) => n.start < cursor - 1e-9);
}
