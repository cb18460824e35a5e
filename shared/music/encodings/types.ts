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
  /** [bos, ..., eos]; throws MusicError('unencodable') for input outside the vocabulary. */
  encode(tune: Tune): number[];
  /** Tolerant: bad or partial token streams give warnings, not throws. */
  decode(ids: ArrayLike<number>): DecodedTune;
  toSpec(): EncodingSpec;
}

export const BOS = '<s>';
export const EOS = '</s>';
