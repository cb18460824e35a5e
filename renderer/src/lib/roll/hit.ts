/** What is under the pointer in the note area. */
import type { NoteIndex, RollNote } from './notes';
import { timeToX, xToTime, yToPitch, type Viewport } from './viewport';

export interface NoteHit {
  note: RollNote;
  /** 'end' within a few pixels of the right edge (drag to resize), else 'body' (drag to move). */
  part: 'body' | 'end';
}

export const RESIZE_HANDLE_PX = 6;

export function hitNote(index: NoteIndex, vp: Viewport, x: number, y: number): NoteHit | null {
  const pitch = yToPitch(vp, y);
  const time = xToTime(vp, x);
  // A short note at low zoom is narrower than its handle: look a few pixels either side too.
  const slack = RESIZE_HANDLE_PX / vp.pxPerQuarter;
  let best: RollNote | undefined;
  index.forEachVisible(time - slack, time + slack, pitch, pitch, (n) => {
    if (timeToX(vp, n.start) - 1 <= x && timeToX(vp, n.end) + 2 >= x) best = n;
  });
  if (!best) return null;
  const right = timeToX(vp, best.end);
  const width = right - timeToX(vp, best.start);
  const handle = Math.min(RESIZE_HANDLE_PX, width / 3);
  return { note: best, part: x >= right - handle ? 'end' : 'body' };
}

/** Ids of the notes touching a rectangle given in note-area pixels. */
export function notesInRect(index: NoteIndex, vp: Viewport, x0: number, y0: number, x1: number, y1: number): number[] {
  const [left, right] = x0 < x1 ? [x0, x1] : [x1, x0];
  const [top, bottom] = y0 < y1 ? [y0, y1] : [y1, y0];
  const high = yToPitch(vp, top);
  const low = yToPitch(vp, bottom);
  return index.within(xToTime(vp, left), xToTime(vp, right), low, high).map((n) => n.id);
}
