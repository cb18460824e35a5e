/** Small builders shared by this folder's tests (not used by production code). */
import type { Note, NoteSequence } from '@shared/music/types';

export function note(pitch: number, start: number, end: number, velocity = 100): Note {
  return { pitch, start, end, velocity, voice: 0 };
}

export function sequence(notes: Note[], qpm = 120): NoteSequence {
  return {
    notes,
    tempos: [{ time: 0, qpm }],
    timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }],
    keySignatures: [],
    totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0),
  };
}

/** A deterministic random source for jitter (tests must not depend on Math.random). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** A plain 16th-note grid snap, standing in for the music core's quantize in tests that only need a grid. */
export function snapToSixteenths(seq: NoteSequence): NoteSequence {
  const snap = (t: number) => Math.round(t * 4) / 4;
  return {
    ...seq,
    notes: seq.notes.map((n) => ({ ...n, start: snap(n.start), end: Math.max(snap(n.end), snap(n.start) + 0.25) })),
    totalTime: Math.ceil(seq.totalTime * 4 - 1e-9) / 4,
  };
}
