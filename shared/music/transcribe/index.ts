/**
 * Understanding a played seed: tempo and beat, meter, pickup, a grid the model can spell, chords
 * reduced, key, and a report in words. Pure (no node:, no DOM).
 */
export { transcribe, barAligned, lengthInWords, DEFAULT_METERS, DEFAULT_GRID, DEFAULT_MAX_NOTES } from './transcribe';
export { spellingFor, type Spelling } from './spelling';
export { barQuarters, beatQuarters } from './meter';
export type { ChordPolicy, Meter, MeterCandidate, MeterChoice, SeedGrid, Source, TranscribeChanges, TranscribeOptions, Transcription } from './types';
export { fitSeedToVocabulary, writeSeedAbc, SeedSpellingError, type FitOptions, type FittedSeed, type SeedFix, type SeedToFit } from './fit';
