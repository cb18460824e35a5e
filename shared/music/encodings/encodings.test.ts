import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { buildEncoding, emptyEncodeReport, encodingFromSpec, seedToTune, MelodyEventEncoding, MidiEventEncoding, tokenizeAbc, velocityBin, type Tune } from './index';
import { parseAbc } from '../abc/read';
import { MusicError } from '../errors';
import type { Note, NoteSequence } from '../types';

const ABC = `X:7
T:The Test Jig
M:6/8
L:1/8
Q:3/8=110
K:Ador
|:A2B c>d e|[CEG]2 (3abc z/2 {g}f|1 A3 A3:|2 ^G3 =G3-|G6|]
`;

function tuneFrom(abc: string): Tune {
  const t = parseAbc(abc, { file: 'x.abc' }).tunes[0];
  return { title: t.title, abc: t.abc, sequence: t.sequence, source: { file: 'x.abc', index: 0, line: t.line } };
}

const noteArb = (spq: number, maxStart: number) =>
  fc.record({ pitch: fc.integer({ min: 40, max: 90 }), s: fc.integer({ min: 0, max: maxStart }), d: fc.integer({ min: 1, max: 8 }), velocity: fc.integer({ min: 1, max: 127 }) }).map((r): Note => ({ pitch: r.pitch, start: r.s / spq, end: (r.s + r.d) / spq, velocity: r.velocity, voice: 0 }));
const seqOf = (notes: Note[]): NoteSequence => ({ notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }], keySignatures: [], totalTime: Math.max(0, ...notes.map((n) => n.end)) });
const tuneOf = (seq: NoteSequence): Tune => ({ sequence: seq, source: { file: 'prop', index: 0, line: 1 } });
const triples = (s: NoteSequence) => s.notes.map((n) => [n.pitch, +n.start.toFixed(6), +n.end.toFixed(6)]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);

describe('abc-token version 1 (the default model and older models)', () => {
  it('cuts notes with their lengths, bar lines and repeats into single tokens', () => {
    const toks = tokenizeAbc(tuneFrom(ABC).abc!);
    expect(toks.slice(0, 4)).toEqual(['M:6/8', 'L:1/8', 'Q:3/8=110', 'K:Ador']);
    expect(toks).toContain('|:');
    expect(toks).toContain('c');
    expect(toks).toContain('>');
    expect(toks).toContain('|1');
    expect(toks).toContain(':|2');
    expect(toks).toContain('=G3');
    expect(toks).toContain('(3');
  });
  it('uses fewer tokens than abc-char and decodes to the same notes', () => {
    const tune = tuneFrom(ABC);
    const chars = buildEncoding('abc-char', [tune]);
    const toks = buildEncoding('abc-token', [tune], { version: 1 });
    const c = chars.encode(tune);
    const t = toks.encode(tune);
    expect(t.length).toBeLessThan(c.length / 2);
    expect(triples(toks.decode(t).sequence)).toEqual(triples(tune.sequence));
    expect(triples(chars.decode(c).sequence)).toEqual(triples(tune.sequence));
    expect(c[0]).toBe(chars.bos);
    expect(c[c.length - 1]).toBe(chars.eos);
  });
  it('throws a typed error for tokens outside the vocabulary and decodes junk with warnings', () => {
    const enc = buildEncoding('abc-token', [tuneFrom(ABC)], { version: 1 });
    const other = tuneFrom('X:1\nK:C\n_B,,8|]\n');
    expect(() => enc.encode(other)).toThrow(MusicError);
    const d = enc.decode([enc.bos, 9999, -1, 3, 4, enc.eos, 5]);
    expect(d.warnings.length).toBeGreaterThan(0);
  });
});

describe('round trips (property)', () => {
  it('melody-event: decode(encode(x)) = x quantized to 16ths, highest notes', () => {
    const enc = new MelodyEventEncoding();
    fc.assert(
      fc.property(fc.array(noteArb(4, 64), { minLength: 1, maxLength: 30 }), (notes) => {
        const seq = seqOf(notes);
        const back = enc.decode(enc.encode(tuneOf(seq))).sequence;
        expect(triples(back)).toEqual(triples(MelodyEventEncoding.reduce(seq)));
      }),
      { numRuns: 200 },
    );
  });
  it('midi-event: decode(encode(x)) = x on the 12-per-quarter grid with binned velocities', () => {
    const enc = new MidiEventEncoding();
    fc.assert(
      fc.property(fc.array(noteArb(12, 200), { minLength: 1, maxLength: 30 }), (notes) => {
        const seq = seqOf(notes);
        const back = enc.decode(enc.encode(tuneOf(seq))).sequence;
        const want = MidiEventEncoding.reduce(seq);
        expect(triples(back)).toEqual(triples(want));
        const vel = (s: NoteSequence) => s.notes.map((n) => `${n.pitch}@${n.start}:${n.velocity}`).sort();
        expect(vel(back)).toEqual(vel(want));
      }),
      { numRuns: 200 },
    );
  });
  it('abc-token and abc-char: monophonic melodies come back note for note', () => {
    fc.assert(
      fc.property(fc.array(noteArb(4, 64), { minLength: 1, maxLength: 24 }), (notes) => {
        const mel = MelodyEventEncoding.reduce(seqOf(notes));
        const tune = seedToTune(mel);
        for (const name of ['abc-token', 'abc-char'] as const) {
          const enc = buildEncoding(name, [tune]);
          const d = enc.decode(enc.encode(tune));
          expect(triples(d.sequence)).toEqual(triples(mel));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('specs and seeds', () => {
  it('rebuilds every encoding from its spec', () => {
    const tune = tuneFrom(ABC);
    for (const name of ['abc-char', 'abc-token', 'melody-event', 'midi-event'] as const) {
      const enc = buildEncoding(name, [tune]);
      const again = encodingFromSpec(JSON.parse(JSON.stringify(enc.toSpec())));
      expect(again.encode(tune)).toEqual(enc.encode(tune));
      expect(again.tokens[again.bos]).toBe('<s>');
      expect(again.tokens[again.eos]).toBe('</s>');
    }
    expect(new MelodyEventEncoding().tokens.length).toBe(132);
  });
  it('refuses malformed specs with a clear error', () => {
    expect(() => encodingFromSpec({ name: 'nope' as never, tokens: [] })).toThrow(/unknown encoding/);
    expect(() => encodingFromSpec({ name: 'abc-char', tokens: ['a', 'b'] })).toThrow(/must start with/);
    expect(() => encodingFromSpec({ name: 'melody-event', tokens: ['<s>'] })).toThrow(/fixed/);
    expect(() => encodingFromSpec({ name: 'abc-token', tokens: ['<s>', '</s>', 'a', 'a'] })).toThrow(/duplicates/);
  });
  it('turns a keyboard seed and typed ABC into open-ended tunes for every encoding', () => {
    const seed = seedToTune(seqOf([{ pitch: 62, start: 0, end: 0.5, velocity: 80, voice: 0 }, { pitch: 66, start: 0.5, end: 1, velocity: 80, voice: 0 }]));
    expect(seed.abc).toMatch(/\|\n$/);
    const typed = seedToTune('M:6/8\nL:1/8\nK:G\nGAB d2e|');
    expect(typed.sequence.notes.length).toBe(5);
    for (const name of ['abc-char', 'abc-token', 'melody-event', 'midi-event'] as const) {
      const enc = buildEncoding(name, [seed, typed]);
      const primer = enc.encode(typed).slice(0, -1);
      expect(primer[0]).toBe(enc.bos);
      expect(primer).not.toContain(enc.eos);
    }
  });
});

/** The event encoders as they were written before issue #20 (from the reduced sequence): the reference. */
function melodyReference(seq: NoteSequence): number[] {
  const mel = MelodyEventEncoding.reduce(seq);
  const end = Math.round(mel.notes.reduce((m, n) => Math.max(m, n.end), 0) * 4);
  const steps = new Array<number>(end).fill(129);
  for (const n of mel.notes) {
    const s = Math.round(n.start * 4);
    const e = Math.round(n.end * 4);
    steps[s] = n.pitch;
    if (e < end && steps[e] === 129) steps[e] = 128;
  }
  return [130, ...steps, 131];
}
function midiReference(seq: NoteSequence): number[] {
  const q = MidiEventEncoding.reduce(seq);
  const events: { t: number; kind: number; pitch: number; vel: number }[] = [];
  for (const n of q.notes) {
    events.push({ t: Math.round(n.start * 12), kind: 1, pitch: n.pitch, vel: velocityBin(n.velocity) });
    events.push({ t: Math.round(n.end * 12), kind: 0, pitch: n.pitch, vel: 0 });
  }
  events.sort((a, b) => a.t - b.t || a.kind - b.kind || a.pitch - b.pitch);
  const ids = [336];
  let now = 0;
  let vel = -1;
  for (const e of events) {
    for (let gap = e.t - now; gap > 0; gap -= Math.min(gap, 48)) ids.push(256 + Math.min(gap, 48) - 1);
    now = e.t;
    if (e.kind === 1) {
      if (e.vel !== vel) ids.push(304 + e.vel);
      vel = e.vel;
      ids.push(e.pitch);
    } else ids.push(128 + e.pitch);
  }
  ids.push(337);
  return ids;
}

describe('event encoders against their reduced sequences', () => {
  // Off-grid times (any 1/48th, and a few tiny offsets), chords, several voices, same-pitch
  // overlaps and duplicates, notes shorter than a step, unsorted input, any velocity.
  const wild = fc
    .record({ pitch: fc.integer({ min: 55, max: 62 }), s: fc.integer({ min: 0, max: 96 }), d: fc.integer({ min: 0, max: 30 }), jitter: fc.constantFrom(0, 1e-10, -1e-10, 0.004, 1 / 3), velocity: fc.integer({ min: 0, max: 140 }), voice: fc.integer({ min: 0, max: 2 }) })
    .map((r): Note => ({ pitch: r.pitch, start: r.s / 48 + r.jitter, end: (r.s + r.d) / 48 + r.jitter, velocity: r.velocity, voice: r.voice }));
  it('melody-event and midi-event give the ids of MelodyEventEncoding.reduce / MidiEventEncoding.reduce', () => {
    const mel = new MelodyEventEncoding();
    const midi = new MidiEventEncoding();
    fc.assert(
      fc.property(fc.array(wild, { maxLength: 40 }), fc.boolean(), (notes, sort) => {
        const seq = seqOf(sort ? notes.slice().sort((a, b) => a.start - b.start || a.pitch - b.pitch || a.voice - b.voice || a.end - b.end) : notes);
        expect(mel.encode(tuneOf(seq))).toEqual(melodyReference(seq));
        expect(midi.encode(tuneOf(seq))).toEqual(midiReference(seq));
      }),
      { numRuns: 5000 },
    );
  });
  it('keeps the velocity quantize keeps when a note given one step and one ending on it share an onset', () => {
    // quantize orders them by their float ends (4/12 + 1/12 is an ulp below 5/12) and keeps the first.
    const seq = seqOf([
      { pitch: 58, start: 0.2916666666666667, end: 0.375, velocity: 0, voice: 0 },
      { pitch: 58, start: 0.2916666666666667, end: 0.2916666666666667, velocity: 4, voice: 0 },
    ]);
    expect(new MidiEventEncoding().encode(tuneOf(seq))).toEqual(midiReference(seq));
    expect(new MelodyEventEncoding().encode(tuneOf(seq))).toEqual(melodyReference(seq));
  });
  it('midi-event refuses a pitch outside 0-127 as before', () => {
    const seq = seqOf([{ pitch: 130, start: 0, end: 1, velocity: 90, voice: 0 }]);
    expect(() => new MidiEventEncoding().encode(tuneOf(seq))).toThrow(/pitch 130 is outside 0-127/);
  });
});

describe('learning keeps each tune\'s tokens for its first encode', () => {
  const texts = [
    ABC,
    'X:2\nT:Chords\nM:C|\nL:1/16\nK:D\n"D"d4 "^ann"f2`d2 y A4 FA|[K:Bb] [B2d2]4 b4|\n"_x"c8 k d8|]\n',
    'X:3\nT:Voices\nM:3/4\nL:1/8\nK:G\nV:1\nGA Bc d2|!trill!e6|\nV:2\nG,4 D,2|C,6|]\n',
  ];
  const p = '/work/shared/corpora/abc_nottingham/ABC_cleaned/jigs.abc';
  if (existsSync(p)) texts.push(readFileSync(p, 'utf8'));
  const tunes = texts.flatMap((t, i) => parseAbc(t, { file: `t${i}.abc` }).tunes.map((x) => ({ title: x.title, abc: x.abc, sequence: x.sequence, source: { file: `t${i}.abc`, index: x.index, line: x.line } })));
  const spellings = [
    ['abc-char', {}],
    ['abc-token', { version: 1 }],
    ['abc-token', { version: 2 }],
    ['abc-token', { version: 2, chords: 'keep' }],
  ] as const;
  it('encodes every learned tune, with and without a report, as a vocabulary rebuilt from its spec does', () => {
    for (const [name, opts] of spellings) {
      for (const withReport of [false, true]) {
        const learned = buildEncoding(name, tunes, opts);
        const fresh = encodingFromSpec(learned.toSpec());
        expect(fresh.tokens).toEqual(learned.tokens);
        for (const t of tunes) {
          const a = emptyEncodeReport();
          const b = emptyEncodeReport();
          expect(learned.encode(t, withReport ? a : undefined), `${name} ${JSON.stringify(opts)}`).toEqual(fresh.encode(t, withReport ? b : undefined));
          expect(a).toEqual(b);
          // A second encode cuts the text again: the same ids.
          expect(learned.encode(t)).toEqual(fresh.encode(t));
        }
      }
    }
    expect(tunes.length).toBeGreaterThan(3);
  });
  it('reads a tune whose text changed after learning, and tunes it did not learn, from their text', () => {
    for (const [name, opts] of spellings) {
      const copies = tunes.map((t) => ({ ...t }));
      const learned = buildEncoding(name, copies, opts);
      const fresh = encodingFromSpec(learned.toSpec());
      copies[0].abc = copies[1].abc;
      const r1 = emptyEncodeReport();
      const r2 = emptyEncodeReport();
      expect(learned.encode(copies[0], r1)).toEqual(fresh.encode(copies[0], r2));
      expect(r1).toEqual(r2);
      const other = tuneFrom('X:9\nT:Other\nK:Em\n"Em"E2 ^F2 G4|]\n');
      const r3 = emptyEncodeReport();
      const r4 = emptyEncodeReport();
      expect(learned.encode(other, r3)).toEqual(fresh.encode(other, r4));
      expect(r3).toEqual(r4);
    }
  });
});
