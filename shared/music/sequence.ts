/**
 * Pure operations on NoteSequences: quantize, monophonic reduction, transpose and small helpers.
 * None of them mutate their input.
 */
import { MusicError } from './errors';
import { keyAccidentals } from './key';
import type { KeySignature, Mode, Note, NoteSequence } from './types';

export const DEFAULT_QPM = 120;
export const DEFAULT_VELOCITY = 100;

export function emptySequence(title?: string): NoteSequence {
  const seq: NoteSequence = { notes: [], tempos: [{ time: 0, qpm: DEFAULT_QPM }], timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }], keySignatures: [], totalTime: 0 };
  if (title !== undefined) seq.title = title;
  return seq;
}

/** Notes ordered by onset, then pitch (low to high), then voice: the canonical order used everywhere. */
export function compareNotes(a: Note, b: Note): number {
  return a.start - b.start || a.pitch - b.pitch || a.voice - b.voice || a.end - b.end;
}

export function sortedNotes(notes: readonly Note[]): Note[] {
  return notes.slice().sort(compareNotes);
}

function withNotes(seq: NoteSequence, notes: Note[]): NoteSequence {
  notes.sort(compareNotes);
  const lastEnd = notes.reduce((m, n) => Math.max(m, n.end), 0);
  return { ...seq, notes, totalTime: Math.max(lastEnd, 0) };
}

export interface QuantizeOptions {
  /** Grid steps per quarter note: 4 = 16ths (default), 2 = 8ths, 12 = 16ths and 8th-note triplets. */
  stepsPerQuarter?: number;
  /** Also allow the triplet grid of the same resolution (3/2 x stepsPerQuarter): 16th-note triplets for 16ths. */
  triplets?: boolean;
}

/**
 * Snaps onsets and ends to the grid. The rule, chosen so that every note survives and nothing
 * sounds twice:
 * - onset and end each go to the nearest grid point (ties round up);
 * - a note that collapses to zero length (shorter than half a step) keeps one step;
 * - two notes of the same pitch and voice may not overlap: the earlier one is cut at the later
 *   onset; if that leaves it empty, the two were the same onset and only the longer one is kept.
 * totalTime is rounded up to the grid. Tempo, meter and key changes snap to the straight grid.
 */
export function quantize(seq: NoteSequence, opts: QuantizeOptions = {}): NoteSequence {
  const spq = opts.stepsPerQuarter ?? 4;
  if (!(spq > 0) || !Number.isFinite(spq)) throw new RangeError(`stepsPerQuarter must be a positive number, got ${spq}`);
  const tspq = opts.triplets ? (spq * 3) / 2 : 0;
  const snap = (t: number): number => {
    const a = Math.round(t * spq + 1e-9) / spq;
    if (!tspq) return a;
    const b = Math.round(t * tspq + 1e-9) / tspq;
    return Math.abs(b - t) < Math.abs(a - t) - 1e-9 ? b : a;
  };
  const minStep = 1 / Math.max(spq, tspq);
  const snapped: Note[] = [];
  for (const n of seq.notes) {
    const start = snap(n.start);
    let end = snap(n.end);
    if (end <= start + 1e-9) end = start + minStep;
    snapped.push({ pitch: n.pitch, start, end, velocity: n.velocity, voice: n.voice });
  }
  snapped.sort(compareNotes);
  // Resolve same-pitch overlaps per voice.
  const lastByKey = new Map<number, Note>();
  const out: Note[] = [];
  for (const n of snapped) {
    const key = n.voice * 128 + n.pitch;
    const prev = lastByKey.get(key);
    if (prev && prev.end > n.start + 1e-9) {
      if (prev.start >= n.start - 1e-9) {
        // Same onset: keep the longer of the two.
        if (n.end > prev.end) prev.end = n.end;
        continue;
      }
      prev.end = n.start;
    }
    out.push(n);
    lastByKey.set(key, n);
  }
  const q = withNotes(seq, out);
  q.tempos = seq.tempos.map((t) => ({ ...t, time: Math.round(t.time * spq) / spq }));
  q.timeSignatures = seq.timeSignatures.map((t) => ({ ...t, time: Math.round(t.time * spq) / spq }));
  q.keySignatures = seq.keySignatures.map((k) => ({ ...k, time: Math.round(k.time * spq) / spq }));
  q.totalTime = Math.ceil(Math.max(seq.totalTime, q.totalTime) * spq - 1e-9) / spq;
  return q;
}

/**
 * Monophonic reduction as in the Melody-RNN recipe: at each onset the highest starting note wins,
 * and every new onset ends the note before it. All voices are merged (voice becomes 0).
 */
export function monophonic(seq: NoteSequence): NoteSequence {
  const notes = seq.notes.slice().sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const out: Note[] = [];
  for (let i = 0; i < notes.length; i++) {
    const n = notes[i];
    const prev = out[out.length - 1];
    if (prev && Math.abs(prev.start - n.start) < 1e-9) continue; // a lower note of the same chord
    if (prev && prev.end > n.start) prev.end = n.start;
    out.push({ pitch: n.pitch, start: n.start, end: n.end, velocity: n.velocity, voice: 0 });
  }
  const result = withNotes(seq, out);
  result.totalTime = Math.max(seq.totalTime, result.totalTime);
  return result;
}

export { keyAccidentals };

/** Transposes every note (and the key signatures) by a number of semitones. Throws out-of-range. */
export function transpose(seq: NoteSequence, semitones: number): NoteSequence {
  if (!Number.isInteger(semitones)) throw new RangeError(`transpose expects whole semitones, got ${semitones}`);
  const notes = seq.notes.map((n) => {
    const pitch = n.pitch + semitones;
    if (pitch < 0 || pitch > 127) throw new MusicError('out-of-range', `transposing by ${semitones} moves pitch ${n.pitch} to ${pitch}, outside 0-127`);
    return { ...n, pitch };
  });
  const keySignatures: KeySignature[] = seq.keySignatures.map((k) => {
    const tonic = (((k.tonic + semitones) % 12) + 12) % 12;
    return { ...k, tonic, accidentals: keyAccidentals(tonic, k.mode) };
  });
  return { ...seq, notes, keySignatures };
}

/** The notes of one voice (or track), as their own sequence with voice 0. */
export function selectVoice(seq: NoteSequence, voice: number): NoteSequence {
  return withNotes({ ...seq }, seq.notes.filter((n) => n.voice === voice).map((n) => ({ ...n, voice: 0 })));
}

/** True when no two notes sound at the same time. */
export function isMonophonic(seq: NoteSequence): boolean {
  const notes = sortedNotes(seq.notes);
  for (let i = 1; i < notes.length; i++) if (notes[i].start < notes[i - 1].end - 1e-9) return false;
  return true;
}

/** Seconds at a position in quarter notes, following the tempo map. */
export function quartersToSeconds(seq: NoteSequence, time: number): number {
  const tempos = seq.tempos.length ? seq.tempos.slice().sort((a, b) => a.time - b.time) : [{ time: 0, qpm: DEFAULT_QPM }];
  let seconds = 0;
  let at = 0;
  let qpm = tempos[0].time <= 0 ? tempos[0].qpm : DEFAULT_QPM;
  for (const t of tempos) {
    if (t.time <= at) {
      qpm = t.qpm;
      continue;
    }
    if (t.time >= time) break;
    seconds += ((t.time - at) * 60) / qpm;
    at = t.time;
    qpm = t.qpm;
  }
  return seconds + ((time - at) * 60) / qpm;
}

/** A key that identifies a melody regardless of tempo, key signature text or velocities (for de-duplication). */
export function melodyKey(seq: NoteSequence): string {
  const q = monophonic(quantize(seq, { stepsPerQuarter: 12 }));
  let s = '';
  const base = q.notes.length ? q.notes[0].start : 0;
  for (const n of q.notes) s += `${n.pitch},${Math.round((n.start - base) * 12)},${Math.round((n.end - n.start) * 12)};`;
  return s;
}
