import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildEncoding, encodingFromSpec, seedToTune, MelodyEventEncoding, MidiEventEncoding, tokenizeAbc, type Tune } from './index';
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
