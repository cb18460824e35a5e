import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeAbc, keyName, work } from './write';
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

  it('writes triplets: (3 spans of eighths and 16ths, mixed with straight quarters (property round trip)', () => {
    // Each quarter has its own grid: 16ths (4 steps), triplet eighths (3) or triplet 16ths (6).
    const grids = fc.array(fc.constantFrom(4, 3, 6), { minLength: 4, maxLength: 8 });
    const prop = grids.chain((g) => {
      const points: number[] = [];
      g.forEach((n, q) => {
        for (let i = 0; i < n; i++) points.push(q + i / n);
      });
      points.push(g.length);
      const noteArb3 = fc.record({ pitch: fc.integer({ min: 48, max: 84 }), a: fc.integer({ min: 0, max: points.length - 2 }), len: fc.integer({ min: 1, max: 4 }) }).map((r): Note => ({ pitch: r.pitch, start: points[r.a], end: points[Math.min(points.length - 1, r.a + r.len)], velocity: 80, voice: 0 }));
      return fc.tuple(fc.constant(g), fc.array(noteArb3, { minLength: 1, maxLength: 16 }), meterArb, keyArb);
    });
    fc.assert(
      fc.property(prop, ([, notes, [num, den], keys]) => {
        const seq: NoteSequence = { notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [{ time: 0, numerator: num, denominator: den }], keySignatures: keys, totalTime: 0 };
        const abc = writeAbc(seq);
        const back = parseAbc(abc, { voices: 'all' });
        expect(back.errors).toEqual([]);
        const round = (s: NoteSequence) => triples(s).map(([p, a, b]) => [p, Math.round(a * 12), Math.round(b * 12)]);
        expect(round(back.tunes[0].sequence), abc).toEqual(round(quantize(seq, { triplets: true })));
      }),
      { numRuns: 150 },
    );
    expect(writeAbc({ notes: [0, 1, 2].map((i) => ({ pitch: 60 + 2 * i, start: i / 3, end: (i + 1) / 3, velocity: 80, voice: 0 })), tempos: [], timeSignatures: [{ time: 0, numerator: 2, denominator: 4 }], keySignatures: [], totalTime: 2 })).toContain('(3CDE');
  });
  it('writes meter and key changes where they happen, and reads them back (property round trip)', () => {
    const change = fc.record({ at: fc.integer({ min: 1, max: 47 }), meter: meterArb, key: keyArb.filter((k) => k.length > 0).map((k) => k[0]), which: fc.constantFrom('meter', 'key', 'both') });
    fc.assert(
      fc.property(fc.array(noteArb, { minLength: 1, maxLength: 20 }), fc.array(change, { maxLength: 4 }), meterArb, keyArb, (notes, changes, [num, den], keys) => {
        const timeSignatures = [{ time: 0, numerator: num, denominator: den }];
        const keySignatures = [...keys];
        for (const c of [...changes].sort((a, b) => a.at - b.at)) {
          if (timeSignatures.some((t) => t.time === c.at / 4) || keySignatures.some((k) => k.time === c.at / 4)) continue;
          if (c.which !== 'key') timeSignatures.push({ time: c.at / 4, numerator: c.meter[0], denominator: c.meter[1] });
          if (c.which !== 'meter') keySignatures.push({ ...c.key, time: c.at / 4 });
        }
        const seq: NoteSequence = { notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures, keySignatures, totalTime: 13 };
        const abc = writeAbc(seq);
        const back = parseAbc(abc, { voices: 'all' });
        expect(back.errors).toEqual([]);
        const got = back.tunes[0].sequence;
        expect(triples(got), abc).toEqual(triples(quantize(seq)));
        // The same changes, leaving out those that change nothing.
        const meters = (l: NoteSequence['timeSignatures']) => l.map((t) => [t.time, `${t.numerator}/${t.denominator}`]).filter((t, i, a) => i === 0 || t[1] !== a[i - 1][1]);
        const keyList = (l: KeySignature[]) => l.map((k) => [k.time, k.accidentals, k.tonic]).filter((k, i, a) => i === 0 || k[1] !== a[i - 1][1] || k[2] !== a[i - 1][2]);
        expect(meters(got.timeSignatures), abc).toEqual(meters(timeSignatures));
        if (keySignatures.length && keySignatures[0].time === 0) expect(keyList(got.keySignatures), abc).toEqual(keyList(keySignatures));
      }),
      { numRuns: 150 },
    );
  });
  it('writes tempo changes as [Q:] where they happen, and reads them back (property round trip)', () => {
    const change = fc.record({ at: fc.integer({ min: 1, max: 51 }), qpm: fc.integer({ min: 40, max: 240 }) });
    fc.assert(
      fc.property(fc.array(noteArb, { minLength: 1, maxLength: 20 }), fc.array(change, { maxLength: 4 }), meterArb, fc.integer({ min: 40, max: 240 }), (notes, changes, [num, den], first) => {
        const tempos = [{ time: 0, qpm: first }];
        for (const c of [...changes].sort((a, b) => a.at - b.at)) if (!tempos.some((t) => t.time === c.at / 4)) tempos.push({ time: c.at / 4, qpm: c.qpm });
        const seq: NoteSequence = { notes, tempos, timeSignatures: [{ time: 0, numerator: num, denominator: den }], keySignatures: [], totalTime: 13 };
        const abc = writeAbc(seq);
        const back = parseAbc(abc, { voices: 'all' });
        expect(back.errors).toEqual([]);
        const got = back.tunes[0].sequence;
        expect(triples(got), abc).toEqual(triples(quantize(seq)));
        const distinct = (l: NoteSequence['tempos']) => l.map((t) => [t.time, t.qpm]).filter((t, i, a) => i === 0 || t[1] !== a[i - 1][1]);
        expect(distinct(got.tempos), abc).toEqual(distinct(tempos));
      }),
      { numRuns: 150 },
    );
  });
});

describe('writeAbc in linear time (issue #18)', () => {
  // A melody with a triplet, then a long silence (a MIDI file with one corrupt delta time), then a note.
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
  const stepsFor = (bars: number) => {
    work.steps = 0;
    const abc = writeAbc(silence(bars));
    expect(abc).toContain('(3CDE');
    return work.steps;
  };
  it('a silence 4 times as long costs at most ~4 times the work (a quadratic writer: 16 times)', () => {
    const small = stepsFor(2_500);
    const big = stepsFor(10_000);
    expect(big / small).toBeLessThan(5);
    // Absolute bound: a few steps per bar (the quadratic writer took ~4e8 for 10,000 bars).
    expect(big).toBeLessThan(10_000 * 40);
  });
  it('the 10,000-bar silence reads back with its notes where they were', () => {
    const back = parseAbc(writeAbc(silence(10_000))).tunes[0].sequence;
    expect(back.notes.map((n) => [n.pitch, +n.start.toFixed(3)])).toEqual([[60, 0], [62, 0.333], [64, 0.667], [65, 40_000]]);
  });
});
