/**
 * The roll's regions inside its canvas: the keyboard on the left, the bar ruler on top, the note
 * area, and the velocity lane at the bottom. All share the same time axis.
 */
export interface RollLayout {
  width: number;
  height: number;
  keys: number;
  ruler: number;
  lane: number;
}

export type Region = 'keys' | 'ruler' | 'notes' | 'lane' | 'corner';

export function makeLayout(width: number, height: number): RollLayout {
  const lane = height >= 260 ? 64 : height >= 160 ? 40 : 0;
  return { width, height, keys: 44, ruler: 20, lane };
}

/** Size of the note area (what the viewport describes). */
export function noteArea(l: RollLayout): { width: number; height: number } {
  return { width: Math.max(1, l.width - l.keys), height: Math.max(1, l.height - l.ruler - l.lane) };
}

export function regionAt(l: RollLayout, x: number, y: number): Region {
  const inLane = l.lane > 0 && y >= l.height - l.lane;
  if (x < l.keys) return y < l.ruler || inLane ? 'corner' : 'keys';
  if (y < l.ruler) return 'ruler';
  return inLane ? 'lane' : 'notes';
}

/** Canvas point -> note-area point (the viewport's coordinates). */
export function toNoteArea(l: RollLayout, x: number, y: number): { x: number; y: number } {
  return { x: x - l.keys, y: y - l.ruler };
}

/** Lane y (canvas) <-> velocity 1..127. */
export function laneVelocity(l: RollLayout, y: number): number {
  const top = l.height - l.lane + 4;
  const bottom = l.height - 2;
  const f = (bottom - y) / Math.max(1, bottom - top);
  return Math.min(127, Math.max(1, Math.round(f * 127)));
}

export function velocityToLaneY(l: RollLayout, velocity: number): number {
  const top = l.height - l.lane + 4;
  const bottom = l.height - 2;
  return bottom - (velocity / 127) * (bottom - top);
}
