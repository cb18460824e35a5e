/** Pencil: press on empty space to add a note one grid step long at the grid cell; drag right to lengthen it. */
import { addNote } from '../edit';
import type { RollNote } from '../notes';
import { snapFloor, xToTime, yToPitch } from '../viewport';
import type { Gesture, GestureContext } from './types';

export function drawGesture(ctx: GestureContext, x0: number, y0: number, velocity = 96): Gesture {
  const step = ctx.grid ? 1 / ctx.grid : 0.25;
  const start = snapFloor(xToTime(ctx.viewport, x0), ctx.grid || 4);
  const pitch = yToPitch(ctx.viewport, y0);
  let end = start + step;
  const build = (): { notes: RollNote[]; id: number } => addNote(ctx.notes, { pitch, start, end, velocity, voice: 0, seed: false });
  let built = build();
  return {
    update(x) {
      const t = xToTime(ctx.viewport, x);
      end = Math.max(start + step, snapFloor(t, ctx.grid || 4) + step);
      built = build();
      return { notes: built.notes, selection: new Set([built.id]) };
    },
    finish: () => ({ selection: new Set([built.id]), edit: { notes: built.notes, label: 'Add note' } }),
  };
}
