/** Drag the right edge of the selected notes: every selected note grows or shrinks by the same amount. */
import { resizeNotes } from '../edit';
import { xToTime } from '../viewport';
import { plural, type Gesture, type GestureContext } from './types';

export function resizeGesture(ctx: GestureContext, x0: number): Gesture {
  const t0 = xToTime(ctx.viewport, x0);
  const minLength = ctx.grid ? 1 / ctx.grid : 1 / 32;
  let dt = 0;
  return {
    update(x) {
      const raw = xToTime(ctx.viewport, x) - t0;
      dt = ctx.grid ? Math.round(raw * ctx.grid) / ctx.grid : raw;
      return { notes: resizeNotes(ctx.notes, ctx.selection, dt, minLength) };
    },
    finish() {
      if (dt === 0) return { selection: ctx.selection };
      return { selection: ctx.selection, edit: { notes: resizeNotes(ctx.notes, ctx.selection, dt, minLength), label: `Resize ${plural(ctx.selection.size, 'note')}` } };
    },
  };
}
