/**
 * Encodings between tunes and token ids. The engine codes against this API; a model saves
 * toSpec() in its seedsong.json and gets the same encoding back with encodingFromSpec.
 */
import { parseAbc } from '../abc/read';
import { normalizeAbc } from '../abc/book';
import { writeAbc } from '../abc/write';
import { MusicError } from '../errors';
import type { NoteSequence } from '../types';
import { learnAbcEncoding, makeAbcEncoding } from './abc-text';
import { MelodyEventEncoding, MidiEventEncoding, melodyEventTokens, midiEventTokens } from './events';
import { BOS, ENCODING_NAMES, EOS, type Encoding, type EncodingName, type EncodingSpec, type Tune } from './types';

export type { DecodedTune, Encoding, EncodingName, EncodingSpec, EncodeReport, Tune } from './types';
export { ENCODING_NAMES, BOS, EOS, UNK, emptyEncodeReport, addEncodeReport } from './types';
export { tokenizeAbc, detokenizeAbc, abcOf, CURRENT_ABC_TOKEN_VERSION } from './abc-text';
export { tokenizeAbcV2, detokenizeAbcV2, canonicalKey, canonicalMeter, lengthToken, lengthOfToken, isLengthToken, isPitchToken, type AbcTokenRemovals } from './abc-tokens';
export { MelodyEventEncoding, MidiEventEncoding, MELODY_NOTE_OFF, MELODY_NO_EVENT, MELODY_STEPS_PER_QUARTER, MIDI_EVENT_STEPS_PER_QUARTER, velocityBin, binVelocity } from './events';

export function isEncodingName(x: unknown): x is EncodingName {
  return typeof x === 'string' && (ENCODING_NAMES as readonly string[]).includes(x);
}

/**
 * Learns the vocabulary from the tunes (abc-char, abc-token); melody-event and midi-event are fixed.
 * abc-token is learned in its current spelling (version 2) unless `version: 1` is asked.
 */
export function buildEncoding(name: EncodingName, tunes: Iterable<Tune>, opts: { version?: 1 | 2; chords?: 'keep' | 'drop' } = {}): Encoding {
  switch (name) {
    case 'abc-char':
    case 'abc-token':
      return learnAbcEncoding(name, tunes, opts);
    case 'melody-event':
      return new MelodyEventEncoding();
    case 'midi-event':
      return new MidiEventEncoding();
    default:
      throw new MusicError('bad-spec', `unknown encoding ${JSON.stringify(name)} (expected one of ${ENCODING_NAMES.join(', ')})`);
  }
}

/** Rebuilds an encoding from a saved vocabulary. Throws MusicError('bad-spec') naming what is wrong. */
export function encodingFromSpec(spec: EncodingSpec): Encoding {
  if (!spec || typeof spec !== 'object') throw new MusicError('bad-spec', 'encoding spec must be an object with name and tokens');
  if (!isEncodingName(spec.name)) throw new MusicError('bad-spec', `unknown encoding ${JSON.stringify((spec as { name?: unknown }).name)} (expected one of ${ENCODING_NAMES.join(', ')})`);
  if (!Array.isArray(spec.tokens) || spec.tokens.some((t) => typeof t !== 'string')) throw new MusicError('bad-spec', `${spec.name}: tokens must be an array of strings`);
  if (new Set(spec.tokens).size !== spec.tokens.length) throw new MusicError('bad-spec', `${spec.name}: tokens contain duplicates`);
  if (spec.name === 'melody-event' || spec.name === 'midi-event') {
    const expected = spec.name === 'melody-event' ? melodyEventTokens() : midiEventTokens();
    if (spec.tokens.length !== expected.length || spec.tokens.some((t, i) => t !== expected[i])) throw new MusicError('bad-spec', `${spec.name}: the vocabulary is fixed (${expected.length} tokens) and this one differs`);
    return spec.name === 'melody-event' ? new MelodyEventEncoding() : new MidiEventEncoding();
  }
  if (spec.tokens[0] !== BOS || spec.tokens[1] !== EOS) throw new MusicError('bad-spec', `${spec.name}: tokens must start with "${BOS}" and "${EOS}"`);
  if (spec.version !== undefined && spec.version !== 1 && spec.version !== 2) throw new MusicError('bad-spec', `${spec.name}: unknown spelling version ${JSON.stringify(spec.version)} (expected 1 or 2)`);
  if (spec.version === 2 && spec.name !== 'abc-token') throw new MusicError('bad-spec', `${spec.name}: only abc-token has a version 2`);
  if (spec.chords !== undefined && spec.chords !== 'keep' && spec.chords !== 'drop') throw new MusicError('bad-spec', `${spec.name}: chords must be "keep" or "drop"`);
  return makeAbcEncoding(spec.name, spec.tokens, { version: spec.version, chords: spec.chords });
}

/**
 * A seed (played on a keyboard, or typed ABC) as a Tune every encoding accepts. Written seeds end
 * with a plain bar line rather than |], so that encode(...).slice(0, -1) is an open-ended primer.
 */
export function seedToTune(seed: NoteSequence | string, options: { unitDenominator?: number } = {}): Tune {
  if (typeof seed === 'string') {
    const r = parseAbc(seed, { file: 'seed' });
    const t = r.tunes[0];
    if (!t) throw r.errors[0] ?? new MusicError('abc-no-tunes', 'the seed has no tune', { file: 'seed' });
    const abc = t.abc.replace(/\|\]\s*$/, '|\n');
    return { title: t.title, abc, sequence: t.sequence, source: { file: 'seed', index: 0, line: t.line } };
  }
  const abc = normalizeAbc(writeAbc(seed, { pickup: 0, repeats: false, finalBar: false, tempo: false, title: seed.title ?? 'Seed', unitDenominator: options.unitDenominator }));
  return { title: seed.title, abc, sequence: seed, source: { file: 'seed', index: 0, line: 1 } };
}
