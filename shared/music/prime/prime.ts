/**
 * Seed priming and header fitting: how a seed (typed ABC, a recording, a .mid, a selection, token
 * ids) or a bare header (key, meter, unit) becomes the first tokens an encoding's model reads. Music,
 * not engine (issue #14 item 4): pure, no TensorFlow; the engine calls it and turns a
 * SeedPrimingError into its own error (a seed the model cannot spell carries the fix to offer).
 */
import { MusicError, type MusicErrorCode } from '../errors';
import { canonicalKey, emptyEncodeReport, seedToTune, tokenizeAbc, type Encoding } from '../encodings/index';
import type { Note, NoteSequence } from '../types';
import { parseKey, signatureScale } from '../key';
import { parseAbc } from '../abc/read';
import { fitSeedToVocabulary, SeedSpellingError, spellingFor, transcribe, type SeedFix, type Transcription } from '../transcribe/index';

/** A seed or header that cannot be primed, in words; `fix` is what the studio can offer when the model cannot spell the seed. */
export class SeedPrimingError extends MusicError {
  override name = 'SeedPrimingError';
  constructor(
    code: MusicErrorCode,
    detail: string,
    readonly fix?: SeedFix,
  ) {
    super(code, detail);
  }
}

export type GenerateSeed = { kind: 'none' } | { kind: 'abc'; text: string } | { kind: 'notes'; notes: Note[] } | { kind: 'sequence'; sequence: NoteSequence } | { kind: 'tokens'; ids: number[] };

/** Constraints for ABC models without a seed: the tune's header, as the model learned to read it. */
export interface HeaderConstraint {
  /** e.g. "6/8" */
  meter?: string;
  /** e.g. "D", "Ador", "D Major": the form the training corpus used (the error lists what is known). */
  key?: string;
  /** Unit note length, e.g. "1/8". */
  unit?: string;
}

/** Prime tokens that spell a header (M:, L:, K:) in the encoding's own tokens. */
export function headerTokens(encoding: Encoding, h: HeaderConstraint): number[] {
  if (encoding.name !== 'abc-char' && encoding.name !== 'abc-token') {
    throw new SeedPrimingError('unencodable', `key and meter constraints need an ABC model; this one uses ${encoding.name} (give a seed instead)`);
  }
  // A key abcjs would not read is the user's typo, not a token the model lacks: say so before tokenising
  // (the canonical spelling would otherwise read `K:Q` as C major).
  if (h.key && canonicalKey(h.key) === null) {
    throw new SeedPrimingError('unencodable', `"${h.key}" is not a key (expected a tonic and an optional mode, e.g. D, Ador, F#m, Bb mixolydian)`);
  }
  const lines = ['X:1'];
  if (h.meter) lines.push(`M:${h.meter}`);
  if (h.unit) lines.push(`L:${h.unit}`);
  if (h.key) lines.push(`K:${h.key}`);
  const text = lines.join('\n') + '\n';
  const pieces = encoding.name === 'abc-char' ? Array.from(text) : encoding.tokenize ? encoding.tokenize(text) : tokenizeAbc(text);
  const index = new Map(encoding.tokens.map((t, i) => [t, i]));
  const ids = [encoding.bos];
  for (const p of pieces) {
    const id = index.get(p);
    if (id === undefined) {
      const field = p.slice(0, 2);
      const known = encoding.tokens.filter((t) => t.startsWith(field)).slice(0, 12);
      throw new SeedPrimingError('unencodable', `"${p}" is not in this model's vocabulary${known.length ? `; it knows ${known.join(', ')}` : ''}`);
    }
    ids.push(id);
  }
  return ids;
}

/** Pitch classes of a key written as in ABC ("D", "Ador", "F#m", "Bb mixolydian"): the music core's key table. */
export function keyPitchClasses(key: string): Set<number> {
  const k = parseKey(key);
  if (!k || !key.trim()) throw new SeedPrimingError('bad-option', `key "${key}" is not understood; write it as in ABC, e.g. D, Em, Ador, Bb mix`);
  return signatureScale(k);
}

export function isAbcEncoding(e: Encoding): boolean {
  return e.name === 'abc-char' || e.name === 'abc-token';
}

/** What the studio can offer for a seed the model cannot spell, in words. */
const FIX_WORDS: Record<SeedFix, string> = {
  quantize: 'quantize the seed to a coarser grid (eighths)',
  'drop-chords': 'keep only the top note of each chord',
  'change-meter': 'choose a meter the model knows',
  transpose: 'transpose the seed by an octave',
  none: 'edit the seed',
};

/** The seed as the model will read it: its tokens, and what was changed to write it in the model's words. */
export interface PrimedSeed {
  ids: number[];
  /** What was changed to write the seed in the model's words, one line each (respelled notes, meter, key). */
  changes: string[];
  /** ABC models: the seed as written for the model. */
  abc?: string;
  /**
   * Typed ABC the model reads in its own words as written (nothing respelled): the musician's text,
   * which the take keeps verbatim before the continuation (takeWithSeedAsWritten).
   */
  text?: string;
  /** Chord symbols in typed ABC that the model does not read (left out of `ids`). */
  chordSymbols?: number;
}

/**
 * Notes (a recording, a .mid, a selection) become a tune before they are encoded, the same way for
 * every source: the transcription (tempo and beat from the playing unless the notes sit on their
 * own grid, the meter given or chosen from the model's corpus, the pickup, a grid the encoding can
 * spell, chords reduced as the encoding says), then for ABC models the seed written in the
 * vocabulary's own words (shared/music/transcribe/fit.ts).
 */
/** Quarter notes in the first bar of a sequence's meter (4/4 when it has none). */
function ts0(seq: NoteSequence): number {
  const ts = seq.timeSignatures[0];
  return ts ? (4 * ts.numerator) / ts.denominator : 4;
}

function transcribeSeed(sequence: NoteSequence, encoding: Encoding, written: { pickup?: number } = {}): Transcription {
  const spelling = spellingFor(encoding);
  const ts = sequence.timeSignatures[0];
  return transcribe(sequence, {
    meter: ts ? { numerator: ts.numerator, denominator: ts.denominator } : undefined,
    pickup: written.pickup,
    meters: spelling.meters,
    grid: spelling.grid,
    chords: spelling.chords,
    key: sequence.keySignatures[0] ?? undefined,
  });
}

function fitted(t: { sequence: NoteSequence; meter: { numerator: number; denominator: number }; pickup: number }, encoding: Encoding): { ids: number[]; abc: string; changes: string[] } {
  const spelling = spellingFor(encoding);
  const knownUnits = encoding.tokens.map((x) => /^L:1\/(\d+)$/.exec(x)?.[1]).filter((d): d is string => !!d).map(Number);
  const unitDenominator = spelling.unitDenominator ?? (knownUnits.includes(8) ? 8 : knownUnits[0]) ?? 8;
  try {
    const f = fitSeedToVocabulary(t, { encoding, unitDenominator });
    return { ids: encoding.encode(seedToTune(f.abc)), abc: f.abc, changes: f.changes };
  } catch (e) {
    if (e instanceof SeedSpellingError) throw new SeedPrimingError('unencodable', `the seed cannot be encoded for this model (${encoding.name}): ${e.detail}. To continue it: ${FIX_WORDS[e.fix]}.`, e.fix);
    throw new SeedPrimingError('unencodable', `the seed cannot be encoded for this model (${encoding.name}): ${(e as Error).message}`);
  }
}

export function primeSeed(encoding: Encoding, seed: GenerateSeed | undefined, header?: HeaderConstraint): PrimedSeed {
  if ((!seed || seed.kind === 'none') && header && (header.key || header.meter || header.unit) && isAbcEncoding(encoding)) return { ids: headerTokens(encoding, header), changes: [] };
  if (!seed || seed.kind === 'none') return { ids: [encoding.bos], changes: [] };
  if (seed.kind === 'tokens') return { ids: seed.ids[0] === encoding.bos ? seed.ids : [encoding.bos, ...seed.ids], changes: [] };
  let result: PrimedSeed;
  if (seed.kind === 'abc') {
    // Typed ABC is the musician's own spelling: kept when the model can read it as written.
    let tune;
    try {
      tune = seedToTune(seed.text);
    } catch (e) {
      throw new SeedPrimingError('bad-seed', `the seed cannot be read: ${(e as Error).message}`);
    }
    let ids: number[] | undefined;
    let first: unknown;
    const report = emptyEncodeReport();
    try {
      ids = encoding.encode(tune, encoding.unk !== undefined ? report : undefined);
      // A model with <unk> encodes anything; a seed with words it does not know is respelled instead.
      if (report.unknown) {
        first = new Error(`${Object.keys(report.unknownTokens).map((t) => JSON.stringify(t)).join(', ')} ${report.unknown === 1 ? 'is' : 'are'} not in the ${encoding.name} vocabulary`);
        ids = undefined;
      }
    } catch (e) {
      first = e;
    }
    const removed = report.chordSymbols ? [`${report.chordSymbols} chord symbol${report.chordSymbols === 1 ? '' : 's'} left out (this model does not write them)`] : [];
    if (ids) result = { ids, changes: removed, abc: tune.abc, text: seed.text, ...(report.chordSymbols ? { chordSymbols: report.chordSymbols } : {}) };
    else if (!isAbcEncoding(encoding) || !tune.sequence.notes.length) throw new SeedPrimingError('unencodable', `the seed cannot be encoded for this model (${encoding.name}): ${(first as Error).message}`);
    else {
      // Written in words the model does not know: the same notes, understood and respelled.
      let t: Transcription;
      try {
        // The musician's own bars: the pickup the tune was written with, not one guessed from the notes.
        const form = parseAbc(seed.text, { file: 'seed' }).tunes[0]?.form;
        const bar = ts0(tune.sequence);
        const pickup = form && form.pickup > 0 && form.pickup < bar ? form.pickup : form ? 0 : undefined;
        t = transcribeSeed(tune.sequence, encoding, { pickup });
      } catch (e) {
        throw new SeedPrimingError('unencodable', `the seed cannot be encoded for this model (${encoding.name}): ${(first as Error).message}`);
      }
      const f = fitted(t, encoding);
      result = { ids: f.ids, abc: f.abc, changes: f.changes };
    }
  } else {
    const sequence: NoteSequence = seed.kind === 'sequence' ? seed.sequence : { notes: seed.notes, tempos: [], timeSignatures: [], keySignatures: [], totalTime: Math.max(0, ...seed.notes.map((n) => n.end)) };
    if (!sequence.notes.length) return { ids: [encoding.bos], changes: [] };
    let t: Transcription;
    try {
      t = transcribeSeed(sequence, encoding);
    } catch (e) {
      throw new SeedPrimingError('bad-seed', `the seed cannot be read: ${(e as Error).message}`);
    }
    if (isAbcEncoding(encoding)) {
      const f = fitted(t, encoding);
      result = { ids: f.ids, abc: f.abc, changes: f.changes };
    } else {
      try {
        result = { ids: encoding.encode(seedToTune(t.sequence)), changes: [] };
      } catch (e) {
        throw new SeedPrimingError('unencodable', `the seed cannot be encoded for this model (${encoding.name}): ${(e as Error).message}`);
      }
    }
  }
  let ids = result.ids;
  // encode() closes the tune; the seed must stay open so the model continues it.
  if (ids[ids.length - 1] === encoding.eos) ids = ids.slice(0, -1);
  if (ids[0] !== encoding.bos) ids = [encoding.bos, ...ids];
  return { ...result, ids };
}

export function primeTokens(encoding: Encoding, seed: GenerateSeed | undefined, header?: HeaderConstraint): number[] {
  return primeSeed(encoding, seed, header).ids;
}
