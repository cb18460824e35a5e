/**
 * A gesture is one pointer drag: it starts at pointer-down, previews on every move and yields at
 * most one edit at pointer-up. Each kind lives in its own module; pick.ts chooses one.
 */
import type { Selection } from '../edit';
import type { NoteIndex, RollNote } from '../notes';
import type { Viewport } from '../viewport';

export interface GestureContext {
  notes: readonly RollNote[];
  index: NoteIndex;
  selection: Selection;
  viewport: Viewport;
  /** Snap grid in steps per quarter (0 = off). */
  grid: number;
}

export interface Modifiers {
  shift: boolean;
  alt: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  mod: boolean;
}

export interface GesturePreview {
  notes?: readonly RollNote[];
  selection?: Selection;
  /** Marquee rectangle in note-area pixels. */
  rect?: { x0: number; y0: number; x1: number; y1: number };
}

export interface GestureResult {
  selection: Selection;
  /** New notes and a label for the undo history; absent when only the selection changed. */
  edit?: { notes: RollNote[]; label: string };
}

export interface Gesture {
  /** Pointer position in note-area pixels (the lane gesture gets the lane's own y). */
  update(x: number, y: number, mods: Modifiers): GesturePreview;
  finish(): GestureResult;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
