/**
 * Unit length changes in a tune's body ([L:1/16] inline, or an L: line), found in abcjs's parse
 * tree so the tune form can keep them (the writer writes lengths in the unit the text used).
 *
 * abcjs has already applied them to every duration and keeps no element for them; it applies an
 * L: to everything after it in the text, whichever voice it was written in (a voice written after
 * another starts in that voice's last unit). So each voice's unit at an element is the last L:
 * before the element in the text, and a change is anchored, like a key change, at the first
 * played note from there (`before`: the written time between the change and that note).
 */

/** Where a change is heard: the character position of the next played note, and the time back from it. */
export interface UnitChange {
  /** Voice index, in perform.ts's stream order. */
  voice: number;
  anchor: number;
  /** Whole notes between the change and the anchored note. */
  before: number;
  unit: [number, number];
}

interface Element {
  el_type?: string;
  startChar?: number;
  duration?: number;
  rest?: unknown;
  pitches?: ({ endTie?: unknown } | undefined)[];
}

interface Line {
  staff?: { clef?: { type?: string }; voices?: Element[][] }[];
}

const UNIT_FIELD = /(^|\[)[ \t]*L:[ \t]*(\d+)[ \t]*\/[ \t]*(\d+)/gm;

/**
 * The unit changes of a tune read by abcjs from `text` (the same text, so character positions
 * match), given the header's unit. Returns [] (no walk) when the body has no L: field.
 */
export function unitChanges(tune: { lines?: unknown[] }, text: string, headerUnit: [number, number]): UnitChange[] {
  const k = /^K:.*$/m.exec(text);
  const body = k ? k.index + k[0].length : 0;
  const fields: { at: number; unit: [number, number] }[] = [];
  for (const m of text.slice(body).matchAll(UNIT_FIELD)) {
    const n = Number(m[2]);
    const d = Number(m[3]);
    if (n > 0 && d > 0) fields.push({ at: body + m.index! + m[1].length, unit: [n, d] });
  }
  if (!fields.length) return [];
  const unitBefore = (pos: number): [number, number] => {
    let u = headerUnit;
    for (const f of fields) {
      if (f.at >= pos) break;
      u = f.unit;
    }
    return u;
  };
  const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];
  const out: UnitChange[] = [];
  // Per voice: the unit in force, and a change waiting for the voice's next played note.
  const current: [number, number][] = [];
  const pending: ({ unit: [number, number]; before: number } | null)[] = [];
  for (const line of (tune.lines ?? []) as Line[]) {
    if (!line.staff) continue;
    let number = 0;
    for (const staff of line.staff) {
      if (staff.clef?.type === 'TAB') continue;
      for (const voice of staff.voices ?? []) {
        const v = number++;
        for (const el of voice) {
          if (el.el_type !== 'note' || typeof el.startChar !== 'number') continue;
          const unit = unitBefore(el.startChar);
          if (!same(unit, current[v] ?? headerUnit)) {
            pending[v] = { unit, before: 0 };
            current[v] = unit;
          }
          const p = pending[v];
          if (!p) continue;
          const tiedIn = !!el.pitches?.length && el.pitches.every((x) => x?.endTie);
          if (!el.rest && !tiedIn) {
            out.push({ voice: v, anchor: el.startChar, before: p.before, unit: p.unit });
            pending[v] = null;
          } else if (typeof el.duration === 'number' && Number.isFinite(el.duration)) p.before += el.duration;
        }
      }
    }
  }
  return out;
}
