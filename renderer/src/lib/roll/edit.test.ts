import { describe, expect, it } from 'vitest';
import { addNote, deleteNotes, duplicateNotes, moveNotes, quantizeNotes, resizeNotes, setVelocities, setVelocity, transposeNotes } from './edit';
import { History } from './history';
import { sortNotes, type RollNote } from './notes';

const n = (pitch: number, start: number, end: number, id: number): RollNote => ({ pitch, start, end, velocity: 90, voice: 0, id, seed: id === 1 });
const base = sortNotes([n(60, 0, 1, 1), n(62, 1, 2, 2), n(64, 2, 3, 3)]);
const sel = (...ids: number[]) => new Set(ids);

describe('note edits', () => {
  it('moves the selection and keeps the list sorted, without touching the input', () => {
    const moved = moveNotes(base, sel(1), 2.5, 3);
    expect(moved.map((m) => m.id)).toEqual([2, 3, 1]);
    expect(moved[2]).toMatchObject({ pitch: 63, start: 2.5, end: 3.5, seed: true });
    expect(base[0]).toMatchObject({ pitch: 60, start: 0 });
  });

  it('limits a move as a block at time 0 and the MIDI range', () => {
    const moved = moveNotes(base, sel(2, 3), -5, 100);
    expect(moved.find((m) => m.id === 2)).toMatchObject({ start: 0, pitch: 125 });
    expect(moved.find((m) => m.id === 3)).toMatchObject({ start: 1, pitch: 127 });
  });

  it('resizes, deletes, adds, duplicates', () => {
    expect(resizeNotes(base, sel(1), -5, 0.25)[0]).toMatchObject({ start: 0, end: 0.25 });
    expect(resizeNotes(base, sel(1, 2), 0.5, 0.25).map((m) => m.end)).toEqual([1.5, 2.5, 3]);
    expect(deleteNotes(base, sel(2)).map((m) => m.id)).toEqual([1, 3]);
    const added = addNote(base, { pitch: 200, start: 0.5, end: 1, velocity: 80, voice: 0, seed: false });
    expect(added.notes.map((m) => m.id)).toEqual([1, added.id, 2, 3]);
    expect(added.notes[1].pitch).toBe(127);
    const dup = duplicateNotes(base, sel(1, 2), 8);
    expect(dup.notes).toHaveLength(5);
    expect(dup.notes.slice(3).map((m) => [m.start, m.pitch, m.seed])).toEqual([[8, 60, false], [9, 62, false]]);
  });

  it('sets velocities within 1..127', () => {
    expect(setVelocity(base, sel(1), 500)[0].velocity).toBe(127);
    expect(setVelocity(base, sel(1), 0)[0].velocity).toBe(1);
    expect(setVelocities(base, new Map([[3, 40.4]]))[2].velocity).toBe(40);
  });

  it('quantizes the selection only, and never lets a note vanish', () => {
    const loose = sortNotes([n(60, 0.1, 0.15, 1), n(62, 1.13, 1.9, 2), n(64, 2.07, 2.2, 3)]);
    const q = quantizeNotes(loose, sel(1, 2), 4);
    expect(q.find((m) => m.id === 1)).toMatchObject({ start: 0, end: 0.25 });
    expect(q.find((m) => m.id === 2)).toMatchObject({ start: 1.25, end: 2 });
    expect(q.find((m) => m.id === 3)).toMatchObject({ start: 2.07, end: 2.2 });
  });

  it('transposes', () => {
    expect(transposeNotes(base, sel(1, 2, 3), -12).map((m) => m.pitch)).toEqual([48, 50, 52]);
  });
});

describe('undo history', () => {
  it('undoes and redoes every step and drops the redo branch on a new edit', () => {
    const h = new History<number[]>([0]);
    expect(h.canUndo).toBe(false);
    h.push([1], 'one');
    h.push([2], 'two');
    expect(h.undoLabel).toBe('two');
    expect(h.undo()).toEqual([1]);
    expect(h.redoLabel).toBe('two');
    expect(h.redo()).toEqual([2]);
    expect(h.undo()).toEqual([1]);
    h.push([3], 'three');
    expect(h.canRedo).toBe(false);
    expect(h.undo()).toEqual([1]);
    expect(h.undo()).toEqual([0]);
    expect(h.undo()).toBeUndefined();
  });

  it('keeps at most `limit` steps', () => {
    const h = new History(0, 3);
    for (let i = 1; i <= 10; i++) h.push(i, String(i));
    let undone = 0;
    while (h.undo() !== undefined) undone++;
    expect(undone).toBe(3);
    expect(h.current).toBe(7);
  });
});
