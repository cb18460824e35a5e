/**
 * The tune form: what the notation says, between ABC text and the performance. A voice is its
 * notes on the written timeline (once through, repeats not expanded, in quarter notes) cut into
 * bars by the bar lines written; repeats, endings and parts are bar-line and bar properties, so the
 * performance (`perform`) is derived from the form, and the writer (`writeTuneForm`) writes the
 * notation back as it was: bars, pickup, repeats, endings, chord symbols, parts and header fields.
 */
import type { KeySignature, Note, TempoChange, TimeSignature } from '../types';

/** A bar line as ABC writes it. */
export type BarLine = '|' | '||' | '[|' | '|]' | '|:' | ':|' | '::';

export interface FormBar {
  /** Start and end on the voice's written timeline, in quarter notes. */
  start: number;
  end: number;
  /** The bar line that ends this bar ('' when none is written: a tune that stops without one). */
  line: BarLine | '';
  /** The ending (volta) this bar starts: "1", "2", "1,3". */
  ending?: string;
  /** The part (P:A in the body) that starts at this bar. */
  part?: string;
  /** The line of music ends after this bar's bar line, as written. */
  lineBreak?: boolean;
}

export interface ChordSymbol {
  /** On the written timeline, in quarter notes. */
  time: number;
  /** "Am", "D7"; an annotation's text. */
  name: string;
  /** 'default' for a chord symbol; 'above', 'below', 'left', 'right' for annotations ("^text"). */
  position: string;
}

export interface FormVoice {
  /** V: id as written, or "1", "2" ... */
  id: string;
  /** The bar line before the first bar, when one is written there (|: at the start of the tune). */
  opening?: BarLine;
  bars: FormBar[];
  /** Sounding notes on the written timeline, ties joined; note.voice is 0. */
  notes: Note[];
  chords: ChordSymbol[];
  /** Notes written with broken rhythm after them (a>b): the first note's time and the sign. */
  broken: { time: number; sign: '>' | '<' }[];
  /** Decorations on notes as written (abcjs's names: trill, roll, staccato, p, crescendo( ...). */
  decorations?: { time: number; name: string }[];
  /** Notes the voice plays, counting those too short to sound. */
  played: number;
  /**
   * How the body names the voice, as first written: the V: field's value (`S name="Soprano"`) and
   * whether it was an inline field (`[V:S]`) or a line of its own. Absent when the body has no V:.
   */
  written?: { value: string; inline: boolean };
  /**
   * Unit length changes in the body ([L:1/16], an L: line) on the voice's written timeline: from
   * `time` on, lengths are written in `unit`. abcjs applies an L: to every voice after it in the
   * text, so a voice may start in another voice's unit (a change at its first note).
   */
  units?: { time: number; unit: [number, number] }[];
}

export interface HeaderField {
  /** One letter: T, C, R, M, L, Q, P, O, N, Z ... (X: and K: are kept apart). */
  field: string;
  value: string;
}

export interface TuneForm {
  /** X: number as written. */
  x: string;
  /** Header fields in the order written (X: and K: excluded; K: ends the header). */
  header: HeaderField[];
  /** K: as written ("D", "Ador", "G clef=bass"). */
  keyText: string;
  title?: string;
  /** L: as a fraction of a whole note (1/8 -> [1, 8]). */
  unit: [number, number];
  /** P: order in the header ("AABA", "A2B", "(AB)2C"), when given. */
  parts?: string;
  /** R: (the tune type; a hornpipe may be swung). */
  rhythm?: string;
  /** Quarter notes before the first bar line (the anacrusis); 0 when the tune starts on a downbeat. */
  pickup: number;
  /** The voices with notes, in the order abcjs numbers them; the first is the melody. */
  voices: FormVoice[];
  /** Meter, key and tempo (with their changes) on the first voice's written timeline. */
  timeSignatures: TimeSignature[];
  keySignatures: KeySignature[];
  tempos: TempoChange[];
}

/** Reading options shared by parseAbc and perform. */
export interface PerformOptions {
  /**
   * Follow the header's P: part order (default true): P:AABA plays part A twice, B, then A; a
   * tune without P: in its header (or without parts in its body) plays as written.
   */
  parts?: boolean;
  /**
   * Swing a hornpipe as abc2midi plays it (default false): with R:hornpipe, broken rhythm (a>b,
   * a<b) is played 2:1 instead of 3:1 in every meter, and in 4/4 each pair of eighths on a beat
   * is played 2:1.
   */
  swing?: boolean;
  /** Which voices: 'first' (default, the melody), 'all' (note.voice = voice index) or an index. */
  voices?: 'first' | 'all' | number;
}
