/** Drag a rectangle over empty space to select the notes it touches; Shift adds to the selection. */
import { notesInRect } from '../hit';
import type { Gesture, GestureContext } from './types';

export function marqueeGesture(ctx: GestureContext, x0: number, y0: number, additive: boolean): Gesture {
  let selection: Set<number> = additive ? new Set(ctx.selection) : new Set();
  return {
    update(x, y) {
      selection = new Set(additive ? ctx.selection : []);
      for (const id of notesInRect(ctx.index, ctx.viewport, x0, y0, x, y)) selection.add(id);
      return { selection, rect: { x0, y0, x1: x, y1: y } };
    },
    finish: () => ({ selection }),
  };
}
