/**
 * `seedsong generate --seed-file x.mid`: the .mid is a played seed, so it is transcribed (tempo,
 * beat, meter, pickup found from the playing unless the flags give them) onto what the model's
 * encoding can spell, and for ABC models written in the vocabulary's own words
 * (shared/music/transcribe/fit.ts), as the engine's seed path does for notes.
 */
import { readMidi } from '@shared/music/midi/read';
import { MusicError } from '@shared/music/errors';
import { fitSeedToVocabulary, SeedSpellingError, spellingFor, transcribe, type Meter, type SeedGrid, type Transcription } from '@shared/music/transcribe/index';
import type { NoteSequence } from '@shared/music/types';
import { UsageError } from './command';

export interface SeedFlags {
  meter?: string;
  grid?: string;
  pickup?: string;
}

/** "6/8", "C" (4/4), "C|" (2/2). */
export function parseMeterFlag(value: string): Meter {
  const v = value.trim();
  if (v === 'C') return { numerator: 4, denominator: 4 };
  if (v === 'C|') return { numerator: 2, denominator: 2 };
  const m = /^(\d{1,2})\/(\d{1,2})$/.exec(v);
  if (!m || !(Number(m[1]) >= 1) || ![1, 2, 4, 8, 16, 32, 64].includes(Number(m[2]))) throw new UsageError(`--seed-meter expects a meter like 4/4, 6/8, C or C|, got "${value}"`);
  return { numerator: Number(m[1]), denominator: Number(m[2]) };
}

/** "16" or "1/16" (16ths), "8" (eighths), "32"; a trailing "t" adds the triplet grid ("16t"). */
export function parseGridFlag(value: string): SeedGrid {
  const m = /^(?:1\/)?(4|8|16|32)(t?)$/.exec(value.trim());
  if (!m) throw new UsageError(`--seed-grid expects the shortest note as 8, 16 or 32 (1/16 works too), with t for triplets (16t), got "${value}"`);
  return { stepsPerQuarter: Number(m[1]) / 4, triplets: m[2] === 't' };
}

/** A note length as ABC writes it, as a fraction of a whole note: 0, 1/8 (an eighth), 3/8, 1/4. */
export function parsePickupFlag(value: string): number {
  const v = value.trim();
  if (v === '0') return 0;
  const m = /^(\d{1,2})\/(\d{1,3})$/.exec(v);
  if (!m || !(Number(m[2]) > 0)) throw new UsageError(`--seed-pickup expects a length like 1/8 (an eighth), 1/4 or 0 for none, got "${value}"`);
  return (4 * Number(m[1])) / Number(m[2]);
}

/** The transcription, what was changed to spell it (ABC models), and the seed for the engine. */
export type SeedFileResult = { transcription: Transcription; changes: string[] } & ({ kind: 'abc'; text: string } | { kind: 'sequence'; sequence: NoteSequence });

/**
 * Reads and transcribes a .mid seed for a model whose encoding is `encoding`: ABC models get ABC
 * with a pickup bar, event models the notes from the first one on. Throws MusicError (file
 * problems, a seed that cannot be understood) or UsageError (bad flags) for the caller to report.
 */
export function transcribeSeedFile(bytes: Uint8Array, file: string, encoding: { name: string; tokens: readonly string[] }, flags: SeedFlags): SeedFileResult {
  const meter = flags.meter !== undefined ? parseMeterFlag(flags.meter) : undefined;
  const spelling = spellingFor(encoding);
  const grid = flags.grid !== undefined ? { ...parseGridFlag(flags.grid), ...(spelling.grid.lengths ? { lengths: spelling.grid.lengths } : {}) } : spelling.grid;
  const pickup = flags.pickup !== undefined ? parsePickupFlag(flags.pickup) : undefined;
  const performance = readMidi(bytes, { file }).sequence;
  let transcription: Transcription;
  try {
    transcription = transcribe(performance, { meter, meters: spelling.meters, pickup, grid, chords: spelling.chords });
  } catch (e) {
    if (e instanceof MusicError) throw new MusicError(e.code, e.detail, { file });
    throw e;
  }
  if (encoding.name === 'abc-char' || encoding.name === 'abc-token') {
    // Written in the model's own words (a held note ends at the bar line if it has no tie, ...).
    try {
      const fitted = fitSeedToVocabulary(transcription, { encoding, unitDenominator: spelling.unitDenominator ?? 8 });
      return { kind: 'abc', text: fitted.abc, transcription, changes: fitted.changes };
    } catch (e) {
      if (e instanceof SeedSpellingError) throw new MusicError('unencodable', `${e.detail}`, { file });
      throw e;
    }
  }
  return { kind: 'sequence', sequence: transcription.sequence, transcription, changes: [] };
}
