import { describe, expect, it } from 'vitest';
import { spliceEdit } from './splice';
import { parseAbc } from '../abc/read';
import type { Note } from '../types';

const notesOf = (text: string): Note[] => parseAbc(text).tunes[0].sequence.notes;
/** The desk after moving the note at `start` (performed time) by `semitones`. */
const transpose = (notes: Note[], start: number, semitones: number): Note[] => notes.map((n) => (Math.abs(n.start - start) < 1e-9 ? { ...n, pitch: n.pitch + semitones } : n));

const KESH = [
  'X:12',
  'T:The Kesh',
  'R:jig',
  'M:6/8',
  'L:1/8',
  'K:G',
  '% first part',
  '|:"G"GAG GAB|"D"ABA ABd|"G"edd gdd|edB dBA|',
  '"G"GAG GAB|"D"ABA ABd|"C"edd gdB|1"D"AGF G3:|2"D"AGF G2A||',
  '|:!trill!B2B d2d|ege dBA|B2B dBG|ABA AGA|',
  'BAB d^cd|ege dBd|gfg aga|bgg g3:|',
].join('\n');

describe('spliceEdit: a roll edit rewrites only the bars it touches', () => {
  it('one note in a repeated part: the written bar changes (both passes), everything else stays as written', () => {
    const before = notesOf(KESH);
    // Bar 2 (ABA ABd) starts at 3 quarters; its second note B (pitch 71) at 3.5. Raise it a tone.
    const after = transpose(before, 3.5, 1);
    const r = spliceEdit(KESH, before, after)!;
    expect(r).not.toBeNull();
    expect(r.bars).toEqual([1]);
    expect(r.text).toBe(KESH.replace('"D"ABA ABd|"G"edd', '"D"AcA ABd|"G"edd'));
    // The second pass (bar 2 played again at 3 + 24 quarters... wherever it is played) follows the edit.
    const played = r.notes.filter((n) => n.pitch === 72);
    expect(played.length).toBe(before.filter((n) => n.pitch === 72).length + 2);
  });

  it('an edit in the second ending, and a chord symbol and decoration elsewhere kept', () => {
    const before = notesOf(KESH);
    const second = parseAbc(KESH).tunes[0];
    // The second ending's bar is the 9th written bar; find where its first note (A, 69) is played.
    const order = second.form.voices[0].bars;
    expect(order[8].ending).toBe('2');
    // Lower the last note of the second ending (the A before ||, just before the B part's B2) to G.
    const partTwo = before.find((n) => n.pitch === 71 && n.end - n.start === 1)!.start;
    const t = before.find((n) => Math.abs(n.start - (partTwo - 0.5)) < 1e-9 && n.pitch === 69)!;
    const r = spliceEdit(KESH, before, before.map((n) => (n === t ? { ...n, pitch: 67 } : n)))!;
    expect(r.text).toBe(KESH.replace('2"D"AGF G2A||', '2"D"AGF G2G||'));
    expect(r.text).toContain('|:!trill!B2B d2d|');
    expect(r.text).toContain('% first part');
  });

  it('keeps L:1/4, line breaks, broken rhythm and comments of a hand-typed tune', () => {
    const typed = 'X:1\nT:Typed\nM:3/4\nL:1/4\nK:D\nd>e f | % here\ng a b |\na2 z |]\n';
    const before = notesOf(typed);
    const after = transpose(before, 3, -1); // g -> f (sharp in D)
    const r = spliceEdit(typed, before, after)!;
    expect(r.text).toBe('X:1\nT:Typed\nM:3/4\nL:1/4\nK:D\nd>e f | % here\nf a b |\na2 z |]\n');
  });

  it('moving a note into the next bar rewrites both bars; a pickup bar keeps its length', () => {
    const jig = 'X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd|cec ABc|\n';
    const before = notesOf(jig);
    // The pickup A (0 - 0.5): lower it to G.
    const r = spliceEdit(jig, before, transpose(before, 0, -2))!;
    expect(r.text).toBe('X:1\nM:6/8\nL:1/8\nK:D\nG|dfa afd|cec ABc|\n');
    // The last d of bar 2 moved onto the c of bar 3 (which goes).
    const moved = before.filter((n) => Math.abs(n.start - 3.5) > 1e-9).map((n) => (Math.abs(n.start - 3) < 1e-9 ? { ...n, start: 3.5, end: 4 } : n));
    const both = spliceEdit(jig, before, moved)!;
    expect(both.bars).toEqual([1, 2]);
    expect(both.text).toMatch(/^X:1\nM:6\/8\nL:1\/8\nK:D\nA\|dfa afz\|dec ABc\|\n$/);
  });

  it('typed ABC without X:, accidentals in the key of the bar', () => {
    const typed = 'M:4/4\nL:1/8\nK:F\nFGAB cdef|g4 f4|\n';
    const before = notesOf('X:1\n' + typed);
    const r = spliceEdit(typed, before, transpose(before, 1.5, 1))!; // B (Bb in F) up a semitone: B natural
    expect(r.text).toBe('M:4/4\nL:1/8\nK:F\nFGA=B cdef|g4 f4|\n');
  });

  it('refuses what it cannot write as written: notes past the end, a tie over a changed bar line, a second voice', () => {
    const jig = 'X:1\nM:6/8\nL:1/8\nK:D\ndfa afd|cec A3-|A3 ABc|\n';
    const before = notesOf(jig);
    expect(spliceEdit(jig, before, [...before, { pitch: 60, start: 9, end: 9.5, velocity: 80, voice: 0 }])).toBeNull();
    expect(spliceEdit(jig, before, transpose(before, 3, 1))).toBeNull(); // bar 2 ends in a tie
    const two = 'X:1\nM:2/4\nL:1/8\nK:C\nV:1\nCDEF|\nV:2\nC,D,E,F,|\n';
    const b2 = notesOf(two);
    expect(spliceEdit(two, b2, transpose(b2, 0, 1))).toBeNull();
    // A desk that is not the text's performance.
    expect(spliceEdit(jig, transpose(before, 0, 1), before)).toBeNull();
  });

  it('with P: parts: the bar is written where it is written, and the part order still plays it', () => {
    const parts = 'X:1\nM:2/4\nL:1/8\nP:ABA\nK:G\nP:A\nGABc|d4|\nP:B\ngfed|c4|\n';
    const before = notesOf(parts);
    // The last A part is played from 4 quarters... 8; change its first note there.
    const r = spliceEdit(parts, before, transpose(before, 8, 2))!;
    expect(r.text).toBe('X:1\nM:2/4\nL:1/8\nP:ABA\nK:G\nP:A\nAABc|d4|\nP:B\ngfed|c4|\n');
    expect(r.notes.filter((n) => n.start === 0 || n.start === 8).map((n) => n.pitch)).toEqual([69, 69]);
  });
});
