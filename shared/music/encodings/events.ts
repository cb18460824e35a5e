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
  readonly tokens = melodyEventTokens();
  readonly bos = 130;
  readonly eos = 131;

  /** The melody as it will come back from decode: quantized to 16ths, highest notes only. */
  static reduce(seq: NoteSequence): NoteSequence {
    return monophonic(quantize(seq, { stepsPerQuarter: MELODY_STEPS_PER_QUARTER }));
  }

  encode(tune: Tune): number[] {
    const mel = MelodyEventEncoding.reduce(tune.sequence);
    const spq = MELODY_STEPS_PER_QUARTER;
    const end = Math.round(mel.notes.reduce((m, n) => Math.max(m, n.end), 0) * spq);
    const steps = new Array<number>(end).fill(MELODY_NO_EVENT);
    for (const n of mel.notes) {
      const s = Math.round(n.start * spq);
      const e = Math.round(n.end * spq);
      steps[s] = n.pitch;
      if (e < end && steps[e] === MELODY_NO_EVENT) steps[e] = MELODY_NOTE_OFF;
    }
    return [this.bos, ...steps, this.eos];
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
  readonly tokens = midiEventTokens();
  readonly bos = MIDI_EVENT_SIZE;
  readonly eos = MIDI_EVENT_SIZE + 1;

  /** The notes as they will come back from decode: on the 12-per-quarter grid, velocities binned, voices merged. */
  static reduce(seq: NoteSequence): NoteSequence {
    const q = quantize({ ...seq, notes: seq.notes.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end, velocity: binVelocity(velocityBin(n.velocity)), voice: 0 })) }, { stepsPerQuarter: MIDI_EVENT_STEPS_PER_QUARTER });
    return q;
  }

  encode(tune: Tune): number[] {
    const seq = MidiEventEncoding.reduce(tune.sequence);
    const spq = MIDI_EVENT_STEPS_PER_QUARTER;
    const events: { t: number; kind: 0 | 1; pitch: number; vel: number }[] = []; // kind 0 = off before 1 = on
    for (const n of seq.notes) {
      if (n.pitch < 0 || n.pitch > 127) throw new MusicError('unencodable', `pitch ${n.pitch} is outside 0-127`, { file: tune.source.file, tune: tune.source.index });
      events.push({ t: Math.round(n.start * spq), kind: 1, pitch: n.pitch, vel: velocityBin(n.velocity) });
      events.push({ t: Math.round(n.end * spq), kind: 0, pitch: n.pitch, vel: 0 });
    }
    events.sort((a, b) => a.t - b.t || a.kind - b.kind || a.pitch - b.pitch);
    const ids = [this.bos];
    let now = 0;
    let vel = -1;
    for (const e of events) {
      let gap = e.t - now;
      while (gap > 0) {
        const k = Math.min(gap, MIDI_EVENT_MAX_SHIFT);
        ids.push(SHIFT0 + k - 1);
        gap -= k;
      }
      now = e.t;
      if (e.kind === 1) {
        if (e.vel !== vel) ids.push(VEL0 + e.vel);
        vel = e.vel;
        ids.push(ON0 + e.pitch);
      } else ids.push(OFF0 + e.pitch);
    }
    ids.push(this.eos);
    return ids;
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
