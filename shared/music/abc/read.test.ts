import { describe, expect, it } from 'vitest';
import { parseAbc } from './read';
import { normalizeAbc, splitAbcBook } from './book';

const notesOf = (abc: string, opts = {}) => {
  const r = parseAbc(abc, opts);
  expect(r.errors).toEqual([]);
  return r.tunes[0].sequence.notes.map((n) => [n.pitch, n.start, n.end]);
};
const tune = (body: string, head = 'M:4/4\nL:1/8\nK:C') => `X:1\nT:t\n${head}\n${body}\n`;

describe('parseAbc headers', () => {
  it('reads title, meter, tempo and modal keys', () => {
    const r = parseAbc('X:3\nT:The Kesh\nT:Second title\nM:6/8\nL:1/8\nQ:3/8=120\nK:ADor\nABc|\n');
    const t = r.tunes[0];
    expect(t.title).toBe('The Kesh');
    expect(t.x).toBe('3');
    expect(t.sequence.timeSignatures).toEqual([{ time: 0, numerator: 6, denominator: 8 }]);
    expect(t.sequence.tempos[0].qpm).toBeCloseTo(180);
    expect(t.sequence.keySignatures[0]).toMatchObject({ tonic: 9, mode: 'dorian', accidentals: 1 });
    expect(notesOf('X:1\nK:GMix\nF|\n')).toEqual([[65, 0, 0.5]]);
    expect(notesOf('X:1\nM:C|\nK:D Major\nF|\n')).toEqual([[66, 0, 0.5]]);
  });
  it('applies the file header to every tune', () => {
    const r = parseAbc('L:1/4\n\nX:1\nK:C\nC|\n\nX:2\nL:1/8\nK:C\nC|\n');
    expect(r.tunes.map((t) => t.sequence.notes[0].end)).toEqual([1, 0.5]);
  });
});

describe('parseAbc music', () => {
  it('expands repeats and first/second endings', () => {
    expect(notesOf(tune('|:C D|1 E:|2 F|]')).map((n) => n[0])).toEqual([60, 62, 64, 60, 62, 65]);
  });
  it('joins ties, also across bar lines', () => {
    expect(notesOf(tune('C2-|C2 D'))).toEqual([[60, 0, 2], [62, 2, 2.5]]);
  });
  it('reads tuplets, broken rhythm and chords', () => {
    expect(notesOf(tune('(3CDE F>G [CE]2'))).toEqual([[60, 0, 1 / 3], [62, 1 / 3, 2 / 3], [64, 2 / 3, 1], [65, 1, 1.75], [67, 1.75, 2], [60, 2, 3], [64, 2, 3]]);
  });
  it('drops grace notes and gives the main note its written time (or keeps them)', () => {
    expect(notesOf(tune('{g}A2 B'))).toEqual([[69, 0, 1], [71, 1, 1.5]]);
    const kept = notesOf(tune('{g}A2 B'), { graces: 'keep' });
    expect(kept.length).toBe(3);
    expect(kept[0][0]).toBe(79);
  });
  it('follows inline fields, accidentals through the bar, comments and continuations', () => {
    expect(notesOf(tune('^F F [K:Bb] B % comment\\\n B|F')).map((n) => n[0])).toEqual([66, 66, 70, 70, 65]);
  });
  it('keeps every meter and key change (inline fields and body lines) with its time, repeats expanded', () => {
    const s = parseAbc('X:1\nM:2/4\nL:1/8\nK:C\n|:CD [M:3/4]EF G2|[K:D]AB:|\nM:6/8\nK:G\ncde z|[M:C]z2 [K:Ador] c|[M:C|]d2|\n').tunes[0].sequence;
    expect(s.timeSignatures.map((t) => [t.time, `${t.numerator}/${t.denominator}`])).toEqual([[0, '2/4'], [1, '3/4'], [8, '6/8'], [10, '4/4'], [11.5, '2/2']]);
    expect(s.keySignatures.map((k) => [k.time, k.tonic, k.mode])).toEqual([[0, 0, 'major'], [3, 2, 'major'], [8, 7, 'major'], [11, 9, 'dorian']]);
    // A change inside a repeated section that the second pass undoes is listed both times.
    const r = parseAbc('X:1\nM:2/4\nL:1/8\nK:C\n|:CDEF|[M:3/4]GABcde|[M:2/4]fgab:|\n').tunes[0].sequence;
    expect(r.timeSignatures.map((t) => [t.time, t.numerator])).toEqual([[0, 2], [2, 3], [5, 2], [9, 3], [12, 2]]);
  });
  it('keeps tempo changes written in the body in the tempo map, repeats expanded', () => {
    const s = parseAbc('X:1\nQ:1/4=120\nL:1/4\nK:C\nC D [Q:1/4=60] E F|\nQ:3/8=50\nG A|\n').tunes[0].sequence;
    expect(s.tempos).toEqual([
      { time: 0, qpm: 120 },
      { time: 2, qpm: 60 },
      { time: 4, qpm: 75 },
    ]);
    // Note lengths are not stretched by the change.
    expect(s.notes.map((n) => n.end - n.start)).toEqual([1, 1, 1, 1, 1, 1]);
    const r = parseAbc('X:1\nQ:1/4=100\nL:1/4\nK:C\n|:C D [Q:1/4=80]E F:|\n').tunes[0].sequence;
    // The second time through, the tempo is still 80: nothing to list again.
    expect(r.tempos.map((t) => [t.time, t.qpm])).toEqual([
      [0, 100],
      [2, 80],
    ]);
  });
  it('takes the first voice as the melody, or every voice', () => {
    const abc = 'X:1\nL:1/4\nK:C\nV:1\nc d|\nV:2\nC, D,|\n';
    expect(notesOf(abc).map((n) => n[0])).toEqual([72, 74]);
    const all = parseAbc(abc, { voices: 'all' }).tunes[0];
    expect(all.voiceCount).toBe(2);
    expect(new Set(all.sequence.notes.map((n) => n.voice)).size).toBe(2);
    expect(notesOf(abc, { voices: 1 }).map((n) => n[0])).toEqual([48, 50]);
  });
});

describe('parseAbc reads folk-tune books as abc2midi and players do', () => {
  const pitches = (abc: string) => notesOf(abc).map((n) => n[0]);
  it('repeats a section without |: from its double bar or the previous :|', () => {
    expect(pitches(tune('C D:|E F:|'))).toEqual([60, 62, 60, 62, 64, 65, 64, 65]);
    expect(pitches(tune('C D:|G||E F:|'))).toEqual([60, 62, 60, 62, 67, 64, 65, 64, 65]);
    expect(pitches(tune('C2:|D|1 E:|2 F|]'))).toEqual([60, 60, 62, 64, 62, 65]);
  });
  it('does not replay the note before a bar line that opens a line', () => {
    expect(pitches(tune('P:A\nd\nP:B\n|:g a:|'))).toEqual([74, 79, 81, 79, 81]);
  });
  it('ties nothing across different pitches, and keeps written notes for ornaments', () => {
    expect(notesOf(tune('G2-A2 B2 G2-G2'))).toEqual([[67, 0, 1], [69, 1, 2], [71, 2, 3], [67, 3, 5]]);
    expect(notesOf(tune('TA2 ~B2 !trill!c2'))).toEqual([[69, 0, 1], [71, 1, 2], [72, 2, 3]]);
  });
  it('ties only notes that sound the same (=F2-^F ties nothing; =F2-|F keeps the natural) moves a tuplet mark written before a bar line after it, and times tuplets of unequal notes', () => {
    const pitchesAndLengths = (abc: string) => parseAbc(abc).tunes[0].sequence.notes.map((n) => [n.pitch, n.end - n.start]);
    expect(pitchesAndLengths('X:1\nL:1/8\nK:C\n=F2-^F2 G|\n')).toEqual([[65, 1], [66, 1], [67, 0.5]]);
    expect(pitchesAndLengths('X:1\nL:1/8\nK:D\n=F2-|F2 G|\n')).toEqual([[65, 2], [67, 0.5]]);
    // abcjs would time (3D>EG as three notes as long as D and give G what is left.
    expect(pitchesAndLengths('X:1\nL:1/8\nK:C\n(3D>EG A2|\n').map(([p, d]) => [p, Math.round(d * 6)])).toEqual([[62, 3], [64, 1], [67, 2], [69, 6]]);
    expect(pitchesAndLengths('X:1\nL:1/8\nK:C\nC2 (3|:DEF G:|\n').map(([, d]) => Math.round(d * 3))).toEqual([3, 1, 1, 1, 2, 1, 1, 1, 2]);
  });
  it('carries accidentals to every octave of the letter (or only the octave, as an option)', () => {
    expect(pitches(tune('^c C c|C'))).toEqual([73, 61, 73, 60]);
    expect(notesOf(tune('^c C c|C'), { accidentals: 'octave' }).map((n) => n[0])).toEqual([73, 60, 73, 60]);
    // In a chord, a note written before a sharp on its letter stays natural, also when tied.
    expect(notesOf(tune('[A^a]- [=Aa]')).map((n) => n.slice(0, 3))).toEqual([[69, 0, 1], [82, 0, 1]]);
  });
  it('ignores unknown header fields and a broken rhythm that runs into a bar line', () => {
    expect(pitches('X:1\nY:ABBA\nL:1/8\nK:C\nC D|\n')).toEqual([60, 62]);
    expect(notesOf(tune('C2 D>|| E'))).toEqual([[60, 0, 1], [62, 1, 1.5], [64, 1.5, 2]]);
  });
});

describe('parseAbc bad input', () => {
  it('reports a broken tune with its number and line, and still loads the others', () => {
    const r = parseAbc('X:1\nK:C\nCDE|\n\nX:2\nT:empty\nK:C\n\nX:3\nK:C\nGAB|\n', { file: 'book.abc' });
    expect(r.tunes.map((t) => t.x)).toEqual(['1', '3']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ code: 'abc-no-notes', file: 'book.abc', tune: 1, line: 5 });
    expect(r.errors[0].message).toMatch(/^book\.abc:5, tune 2: /);
  });
  it('gives warnings with file line numbers', () => {
    const r = parseAbc('%intro\n\nX:1\nT:t\nK:C\nCD#E|\n');
    expect(r.tunes[0].warnings[0].line).toBe(6);
  });
  it('refuses binary junk, text without tunes, absurd sizes', () => {
    expect(parseAbc('\u0000\u0001\u0002MThd\u0000').errors[0].code).toBe('abc-syntax');
    expect(parseAbc('').errors[0].code).toBe('abc-no-tunes');
    expect(parseAbc('X:1\nT:only a title\n').errors[0].code).toBe('abc-no-notes');
    const huge = parseAbc('X:1\nK:C\n' + 'C'.repeat(10_000_000) + '\n');
    expect(huge.errors[0].code).toBe('abc-too-long');
    const long = parseAbc('X:1\nL:1/8\nK:C\nC99999999|\n');
    expect(long.tunes.length + long.errors.length).toBe(1);
    if (long.errors[0]) expect(long.errors[0].code).toBe('abc-too-long');
  });
  it('bounds the work per tune: notes with repeats, unit lengths, warnings; the rest of the book loads', () => {
    const bar = '|:' + 'CDEF GABc|'.repeat(399) + 'CDEF GABc:|\n';
    const book = `X:1\nL:1/8\nK:C\n${bar.repeat(2)}\nX:2\nL:1/8\nK:C\nCDE|\n`;
    const t0 = performance.now();
    const r = parseAbc(book, { file: 'big.abc' });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.errors[0]).toMatchObject({ code: 'abc-too-long', file: 'big.abc', tune: 0, line: 1 });
    expect(r.errors[0].message).toMatch(/about 12800 notes with its repeats; the limit is 12000/);
    expect(r.tunes.map((t) => t.x)).toEqual(['2']);
    expect(parseAbc(book, { maxNotes: 20_000 }).tunes[0].sequence.notes).toHaveLength(12_800);
    expect(parseAbc('X:1\nL:1/4294967296\nK:C\nCDE|\n').errors[0]).toMatchObject({ code: 'abc-syntax', line: 2 });
    const noisy = parseAbc('X:1\nK:C\n' + 'C#'.repeat(500) + '\n');
    expect(noisy.tunes[0].warnings.length).toBeLessThanOrEqual(101);
  });
  it('survives unknown keys and unbalanced repeats', () => {
    const r = parseAbc('X:1\nK:Xyz\n:|C D|:E F|1 G|\n');
    expect(r.tunes).toHaveLength(1);
    expect(r.tunes[0].warnings.length).toBeGreaterThan(0);
  });
});

describe('book helpers', () => {
  it('splits tunes with their line numbers', () => {
    const b = splitAbcBook('% file header\nM:6/8\n\nX:1\nK:C\nC\nX:2\nK:D\nD\n');
    expect(b.header).toEqual(['M:6/8']);
    expect(b.tunes.map((t) => t.line)).toEqual([4, 7]);
  });
  it('normalizes a tune to the music and the fields that shape it', () => {
    const n = normalizeAbc('X:12\nT:A\nT:B\nC:Trad\nZ:id:1\nM:6/8\nK:G\n%%MIDI program 1\nABc|  % a comment\nw: la la\nde\\\nf|!\n');
    expect(n).toBe('X:1\nT:A\nM:6/8\nK:G\nABc|\ndef|\n');
  });
});
