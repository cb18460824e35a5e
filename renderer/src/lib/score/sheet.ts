/**
 * The score panel's sheet: the tune cut into chunks (score/chunks.ts), each rendered by abcjs into
 * its own element, kept between renders.
 *
 * Why: abcjs lays out a whole tune in one go (~0.5 ms per bar plus the browser's layout of the
 * SVG), so a 200-bar take re-rendered on every keystroke held the window for 100 ms or more.
 * Here an edit re-renders only the chunks whose text changed (an edit in bar 120 redraws one
 * chunk), the chunk in view first, and the others one per task so input never waits for them.
 * Playback timings are kept per chunk, in quarters, and offset by the lengths of the chunks before it.
 */
import { splitAbc } from './chunks';

/** What rendering one chunk yields: its playback events (quarters from the chunk's start) and its length in quarters. */
export interface RenderedChunk {
  events: SheetTiming[];
  quarters: number;
}

export interface SheetTiming {
  /** Quarter notes from the start of the tune (the player's unit, whatever the meter and tempo). */
  at: number;
  elements: Element[];
}

/**
 * For each new chunk, the old chunk whose element can be kept (same text), or -1. Old chunks are
 * matched in order, so a chunk that appears twice (a repeated part) is reused once each.
 */
export function planReuse(oldTexts: readonly string[], newTexts: readonly string[]): number[] {
  const free = new Map<string, number[]>();
  oldTexts.forEach((t, i) => {
    const list = free.get(t);
    if (list) list.push(i);
    else free.set(t, [i]);
  });
  return newTexts.map((t) => free.get(t)?.shift() ?? -1);
}

/** Chunk indices in render order: those overlapping the visible band first (top down), then the rest. */
export function renderOrder(pending: readonly number[], isVisible: (index: number) => boolean): number[] {
  const visible = pending.filter(isVisible);
  const hidden = pending.filter((i) => !isVisible(i));
  return [...visible, ...hidden];
}

/** Offsets each chunk's events by the lengths of the chunks before it; chunks not drawn yet (null) are left out. */
export function joinTimings(chunks: readonly (RenderedChunk | null)[]): SheetTiming[] {
  const out: SheetTiming[] = [];
  let offset = 0;
  for (const c of chunks) {
    if (!c) continue;
    for (const e of c.events) out.push({ at: e.at + offset, elements: e.elements });
    offset += c.quarters;
  }
  return out;
}

/**
 * Runs fn in a new task, as soon as the browser has handled what is waiting (input first).
 * setTimeout(0) is clamped to 4 ms once nested, which cost ~40 ms over a 13-chunk tune.
 */
function nextTask(fn: () => void): () => void {
  if (typeof MessageChannel === 'undefined') {
    const t = setTimeout(fn, 0);
    return () => clearTimeout(t);
  }
  const channel = new MessageChannel();
  let live = true;
  channel.port1.onmessage = () => {
    channel.port1.close();
    if (live) fn();
  };
  channel.port2.postMessage(null);
  return () => {
    live = false;
    channel.port1.close();
  };
}

interface Slot {
  text: string;
  el: HTMLDivElement;
  rendered: RenderedChunk | null;
  done: boolean;
}

export interface SheetStats {
  /** Time until the first chunk of this update (the one in view) was on the page. */
  firstMs: number;
  /** Time until every chunk of this update was. */
  totalMs: number;
  /** The longest single render step: how long input could have waited. */
  longestMs: number;
  /** Chunks rendered by this update (the rest were kept). */
  renderedChunks: number;
  chunks: number;
}

export class ScoreSheet {
  private slots: Slot[] = [];
  private cancel: (() => void) | null = null;
  private version = 0;

  constructor(
    private readonly target: HTMLElement,
    /** Renders one chunk's ABC into el (first: whether it is the tune's first chunk); null when abcjs could not. */
    private readonly renderChunk: (el: HTMLDivElement, text: string, first: boolean) => RenderedChunk | null,
    /** The scroll box the sheet sits in (what "in view" means). */
    private readonly viewport: () => DOMRect | null = () => null,
    private readonly onProgress: (stats: SheetStats) => void = () => {},
    // Four lines (~16 bars) per chunk: measured, eight doubled the longest step and the first paint for no gain in total time.
    private readonly linesPerChunk = 4,
  ) {}

  /** Shows `text`, keeping the chunks whose text did not change. */
  update(text: string): void {
    const version = ++this.version;
    this.cancel?.();
    this.cancel = null;
    const chunks = text.trim() ? splitAbc(text, this.linesPerChunk).map((c) => c.text) : [];
    const old = this.slots;
    const reuse = planReuse(
      old.map((s) => (s.done ? s.text : '\u0000')),
      chunks,
    );
    const kept = new Set(reuse.filter((i) => i >= 0));
    const next: Slot[] = chunks.map((t, i) => {
      if (reuse[i] >= 0) return old[reuse[i]];
      // A new chunk takes the height of the one it replaces, so the page does not jump while it waits.
      const el = document.createElement('div');
      const replaced = old[i] && !kept.has(i) ? old[i].el : null;
      if (replaced) el.style.minHeight = `${replaced.offsetHeight}px`;
      return { text: t, el, rendered: null, done: false };
    });
    for (let i = 0; i < old.length; i++) if (!kept.has(i)) old[i].el.remove();
    // Put the elements in order; moving a kept element keeps its SVG.
    for (let i = 0; i < next.length; i++) {
      const want = next[i].el;
      if (this.target.children[i] !== want) this.target.insertBefore(want, this.target.children[i] ?? null);
    }
    // The first chunk alone carries the padding on top; a kept chunk that became first is redrawn.
    if (next[0]?.done && reuse[0] !== 0) next[0].done = false;
    this.slots = next;

    const pending = next.map((s, i) => (s.done ? -1 : i)).filter((i) => i >= 0);
    const box = pending.length > 1 ? this.viewport() : null;
    const rects = box ? pending.map((i) => next[i].el.getBoundingClientRect()) : [];
    const order = renderOrder(pending, (i) => {
      if (!box) return i === pending[0];
      const r = rects[pending.indexOf(i)];
      return r.bottom >= box.top && r.top <= box.bottom;
    });
    const t0 = performance.now();
    let firstMs = 0;
    let longestMs = 0;
    let done = 0;
    const step = () => {
      if (version !== this.version) return;
      const s0 = performance.now();
      const i = order[done++];
      const slot = this.slots[i];
      slot.el.replaceChildren();
      try {
        slot.rendered = this.renderChunk(slot.el, slot.text, i === 0);
      } catch {
        slot.rendered = null;
      }
      slot.done = true;
      slot.el.style.minHeight = '';
      const now = performance.now();
      longestMs = Math.max(longestMs, now - s0);
      if (done === 1) firstMs = now - t0;
      if (done < order.length) this.cancel = nextTask(step);
      else {
        this.cancel = null;
        this.onProgress({ firstMs, longestMs, totalMs: performance.now() - t0, renderedChunks: order.length, chunks: next.length });
      }
    };
    if (order.length) step();
    else this.onProgress({ firstMs: 0, longestMs: 0, totalMs: 0, renderedChunks: 0, chunks: next.length });
  }

  /** Playback events of the whole sheet so far (chunks not yet rendered add nothing). */
  timings(): SheetTiming[] {
    return joinTimings(this.slots.map((s) => s.rendered));
  }

  /** Whether every chunk is on the page. */
  get complete(): boolean {
    return this.slots.every((s) => s.done);
  }

  destroy(): void {
    this.version++;
    this.cancel?.();
    this.cancel = null;
    for (const s of this.slots) s.el.remove();
    this.slots = [];
  }
}

/** The last event at or before `quarters` (timings sorted by time), or null before the first. */
export function timingAt(timings: readonly SheetTiming[], quarters: number): SheetTiming | null {
  if (!timings.length || quarters < timings[0].at - 1e-9) return null;
  let lo = 0;
  let hi = timings.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (timings[mid].at <= quarters + 1e-9) lo = mid;
    else hi = mid - 1;
  }
  return timings[lo];
}
