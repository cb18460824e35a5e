/**
 * A played seed written in the model's own words: whatever the timing jitter, every token of the
 * written seed is in the vocabulary, the pitches stay the seed's, and what was changed is said.
 */
import { describe, expect, it } from 'vitest';
import { parseAbc } from '../abc/read';
import { learnAbcEncoding, makeAbcEncoding } from '../encodings/abc-text';
import { emptyEncodeReport, encodingFromSpec, seedToTune } from '../encodings/index';
import { abcTokenV1Spec, defaultModelSpec } from '../testing/vocabularies';
import { handWritten } from '../testing/excerpt';
import { performHuman } from '../testing/human';
import type { NoteSequence } from '../types';
import { SeedSpellingError, fitSeedToVocabulary, spellingFor, transcribe } from './index';

// The tiny model of the e2e journey (e2e/fixtures.ts TINY_CORPUS and studio-journeys' RESTS_TUNE): no tie in its words.
const TINY = [
  'X:1\nT:Up and down\nM:6/8\nL:1/8\nK:D\n|:DEF GAB|AFD D3:|\n|:ABc dcB|AFD D3:|\n',
  'X:2\nT:Arpeggio\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|DFA d3:|\n|:fed AFD|EFG A3:|\n',
  'X:3\nT:Gee\nM:6/8\nL:1/8\nK:G\n|:GAB cde|dBG G3:|\n|:gfe dcB|AGF G3:|\n',
  'X:4\nT:Steps\nM:6/8\nL:1/8\nK:G\n|:GBd gdB|GBd g3:|\n|:BAG FGA|BAG G3:|\n',
  'X:5\nT:Rests\nM:6/8\nL:1/8\nK:G\n|:GBz dgd|B2z g2z|G3 B3|d3 g3:|\n|:z3 GBd|z2G B2d|gdB z3|G2B d2g:|\n|G4 z2|B4 z2|d4 z2|g4 z2|z6|G6|B5 z|d5 z|]\n',
];
const tiny = learnAbcEncoding('abc-token', TINY.map((t) => seedToTune(t)));

const notesOf = (t: { sequence: NoteSequence }) => t.sequence.notes.map((n) => n.pitch);

describe('fitSeedToVocabulary', () => {
  it('writes the keyboard seed of the e2e journey (held over bar lines) without ties for a vocabulary that has none', () => {
    expect(tiny.tokens).not.toContain('-');
    // G B d g d B as the e2e journey plays them (0.42 s down, 0.04 s up at 60 bpm, 6/8 against
    // the click), with the lag of a loaded machine: each onset late by 0-250 ms, seeded.
    let r = 7;
    const next = () => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let take = 0; take < 40; take++) {
      let t0 = 0;
      const notes = [67, 71, 74, 79, 74, 71].map((pitch) => {
        const start = t0 + next() * 0.5;
        t0 = start + 0.92 + next() * 0.3;
        return { pitch, start, end: start + 0.84 + next() * 0.3, velocity: 80, voice: 0 };
      });
      const played: NoteSequence = { notes, tempos: [{ time: 0, qpm: 60 }], timeSignatures: [{ time: 0, numerator: 6, denominator: 8 }], keySignatures: [], totalTime: t0 };
      const t = transcribe(played, { clock: 'metronome', meter: { numerator: 6, denominator: 8 }, grid: spellingFor(tiny).grid, chords: 'top' });
      const fitted = fitSeedToVocabulary(t, { encoding: tiny, unitDenominator: 8 });
      expect(() => tiny.encode(seedToTune(fitted.abc)), fitted.abc).not.toThrow();
      expect(parseAbc(fitted.abc).tunes[0].sequence.notes.map((n) => n.pitch)).toEqual([67, 71, 74, 79, 74, 71]);
    }
  });

  it('respells lengths a pitch lacks and rests the vocabulary lacks, and says so', () => {
    const enc = makeAbcEncoding('abc-token', ['<s>', '</s>', 'M:4/4', 'L:1/8', 'K:C', '|', 'C', 'C2', 'D', 'D2', 'E', 'E2', 'E3/2', 'z', 'z2', '-']);
    const seq: NoteSequence = {
      notes: [
        { pitch: 60, start: 0, end: 0.75, velocity: 80, voice: 0 }, // C3/2: C has no 3/2
        { pitch: 62, start: 0.75, end: 1, velocity: 80, voice: 0 }, // D/: D has no /
        { pitch: 64, start: 1.75, end: 2.5, velocity: 80, voice: 0 }, // after z3/2: no such rest
        { pitch: 60, start: 2.5, end: 4, velocity: 80, voice: 0 },
      ],
      tempos: [],
      timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }],
      keySignatures: [{ time: 0, tonic: 0, mode: 'major', accidentals: 0 } as NoteSequence['keySignatures'][number]],
      totalTime: 4,
    };
    const fitted = fitSeedToVocabulary({ sequence: seq, meter: { numerator: 4, denominator: 4 }, pickup: 0 }, { encoding: enc, unitDenominator: 8 });
    expect(() => enc.encode(seedToTune(fitted.abc))).not.toThrow();
    expect(notesOf(fitted)).toEqual([60, 62, 64, 60]);
    expect(fitted.changes.length).toBeGreaterThan(0);
  });

  it('writes the pickup as a short first bar', () => {
    const seq: NoteSequence = {
      notes: [62, 67, 71, 74, 71, 67, 71].map((pitch, i) => ({ pitch, start: i * 0.5, end: i * 0.5 + 0.5, velocity: 80, voice: 0 })),
      tempos: [],
      timeSignatures: [],
      keySignatures: [],
      totalTime: 3.5,
    };
    const fitted = fitSeedToVocabulary({ sequence: seq, meter: { numerator: 6, denominator: 8 }, pickup: 0.5 }, { encoding: makeAbcEncoding('abc-char', Array.from(new Set(['<s>', '</s>', ...Array.from('X:1M:6/8L:1/8K:C |DGBdgz23-\n[]')]))) });
    const body = fitted.abc.split('\n').slice(fitted.abc.split('\n').findIndex((l) => l.startsWith('K:')) + 1).join(' ');
    expect(body.trim().startsWith('D')).toBe(true);
    expect(body.split('|')[0].trim()).toBe('D');
  });

  it('a pitch the model never saw is a SeedSpellingError offering to transpose', () => {
    const enc = makeAbcEncoding('abc-token', ['<s>', '</s>', 'M:4/4', 'L:1/8', 'K:C', '|', 'C', 'C2', 'z']);
    const seq: NoteSequence = { notes: [{ pitch: 96, start: 0, end: 0.5, velocity: 80, voice: 0 }], tempos: [], timeSignatures: [], keySignatures: [], totalTime: 0.5 };
    let error: unknown;
    try {
      fitSeedToVocabulary({ sequence: seq, meter: { numerator: 4, denominator: 4 }, pickup: 0 }, { encoding: enc });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SeedSpellingError);
    expect((error as SeedSpellingError).fix).toBe('transpose');
    expect((error as Error).message).toMatch(/outside what this model has learned/);
  });

  for (const [which, spec] of [['the default model', defaultModelSpec], ['a version-1 abc-token model (the old default)', abcTokenV1Spec]] as const) {
    it(`every hand-written tune, played by 12 seeded human players, is spelled in ${which}'s words with its own pitches`, () => {
      const enc = encodingFromSpec(spec());
      const spelling = spellingFor(enc);
      let n = 0;
      for (const w of handWritten()) {
        for (let s = 0; s < 12; s++) {
          const played = performHuman(w.sequence, { seed: 100 + s, qpm: 60 + 10 * s, meter: w.meter, pickup: w.pickup, jitterMs: 10 + 3 * s, chords: 0.05 });
          const t = transcribe(played.performance, { grid: spelling.grid, meters: spelling.meters, chords: spelling.chords });
          const fitted = fitSeedToVocabulary(t, { encoding: enc, unitDenominator: spelling.unitDenominator });
          // Every word of the written seed is one the model knows (a version-1 model throws on others).
          const report = emptyEncodeReport();
          enc.encode(seedToTune(fitted.abc), enc.unk !== undefined ? report : undefined);
          expect(report.unknownTokens, `${w.title} player ${s}:\n${fitted.abc}`).toEqual({});
          expect(parseAbc(fitted.abc).tunes[0].sequence.notes.map((x) => x.pitch)).toEqual(t.sequence.notes.map((x) => x.pitch));
          n++;
        }
      }
      expect(n).toBe(handWritten().length * 12);
    });
  }
});
