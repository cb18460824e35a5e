/**
 * The ABC writer on a long silence (issue #18: a MIDI file with one corrupt delta time took 70 s):
 * ms to write a triplet, N bars of silence and a note, for N = 2,500 and 10,000, and their ratio
 * (linear: ~4; quadratic: ~16).
 *   npx tsx bench/abc-write.ts [--bars N]
 */
import { writeAbc } from '@shared/music/abc/write';
import type { NoteSequence } from '@shared/music/types';

const args = process.argv.slice(2);
const barsIdx = args.indexOf('--bars');
const big = barsIdx >= 0 ? Number(args[barsIdx + 1]) : 10_000;
const silence = (bars: number): NoteSequence => ({
  notes: [
    { pitch: 60, start: 0, end: 1 / 3, velocity: 80, voice: 0 },
    { pitch: 62, start: 1 / 3, end: 2 / 3, velocity: 80, voice: 0 },
    { pitch: 64, start: 2 / 3, end: 1, velocity: 80, voice: 0 },
    { pitch: 65, start: bars * 4, end: bars * 4 + 1, velocity: 80, voice: 0 },
  ],
  tempos: [{ time: 0, qpm: 120 }],
  timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }],
  keySignatures: [],
  totalTime: bars * 4 + 1,
});
const time = (bars: number) => {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    writeAbc(silence(bars));
    runs.push(performance.now() - t0);
  }
  return runs.sort((a, b) => a - b)[1];
};
time(100); // warm-up
const small = time(big / 4);
const large = time(big);
console.log(`writeAbc, triplet + ${big / 4} bars of silence: ${small.toFixed(1)} ms`);
console.log(`writeAbc, triplet + ${big} bars of silence: ${large.toFixed(1)} ms (ratio ${(large / small).toFixed(1)}; linear ~4, quadratic ~16)`);
