/**
 * The music core's data model. Times are in quarter notes (beats of a quarter note), not seconds:
 * a NoteSequence means the same thing at any tempo, and the tempo map turns it into seconds.
 */

export interface Note {
  /** MIDI pitch 0-127. */
  pitch: number;
  /** Onset in quarter notes from the start of the sequence. */
  start: number;
  /** End in quarter notes; always > start. */
  end: number;
  /** MIDI velocity 1-127. */
  velocity: number;
  /** Voice or track index the note came from (0 for monophonic material). */
  voice: number;
}

export interface TempoChange {
  /** Position in quarter notes. */
  time: number;
  /** Quarter notes per minute. */
  qpm: number;
}

export interface TimeSignature {
  time: number;
  numerator: number;
  denominator: number;
}

export type Mode = 'major' | 'minor' | 'dorian' | 'phrygian' | 'lydian' | 'mixolydian' | 'aeolian' | 'ionian' | 'locrian';

export interface KeySignature {
  time: number;
  /** Tonic pitch class 0-11 (C = 0). */
  tonic: number;
  mode: Mode;
  /** Sharps (>0) or flats (<0) of the key signature, -7..7. */
  accidentals: number;
}

export interface NoteSequence {
  title?: string;
  notes: Note[];
  tempos: TempoChange[];
  timeSignatures: TimeSignature[];
  keySignatures: KeySignature[];
  /** Total length in quarter notes (>= the last note's end). */
  totalTime: number;
}
