import { describe, expect, it } from 'vitest';
import { isMonophonic, keyAccidentals, melodyKey, monophonic, quantize, quartersToSeconds, transpose } from './sequence';
import { MusicError } from './errors';
import type { Note, NoteSequence } from './types';

const n = (pitch: number, start: number, end: number, voice = 0, velocity = 100): Note => ({ pitch, start, end, velocity, voice });
const seq = (notes: Note[]): NoteSequence => ({ notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }], keySignatures: [], totalTime: Math.max(0, ...notes.map((x) => x.end)) });
const plain = (s: NoteSequence) => s.notes.map((x) => [x.pitch, x.start, x.end]);

describe('quantize', () => {
  it('snaps onsets and ends to 16ths', () => {
    expect(plain(quantize(seq([n(60, 0.02, 0.49), n(62, 0.51, 0.74)])))).toEqual([[60, 0, 0.5], [62, 0.5, 0.75]]);
  });
  it('keeps very short notes as one step', () => {
    expect(plain(quantize(seq([n(60, 1.01, 1.04)])))).toEqual([[60, 1, 1.25]]);
  });
  it('cuts the earlier of two overlapping same-pitch notes, keeps the longer at one onset', () => {
    expect(plain(quantize(seq([n(60, 0, 1), n(60, 0.5, 1.5)])))).toEqual([[60, 0, 0.5], [60, 0.5, 1.5]]);
    expect(plain(quantize(seq([n(60, 0, 0.5), n(60, 0.01, 1)])))).toEqual([[60, 0, 1]]);
  });
  it('can use a triplet grid', () => {
    expect(plain(quantize(seq([n(60, 0.34, 0.66)]), { triplets: true, stepsPerQuarter: 2 }))).toEqual([[60, 1 / 3, 2 / 3]]);
  });
  it('does not mutate its input', () => {
    const s = seq([n(60, 0.1, 0.3)]);
    quantize(s);
    expect(s.notes[0].start).toBe(0.1);
  });
});

describe('monophonic', () => {
  it('keeps the highest note of a chord and cuts a note at the next onset', () => {
    const m = monophonic(seq([n(60, 0, 2), n(64, 0, 2), n(67, 0, 1), n(55, 1, 2)]));
    expect(plain(m)).toEqual([[67, 0, 1], [55, 1, 2]]);
    expect(isMonophonic(m)).toBe(true);
  });
});

describe('transpose', () => {
  it('moves notes and the key signature', () => {
    const s = { ...seq([n(60, 0, 1)]), keySignatures: [{ time: 0, tonic: 2, mode: 'major' as const, accidentals: 2 }] };
    const t = transpose(s, 3);
    expect(t.notes[0].pitch).toBe(63);
    expect(t.keySignatures[0]).toMatchObject({ tonic: 5, accidentals: -1 });
  });
  it('refuses to leave the MIDI range', () => {
    expect(() => transpose(seq([n(120, 0, 1)]), 10)).toThrow(MusicError);
  });
});

describe('helpers', () => {
  it('knows modal key signatures', () => {
    expect(keyAccidentals(9, 'dorian')).toBe(1); // A dorian = G major
    expect(keyAccidentals(7, 'mixolydian')).toBe(0);
    expect(keyAccidentals(2, 'minor')).toBe(-1);
  });
  it('follows the tempo map', () => {
    const s = { ...seq([]), tempos: [{ time: 0, qpm: 120 }, { time: 4, qpm: 60 }] };
    expect(quartersToSeconds(s, 6)).toBeCloseTo(4);
  });
  it('melodyKey ignores velocity and small timing jitter', () => {
    expect(melodyKey(seq([n(60, 0, 1, 0, 50)]))).toBe(melodyKey(seq([n(60, 0.01, 1, 0, 90)])));
  });
});
