/**
 * The piano roll's coordinate system, pure so that it can be tested without a canvas.
 *
 * Time is in quarter notes (the music core's unit), pitch in MIDI numbers. The viewport maps the
 * note area (CSS pixels, origin at its top-left corner) to time and pitch: row p spans
 * y in [(pitchTop - p) * rowHeight, (pitchTop - p + 1) * rowHeight).
 */

export interface Viewport {
  /** Time (quarters) at the left edge of the note area. */
  time: number;
  /** Horizontal zoom: CSS pixels per quarter note. */
  pxPerQuarter: number;
  /** Pitch whose row starts at the top edge (may be fractional while scrolling). */
  pitchTop: number;
  /** Vertical zoom: CSS pixels per semitone row. */
  rowHeight: number;
  /** Size of the note area in CSS pixels. */
  width: number;
  height: number;
}

export const LIMITS = {
  minPxPerQuarter: 2,
  maxPxPerQuarter: 800,
  minRowHeight: 4,
  maxRowHeight: 40,
  lowestPitch: 0,
  highestPitch: 127,
} as const;

export function defaultViewport(width: number, height: number): Viewport {
  return { time: 0, pxPerQuarter: 40, pitchTop: 84, rowHeight: 12, width, height };
}

export const timeToX = (vp: Viewport, time: number): number => (time - vp.time) * vp.pxPerQuarter;
export const xToTime = (vp: Viewport, x: number): number => vp.time + x / vp.pxPerQuarter;
export const pitchToY = (vp: Viewport, pitch: number): number => (vp.pitchTop - pitch) * vp.rowHeight;
/** The pitch whose row contains y. */
export const yToPitch = (vp: Viewport, y: number): number => Math.ceil(vp.pitchTop - y / vp.rowHeight - 1e-9) || 0; // no -0

/** Visible time span [from, to) in quarters. */
export function visibleTime(vp: Viewport): { from: number; to: number } {
  return { from: vp.time, to: vp.time + vp.width / vp.pxPerQuarter };
}

/** Pitches with at least one visible pixel, highest first: [low, high]. */
export function visiblePitches(vp: Viewport): { low: number; high: number } {
  const high = Math.min(LIMITS.highestPitch, Math.ceil(vp.pitchTop));
  const low = Math.max(LIMITS.lowestPitch, yToPitch(vp, vp.height - 1e-6));
  return { low, high };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Keeps the view inside the pitch range and never before time 0. */
export function clampViewport(vp: Viewport): Viewport {
  const rows = vp.height / vp.rowHeight;
  const topMax = LIMITS.highestPitch;
  const topMin = Math.min(topMax, LIMITS.lowestPitch - 1 + rows);
  return { ...vp, time: Math.max(0, vp.time), pitchTop: clamp(vp.pitchTop, topMin, topMax) };
}

/** Pans by a pixel offset (positive dx shows later time, positive dy shows lower pitches). */
export function pan(vp: Viewport, dx: number, dy: number): Viewport {
  return clampViewport({ ...vp, time: vp.time + dx / vp.pxPerQuarter, pitchTop: vp.pitchTop - dy / vp.rowHeight });
}

/** Horizontal zoom by `factor`, keeping the time under anchorX where it is. */
export function zoomTime(vp: Viewport, factor: number, anchorX: number): Viewport {
  const anchor = xToTime(vp, anchorX);
  const pxPerQuarter = clamp(vp.pxPerQuarter * factor, LIMITS.minPxPerQuarter, LIMITS.maxPxPerQuarter);
  return clampViewport({ ...vp, pxPerQuarter, time: anchor - anchorX / pxPerQuarter });
}

/** Vertical zoom by `factor`, keeping the pitch position under anchorY where it is. */
export function zoomPitch(vp: Viewport, factor: number, anchorY: number): Viewport {
  const anchor = vp.pitchTop - anchorY / vp.rowHeight;
  const rowHeight = clamp(vp.rowHeight * factor, LIMITS.minRowHeight, LIMITS.maxRowHeight);
  return clampViewport({ ...vp, rowHeight, pitchTop: anchor + anchorY / rowHeight });
}

export function resize(vp: Viewport, width: number, height: number): Viewport {
  return clampViewport({ ...vp, width: Math.max(1, width), height: Math.max(1, height) });
}

/** Frames a range of notes: the whole span in time, pitches centred with a margin of two rows. */
export function fitTo(vp: Viewport, range: { start: number; end: number; low: number; high: number }): Viewport {
  const span = Math.max(1, range.end - range.start);
  const pxPerQuarter = clamp((vp.width * 0.95) / span, LIMITS.minPxPerQuarter, LIMITS.maxPxPerQuarter);
  const rowsWanted = range.high - range.low + 5;
  const rowHeight = clamp(vp.height / rowsWanted, LIMITS.minRowHeight, 18);
  const rows = vp.height / rowHeight;
  const centre = (range.high + range.low) / 2;
  return clampViewport({ ...vp, pxPerQuarter, rowHeight, time: Math.max(0, range.start), pitchTop: centre + rows / 2 });
}

/** Scrolls just enough to bring `time` into view, paging forward (for a playhead that runs off the right edge). */
export function follow(vp: Viewport, time: number): Viewport {
  const { from, to } = visibleTime(vp);
  if (time >= from && time < to - (to - from) * 0.05) return vp;
  return clampViewport({ ...vp, time: time - (to - from) * 0.1 });
}

/** Snaps a time to the grid (steps per quarter); grid 0 means no snapping. */
export function snap(time: number, stepsPerQuarter: number): number {
  if (!stepsPerQuarter) return time;
  return Math.round(time * stepsPerQuarter) / stepsPerQuarter;
}

/** Snaps down to the grid cell containing time. */
export function snapFloor(time: number, stepsPerQuarter: number): number {
  if (!stepsPerQuarter) return time;
  return Math.floor(time * stepsPerQuarter + 1e-9) / stepsPerQuarter;
}

/** Distance between ruler labels and grid lines that keeps them at least minPx apart. */
export function gridStep(vp: Viewport, beatQuarters: number, barQuarters: number, minPx = 8): number {
  const candidates = [1 / 16, 1 / 8, 1 / 4, 1 / 2, beatQuarters, barQuarters, barQuarters * 2, barQuarters * 4, barQuarters * 8, barQuarters * 16];
  for (const c of candidates) if (c * vp.pxPerQuarter >= minPx) return c;
  return barQuarters * 32;
}
