import { describe, expect, it } from 'vitest';
import { NoteIndex, sortNotes, type RollNote } from '../notes';
import type { Viewport } from '../viewport';
import { pickLaneGesture, pickNoteGesture } from './pick';
import type { GestureContext, Modifiers } from './types';

const vp: Viewport = { time: 0, pxPerQuarter: 40, pitchTop: 72, rowHeight: 10, width: 400, height: 200 };
const yOf = (p: number) => (72 - p) * 10 + 5;
const xOf = (t: number) => t * 40;
const none: Modifiers = { shift: false, alt: false, mod: false };
const n = (pitch: number, start: number, end: number, id: number): RollNote => ({ pitch, start, end, velocity: 90, voice: 0, id, seed: false });

function ctx(selection: number[] = [], grid = 4): GestureContext {
  const notes = sortNotes([n(70, 1, 2, 1), n(68, 2, 3, 2), n(60, 4, 5, 3)]);
  return { notes, index: new NoteIndex(notes), selection: new Set(selection), viewport: vp, grid };
}

describe('roll gestures', () => {
  it('click-drag on a note selects it and moves it on the grid', () => {
    const c = ctx();
    const { gesture, selection } = pickNoteGesture(c, xOf(1.2), yOf(70), none, 'select');
    expect([...selection]).toEqual([1]);
    gesture!.update(xOf(1.2) + 33, yOf(68), none); // 0.825 quarters -> 0.75 on a 16th grid
    const result = gesture!.finish();
    expect(result.edit?.label).toBe('Move 1 note');
    expect(result.edit?.notes.find((m) => m.id === 1)).toMatchObject({ start: 1.75, end: 2.75, pitch: 68 });
  });

  it('a click without movement selects but makes no edit', () => {
    const { gesture } = pickNoteGesture(ctx(), xOf(2.5), yOf(68), none, 'select');
    expect(gesture!.finish()).toEqual({ selection: new Set([2]) });
  });

  it('Shift toggles notes in the selection; Alt-drag copies', () => {
    const add = pickNoteGesture(ctx([1]), xOf(2.5), yOf(68), { ...none, shift: true }, 'select');
    expect([...add.selection].sort()).toEqual([1, 2]);
    const remove = pickNoteGesture(ctx([1, 2]), xOf(2.5), yOf(68), { ...none, shift: true }, 'select');
    expect(remove.gesture).toBeNull();
    expect([...remove.selection]).toEqual([1]);
    const copy = pickNoteGesture(ctx([1]), xOf(1.5), yOf(70), none, 'select').gesture!;
    copy.update(xOf(5.5), yOf(70), { ...none, alt: true });
    const r = copy.finish();
    expect(r.edit?.label).toBe('Copy 1 note');
    expect(r.edit?.notes.filter((m) => m.pitch === 70).map((m) => m.start)).toEqual([1, 5]);
  });

  it('dragging a note edge resizes every selected note', () => {
    const { gesture } = pickNoteGesture(ctx([1, 2]), xOf(2) - 2, yOf(70), none, 'select');
    gesture!.update(xOf(3) - 2, yOf(70), none);
    const notes = gesture!.finish().edit!.notes;
    expect(notes.find((m) => m.id === 1)?.end).toBe(3);
    expect(notes.find((m) => m.id === 2)?.end).toBe(4);
  });

  it('dragging on empty space draws a selection rectangle', () => {
    const { gesture, selection } = pickNoteGesture(ctx([3]), xOf(0.5), yOf(71), none, 'select');
    expect(selection.size).toBe(0);
    const preview = gesture!.update(xOf(2.5), yOf(67), none);
    expect(preview.rect).toBeDefined();
    expect([...gesture!.finish().selection].sort()).toEqual([1, 2]);
  });

  it('the pencil adds a note on the grid and drags its length', () => {
    const { gesture } = pickNoteGesture(ctx(), xOf(6.1), yOf(65), none, 'draw');
    gesture!.update(xOf(6.9), yOf(65), none);
    const r = gesture!.finish();
    expect(r.edit?.label).toBe('Add note');
    const added = r.edit!.notes.find((m) => r.selection.has(m.id))!;
    expect(added).toMatchObject({ pitch: 65, start: 6, end: 7 });
  });

  it('the velocity lane sets the notes the pointer passes over', () => {
    const { gesture } = pickLaneGesture(ctx(), xOf(0.5), () => 30);
    gesture!.update(xOf(2.2), 0, none);
    const r = gesture!.finish();
    expect(r.edit?.notes.map((m) => m.velocity)).toEqual([30, 30, 90]);
    // with a selection only selected notes change
    const only = pickLaneGesture(ctx([2]), xOf(0), () => 10).gesture!;
    only.update(xOf(4.5), 0, none);
    expect(only.finish().edit?.notes.map((m) => m.velocity)).toEqual([90, 10, 90]);
  });
});
