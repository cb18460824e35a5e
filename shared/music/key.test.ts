import { describe, expect, it } from 'vitest';
import { guessKey, keyAccidentals, parseKey, signatureScale } from './key';
import { parseAbc } from './abc/read';

const pcs = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe('the key table', () => {
  it('reads keys as ABC writes them', () => {
    expect(parseKey('D')).toMatchObject({ tonic: 2, mode: 'major', accidentals: 2 });
    expect(parseKey('Ador')).toMatchObject({ tonic: 9, mode: 'dorian', accidentals: 1 });
    expect(parseKey('F#m')).toMatchObject({ tonic: 6, mode: 'minor', accidentals: 3 });
    expect(parseKey('Bb mixolydian')).toMatchObject({ tonic: 10, mode: 'mixolydian', accidentals: -3 });
    expect(parseKey('D Major')).toMatchObject({ tonic: 2, mode: 'major' });
    expect(parseKey('Emin')).toMatchObject({ tonic: 4, mode: 'minor' });
    expect(parseKey('G clef=bass')).toMatchObject({ tonic: 7, mode: 'major' });
    expect(parseKey('')).toMatchObject({ tonic: 0, mode: 'major', accidentals: 0 });
    expect(parseKey('H major')).toBeNull();
    expect(parseKey('Dfoo')).toBeNull();
  });
  it('agrees with abcjs on every key the corpora use', () => {
    for (const k of ['C', 'G', 'D', 'A', 'E', 'Bb', 'Eb', 'F', 'Am', 'Em', 'Bm', 'Dm', 'Gm', 'Ador', 'Edor', 'Ddor', 'Gdor', 'Amix', 'Dmix', 'Gmix', 'Elyd', 'Bphr', 'Bloc', 'F#m', 'C#m', 'D Major', 'A Minor', 'E Dorian', 'A Mixolydian']) {
      const abcjs = parseAbc(`X:1\nL:1/8\nK:${k}\nC|\n`).tunes[0].sequence.keySignatures[0];
      expect(parseKey(k), k).toMatchObject({ tonic: abcjs.tonic, mode: abcjs.mode, accidentals: abcjs.accidentals });
    }
  });
  it('gives each key its scale', () => {
    expect(pcs(signatureScale(parseKey('D')!))).toEqual([1, 2, 4, 6, 7, 9, 11]);
    expect(pcs(signatureScale(parseKey('Ador')!))).toEqual([0, 2, 4, 6, 7, 9, 11]);
    expect(keyAccidentals(9, 'dorian')).toBe(1);
    expect(guessKey({ notes: [62, 64, 66, 67, 69, 71, 73, 74].map((p, i) => ({ pitch: p, start: i, end: i + 1, velocity: 80, voice: 0 })), tempos: [], timeSignatures: [], keySignatures: [], totalTime: 8 })).toMatchObject({ tonic: 2, mode: 'major' });
  });
});

describe('unit lengths that are not lengths', () => {
  it('L:-1/4, L:1/0 and L:x are typed abc-syntax errors naming file, tune and line; the other tunes load', () => {
    for (const l of ['-1/4', '1/0', 'x', '1/8/2']) {
      const r = parseAbc(`X:1\nT:fine\nK:D\nabc|\n\nX:2\nT:t\nM:4/4\nL:${l}\nK:D\nabc|\n\nX:3\nT:u\nK:G\nab [L:${l}] c|\n`, { file: 'f.abc' });
      expect(r.tunes.map((t) => t.title)).toEqual(['fine']);
      expect(r.errors.map((e) => [e.code, e.file, e.tune, e.line])).toEqual([
        ['abc-syntax', 'f.abc', 1, 9],
        ['abc-syntax', 'f.abc', 2, 16],
      ]);
      expect(r.errors[0].message).toMatch(/unit length L:/);
    }
  });
});
