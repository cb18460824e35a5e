import type { NoteSequence } from '../types';

export type EncodingName = 'abc-char' | 'abc-token' | 'melody-event' | 'midi-event';
export const ENCODING_NAMES: readonly EncodingName[] = ['abc-char', 'abc-token', 'melody-event', 'midi-event'];

export interface Tune {
  title?: string;
  /** Normalized ABC text of ONE tune, for ABC sources (see normalizeAbc). */
  abc?: string;
  sequence: NoteSequence;
  source: { file: string; index: number; line: number };
}

/** What a model saves in seedsong.json to rebuild its encoding. */
export interface EncodingSpec {
  name: EncodingName;
  tokens: string[];
  /**
   * abc-token only: the spelling. Absent or 1: a note and its length as one token, header fields as
   * written (every model trained before issue #14, the default model among them; read exactly as
   * before). 2: the canonical factored spelling (abc-tokens.ts), with `<unk>` at id 2.
   */
  version?: 1 | 2;
  /** abc-token version 2: chord symbols as tokens ('keep') or removed and counted ('drop', default). */
  chords?: 'keep' | 'drop';
}

/**
 * What encoding one tune left out or could not spell, filled by encode(tune, report). Unknown
 * tokens are in the ids as `<unk>` (abc-token 2) or left out (abc-token 1, abc-char: no such id);
 * either way they are counted here, never skipped silently.
 */
export interface EncodeReport {
  /** Tokens the vocabulary does not have (each occurrence). */
  unknown: number;
  /** The unknown tokens with their counts. */
  unknownTokens: Record<string, number>;
  /** Chord symbols removed ("Am"): the encoding does not keep them, or a version-1 vocabulary lacks them. */
  chordSymbols: number;
  /** Text annotations removed ("^text"). */
  annotations: number;
  /** Marks removed that only lay the score out or that abcjs ignores (abc-token 2: `` ` ``, `y`, `k`). */
  ignoredMarks: number;
}

export function emptyEncodeReport(): EncodeReport {
  return { unknown: 0, unknownTokens: {}, chordSymbols: 0, annotations: 0, ignoredMarks: 0 };
}

/** Adds one report's counts into another. */
export function addEncodeReport(into: EncodeReport, r: EncodeReport): void {
  into.unknown += r.unknown;
  into.chordSymbols += r.chordSymbols;
  into.annotations += r.annotations;
  into.ignoredMarks += r.ignoredMarks;
  for (const [t, n] of Object.entries(r.unknownTokens)) into.unknownTokens[t] = (into.unknownTokens[t] ?? 0) + n;
}

export interface DecodedTune {
  abc: string;
  sequence: NoteSequence;
  warnings: string[];
}

export interface Encoding {
  readonly name: EncodingName;
  /** id -> token text. */
  readonly tokens: readonly string[];
  /** Tune start / end token ids (in the vocabulary). */
  readonly bos: number;
  readonly eos: number;
  /**
   * [bos, ..., eos]. Without a report, a token outside the vocabulary throws MusicError('unencodable')
   * (abc-token 2: it is `<unk>`, as with a report). With a report, nothing throws for unknown tokens:
   * they are counted in it (and in the ids as `<unk>` where the vocabulary has one).
   */
  encode(tune: Tune, report?: EncodeReport): number[];
  /** The id of `<unk>` (abc-token 2), or undefined: a sampler must never draw it. */
  readonly unk?: number;
  /** The spelling version (abc-token: 1 or 2; others 1). */
  readonly version?: number;
  /** ABC encodings: cuts normalized ABC text into this encoding's tokens (its own spelling). */
  tokenize?(abc: string): string[];
  /** Tolerant: bad or partial token streams give warnings, not throws. */
  decode(ids: ArrayLike<number>): DecodedTune;
  toSpec(): EncodingSpec;
}

export const BOS = '<s>';
export const EOS = '</s>';
export const UNK = '<unk>';
