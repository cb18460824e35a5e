import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeAbc, keyName } from './write';
import { parseAbc } from './read';
import { quantize } from '../sequence';
import type { KeySignature, Note, NoteSequence } from '../types';

const noteArb = fc
  .record({ pitch: fc.integer({ min: 36, max: 96 }), s: fc.integer({ min: 0, max: 48 }), d: fc.integer({ min: 1, max: 12 }) })
  .map((r): Note => ({ pitch: r.pitch, start: r.s / 4, end: (r.s + r.d) / 4, velocity: 80, voice: 0 }));
const keyArb = fc.constantFrom<KeySignature[]>([], [{ time: 0, tonic: 2, mode: 'major', accidentals: 2 }], [{ time: 0, tonic: 5, mode: 'minor', accidentals: -4 }], [{ time: 0, tonic: 9, mode: 'dorian', accidentals: 1 }]);
const meterArb = fc.constantFrom([4, 4], [6, 8], [3, 4], [2, 2], [7, 8]);
const triples = (s: NoteSequence) => s.notes.map((n) => [n.pitch, n.start, n.end]).sort((a, b) => a[1] - b[1] || a[0] - b[0] || a[2] - b[2]);

describe('writeAbc', () => {
  it('writes the header fields and a readable body', () => {
    const abc = writeAbc({ title: 'Seed', notes: [{ pitch: 62, start: 0, end: 1.5, velocity: 90, voice: 0 }], tempos: [{ time: 0, qpm: 96 }], timeSignatures: [{ time: 0, numerator: 6, denominator: 8 }], keySignatures: [{ time: 0, tonic: 9, mode: 'dorian', accidentals: 1 }], totalTime: 3 });
    expect(abc).toBe('X:1\nT:Seed\nM:6/8\nL:1/8\nQ:1/4=96\nK:ADor\nD3 z3|]\n');
    expect(keyName({ time: 0, tonic: 3, mode: 'minor', accidentals: -6 })).toBe('Ebm');
  });
  it('round trip (property): any quantized sequence, polyphony included, comes back note for note', () => {
    fc.assert(
      fc.property(fc.array(noteArb, { minLength: 1, maxLength: 20 }), keyArb, meterArb, (notes, keys, [num, den]) => {
        const seq: NoteSequence = { notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [{ time: 0, numerator: num, denominator: den }], keySignatures: keys, totalTime: 0 };
        const abc = writeAbc(seq);
        const back = parseAbc(abc, { voices: 'all' });
        expect(back.errors).toEqual([]);
        expect(triples(back.tunes[0].sequence)).toEqual(triples(quantize(seq)));
      }),
      { numRuns: 150 },
    );
  });
});
