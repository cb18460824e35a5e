/**
 * The music core, importable from Node and from the renderer (no node: imports behind this file;
 * file reading lives in ./node).
 */
export type { Note, NoteSequence, TempoChange, TimeSignature, KeySignature, Mode } from './types';
export { MusicError, formatLocation, type MusicErrorCode, type MusicErrorLocation, type MusicWarning } from './errors';
export {
  quantize,
  monophonic,
  transpose,
  selectVoice,
  isMonophonic,
  sortedNotes,
  compareNotes,
  emptySequence,
  keyAccidentals,
  quartersToSeconds,
  melodyKey,
  DEFAULT_QPM,
  DEFAULT_VELOCITY,
  type QuantizeOptions,
} from './sequence';
export { guessKey } from './key';
export * from './transcribe/index';
export { parseAbc, parseAbcTune, looksBinary, type AbcReadOptions, type AbcReadResult, type AbcTune } from './abc/read';
export { splitAbcBook, normalizeAbc, type AbcBook, type AbcTuneText } from './abc/book';
export { writeAbc, keyName, spellPitch, type AbcWriteOptions } from './abc/write';
export { writeTuneForm, type TuneWriteOptions } from './tune/write';
export { notate, detectMeter, type NotateOptions } from './tune/notate';
export { perform, playOrder, expandPartOrder } from './tune/perform';
export type { TuneForm, FormVoice, FormBar, BarLine, ChordSymbol, HeaderField, PerformOptions } from './tune/form';
export { parseKey, signatureScale, diatonicScale, MODES, FOLK_KEYS } from './key';
export { readMidi, pickMelodyTrack, type MidiReadOptions, type MidiReadResult, type MidiTrackInfo } from './midi/read';
export { writeMidi, type MidiWriteOptions } from './midi/write';
export { openMidi, describeTempoMap, trackLabel, barAtOrBefore, trimLeadingBars, restsLeftOut, type OpenedMidi, type TrackChoice } from './midi/open';
export { spellPitchName, spellRange } from './midi/names';
export { listBook, bookTuneText, type BookEntry } from './tune/book';
export { tempoMarks } from './tune/tempo-marks';
export { spliceEdit, type SpliceResult } from './tune/splice';
export { takeTitle, titleOfAbc, withTitle } from './tune/title';
export { beamByBeat } from './tune/beam';
export * from './encodings/index';
export {
  CorpusBuilder,
  readTunes,
  melodyHash,
  splitOf,
  isAbcFile,
  isMidiFile,
  type CorpusOptions,
  type CorpusEntry,
  type CorpusError,
  type CorpusFileReport,
  type CorpusStats,
  type TokenStats,
  type Split,
  type ReadTunesResult,
} from './corpus/corpus';
