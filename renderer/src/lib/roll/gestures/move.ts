/** Drag selected notes in time (snapped to the grid) and pitch; Alt-drag leaves copies behind. */
import { limitMove, moveNotes } from '../edit';
import { newId, sortNotes, type RollNote } from '../notes';
import { xToTime, yToPitch } from '../viewport';
import { plural, type Gesture, type GestureContext, type GesturePreview } from './types';

export function moveGesture(ctx: GestureContext, x0: number, y0: number): Gesture {
  const t0 = xToTime(ctx.viewport, x0);
  const p0 = yToPitch(ctx.viewport, y0);
  let dt = 0;
  let dp = 0;
  let copy = false;
  const result = (): readonly RollNote[] => {
    const moved = moveNotes(ctx.notes, ctx.selection, dt, dp);
    if (!copy || (dt === 0 && dp === 0)) return moved;
    const originals = ctx.notes.filter((n) => ctx.selection.has(n.id)).map((n) => ({ ...n, id: newId() }));
    return sortNotes([...moved, ...originals]);
  };
  return {
    update(x, y, mods): GesturePreview {
      const raw = xToTime(ctx.viewport, x) - t0;
      const step = ctx.grid ? Math.round(raw * ctx.grid) / ctx.grid : raw;
      ({ dt, dp } = limitMove(ctx.notes, ctx.selection, mods.shift ? 0 : step, yToPitch(ctx.viewport, y) - p0));
      copy = mods.alt;
      return { notes: result() };
    },
    finish() {
      if (dt === 0 && dp === 0) return { selection: ctx.selection };
      return { selection: ctx.selection, edit: { notes: result() as RollNote[], label: `${copy ? 'Copy' : 'Move'} ${plural(ctx.selection.size, 'note')}` } };
    },
  };
}
