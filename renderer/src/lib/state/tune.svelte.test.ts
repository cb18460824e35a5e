import { describe, expect, it } from 'vitest';
import { parseAbc } from '@shared/music/index';
import { TuneState } from './tune.svelte';

const TUNE = 'X:1\nT:Test jig\nM:6/8\nL:1/8\nQ:1/4=100\nK:D\nDEF GAB|c2d e2f|\n';

describe('TuneState', () => {
  it('loads ABC: notes, meter, key, tempo and title come from the parser', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    expect(t.notes).toHaveLength(10);
    expect(t.meter).toMatchObject({ numerator: 6, denominator: 8 });
    expect(t.barQuarters).toBe(3);
    expect(t.beatQuarters).toBe(1.5);
    expect(t.title).toBe('Test jig');
    expect(t.qpm).toBeGreaterThan(0);
    expect(t.canUndo).toBe(false);
  });

  it('a roll edit rewrites the ABC, and the ABC reads back to the edited notes', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    t.select(new Set([t.notes[0].id]));
    t.transposeSelection(2);
    expect(t.canUndo).toBe(true);
    expect(t.undoLabel).toBe('Transpose 1 note');
    const back = parseAbc(t.abcText).tunes[0].sequence;
    expect(back.notes.map((n) => n.pitch)).toEqual(t.notes.map((n) => n.pitch));
    expect(back.notes[0].pitch).toBe(64); // D4 (62) + 2
    t.undo();
    expect(t.notes[0].pitch).toBe(62);
    expect(parseAbc(t.abcText).tunes[0].sequence.notes[0].pitch).toBe(62);
    t.redo();
    expect(t.notes[0].pitch).toBe(64);
  });

  it('a roll edit keeps the notation the musician wrote: L:, header fields, pickup, bar lines, chord symbols (issue #14)', () => {
    const t = new TuneState();
    t.load({ abc: 'X:3\nT:Hand typed\nC:me\nM:3/4\nL:1/4\nK:G\nD|"G"G A B|"D"A2 F|"G"G3||\n' });
    t.select(new Set([t.notes[2].id]));
    t.transposeSelection(2);
    // Only the touched bar is rewritten: the spacing of the rest is the musician's.
    expect(t.abcText).toBe('X:3\nT:Hand typed\nC:me\nM:3/4\nL:1/4\nK:G\nD|"G"G B B|"D"A2 F|"G"G3||\n');
    // A tune with repeats: the written bar changes, so both passes play the edit; undo brings the text back.
    const r = new TuneState();
    const rep = 'X:1\nT:Rep\nM:2/4\nL:1/8\nK:D\n% a comment\n|:DE FG:|\n';
    r.load({ abc: rep });
    expect(r.notes).toHaveLength(8);
    r.select(new Set([r.notes[0].id]));
    r.transposeSelection(1);
    expect(r.abcText).toBe('X:1\nT:Rep\nM:2/4\nL:1/8\nK:D\n% a comment\n|:^DE FG:|\n');
    expect(r.notes.map((n) => n.pitch)).toEqual([63, 64, 66, 67, 63, 64, 66, 67]);
    expect(r.selectedNotes.map((n) => [n.pitch, n.start])).toEqual([[63, 0]]);
    r.undo();
    expect(r.abcText).toBe(rep);
    expect(r.notes[4].pitch).toBe(62);
    r.redo();
    expect(r.abcText).toBe('X:1\nT:Rep\nM:2/4\nL:1/8\nK:D\n% a comment\n|:^DE FG:|\n');
    // Titles do not leak from one take to the next.
    r.load({ abc: 'X:1\nM:2/4\nL:1/8\nK:D\nDE FG|\n' });
    expect(r.title).toBe('Untitled');
  });

  it('an ABC edit updates the notes as one undoable step', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    expect(t.editAbc(TUNE.replace('DEF GAB', 'ddd ddd'))).toBe(true);
    expect(t.notes.slice(0, 6).every((n) => n.pitch === 74)).toBe(true);
    expect(t.undoLabel).toBe('Edit ABC');
    t.undo();
    expect(t.notes[0].pitch).toBe(62);
  });

  it('an ABC edit that does not parse keeps the notes and reports the line', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    const before = t.notes;
    expect(t.editAbc('this is not abc')).toBe(false);
    expect(t.notes).toBe(before);
    expect(t.abcErrors.length).toBeGreaterThan(0);
  });

  it('reports a warning at its line for a bad character in the music', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    t.editAbc(TUNE.replace('c2d e2f|', 'c2d e2f| ¤¤ |'));
    const lines = t.abcProblems.map((p) => p.line);
    expect(lines).toContain(7);
  });

  it('keeps seed and take apart, and every edit kind is undoable', () => {
    const t = new TuneState();
    const n = (pitch: number, start: number) => ({ pitch, start, end: start + 0.5, velocity: 80, voice: 0 });
    t.load({ seed: [n(60, 0), n(62, 0.5)], take: [n(64, 1), n(65, 1.5), n(67, 2.1)] });
    expect(t.seedEnd).toBe(1);
    expect(t.sequence('seed').notes).toHaveLength(2);
    expect(t.sequence('take').notes).toHaveLength(3);
    t.selectAll();
    t.quantizeSelection(2);
    expect(t.notes.at(-1)?.start).toBe(2);
    t.setSelectionVelocity(30);
    t.nudge(1, 0);
    t.duplicateSelection();
    expect(t.notes).toHaveLength(10);
    t.deleteSelection();
    expect(t.notes).toHaveLength(5);
    const labels: string[] = [];
    while (t.canUndo) {
      labels.push(t.undoLabel!);
      t.undo();
    }
    expect(labels).toEqual(['Delete 5 notes', 'Duplicate 5 notes', 'Move 5 notes', 'Velocity of 5 notes', 'Quantize 5 notes']);
    expect(t.notes.map((x) => x.start)).toEqual([0, 0.5, 1, 1.5, 2.1]);
  });
});

describe('TuneState with a big tune', () => {
  it('edits the notes at once and rewrites the ABC a moment later', async () => {
    const t = new TuneState();
    const notes = Array.from({ length: 3000 }, (_, i) => ({ pitch: 60 + (i % 12), start: i * 0.5, end: i * 0.5 + 0.5, velocity: 90, voice: 0 }));
    t.load({ take: notes });
    const before = t.abcText;
    t.select(new Set([t.notes[0].id]));
    t.transposeSelection(1);
    expect(t.notes[0].pitch).toBe(61);
    expect(t.abcText).toBe(before); // not yet
    t.flushAbc();
    expect(parseAbc(t.abcText).tunes[0].sequence.notes[0].pitch).toBe(61);
    t.transposeSelection(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(parseAbc(t.abcText).tunes[0].sequence.notes[0].pitch).toBe(62);
  });
});

describe('TuneState: typing a new tune frames it', () => {
  it('another title or notes well outside the shown ones re-fit the roll; a small edit does not', () => {
    const t = new TuneState();
    t.load({ abc: TUNE });
    const loads = t.loads;
    expect(t.editAbc(TUNE.replace('DEF GAB', 'DEF GAA'))).toBe(true);
    expect(t.loads).toBe(loads);
    expect(t.editAbc('X:2\nT:Another\nM:6/8\nL:1/8\nK:D\nDEF GAB|\n')).toBe(true);
    expect(t.loads).toBe(loads + 1);
    expect(t.editAbc('X:2\nT:Another\nM:6/8\nL:1/8\nK:D\nDEF GAB|' + ' d\'e\'f\' g\'a\'b\'|'.repeat(8) + '\n')).toBe(true);
    expect(t.loads).toBe(loads + 2);
    const empty = new TuneState();
    expect(empty.editAbc(TUNE)).toBe(true);
    expect(empty.loads).toBe(1);
  });
});
