/**
 * Typed errors of the music core. Every reader reports where the problem is (file, tune, line) and
 * what was expected, so the studio and the CLI can show one clear line instead of a stack trace.
 */

export type MusicErrorCode =
  | 'abc-syntax' // abcjs could not make sense of (part of) a tune
  | 'abc-no-tunes' // text without any X: tune
  | 'abc-no-notes' // a tune that parsed but has no notes to play
  | 'abc-too-long' // absurd durations or sizes that would hang or explode downstream
  | 'midi-format' // not a Standard MIDI File, truncated or corrupt
  | 'midi-type-2' // SMF type 2 (independent patterns) is not a single piece of music
  | 'midi-no-notes'
  | 'out-of-range' // e.g. a transposition that pushes notes beyond 0-127
  | 'unencodable' // a token or note the encoding's vocabulary cannot express
  | 'bad-spec' // a saved vocabulary that is malformed
  | 'bad-seed' // a played seed that cannot be transcribed (no notes, too many, times that are not numbers)
  | 'bad-option' // a transcription setting that makes no sense (a meter like 5/0, a grid of 0 steps)
  | 'io'; // a file that cannot be read

export interface MusicErrorLocation {
  file?: string;
  /** 0-based index of the tune within its file. */
  tune?: number;
  /** 1-based line number in the file. */
  line?: number;
}

export class MusicError extends Error {
  override name = 'MusicError';
  readonly code: MusicErrorCode;
  readonly file?: string;
  readonly tune?: number;
  readonly line?: number;
  /** The problem without the location prefix. */
  readonly detail: string;

  constructor(code: MusicErrorCode, detail: string, where: MusicErrorLocation = {}) {
    super(formatLocation(where) + detail);
    this.code = code;
    this.detail = detail;
    this.file = where.file;
    this.tune = where.tune;
    this.line = where.line;
  }

  toJSON(): { code: MusicErrorCode; message: string; file?: string; tune?: number; line?: number } {
    return { code: this.code, message: this.message, file: this.file, tune: this.tune, line: this.line };
  }
}

export function formatLocation(where: MusicErrorLocation): string {
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(where.file + (where.line !== undefined ? `:${where.line}` : ''));
  else if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.tune !== undefined) parts.push(`tune ${where.tune + 1}`);
  return parts.length ? parts.join(', ') + ': ' : '';
}

/** A non-fatal problem: the tune still loaded, but something was ignored or guessed. */
export interface MusicWarning {
  message: string;
  line?: number;
}
