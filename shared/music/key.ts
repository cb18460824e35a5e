/**
 * Which key a melody is in, from its pitches alone (a played seed, a MIDI file without a key
 * signature), so the score spells it the way a musician would (F#, not ^F everywhere in D major)
 * and ABC-based encodings see a K: field like the ones they were trained on.
 */
import { keyAccidentals } from './sequence';
import type { KeySignature, NoteSequence } from './types';

// Krumhansl-Kessler key profiles (probe-tone ratings), index 0 = tonic.
const MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
const MAJOR_SCALE = [0, 2, 4, 5, 7, 9, 11];

function correlation(weights: number[], profile: number[], tonic: number): number {
  const n = 12;
  const mw = weights.reduce((a, b) => a + b, 0) / n;
  const mp = profile.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let dw = 0;
  let dp = 0;
  for (let pc = 0; pc < n; pc++) {
    const w = weights[pc] - mw;
    const p = profile[(pc - tonic + 12) % 12] - mp;
    num += w * p;
    dw += w * w;
    dp += p * p;
  }
  return dw && dp ? num / Math.sqrt(dw * dp) : 0;
}

/**
 * The key signature that fits the notes best: first the signature whose diatonic scale leaves the
 * least note time outside it (fewer sharps/flats on a tie), then major or relative minor by the
 * Krumhansl-Kessler profiles. Hand-written because it is twenty lines and no library we have does it.
 * Undefined for a sequence with no notes.
 */
export function guessKey(seq: NoteSequence): KeySignature | undefined {
  if (seq.notes.length === 0) return undefined;
  const weights = new Array<number>(12).fill(0);
  for (const n of seq.notes) weights[n.pitch % 12] += Math.max(n.end - n.start, 1e-3);
  let best: { acc: number; outside: number; score: number } | undefined;
  for (let acc = -6; acc <= 6; acc++) {
    const tonic = (((acc * 7) % 12) + 12) % 12;
    const scale = new Set(MAJOR_SCALE.map((d) => (tonic + d) % 12));
    const outside = weights.reduce((sum, w, pc) => sum + (scale.has(pc) ? 0 : w), 0);
    const score = Math.max(correlation(weights, MAJOR, tonic), correlation(weights, MINOR, (tonic + 9) % 12));
    const better =
      !best ||
      outside < best.outside - 1e-9 ||
      (Math.abs(outside - best.outside) <= 1e-9 && (score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && Math.abs(acc) < Math.abs(best.acc))));
    if (better) best = { acc, outside, score };
  }
  const major = (((best!.acc * 7) % 12) + 12) % 12;
  const minor = (major + 9) % 12;
  const isMinor = correlation(weights, MINOR, minor) > correlation(weights, MAJOR, major);
  const tonic = isMinor ? minor : major;
  const mode = isMinor ? 'minor' : 'major';
  return { time: 0, tonic, mode, accidentals: keyAccidentals(tonic, mode) };
}
