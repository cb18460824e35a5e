/**
 * The two event encodings with fixed vocabularies.
 * - melody-event (Melody-RNN): one token per 16th-note step; 0-127 = note-on of that pitch (ending
 *   the note before), 128 = note-off, 129 = no event (the note or rest goes on). The tune is first
 *   quantized to 16ths and reduced to its highest notes (monophonic). bos = 130, eos = 131.
 * - midi-event (Performance-RNN style, on a grid): note-on 0-127, note-off 0-127, time-shift of
 *   1-48 steps of a 12-per-quarter grid (16ths and 8th triplets are exact), and 32 velocity bins
 *   sent when the velocity changes. Polyphonic. bos and eos are the last two ids.
 */
import { writeAbc } from '../abc/write';
import { MusicError } from '../errors';
import { DEFAULT_VELOCITY, emptySequence, monophonic, quantize } from '../sequence';
import type { Note, NoteSequence } from '../types';
import { BOS, EOS, type DecodedTune, type Encoding, type EncodingSpec, type Tune } from './types';

export const MELODY_NOTE_OFF = 128;
export const MELODY_NO_EVENT = 129;
export const MELODY_STEPS_PER_QUARTER = 4;

export const MIDI_EVENT_STEPS_PER_QUARTER = 12;
export const MIDI_EVENT_MAX_SHIFT = 48;
export const MIDI_EVENT_VELOCITY_BINS = 32;
const ON0 = 0;
const OFF0 = 128;
const SHIFT0 = 256; // shift of k steps = SHIFT0 + k - 1
const VEL0 = SHIFT0 + MIDI_EVENT_MAX_SHIFT;
const MIDI_EVENT_SIZE = VEL0 + MIDI_EVENT_VELOCITY_BINS;

export function melodyEventTokens(): string[] {
  const t: string[] = [];
  for (let p = 0; p < 128; p++) t.push(`on:${p}`);
  t.push('off', 'none', BOS, EOS);
  return t;
}

export function midiEventTokens(): string[] {
  const t: string[] = [];
  for (let p = 0; p < 128; p++) t.push(`on:${p}`);
  for (let p = 0; p < 128; p++) t.push(`off:${p}`);
  for (let k = 1; k <= MIDI_EVENT_MAX_SHIFT; k++) t.push(`shift:${k}`);
  for (let b = 0; b < MIDI_EVENT_VELOCITY_BINS; b++) t.push(`vel:${b}`);
  t.push(BOS, EOS);
  return t;
}

/** The fixed vocabularies, made once and shared by every instance (read-only; toSpec copies). */
const MELODY_EVENT_TOKENS: readonly string[] = Object.freeze(melodyEventTokens());
const MIDI_EVENT_TOKENS: readonly string[] = Object.freeze(midiEventTokens());

/** Header of a decoded event stream: events carry no meter, key or tempo, so the seed's or 4/4 at 120. */
function sequenceShell(notes: Note[]): NoteSequence {
  const seq = emptySequence();
  seq.notes = notes;
  seq.totalTime = notes.reduce((m, n) => Math.max(m, n.end), 0);
  return seq;
}

function decoded(seq: NoteSequence, warnings: string[]): DecodedTune {
  return { abc: writeAbc(seq, { title: 'Generated' }), sequence: seq, warnings };
}

export class MelodyEventEncoding implements Encoding {
  readonly name = 'melody-event' as const;
  readonly tokens: readonly string[] = MELODY_EVENT_TOKENS;
  readonly bos = 130;
  readonly eos = 131;

  /** The melody as it will come back from decode: quantized to 16ths, highest notes only. */
  static reduce(seq: NoteSequence): NoteSequence {
    return monophonic(quantize(seq, { stepsPerQuarter: MELODY_STEPS_PER_QUARTER }));
  }

  encode(tune: Tune): number[] {
    return melodyEventIds(tune.sequence.notes, this.bos, this.eos);
  }

  decode(ids: ArrayLike<number>): DecodedTune {
    const warnings: string[] = [];
    const notes: Note[] = [];
    const spq = MELODY_STEPS_PER_QUARTER;
    let current: Note | null = null;
    let step = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.bos && i === 0) continue;
      if (id === this.eos) {
        if (i < ids.length - 1) warnings.push(`ignored ${ids.length - 1 - i} tokens after the end of the tune`);
        break;
      }
      if (!Number.isInteger(id) || id < 0 || id > MELODY_NO_EVENT) {
        warnings.push(`token id ${id} at position ${i} is not a melody event; read as no event`);
      } else if (id <= 127 || id === MELODY_NOTE_OFF) {
        if (current) current.end = step / spq;
        current = null;
        if (id <= 127) {
          current = { pitch: id, start: step / spq, end: (step + 1) / spq, velocity: DEFAULT_VELOCITY, voice: 0 };
          notes.push(current);
        }
      }
      step++;
    }
    if (current) current.end = step / spq;
    const seq = sequenceShell(notes);
    seq.totalTime = step / spq;
    return decoded(seq, warnings);
  }

  toSpec(): EncodingSpec {
    return { name: this.name, tokens: [...this.tokens] };
  }
}

export function velocityBin(velocity: number): number {
  return Math.max(0, Math.min(MIDI_EVENT_VELOCITY_BINS - 1, Math.floor((velocity * MIDI_EVENT_VELOCITY_BINS) / 128)));
}

export function binVelocity(bin: number): number {
  return Math.max(1, Math.min(127, Math.round(((bin + 0.5) * 128) / MIDI_EVENT_VELOCITY_BINS)));
}

export class MidiEventEncoding implements Encoding {
  readonly name = 'midi-event' as const;
  readonly tokens: readonly string[] = MIDI_EVENT_TOKENS;
  readonly bos = MIDI_EVENT_SIZE;
  readonly eos = MIDI_EVENT_SIZE + 1;

  /** The notes as they will come back from decode: on the 12-per-quarter grid, velocities binned, voices merged. */
  static reduce(seq: NoteSequence): NoteSequence {
    const q = quantize({ ...seq, notes: seq.notes.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end, velocity: binVelocity(velocityBin(n.velocity)), voice: 0 })) }, { stepsPerQuarter: MIDI_EVENT_STEPS_PER_QUARTER });
    return q;
  }

  encode(tune: Tune): number[] {
    return midiEventIds(tune.sequence.notes, tune.source, this.bos, this.eos);
  }

  decode(ids: ArrayLike<number>): DecodedTune {
    const warnings: string[] = [];
    const spq = MIDI_EVENT_STEPS_PER_QUARTER;
    const notes: Note[] = [];
    const open = new Map<number, Note>();
    let steps = 0; // counted in whole steps so that long tunes do not drift
    let now = 0;
    let vel = DEFAULT_VELOCITY;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.bos && i === 0) continue;
      if (id === this.eos) {
        if (i < ids.length - 1) warnings.push(`ignored ${ids.length - 1 - i} tokens after the end of the tune`);
        break;
      }
      if (!Number.isInteger(id) || id < 0 || id >= MIDI_EVENT_SIZE) {
        warnings.push(`token id ${id} at position ${i} is not a MIDI event; skipped`);
      } else if (id < OFF0) {
        const pitch = id - ON0;
        const prev = open.get(pitch);
        if (prev) {
          // A repeated note-on ends the sounding note of that pitch first.
          if (now > prev.start) prev.end = now;
          else notes.splice(notes.indexOf(prev), 1);
        }
        const n: Note = { pitch, start: now, end: now, velocity: vel, voice: 0 };
        notes.push(n);
        open.set(pitch, n);
      } else if (id < SHIFT0) {
        const n = open.get(id - OFF0);
        if (!n) warnings.push(`note-off ${id - OFF0} at position ${i} without a note-on; skipped`);
        else {
          open.delete(id - OFF0);
          if (now > n.start) n.end = now;
          else notes.splice(notes.indexOf(n), 1);
        }
      } else if (id < VEL0) {
        steps += id - SHIFT0 + 1;
        now = steps / spq;
      } else vel = binVelocity(id - VEL0);
    }
    for (const n of open.values()) {
      if (now > n.start) n.end = now;
      else notes.splice(notes.indexOf(n), 1);
    }
    if (open.size) warnings.push(`${open.size} notes had no note-off; ended at the last event`);
    const seq = sequenceShell(notes.sort((a, b) => a.start - b.start || a.pitch - b.pitch));
    seq.totalTime = Math.max(seq.totalTime, now);
    return decoded(seq, warnings);
  }

  toSpec(): EncodingSpec {
    return { name: this.name, tokens: [...this.tokens] };
  }
}

/**
 * The notes on a grid as `quantize` puts them, in grid steps (ints) instead of new Note objects:
 * each onset and end to the nearest step, a note shorter than half a step given one step, sorted as
 * compareNotes sorts (onset, pitch, voice, end; input order among equals), and of two notes of the
 * same pitch and voice the earlier cut at the later's onset, or, at the same onset, the later left
 * out and the earlier lengthened to the longer end. Times that quantize compares with a 1e-9
 * tolerance are whole steps here, so the comparisons are exact. The encoders below read only these
 * (and velocities), which is all they read of quantize's sequence; encodings.test.ts checks them
 * against quantize.
 */
interface GridNotes {
  /** Kept notes, in compareNotes order: indices into the input notes (the first `count`). */
  order: Int32Array;
  count: number;
  /** Onset and end steps by input index. */
  start: Float64Array;
  end: Float64Array;
}

/**
 * Scratch arrays, grown as needed and used again for every tune (an encoder runs on one thread,
 * and its callers read the ids it returns, never these).
 */
const scratch = { start: new Float64Array(1024), end: new Float64Array(1024), endKey: new Float64Array(1024), order: new Int32Array(1024), events: new Float64Array(2048), kept: new Int32Array(1024) };
/** The last kept note of each pitch of each voice (0-15), stamped with the call that set it. */
const lastNote = new Int32Array(16 * 128);
const lastStamp = new Int32Array(16 * 128);
let stamp = 0;

function grow(n: number): void {
  if (scratch.start.length >= n) return;
  const size = Math.max(n, scratch.start.length * 2);
  scratch.start = new Float64Array(size);
  scratch.end = new Float64Array(size);
  scratch.endKey = new Float64Array(size);
  scratch.order = new Int32Array(size);
  scratch.kept = new Int32Array(size);
  scratch.events = new Float64Array(2 * size);
}

function gridNotes(notes: readonly Note[], spq: number, mergeVoices: boolean): GridNotes {
  const n = notes.length;
  grow(n);
  const { start, end, endKey, order } = scratch;
  let sorted = true;
  let small = true; // every voice 0-15 and pitch an integer 0-127: the stamped table, else a Map
  let ps = 0;
  let pp = 0;
  let pv = 0;
  let pe = 0;
  for (let i = 0; i < n; i++) {
    const note = notes[i];
    const pitch = note.pitch;
    const voice = mergeVoices ? 0 : note.voice;
    const s = Math.round(note.start * spq + 1e-9);
    let e = Math.round(note.end * spq + 1e-9);
    // The end as quantize computes it orders notes of one onset, pitch and voice: a note given one
    // step (start + 1/spq) can sort an ulp before or after one that ends on that step (e / spq).
    let ek = e / spq;
    if (e <= s) {
      e = s + 1;
      ek = s / spq + 1 / spq;
    }
    start[i] = s;
    end[i] = e;
    endKey[i] = ek;
    order[i] = i;
    if (!(pitch >= 0 && pitch <= 127 && (pitch | 0) === pitch && voice >= 0 && voice <= 15 && (voice | 0) === voice)) small = false;
    if (sorted && i > 0 && (ps - s || pp - pitch || pv - voice || pe - ek) > 0) sorted = false;
    ps = s;
    pp = pitch;
    pv = voice;
    pe = ek;
  }
  if (!sorted) {
    const idx = Array.from(order.subarray(0, n));
    idx.sort((a, b) => start[a] - start[b] || notes[a].pitch - notes[b].pitch || (mergeVoices ? 0 : notes[a].voice - notes[b].voice) || endKey[a] - endKey[b] || a - b);
    order.set(idx);
  }
  // Same pitch (and voice) overlaps: the last kept note of each pitch, per voice.
  const map = small ? null : new Map<number, number>();
  const now = ++stamp;
  if (stamp > 0x3fffffff) {
    stamp = 0;
    lastStamp.fill(-1);
  }
  let count = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const note = notes[i];
    const key = mergeVoices ? note.pitch : note.voice * 128 + note.pitch;
    let prev: number | undefined;
    if (map) prev = map.get(key);
    else if (lastStamp[key] === now) prev = lastNote[key];
    if (prev !== undefined && end[prev] > start[i]) {
      if (start[prev] >= start[i]) {
        if (end[i] > end[prev]) end[prev] = end[i];
        continue;
      }
      end[prev] = start[i];
    }
    order[count++] = i;
    if (map) map.set(key, i);
    else {
      lastNote[key] = i;
      lastStamp[key] = now;
    }
  }
  return { order, count, start, end };
}

/**
 * melody-event ids of the notes: `MelodyEventEncoding.reduce` (16ths, then the highest note at each
 * onset, each onset ending the note before) and its steps, on the grid notes above without building
 * the reduced sequence (the same ids; encodings.test.ts compares both).
 */
function melodyEventIds(notes: readonly Note[], bos: number, eos: number): number[] {
  const g = gridNotes(notes, MELODY_STEPS_PER_QUARTER, false);
  const { order, start, end } = g;
  // monophonic: at each onset the highest pitch (of equal pitches, the first in order); each
  // onset ends the note before. kept[] holds input indices; their ends are cut in end[].
  const kept = scratch.kept;
  let count = 0;
  for (let k = 0; k < g.count; k++) {
    const i = order[k];
    if (count > 0) {
      const j = kept[count - 1];
      if (start[j] === start[i]) {
        if (notes[i].pitch > notes[j].pitch) kept[count - 1] = i;
        continue;
      }
    }
    kept[count++] = i;
  }
  let last = 0;
  for (let k = 0; k < count; k++) {
    const i = kept[k];
    if (k + 1 < count && end[i] > start[kept[k + 1]]) end[i] = start[kept[k + 1]];
    if (end[i] > last) last = end[i];
  }
  const steps = new Array<number>(last + 2);
  steps[0] = bos;
  for (let t = 1; t <= last; t++) steps[t] = MELODY_NO_EVENT;
  steps[last + 1] = eos;
  for (let k = 0; k < count; k++) {
    const i = kept[k];
    const s = start[i];
    const e = end[i];
    if (s >= 0 && s < last) steps[s + 1] = notes[i].pitch;
    if (e >= 0 && e < last && steps[e + 1] === MELODY_NO_EVENT) steps[e + 1] = MELODY_NOTE_OFF;
  }
  return steps;
}

/** Velocity bin after the reduction's binning: velocityBin(binVelocity(velocityBin(v))). */
const REBINNED = Array.from({ length: MIDI_EVENT_VELOCITY_BINS }, (_, b) => velocityBin(binVelocity(b)));

/**
 * midi-event ids of the notes: `MidiEventEncoding.reduce` (velocities binned, voices merged, the
 * 12-per-quarter grid) and its events (offs before ons at a time, then by pitch), each event one
 * number (time, kind, pitch, velocity bin in its digits) sorted as numbers.
 */
function midiEventIds(notes: readonly Note[], source: Tune['source'], bos: number, eos: number): number[] {
  const g = gridNotes(notes, MIDI_EVENT_STEPS_PER_QUARTER, true);
  const events = scratch.events.subarray(0, 2 * g.count);
  for (let k = 0; k < g.count; k++) {
    const i = g.order[k];
    const note = notes[i];
    const pitch = note.pitch;
    if (pitch < 0 || pitch > 127) throw new MusicError('unencodable', `pitch ${pitch} is outside 0-127`, { file: source.file, tune: source.index });
    const b = velocityBin(note.velocity);
    const vel = REBINNED[b] ?? velocityBin(binVelocity(b));
    // time * 8192 + kind * 4096 + pitch * 32 + bin: ordered by time, then off (0) before on (1), then pitch.
    events[2 * k] = g.start[i] * 8192 + 4096 + pitch * 32 + vel;
    events[2 * k + 1] = g.end[i] * 8192 + pitch * 32;
  }
  events.sort();
  const ids = [bos];
  let now = 0;
  let vel = -1;
  for (let k = 0; k < events.length; k++) {
    const e = events[k];
    const t = Math.floor(e / 8192);
    const low = e - t * 8192;
    let gap = t - now;
    while (gap > 0) {
      const step = Math.min(gap, MIDI_EVENT_MAX_SHIFT);
      ids.push(SHIFT0 + step - 1);
      gap -= step;
    }
    now = t;
    const pitch = (low >> 5) & 127;
    if (low >= 4096) {
      const v = low & 31;
      if (v !== vel) ids.push(VEL0 + v);
      vel = v;
      ids.push(ON0 + pitch);
    } else ids.push(OFF0 + pitch);
  }
  ids.push(eos);
  return ids;
}
