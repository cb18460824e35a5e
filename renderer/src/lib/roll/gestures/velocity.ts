/**
 * Drag in the velocity lane: every note whose onset the pointer passes over takes the velocity at
 * the pointer's height. With a selection, only selected notes change (so a chord can be shaped).
 */
import { setVelocities } from '../edit';
import { xToTime, type Viewport } from '../viewport';
import { lowerBound, type NoteIndex } from '../notes';
import { plural, type Gesture, type GestureContext } from './types';

export function velocityGesture(ctx: GestureContext, x0: number, velocityAt: (y: number) => number): Gesture {
  const changes = new Map<number, number>();
  let lastX = x0;
  const onlySelected = ctx.selection.size > 0;
  const touch = (xa: number, xb: number, velocity: number) => {
    for (const n of onsetsBetween(ctx.index, ctx.viewport, Math.min(xa, xb), Math.max(xa, xb))) {
      if (!onlySelected || ctx.selection.has(n)) changes.set(n, velocity);
    }
  };
  return {
    update(x, y) {
      touch(lastX, x, velocityAt(y));
      lastX = x;
      return { notes: setVelocities(ctx.notes, changes) };
    },
    finish() {
      if (!changes.size) return { selection: ctx.selection };
      return { selection: ctx.selection, edit: { notes: setVelocities(ctx.notes, changes), label: `Velocity of ${plural(changes.size, 'note')}` } };
    },
  };
}

/** Ids of notes whose onset is within [xa - 3, xb + 3] pixels: bars are thin, so give them a little slack. */
function onsetsBetween(index: NoteIndex, vp: Viewport, xa: number, xb: number): number[] {
  const from = xToTime(vp, xa - 3);
  const to = xToTime(vp, xb + 3);
  const ids: number[] = [];
  const notes = index.notes;
  for (let i = lowerBound(notes, from); i < notes.length && notes[i].start <= to; i++) ids.push(notes[i].id);
  return ids;
}

