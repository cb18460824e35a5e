/**
 * One chunk of the score through abcjs: the SVG into its element, and its playback events in
 * quarter notes (the player's unit). abcjs times events in its own "beats" (a dotted quarter in
 * 6/8), so timings are taken at a fixed tempo and converted with the tune's beat length; the
 * cursor then follows the player in any meter and at any tempo without re-rendering.
 */
import abcjs, { type TuneObject } from 'abcjs';
import type { RenderedChunk, SheetTiming } from './sheet';
import { quietHeader, withoutHeaderTitles } from './chunks';

const REFERENCE_BPM = 60;

// No add_classes: the cursor keeps the elements abcjs hands to TimingCallbacks, and the class
// attributes on every glyph cost ~13% of a render (measured interleaved, 40 renders of 200 bars).
export const SHEET_OPTIONS = { responsive: 'resize', paddingbottom: 8, paddingleft: 12, paddingright: 12 } as const;

export function renderAbcChunk(el: HTMLElement, text: string, first: boolean): RenderedChunk | null {
  // Later chunks would print the carried meter and tempo again at every cut.
  // The header's titles are written above the sheet by the pane (wrapped), not drawn by abcjs.
  const visual: TuneObject | undefined = abcjs.renderAbc(el, first ? withoutHeaderTitles(text) : quietHeader(text), { ...SHEET_OPTIONS, paddingtop: first ? 8 : 0 })[0];
  if (!visual) return null;
  try {
    const beat = visual.getBeatLength(); // a fraction of a whole note
    const quartersPerMs = ((REFERENCE_BPM / 60) * beat * 4) / 1000;
    const events: SheetTiming[] = [];
    let end = 0;
    for (const e of new abcjs.TimingCallbacks(visual, { qpm: REFERENCE_BPM }).noteTimings) {
      end = Math.max(end, e.milliseconds);
      if (e.type === 'event' && e.elements?.length) events.push({ at: e.milliseconds * quartersPerMs, elements: e.elements.flat() });
    }
    return { events, quarters: end * quartersPerMs };
  } catch {
    // The score still shows; only the cursor is missing for this part.
    return { events: [], quarters: 0 };
  }
}
