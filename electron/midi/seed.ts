/**
 * Takes become seeds through the music core's quantize, so a recorded phrase lands on the same
 * grid as tunes read from ABC or MIDI files and every encoding can use it.
 */
import { quantize, type QuantizeOptions } from '../../shared/music/index';
import type { NoteSequence } from '../../shared/music/types';

/** 16th notes by default; `triplets: true` also allows the triplet grid (slip jigs, hornpipe triplets). */
export function seedQuantizer(options: QuantizeOptions = {}): (performance: NoteSequence) => NoteSequence {
  const opts = { stepsPerQuarter: 4, ...options };
  return (performance) => quantize(performance, opts);
}
