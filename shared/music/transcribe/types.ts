/**
 * The public shapes of the transcription: what a caller can say about a played seed (options) and
 * what comes back (a quantized NoteSequence with its meter, pickup, grid and a report in words).
 */
import type { KeySignature, NoteSequence } from '../types';

export interface Meter {
  numerator: number;
  denominator: number;
}

/** A meter the model knows, with how often its corpus uses it (counts or fractions: only ratios matter). */
export interface MeterCandidate extends Meter {
  weight: number;
}

/** What the encoding can spell. */
export interface SeedGrid {
  /** Onsets and ends go to this many steps per quarter note: 4 = 16ths, 2 = eighths, 12 = 16ths and triplets. */
  stepsPerQuarter: number;
  /** Also the triplet grid of the same resolution (3/2 x stepsPerQuarter), as the music core's quantize. */
  triplets?: boolean;
  /**
   * Note lengths in quarter notes that the encoding spells as one note (an abc-token vocabulary's
   * lengths). A note followed by a rest, and the last note, take one of them; a note that runs into
   * the next one is as long as the time between their onsets (a writer ties what one note cannot
   * spell). Undefined: any whole number of grid steps.
   */
  lengths?: number[];
}

/** How several notes struck together become the seed: the highest one (melody models) or all of them. */
export type ChordPolicy = 'top' | 'keep';

export interface TranscribeOptions {
  /**
   * How the input's time relates to the music.
   * - 'free' (default): played without a click (a .mid from elsewhere, a phrase played freely): the
   *   tempo and beat are found from the playing, unless the notes already sit on the input's own
   *   quarter-note grid (a notated file), whose beats are then kept.
   * - 'metronome': recorded against the studio's click: the input's quarter notes are the click's
   *   beats and time 0 is a downbeat; only drift and phase are refined, and bar lines prefer the
   *   click's (the playing can still move them, e.g. a pickup played on the first beat).
   */
  clock?: 'free' | 'metronome';
  /** A tempo in quarter notes per minute; overrides what is found (with 'metronome': the click's tempo, default the input's). */
  qpm?: number;
  /** The meter (the user's setting); overrides what is found. */
  meter?: Meter;
  /** The meters to choose from, with their frequencies (the model's corpus). Default: a folk-tune mix. */
  meters?: MeterCandidate[];
  /** Quarter notes from the first note to the first downbeat (0: starts on a downbeat); overrides what is found. */
  pickup?: number;
  /** What the encoding can spell (default: 16ths, no triplets, any length). */
  grid?: SeedGrid;
  /** Default 'top'. */
  chords?: ChordPolicy;
  /** The key signature to write; default: the input's own, else estimated from the pitches. null: none. */
  key?: KeySignature | null;
  /** Notes shorter than this (ms, as played) are ghosts: dropped, or merged into the same key struck just before. Default 40. */
  minNoteMs?: number;
  /** At most this many notes (default 20,000); more is an error, not a seed. */
  maxNotes?: number;
}

/** Who decided a value: found in the playing, given by the caller (or the metronome), or read from the file's own grid. */
export type Source = 'played' | 'given' | 'file';

export interface MeterChoice {
  meter: Meter;
  /** Quarter notes from the first note to the first downbeat in this meter. */
  pickup: number;
  /** Log-likelihood relative to the chosen meter (0 for it, negative for the others). */
  score: number;
}

/** Counts of what was changed, for a caller that wants numbers rather than words. */
export interface TranscribeChanges {
  /** Seconds of silence before the first note that were dropped. */
  leadingSilence: number;
  ghostsDropped: number;
  ghostsMerged: number;
  gracesDropped: number;
  chordsReduced: number;
  /** Overlapping notes (legato) cut at the next onset. */
  overlapsCut: number;
  /** Small gaps between notes closed (a detached note written to its full value). */
  gapsClosed: number;
  /** Notes given a shorter length the encoding spells (the rest of their time is a rest). */
  lengthsSnapped: number;
  /** Notes with times or pitches that are not numbers, or negative, or ending before they start. */
  invalidDropped: number;
  /** Silences longer than LONG_GAP_S in the middle of the playing, shortened. */
  longGapsShortened: number;
  /** Notes held longer than MAX_HOLD_S, cut. */
  longNotesCut: number;
}

export interface Transcription {
  /**
   * The quantized seed. Time 0 is the first note (the silence before it is dropped), so a pickup
   * starts at 0 and the first downbeat is at `pickup`. Tempo map in quarter notes, the meter at 0,
   * the key signature. `barAligned()` gives the same notes with the pickup's rest before them, for
   * writers that start a bar at time 0.
   */
  sequence: NoteSequence;
  /** Quarter notes from the first note to the first downbeat, 0 <= pickup < bar length. */
  pickup: number;
  meter: Meter;
  /** The main tempo, quarter notes per minute (rounded). */
  qpm: number;
  grid: Required<Pick<SeedGrid, 'stepsPerQuarter' | 'triplets'>> & { lengths?: number[] };
  key?: KeySignature;
  found: { tempo: Source; meter: Source; pickup: 'played' | 'given'; key: 'played' | 'given' | 'file' | 'none' };
  /** The meters considered, best first, with the pickup each would have. */
  meters: MeterChoice[];
  changes: TranscribeChanges;
  /** What was found and changed, one line each, in words a musician reads ("tempo found: 96 bpm"). */
  report: string[];
}
