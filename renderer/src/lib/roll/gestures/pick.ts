/**
 * Pointer-down decides the gesture: on a note's right edge resize, on a note move (clicking an
 * unselected note selects it first; Shift toggles it), on empty space add a note with the pencil
 * or draw a selection rectangle; in the velocity lane shape velocities.
 */
import { hitNote } from '../hit';
import { drawGesture } from './draw';
import { marqueeGesture } from './marquee';
import { moveGesture } from './move';
import { resizeGesture } from './resize';
import type { Gesture, GestureContext, Modifiers } from './types';
import { velocityGesture } from './velocity';

export type Tool = 'select' | 'draw';

export interface PickResult {
  gesture: Gesture | null;
  /** The selection to show right away (before the pointer moves). */
  selection: ReadonlySet<number>;
}

export function pickNoteGesture(ctx: GestureContext, x: number, y: number, mods: Modifiers, tool: Tool): PickResult {
  const hit = hitNote(ctx.index, ctx.viewport, x, y);
  if (hit) {
    let selection: Set<number>;
    if (mods.shift) {
      selection = new Set(ctx.selection);
      if (selection.has(hit.note.id)) {
        selection.delete(hit.note.id);
        return { gesture: null, selection };
      }
      selection.add(hit.note.id);
    } else selection = ctx.selection.has(hit.note.id) ? new Set(ctx.selection) : new Set([hit.note.id]);
    const next = { ...ctx, selection };
    return { gesture: hit.part === 'end' ? resizeGesture(next, x) : moveGesture(next, x, y), selection };
  }
  if (tool === 'draw' || mods.mod) {
    const g = drawGesture(ctx, x, y);
    return { gesture: g, selection: ctx.selection };
  }
  return { gesture: marqueeGesture(ctx, x, y, mods.shift), selection: mods.shift ? ctx.selection : new Set() };
}

export function pickLaneGesture(ctx: GestureContext, x: number, velocityAt: (y: number) => number): PickResult {
  return { gesture: velocityGesture(ctx, x, velocityAt), selection: ctx.selection };
}
