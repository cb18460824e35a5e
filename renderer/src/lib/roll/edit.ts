/**
 * Note edits as pure functions: each takes the sorted note list and the selected ids and returns a
 * new sorted list (notes are never mutated, so the undo history can keep old lists as they are).
 */
import { newId, sortNotes, type RollNote } from './notes';

export type Selection = ReadonlySet<number>;

const clampPitch = (p: number): number => Math.min(127, Math.max(0, p));
const clampVelocity = (v: number): number => Math.min(127, Math.max(1, Math.round(v)));

function mapSelected(notes: readonly RollNote[], selection: Selection, fn: (n: RollNote) => RollNote): RollNote[] {
  return sortNotes(notes.map((n) => (selection.has(n.id) ? fn(n) : n)));
}

/**
 * Moves the selected notes by dt quarters and dp semitones. The shift is limited as a block so that
 * no note goes before time 0 or out of the MIDI range and the chord shapes stay intact.
 */
export function moveNotes(notes: readonly RollNote[], selection: Selection, dt: number, dp: number): RollNote[] {
  const { dt: t, dp: p } = limitMove(notes, selection, dt, dp);
  if (t === 0 && p === 0) return notes.slice();
  return mapSelected(notes, selection, (n) => ({ ...n, start: n.start + t, end: n.end + t, pitch: n.pitch + p }));
}

export function limitMove(notes: readonly RollNote[], selection: Selection, dt: number, dp: number): { dt: number; dp: number } {
  let minStart = Infinity;
  let low = 127;
  let high = 0;
  for (const n of notes) {
    if (!selection.has(n.id)) continue;
    minStart = Math.min(minStart, n.start);
    low = Math.min(low, n.pitch);
    high = Math.max(high, n.pitch);
  }
  if (minStart === Infinity) return { dt: 0, dp: 0 };
  return { dt: Math.max(dt, -minStart), dp: Math.min(127 - high, Math.max(-low, dp)) };
}

/** Changes the end of every selected note by dt, never shorter than minLength. */
export function resizeNotes(notes: readonly RollNote[], selection: Selection, dt: number, minLength: number): RollNote[] {
  return mapSelected(notes, selection, (n) => ({ ...n, end: Math.max(n.start + minLength, n.end + dt) }));
}

export function deleteNotes(notes: readonly RollNote[], selection: Selection): RollNote[] {
  return notes.filter((n) => !selection.has(n.id));
}

export function addNote(notes: readonly RollNote[], note: Omit<RollNote, 'id'>): { notes: RollNote[]; id: number } {
  const id = newId();
  return { notes: sortNotes([...notes, { ...note, pitch: clampPitch(note.pitch), id }]), id };
}

/** Sets the velocity of the selected notes (or of `ids` when given). */
export function setVelocity(notes: readonly RollNote[], ids: Selection, velocity: number): RollNote[] {
  const v = clampVelocity(velocity);
  return notes.map((n) => (ids.has(n.id) ? { ...n, velocity: v } : n));
}

/** Sets per-note velocities (the velocity lane's drag). */
export function setVelocities(notes: readonly RollNote[], velocities: ReadonlyMap<number, number>): RollNote[] {
  return notes.map((n) => {
    const v = velocities.get(n.id);
    return v === undefined ? n : { ...n, velocity: clampVelocity(v) };
  });
}

export function transposeNotes(notes: readonly RollNote[], selection: Selection, semitones: number): RollNote[] {
  return moveNotes(notes, selection, 0, semitones);
}

/**
 * Snaps the selected notes' onsets and ends to the grid (steps per quarter). A note that would
 * vanish keeps one step, so quantizing never deletes anything.
 */
export function quantizeNotes(notes: readonly RollNote[], selection: Selection, stepsPerQuarter: number): RollNote[] {
  const q = (t: number) => Math.round(t * stepsPerQuarter) / stepsPerQuarter;
  return mapSelected(notes, selection, (n) => {
    const start = q(n.start);
    const end = Math.max(start + 1 / stepsPerQuarter, q(n.end));
    return { ...n, start, end };
  });
}

/** Copies of the selected notes, shifted so that the first starts at `at`, with new ids. */
export function duplicateNotes(notes: readonly RollNote[], selection: Selection, at: number): { notes: RollNote[]; ids: number[] } {
  const chosen = notes.filter((n) => selection.has(n.id));
  if (!chosen.length) return { notes: notes.slice(), ids: [] };
  const offset = at - chosen[0].start;
  const copies = chosen.map((n) => ({ ...n, id: newId(), start: n.start + offset, end: n.end + offset, seed: false }));
  return { notes: sortNotes([...notes, ...copies]), ids: copies.map((c) => c.id) };
}
