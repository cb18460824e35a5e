/**
 * Takes become seeds: the music core's transcription (shared/music/transcribe) turns what was
 * played into a quantized phrase on a grid the model can spell, with its meter, pickup and key.
 * A recording made against the click keeps the click's tempo and beat (only drift and phase are
 * refined) and the studio's meter; a phrase played without a click (call and response) has its
 * tempo, beat and meter found from the playing.
 */
import { barAligned, transcribe, type ChordPolicy, type MeterCandidate, type SeedGrid, type Transcription } from '@shared/music/transcribe/index';
import type { NoteSequence } from '@shared/music/types';

export { guessKey } from '@shared/music/key';

/** How a recording was made, as the recorder knows it. */
export interface TakeContext {
  /** The player heard the click (a count-in or a running metronome): its tempo and beat are the recording's. */
  clicked: boolean;
}

export interface SeedOptions {
  /** What the model's encoding can spell (spellingFor(encoding) gives it); default 16ths. */
  grid?: SeedGrid;
  /** Old spelling of grid.stepsPerQuarter and grid.triplets (16th notes, `triplets: true` adds the triplet grid). */
  stepsPerQuarter?: number;
  triplets?: boolean;
  /**
   * Default 'keep': the recording keeps what was played; the engine reduces chords the way the
   * model's encoding says when it makes the seed (the top note for a melody model).
   */
  chords?: ChordPolicy;
  /** Meters to choose from when the recording was played without a click (the model's corpus). */
  meters?: MeterCandidate[];
  /** Overrides: the meter (default: the studio's, from the recording, when recorded with the click) and the pickup in quarter notes. */
  meter?: { numerator: number; denominator: number };
  pickup?: number;
  /** Estimate a key signature when the recording has none (default true). */
  guessKey?: boolean;
  /**
   * Put the pickup's rest before the first note, so that bar lines fall at multiples of the bar
   * from time 0 (for a writer that counts bars from 0). Default false: the seed starts at its
   * first note, because today's ABC writer would spell that rest as a bar-long "z6" that a learned
   * vocabulary may not have; the pickup is in seedTranscription(...).pickup for a writer that knows
   * pickups (the tune form).
   */
  alignBars?: boolean;
}

/** The whole transcription of a recording (report, alternatives, pickup), for the studio to show and re-run with the user's changes. */
export function seedTranscription(performance: NoteSequence, context: TakeContext = { clicked: true }, options: SeedOptions = {}): Transcription {
  const grid = options.grid ?? { stepsPerQuarter: options.stepsPerQuarter ?? 4, triplets: options.triplets ?? false };
  const studioMeter = performance.timeSignatures[0];
  const studioQpm = performance.tempos[0]?.qpm;
  return transcribe(performance, {
    clock: context.clicked ? 'metronome' : 'free',
    qpm: context.clicked ? studioQpm : undefined,
    meter: options.meter ?? (context.clicked && studioMeter ? { numerator: studioMeter.numerator, denominator: studioMeter.denominator } : undefined),
    meters: options.meters,
    pickup: options.pickup,
    grid,
    chords: options.chords ?? 'keep',
    key: options.guessKey === false ? (performance.keySignatures[0] ?? null) : undefined,
  });
}

/**
 * The recorder's `quantize`: a recording -> the seed (from its first note, or bar-aligned with
 * `alignBars`). A recording with no notes stays as it is.
 */
export function seedQuantizer(options: SeedOptions = {}): (performance: NoteSequence, context?: TakeContext) => NoteSequence {
  return (performance, context = { clicked: true }) => {
    if (performance.notes.length === 0) return performance;
    const t = seedTranscription(performance, context, options);
    return options.alignBars ? barAligned(t) : t.sequence;
  };
}
