/**
 * A roll edit spliced into the text the musician wrote: only the bars whose notes changed are
 * rewritten (by the tune form's writer, in the tune's unit, key and meter, with the bar's chord
 * symbols); the header, every other bar, line breaks, repeats, endings, parts, decorations and
 * comments stay character for character. The desk's notes are the performance (repeats played
 * out), so a changed bar is found by where it is played and written back where it is written: an
 * edit to one pass of a repeated bar changes the written bar, and so every pass of it.
 *
 * Returns null when the edit cannot be written into the text as written (then the caller writes
 * the tune afresh): several voices, an inline L: change, notes added past the end, a changed bar
 * holding a tie over its bar line or an inline field, or a text whose bar lines abcjs and the
 * tune form do not agree on.
 */
import abcjs from 'abcjs';
import type { KeySignature, Note, TimeSignature } from '../types';
import type { TuneForm } from './form';
import { playOrder } from './perform';
import { writeTuneForm } from './write';
import { keyName } from './write';
import { parseAbc } from '../abc/read';

export interface SpliceResult {
  /** The text with the changed bars rewritten. */
  text: string;
  /** Its performance (every pass of an edited repeated bar now follows the edit). */
  notes: Note[];
  form: TuneForm;
  /** Written bars rewritten (indices into the first voice's bars). */
  bars: number[];
}

interface AbcEl {
  el_type?: string;
  startChar?: number;
  endChar?: number;
  duration?: number;
  startTriplet?: number;
  tripletMultiplier?: number;
  endTriplet?: boolean;
}

const EPS = 1e-6;
const q = (t: number) => Math.round(t * 1e6) / 1e6;
const key = (n: { pitch: number; start: number; end: number }) => `${n.pitch}@${q(n.start)}-${q(n.end)}`;

function sameNotes(a: readonly Note[], b: readonly Note[]): boolean {
  if (a.length !== b.length) return false;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}

/** Bar lines and notes of the first voice as written, with their written times and characters. */
interface Written {
  lines: { time: number; from: number; to: number }[];
  notes: { time: number; from: number; to: number }[];
  other: number[];
}

function writtenElements(text: string): Written | null {
  const tune = (abcjs.parseOnly(text) as unknown as { lines?: { staff?: { voices?: AbcEl[][] }[] }[] }[])[0];
  if (!tune?.lines) return null;
  const lines: { time: number; from: number; to: number }[] = [];
  const notes: { time: number; from: number; to: number }[] = [];
  const other: number[] = [];
  let time = 0;
  let mult = 1;
  for (const line of tune.lines) {
    const staves = line.staff;
    if (!staves) continue;
    if (staves.length > 1 || (staves[0]?.voices?.length ?? 0) > 1) return null;
    for (const el of staves[0]?.voices?.[0] ?? []) {
      if (el.startChar === undefined || el.endChar === undefined) continue;
      if (el.el_type === 'bar') lines.push({ time: q(time), from: el.startChar, to: el.endChar });
      else if (el.el_type === 'note') {
        if (el.startTriplet) mult = el.tripletMultiplier ?? 1;
        notes.push({ time: q(time), from: el.startChar, to: el.endChar });
        time += (el.duration ?? 0) * 4 * mult;
        if (el.endTriplet) mult = 1;
      } else other.push(el.startChar);
    }
  }
  return { lines, notes, other };
}

const at = <T extends { time: number }>(list: readonly T[], t: number): T | undefined => {
  let found: T | undefined;
  for (const x of list) if (x.time <= t + EPS) found = x;
  return found;
};

/** The ABC of one bar's notes (no bar lines), in the tune's unit, key and meter. */
function barText(form: TuneForm, start: number, end: number, notes: Note[], chords: TuneForm['voices'][number]['chords']): string | null {
  const len = end - start;
  const meter: TimeSignature | undefined = at(form.timeSignatures, start);
  let ts = meter && Math.abs((meter.numerator * 4) / meter.denominator - len) < EPS ? meter : undefined;
  if (!ts) {
    const eighths = len * 2;
    const sixteenths = len * 4;
    if (Math.abs(eighths - Math.round(eighths)) < EPS) ts = { time: 0, numerator: Math.round(eighths), denominator: 8 };
    else if (Math.abs(sixteenths - Math.round(sixteenths)) < EPS) ts = { time: 0, numerator: Math.round(sixteenths), denominator: 16 };
    else return null;
  }
  const k: KeySignature | undefined = at(form.keySignatures, start);
  const mini: TuneForm = {
    x: '1',
    header: [],
    keyText: k ? keyName(k) : 'C',
    unit: form.unit,
    pickup: 0,
    voices: [
      {
        id: '1',
        bars: [{ start: 0, end: len, line: '' }],
        notes: notes.map((n) => ({ ...n, start: n.start - start, end: n.end - start, voice: 0 })),
        chords: chords.map((c) => ({ ...c, time: c.time - start })),
        broken: [],
        played: notes.length,
      },
    ],
    timeSignatures: [{ ...ts, time: 0 }],
    keySignatures: k ? [{ ...k, time: 0 }] : [],
    tempos: [],
  };
  const written = writeTuneForm(mini, { tempo: false });
  const lines = written.split('\n');
  const kAt = lines.findIndex((l) => l.startsWith('K:'));
  const body = lines.slice(kAt + 1).join(' ').trim().replace(/\s*\|\]?\s*$/, '').trim();
  // A bar that needs a field or several lines is not one bar's worth of notes.
  if (!body || /\[[A-Za-z]:|\|/.test(body)) return null;
  return body;
}

/**
 * A bar's text with the spaces moved to `breaks` (times from the bar's start): the writer groups
 * by beat; a musician may beam 4/4 in halves or 3/4 as one group. Unchanged when it does not read.
 */
function regroup(form: TuneForm, start: number, end: number, bar: string, breaks: Set<number>): string {
  const k = at(form.keySignatures, start);
  const head = `X:1\nM:${Math.round((end - start) * 8)}/8\nL:${form.unit[0]}/${form.unit[1]}\nK:${k ? keyName(k) : 'C'}\n`;
  const els = writtenElements(head + bar + '|\n');
  if (!els || !els.notes.length) return bar;
  const pieces: string[] = [];
  els.notes.forEach((n, i) => {
    const text = (head + bar).slice(n.from, i + 1 < els.notes.length ? els.notes[i + 1].from : head.length + bar.length).trim();
    pieces.push((i > 0 && breaks.has(n.time) ? ' ' : '') + text);
  });
  const out = pieces.join('');
  return out.replace(/\s+/g, '') === bar.replace(/\s+/g, '') ? out : bar;
}

/**
 * Writes the notes `after` (the desk after a roll edit) into `text`, whose performance must be the
 * desk before the edit (`before`). See the module comment.
 */
export function spliceEdit(text: string, before: readonly Note[], after: readonly Note[]): SpliceResult | null {
  const hasX = /^\s*X:/m.test(text);
  const source = hasX ? text : `X:1\n${text}`;
  const shift = hasX ? 0 : 4;
  const read = parseAbc(source).tunes[0];
  if (!read || read.warnings.length) return null;
  const form = read.form;
  const voices = form.voices.filter((v) => v.notes.length > 0);
  if (voices.length !== 1 || form.voices.length !== 1) return null;
  // An inline or body L: changes the unit under the form's feet.
  const body = source.slice(source.search(/^K:/m));
  if (/\[L:|^L:/m.test(body.slice(body.indexOf('\n') + 1))) return null;
  if (!sameNotes(read.sequence.notes, before)) return null;
  const v = voices[0];
  const elements = writtenElements(source);
  if (!elements) return null;

  // The bar lines abcjs wrote must be the form's: the same times, grouped.
  const groups = new Map<number, { from: number; to: number }>();
  for (const l of elements.lines) {
    const g = groups.get(l.time);
    groups.set(l.time, g ? { from: Math.min(g.from, l.from), to: Math.max(g.to, l.to) } : { from: l.from, to: l.to });
  }
  const formTimes = new Set(v.bars.filter((b) => b.line).map((b) => q(b.end)));
  if (v.opening) formTimes.add(0);
  const abcTimes = new Set([...groups.keys()].filter((t) => t > 0 || v.opening));
  if (formTimes.size !== abcTimes.size || [...formTimes].some((t) => !abcTimes.has(t))) return null;

  // Where each written bar is played.
  const order = playOrder(v, form.parts);
  const plays: { bar: number; at: number }[] = [];
  let time = 0;
  for (const b of order) {
    plays.push({ bar: b, at: q(time) });
    time = q(time + v.bars[b].end - v.bars[b].start);
  }
  const performedEnd = time;
  if (after.some((n) => n.start >= performedEnd - EPS)) return null;
  const startingIn = (notes: readonly Note[], from: number, to: number) => notes.filter((n) => n.start >= from - EPS && n.start < to - EPS);

  // Changed written bars: the notes of the first pass that changed.
  const changed = new Map<number, Note[]>();
  for (const p of plays) {
    const bar = v.bars[p.bar];
    const len = bar.end - bar.start;
    const old = startingIn(before, p.at, p.at + len);
    const now = startingIn(after, p.at, p.at + len);
    if (sameNotes(old, now) || changed.has(p.bar)) continue;
    if (now.some((n) => n.end > p.at + len + EPS)) return null; // a note held over the bar line
    changed.set(p.bar, now.map((n) => ({ ...n, start: n.start - p.at + bar.start, end: n.end - p.at + bar.start })));
  }
  if (!changed.size) return { text, notes: read.sequence.notes, form, bars: [] };

  const edits: { from: number; to: number; text: string }[] = [];
  for (const [bi, notes] of changed) {
    const bar = v.bars[bi];
    const inBar = elements.notes.filter((n) => n.time >= bar.start - EPS && n.time < bar.end - EPS);
    if (!inBar.length) return null;
    const from = inBar[0].from;
    let to = inBar[inBar.length - 1].to;
    while (to > from && /\s/.test(source[to - 1])) to--;
    let start = from;
    while (start < to && /\s/.test(source[start])) start++;
    const span = source.slice(start, to);
    // Ties over the bar lines, inline fields or comments inside the bar: not one bar's notes alone.
    if (/-\s*$/.test(span) || /[%\n]|\[[A-Za-z]:/.test(span) || elements.other.some((c) => c >= start && c < to)) return null;
    const prevEnd = source.slice(0, start).replace(/[\s|:\]\[0-9]*$/, '');
    if (/-$/.test(prevEnd)) return null;
    const chords = v.chords.filter((c) => c.time >= bar.start - EPS && c.time < bar.end - EPS);
    let written = barText(form, bar.start, bar.end, notes, chords);
    if (written === null) return null;
    // Beamed as the musician beamed this bar: a space before the notes at the times one was.
    const breaks = new Set(inBar.filter((n, i) => i > 0 && /\s/.test(source.slice(inBar[i - 1].to - 1, n.from + 1))).map((n) => q(n.time - bar.start)));
    written = regroup(form, bar.start, bar.end, written, breaks);
    edits.push({ from: start, to, text: written });
  }
  let out = source;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  const back = parseAbc(out).tunes[0];
  if (!back || back.warnings.length) return null;
  // Every pass of every changed bar must now hold the edit, and nothing else may have moved.
  for (const p of plays) {
    const bar = v.bars[p.bar];
    const len = bar.end - bar.start;
    const want = changed.has(p.bar)
      ? changed.get(p.bar)!.map((n) => ({ ...n, start: n.start - bar.start + p.at, end: n.end - bar.start + p.at }))
      : startingIn(before, p.at, p.at + len);
    if (!sameNotes(startingIn(back.sequence.notes, p.at, p.at + len), want)) return null;
  }
  return { text: out.slice(shift), notes: back.sequence.notes, form: back.form, bars: [...changed.keys()].sort((a, b) => a - b) };
}
