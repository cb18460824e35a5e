/**
 * The notes the roll edits, and the queries drawing and hit testing need.
 *
 * A RollNote is a music-core Note plus a stable id (selection survives re-sorting) and whether it
 * belongs to the seed (drawn in the seed colour) or to the take. Arrays are kept sorted by start
 * (then pitch), so the notes in a time window are found by binary search: drawing touches only
 * what is visible, which is what keeps the roll fast with tens of thousands of notes.
 */
import type { Note } from '@shared/music/types';

export interface RollNote extends Note {
  id: number;
  seed: boolean;
}

let nextId = 1;
export function newId(): number {
  return nextId++;
}

export function toRollNotes(notes: readonly Note[], seed: boolean): RollNote[] {
  return notes.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end, velocity: n.velocity, voice: n.voice, id: newId(), seed }));
}

export function toNotes(notes: readonly RollNote[]): Note[] {
  return notes.map(({ pitch, start, end, velocity, voice }) => ({ pitch, start, end, velocity, voice }));
}

export function compareRollNotes(a: RollNote, b: RollNote): number {
  return a.start - b.start || a.pitch - b.pitch || a.id - b.id;
}

export function sortNotes(notes: RollNote[]): RollNote[] {
  return notes.sort(compareRollNotes);
}

/** First index whose start is >= time (notes sorted by start). */
export function lowerBound(notes: readonly RollNote[], time: number): number {
  let lo = 0;
  let hi = notes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (notes[mid].start < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A sorted note list with the longest duration remembered, so that "notes sounding in [from, to)"
 * is a binary search plus a short scan back for long notes that started before the window.
 */
export class NoteIndex {
  readonly maxDuration: number;
  constructor(readonly notes: readonly RollNote[]) {
    let max = 0;
    for (const n of notes) if (n.end - n.start > max) max = n.end - n.start;
    this.maxDuration = max;
  }

  /** Indices [first, last) of the notes that may overlap [from, to); callers still test end > from. */
  range(from: number, to: number): [number, number] {
    return [lowerBound(this.notes, from - this.maxDuration), lowerBound(this.notes, to)];
  }

  /** Calls fn for every note overlapping [from, to) with pitch in [low, high]. */
  forEachVisible(from: number, to: number, low: number, high: number, fn: (note: RollNote, index: number) => void): void {
    const [first, last] = this.range(from, to);
    const notes = this.notes;
    for (let i = first; i < last; i++) {
      const n = notes[i];
      if (n.end > from && n.pitch >= low && n.pitch <= high) fn(n, i);
    }
  }

  /** The notes overlapping [from, to) in time and [low, high] in pitch. */
  within(from: number, to: number, low: number, high: number): RollNote[] {
    const out: RollNote[] = [];
    this.forEachVisible(from, to, low, high, (n) => out.push(n));
    return out;
  }

  /** The note at (time, pitch), preferring the latest start when notes overlap. */
  at(time: number, pitch: number): RollNote | undefined {
    const [first, last] = this.range(time, time + 1e-9);
    for (let i = last - 1; i >= first; i--) {
      const n = this.notes[i];
      if (n.pitch === pitch && n.start <= time && n.end > time) return n;
    }
    return undefined;
  }

  extent(): { start: number; end: number; low: number; high: number } | null {
    if (!this.notes.length) return null;
    let low = 127;
    let high = 0;
    let end = 0;
    for (const n of this.notes) {
      if (n.pitch < low) low = n.pitch;
      if (n.pitch > high) high = n.pitch;
      if (n.end > end) end = n.end;
    }
    return { start: this.notes[0].start, end, low, high };
  }
}
