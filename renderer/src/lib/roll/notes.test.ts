import { describe, expect, it } from 'vitest';
import { NoteIndex, lowerBound, sortNotes, toNotes, toRollNotes, type RollNote } from './notes';
import { hitNote, notesInRect } from './hit';
import type { Viewport } from './viewport';

function note(pitch: number, start: number, end: number, id: number): RollNote {
  return { pitch, start, end, velocity: 90, voice: 0, id, seed: false };
}

describe('note index', () => {
  const notes = sortNotes([note(60, 0, 1, 1), note(62, 1, 2, 2), note(64, 2, 3, 3), note(48, 0, 16, 4), note(67, 8, 9, 5)]);
  const index = new NoteIndex(notes);

  it('binary-searches by start', () => {
    expect(lowerBound(notes, 0)).toBe(0);
    expect(lowerBound(notes, 1.5)).toBe(3);
    expect(lowerBound(notes, 100)).toBe(notes.length);
  });

  it('finds notes sounding in a window, including long notes that started before it', () => {
    const ids = index.within(5, 10, 0, 127).map((n) => n.id);
    expect(ids.sort()).toEqual([4, 5]);
    expect(index.within(1, 2, 61, 127).map((n) => n.id)).toEqual([2]);
    expect(index.at(1.5, 62)?.id).toBe(2);
    expect(index.at(12, 48)?.id).toBe(4);
    expect(index.at(3, 64)).toBeUndefined(); // ends are exclusive
    expect(index.extent()).toEqual({ start: 0, end: 16, low: 48, high: 67 });
  });

  it('agrees with a linear scan on 10,000 random notes', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const many = sortNotes(Array.from({ length: 10_000 }, (_, i) => {
      const start = rand() * 2000;
      return note(36 + Math.floor(rand() * 48), start, start + 0.1 + rand() * 4, i + 1);
    }));
    const idx = new NoteIndex(many);
    for (let k = 0; k < 50; k++) {
      const from = rand() * 2000;
      const to = from + rand() * 50;
      const expected = many.filter((n) => n.end > from && n.start < to && n.pitch >= 50 && n.pitch <= 70).map((n) => n.id);
      expect(idx.within(from, to, 50, 70).map((n) => n.id)).toEqual(expected);
    }
  });

  it('converts to and from music-core notes', () => {
    const rolled = toRollNotes([{ pitch: 60, start: 0, end: 1, velocity: 80, voice: 0 }], true);
    expect(rolled[0]).toMatchObject({ pitch: 60, seed: true });
    expect(toNotes(rolled)).toEqual([{ pitch: 60, start: 0, end: 1, velocity: 80, voice: 0 }]);
  });
});

describe('hit testing', () => {
  const vp: Viewport = { time: 0, pxPerQuarter: 40, pitchTop: 72, rowHeight: 10, width: 400, height: 200 };
  const index = new NoteIndex(sortNotes([note(70, 1, 2, 1), note(70, 2, 2.1, 2), note(65, 0, 4, 3)]));
  const yOf = (p: number) => (72 - p) * 10 + 5;

  it('finds the note body and its resize handle', () => {
    expect(hitNote(index, vp, 50, yOf(70))).toMatchObject({ note: { id: 1 }, part: 'body' });
    expect(hitNote(index, vp, 78, yOf(70))).toMatchObject({ note: { id: 1 }, part: 'end' });
    expect(hitNote(index, vp, 50, yOf(69))).toBeNull();
    expect(hitNote(index, vp, 150, yOf(65))?.note.id).toBe(3);
  });

  it('selects by rectangle', () => {
    expect(notesInRect(index, vp, 0, yOf(71), 60, yOf(64)).sort()).toEqual([1, 3]);
    expect(notesInRect(index, vp, 300, 0, 390, yOf(66))).toEqual([]);
  });
});
