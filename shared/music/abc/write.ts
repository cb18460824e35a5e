/**
 * ABC out for a performance: writeAbc(seq) = writeTuneForm(notate(seq)). The tune form's writer
 * and the note spelling live in tune/write.ts; this is the NoteSequence entry point the studio,
 * the CLI and the encodings call.
 */
import { notate, type NotateOptions } from '../tune/notate';
import { writeTuneForm } from '../tune/write';
import type { NoteSequence } from '../types';

export { keyName, keyAlterations, spellPitch, work, writeTuneForm, type TuneWriteOptions } from '../tune/write';

export interface AbcWriteOptions {
  /** X: number (default 1). */
  x?: number;
  /** T: (default: the sequence's title, else "Untitled"). */
  title?: string;
  /** Quantization grid before writing, steps per quarter (default 4 = 16ths; use 8 for 32nds). */
  stepsPerQuarter?: number;
  /** L: denominator (8 -> L:1/8). Default: 16 when most notes are 16ths, else 8. */
  unitDenominator?: number;
  /** End with |] (default true). Seeds are written open-ended, with a plain bar line. */
  finalBar?: boolean;
  /** Bars per line of music (default 4). */
  barsPerLine?: number;
  /** Write the Q: field (default true). */
  tempo?: boolean;
  /**
   * Triplets: by default, notes on the 16th-triplet grid but not on the 16th grid are written as
   * (3 tuplets (only when stepsPerQuarter is not given); false quantizes them to 16ths.
   */
  triplets?: boolean;
  /** The meter to bar in (default: the sequence's first time signature, else detected with `pickup: 'detect'`, else 4/4). */
  meter?: NotateOptions['meter'];
  /** Quarter notes before the first bar line (default 0), or 'detect' (see NotateOptions). */
  pickup?: NotateOptions['pickup'];
  /** Fold sections played twice note for note into |: :| (default true). */
  repeats?: boolean;
}

/** ABC text of a performance: barred from its meter and pickup, exact repeats folded (see notate). */
export function writeAbc(seq: NoteSequence, opts: AbcWriteOptions = {}): string {
  const form = notate(seq, opts);
  return writeTuneForm(form, { barsPerLine: opts.barsPerLine, tempo: opts.tempo, triplets: opts.triplets });
}
