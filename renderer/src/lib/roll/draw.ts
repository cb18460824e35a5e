/**
 * Paints the roll. Thin on purpose: every position comes from viewport.ts, every note list from
 * NoteIndex (only what is visible is touched). Notes are batched into one path per colour and
 * velocity band, which keeps a frame of 10,000 visible notes to a handful of fill calls.
 */
import type { RollLayout } from './layout';
import { velocityToLaneY } from './layout';
import type { NoteIndex, RollNote } from './notes';
import { gridStep, pitchToY, timeToX, visiblePitches, visibleTime, type Viewport } from './viewport';

export interface RollColors {
  background: string;
  blackKeyRow: string;
  line: string;
  barLine: string;
  text: string;
  muted: string;
  seed: string;
  take: string;
  live: string;
  selected: string;
  playhead: string;
  keyWhite: string;
  keyBlack: string;
  panel: string;
}

export interface RollScene {
  layout: RollLayout;
  viewport: Viewport;
  index: NoteIndex;
  selection: ReadonlySet<number>;
  /** Quarters per bar and per beat (from the meter). */
  barQuarters: number;
  beatQuarters: number;
  /** Playhead in quarters, or null when stopped. */
  playhead: number | null;
  /** Notes still streaming in (drawn on top, in the live colour). */
  live?: readonly RollNote[];
  marquee?: { x0: number; y0: number; x1: number; y1: number } | null;
  loop?: { start: number; end: number } | null;
}

const BLACK = new Set([1, 3, 6, 8, 10]);
const BANDS = 4;
// Scratch space reused by every frame (a frame allocates only its paths).
const runStart = new Float64Array(128 * 2 * BANDS);
const runEnd = new Float64Array(128 * 2 * BANDS);
let laneColumns = new Uint8Array(0);

/** Top edge of a pitch's row, on a whole pixel (rows tile without gaps or anti-aliased seams). */
const rowY = (vp: Viewport, pitch: number): number => Math.round(pitchToY(vp, pitch));

export function drawRoll(ctx: CanvasRenderingContext2D, scene: RollScene, colors: RollColors): number {
  const { layout: l, viewport: vp } = scene;
  const { from, to } = visibleTime(vp);
  const { low, high } = visiblePitches(vp);
  const noteTop = l.ruler;
  const noteBottom = l.height - l.lane;

  ctx.fillStyle = colors.background;
  ctx.fillRect(0, 0, l.width, l.height);

  ctx.save();
  ctx.beginPath();
  ctx.rect(l.keys, noteTop, l.width - l.keys, noteBottom - noteTop);
  ctx.clip();
  ctx.translate(l.keys, noteTop);

  // Rows of black keys, then the beat and bar grid.
  ctx.fillStyle = colors.blackKeyRow;
  for (let p = low; p <= high; p++) if (BLACK.has(p % 12)) ctx.fillRect(0, rowY(vp, p), vp.width, rowY(vp, p - 1) - rowY(vp, p));
  drawGrid(ctx, scene, colors, from, to, vp.height);
  if (scene.loop) {
    ctx.fillStyle = colors.selected + '14';
    ctx.fillRect(timeToX(vp, scene.loop.start), 0, (scene.loop.end - scene.loop.start) * vp.pxPerQuarter, vp.height);
  }

  // Notes in batches: (seed|take) x velocity band; selected ones get their own outline pass.
  // Zoomed out, notes of one row that touch on screen are merged into one rectangle (and the
  // velocity bands into one), so a whole tune on screen is a few hundred rectangles, not 10,000.
  // Edges are snapped to whole pixels: anti-aliased edges were most of the raster time.
  const batches: Path2D[] = [];
  for (let i = 0; i < 2 * BANDS; i++) batches.push(new Path2D());
  const selected = new Path2D();
  const coarse = vp.pxPerQuarter < 12;
  runStart.fill(NaN);
  const flush = (slot: number) => {
    if (Number.isNaN(runStart[slot])) return;
    const pitch = slot >> 3;
    const y = rowY(vp, pitch);
    batches[slot & 7].rect(runStart[slot], y, runEnd[slot] - runStart[slot], rowY(vp, pitch - 1) - y - 1 || 1);
    runStart[slot] = NaN;
  };
  let drawn = 0;
  scene.index.forEachVisible(from, to, low, high, (n) => {
    const x = Math.round(timeToX(vp, n.start));
    const w = Math.max(1, Math.round(timeToX(vp, n.end)) - x - 1);
    const band = coarse ? BANDS - 1 : Math.min(BANDS - 1, Math.floor((n.velocity / 128) * BANDS));
    const slot = n.pitch * 2 * BANDS + (n.seed ? 0 : BANDS) + band;
    if (!Number.isNaN(runStart[slot]) && x <= runEnd[slot] + 1) runEnd[slot] = Math.max(runEnd[slot], x + w);
    else {
      flush(slot);
      runStart[slot] = x;
      runEnd[slot] = x + w;
    }
    if (scene.selection.has(n.id)) {
      const y = rowY(vp, n.pitch);
      selected.rect(x + 0.5, y + 0.5, w - 1, rowY(vp, n.pitch - 1) - y - 2);
    }
    drawn++;
  });
  for (let slot = 0; slot < runStart.length; slot++) flush(slot);
  for (let i = 0; i < batches.length; i++) {
    ctx.globalAlpha = 0.45 + (0.55 * ((i % BANDS) + 1)) / BANDS;
    ctx.fillStyle = i < BANDS ? colors.seed : colors.take;
    ctx.fill(batches[i]);
  }
  ctx.globalAlpha = 1;
  if (scene.selection.size) {
    ctx.strokeStyle = colors.selected;
    ctx.lineWidth = 1.5;
    ctx.stroke(selected);
  }
  if (scene.live?.length) {
    const live = new Path2D();
    for (const n of scene.live) {
      if (n.end <= from || n.start >= to || n.pitch < low || n.pitch > high) continue;
      const x = Math.round(timeToX(vp, n.start));
      live.rect(x, rowY(vp, n.pitch), Math.max(1, Math.round(timeToX(vp, n.end)) - x - 1), rowY(vp, n.pitch - 1) - rowY(vp, n.pitch) - 1 || 1);
      drawn++;
    }
    ctx.fillStyle = colors.live;
    ctx.fill(live);
  }
  if (scene.marquee) {
    const m = scene.marquee;
    ctx.fillStyle = colors.selected + '22';
    ctx.strokeStyle = colors.selected;
    ctx.lineWidth = 1;
    ctx.fillRect(Math.min(m.x0, m.x1), Math.min(m.y0, m.y1), Math.abs(m.x1 - m.x0), Math.abs(m.y1 - m.y0));
    ctx.strokeRect(Math.min(m.x0, m.x1) + 0.5, Math.min(m.y0, m.y1) + 0.5, Math.abs(m.x1 - m.x0), Math.abs(m.y1 - m.y0));
  }
  ctx.restore();

  drawKeys(ctx, scene, colors, low, high);
  drawRuler(ctx, scene, colors, from, to);
  if (l.lane > 0) drawLane(ctx, scene, colors, from, to);
  if (scene.playhead !== null && scene.playhead >= from && scene.playhead <= to) {
    const x = l.keys + timeToX(vp, scene.playhead);
    ctx.fillStyle = colors.playhead;
    ctx.fillRect(Math.round(x) - 1, 0, 2, l.height);
  }
  return drawn;
}

function drawGrid(ctx: CanvasRenderingContext2D, s: RollScene, c: RollColors, from: number, to: number, height: number): void {
  const vp = s.viewport;
  const step = gridStep(vp, s.beatQuarters, s.barQuarters);
  const lines = new Path2D();
  const bars = new Path2D();
  const first = Math.floor(from / step) * step;
  for (let t = first; t <= to; t += step) {
    const x = Math.round(timeToX(vp, t)) + 0.5;
    const isBar = Math.abs(t / s.barQuarters - Math.round(t / s.barQuarters)) < 1e-6;
    const path = isBar ? bars : lines;
    path.moveTo(x, 0);
    path.lineTo(x, height);
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = c.line;
  ctx.stroke(lines);
  ctx.strokeStyle = c.barLine;
  ctx.stroke(bars);
}

function drawKeys(ctx: CanvasRenderingContext2D, s: RollScene, c: RollColors, low: number, high: number): void {
  const { layout: l, viewport: vp } = s;
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, l.ruler, l.keys, vp.height);
  ctx.clip();
  ctx.fillStyle = c.keyWhite;
  ctx.fillRect(0, l.ruler, l.keys, vp.height);
  ctx.fillStyle = c.keyBlack;
  for (let p = low; p <= high; p++) if (BLACK.has(p % 12)) ctx.fillRect(0, l.ruler + rowY(vp, p), Math.round(l.keys * 0.6), rowY(vp, p - 1) - rowY(vp, p));
  ctx.fillStyle = c.muted;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (let p = low; p <= high; p++) {
    if (p % 12 !== 0 || vp.rowHeight < 6) continue;
    ctx.fillText(`C${p / 12 - 1}`, l.keys * 0.62, l.ruler + pitchToY(vp, p) + vp.rowHeight / 2);
  }
  ctx.restore();
  ctx.fillStyle = c.line;
  ctx.fillRect(l.keys - 1, l.ruler, 1, vp.height);
}

function drawRuler(ctx: CanvasRenderingContext2D, s: RollScene, c: RollColors, from: number, to: number): void {
  const { layout: l, viewport: vp } = s;
  ctx.fillStyle = c.panel;
  ctx.fillRect(0, 0, l.width, l.ruler);
  ctx.fillStyle = c.line;
  ctx.fillRect(0, l.ruler - 1, l.width, 1);
  const barPx = s.barQuarters * vp.pxPerQuarter;
  const every = Math.max(1, Math.ceil(36 / barPx));
  ctx.fillStyle = c.muted;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.save();
  ctx.beginPath();
  ctx.rect(l.keys, 0, l.width - l.keys, l.ruler);
  ctx.clip();
  const firstBar = Math.floor(from / s.barQuarters);
  for (let b = firstBar - (firstBar % every); b * s.barQuarters <= to; b += every) {
    const x = l.keys + timeToX(vp, b * s.barQuarters);
    ctx.fillRect(Math.round(x), l.ruler - 6, 1, 5);
    ctx.fillText(String(b + 1), x + 3, l.ruler / 2);
  }
  ctx.restore();
}

function drawLane(ctx: CanvasRenderingContext2D, s: RollScene, c: RollColors, from: number, to: number): void {
  const { layout: l, viewport: vp } = s;
  const top = l.height - l.lane;
  ctx.fillStyle = c.panel;
  ctx.fillRect(0, top, l.width, l.lane);
  ctx.fillStyle = c.line;
  ctx.fillRect(0, top, l.width, 1);
  ctx.fillStyle = c.muted;
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.fillText('vel', 6, top + 4);
  ctx.save();
  ctx.beginPath();
  ctx.rect(l.keys, top, l.width - l.keys, l.lane);
  ctx.clip();
  // The lane as one skyline per colour: per pixel column the loudest bar covering it (bars are
  // 3 px wide from each onset). Zoomed out, thousands of onsets share a column; drawing them as
  // overlapping rectangles cost more raster time than all the notes above.
  const width = Math.ceil(vp.width) + 3;
  if (laneColumns.length < width * 3) laneColumns = new Uint8Array(width * 3);
  const cols = laneColumns;
  cols.fill(0, 0, width * 3);
  const [first, last] = s.index.range(from, to);
  const notes = s.index.notes;
  for (let i = Math.max(0, first); i < last; i++) {
    const n = notes[i];
    if (n.start < from) continue;
    const x = Math.round(timeToX(vp, n.start));
    const layer = s.selection.has(n.id) ? 2 : n.seed ? 0 : 1;
    const v = Math.max(1, Math.min(127, Math.round(n.velocity)));
    for (let c = Math.max(0, x), base = layer * width; c < Math.min(width, x + 3); c++) if (cols[base + c] < v) cols[base + c] = v;
  }
  const fills = [c.seed, c.take, c.selected];
  for (let layer = 0; layer < 3; layer++) {
    const base = layer * width;
    const path = new Path2D();
    let any = false;
    for (let c = 0; c < width; ) {
      const v = cols[base + c];
      let end = c + 1;
      while (end < width && cols[base + end] === v) end++;
      if (v > 0) {
        const y = Math.round(velocityToLaneY(l, v));
        path.rect(l.keys + c, y, end - c, l.height - 2 - y);
        any = true;
      }
      c = end;
    }
    if (!any) continue;
    ctx.fillStyle = fills[layer];
    ctx.fill(path);
  }
  ctx.restore();
}

/** Reads the roll's colours from the theme's CSS variables. */
export function themeColors(el: Element): RollColors {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--roll-bg', '#14161b'),
    blackKeyRow: v('--roll-black-row', '#1b1e25'),
    line: v('--roll-line', '#262a33'),
    barLine: v('--roll-bar', '#3a404d'),
    text: v('--text', '#e6e8ee'),
    muted: v('--muted', '#9aa3b2'),
    seed: v('--seed', '#f2b84b'),
    take: v('--take', '#6cb6ff'),
    live: v('--live', '#9be49b'),
    selected: v('--selected', '#ffffff'),
    playhead: v('--playhead', '#ff6b6b'),
    keyWhite: v('--key-white', '#d9dce3'),
    keyBlack: v('--key-black', '#2a2e37'),
    panel: v('--panel', '#1e2128'),
  };
}
