/**
 * The tune form of an ABC tune, from what the tree player (perform.ts, linear) heard once through
 * the written music: bars from the bar lines at the times they were reached, chord symbols, parts
 * and broken rhythm from the elements, header fields from the text.
 */
import type { KeySignature, TempoChange, TimeSignature } from '../types';
import type { BarLine, FormBar, FormVoice, HeaderField, TuneForm } from './form';
import { snap, type PlayedVoice, type WrittenMarks } from './perform';

const LINE_OF: Record<string, BarLine> = {
  bar_thin: '|',
  bar_thin_thin: '||',
  bar_thick_thin: '[|',
  bar_thin_thick: '|]',
  bar_left_repeat: '|:',
  bar_right_repeat: ':|',
  bar_dbl_repeat: '::',
};
/** `[1` without a bar line (an ending that starts inside a bar, `A2A2 [1 Bd|`): abcjs's invisible bar, written as none. */
const INVISIBLE = 'bar_invisible';
/** Which of two bar lines at the same time is written (a line ending in :| and the next starting |: is ::). */
const STRENGTH: Record<BarLine, number> = { '|': 0, '[|': 1, '||': 2, '|]': 3, '|:': 4, ':|': 4, '::': 5 };

function merge(a: BarLine | undefined, b: BarLine): BarLine {
  if (!a) return b;
  const ends = a === ':|' || a === '::' || b === ':|' || b === '::';
  const starts = a === '|:' || a === '::' || b === '|:' || b === '::';
  if (ends && starts) return '::';
  return STRENGTH[b] >= STRENGTH[a] ? b : a;
}

/** Header fields of a tune's text, in order: every `F:value` line up to and including K:. */
export function headerFields(text: string): { x: string; fields: HeaderField[]; keyText: string } {
  const fields: HeaderField[] = [];
  let x = '1';
  let keyText = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const m = /^([A-Za-z]):(.*)$/.exec(line);
    if (!m) continue;
    // A % comment is not part of the value (P:ABA % da capo), \% is a percent sign.
    const value = m[2].replace(/(^|[^\\])%.*$/, '$1').trim();
    if (m[1] === 'X') x = value;
    else if (m[1] === 'K') {
      keyText = value;
      break;
    } else fields.push({ field: m[1], value });
  }
  return { x, fields, keyText };
}

/** L: of the header, else ABC's default (1/16 for meters under 3/4, else 1/8). */
export function unitOf(fields: HeaderField[], meter: TimeSignature | undefined): [number, number] {
  const l = fields.filter((f) => f.field === 'L').pop();
  const m = l && /^\s*(\d+)\s*\/\s*(\d+)/.exec(l.value);
  if (m && Number(m[1]) > 0 && Number(m[2]) > 0) return [Number(m[1]), Number(m[2])];
  if (meter && meter.numerator / meter.denominator < 0.75) return [1, 16];
  return [1, 8];
}

/** One voice of the form from what was heard once through it. */
function voiceForm(id: string, played: PlayedVoice, marks: WrittenMarks): FormVoice {
  const notes = played.notes;
  // Bar lines by time (quarters); several at one time (":|" then "|:" on the next line) are one.
  const at = new Map<number, { line?: BarLine; ending?: string; eol?: boolean }>();
  for (const l of marks.lines) {
    const t = snap(l.time);
    const g = at.get(t) ?? { line: undefined, ending: undefined, eol: undefined };
    if (l.type !== INVISIBLE || !l.ending) g.line = merge(g.line, LINE_OF[l.type] ?? '|');
    if (l.ending) g.ending = l.ending;
    if (l.eol) g.eol = true;
    at.set(t, g);
  }
  const noteEnd = notes.reduce((m, n) => Math.max(m, n.end), 0);
  const chordEnd = marks.chords.reduce((m, c) => Math.max(m, snap(c.time)), 0);
  const times = [...at.keys()].sort((a, b) => a - b);
  const end = Math.max(noteEnd, chordEnd, times[times.length - 1] ?? 0);
  const bars: FormBar[] = [];
  let start = 0;
  const opening = at.get(0);
  let ending = opening?.ending;
  for (const t of times) {
    if (t <= 0) continue;
    const g = at.get(t)!;
    bars.push({ start, end: t, line: g.line ?? (g.ending ? '' : '|'), ...(ending ? { ending } : {}), ...(g.eol ? { lineBreak: true } : {}) });
    ending = g.ending;
    start = t;
  }
  if (end > start || bars.length === 0) bars.push({ start, end: Math.max(end, start), line: '', ...(ending ? { ending } : {}) });
  for (const p of marks.parts) {
    const t = snap(p.time);
    const bar = bars.find((b) => t >= b.start && t < b.end) ?? bars[bars.length - 1];
    bar.part = p.label;
  }
  const voice: FormVoice = {
    id,
    bars,
    notes,
    chords: marks.chords.map((c) => ({ time: snap(c.time), name: c.name, position: c.position })),
    broken: marks.broken.map((b) => ({ time: snap(b.time), sign: b.sign })),
    ...(marks.decorations?.length ? { decorations: marks.decorations.map((d) => ({ time: snap(d.time), name: d.name })) } : {}),
    played: played.played,
  };
  if (opening?.line && opening.line !== '|') voice.opening = opening.line;
  return voice;
}

/**
 * The voices' V: fields: ids in the order abcjs numbers the voices (header definitions first, then
 * the body's in order of first appearance) and each id's first V: in the body (value, inline or not).
 */
export function voiceFields(text: string): { ids: string[]; body: Map<string, { value: string; inline: boolean }> } {
  const ids: string[] = [];
  const body = new Map<string, { value: string; inline: boolean }>();
  let inBody = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('%')) continue;
    const found: { value: string; inline: boolean }[] = [];
    const own = /^V:(.*)$/.exec(line);
    if (own) found.push({ value: own[1].replace(/(^|[^\\])%.*$/, '$1').trim(), inline: false });
    else if (inBody) for (const m of line.replace(/"[^"]*"/g, (q) => ' '.repeat(q.length)).matchAll(/\[V:([^\]]*)\]/g)) found.push({ value: m[1].trim(), inline: true });
    for (const f of found) {
      const id = f.value.split(/\s+/)[0];
      if (!id) continue;
      if (!ids.includes(id)) ids.push(id);
      if (inBody && !body.has(id)) body.set(id, f);
    }
    if (/^K:/.test(line)) inBody = true;
  }
  return { ids, body };
}

export interface FormInput {
  /** The tune's text as abcjs read it (file-header fields copied in). */
  text: string;
  title?: string;
  voices: PlayedVoice[];
  marks: WrittenMarks[];
  voiceIds?: string[];
  /** Per voice: unit length changes in the body, on its written timeline (quarters). */
  units?: { time: number; unit: [number, number] }[][];
  timeSignatures: TimeSignature[];
  keySignatures: KeySignature[];
  tempos: TempoChange[];
}

/** The tune form of a tune read by abcjs and heard once through by the tree player. */
export function formFromPlayed(input: FormInput): TuneForm {
  const { x, fields, keyText } = headerFields(input.text);
  // Voice ids as written, when the V: fields name as many voices as abcjs found.
  const named = voiceFields(input.text);
  const ids = input.voiceIds ?? (named.ids.length === input.voices.length ? named.ids : undefined);
  const voices = input.voices.map((v, i) => {
    const voice = voiceForm(ids?.[i] ?? String(i + 1), v, input.marks[i] ?? { lines: [], chords: [], parts: [], broken: [], decorations: [] });
    const written = ids && named.body.get(voice.id);
    if (written) voice.written = written;
    const units = input.units?.[i];
    if (units?.length) voice.units = units;
    return voice;
  });
  const meter = input.timeSignatures[0];
  const melody = voices.find((v) => v.notes.length > 0) ?? voices[0];
  const first = melody?.bars[0];
  const barLength = meter ? (meter.numerator * 4) / meter.denominator : Infinity;
  const pickup = first && melody.bars.length > 1 && first.end - first.start < barLength - 1e-9 ? first.end - first.start : 0;
  const form: TuneForm = {
    x,
    header: fields,
    keyText,
    unit: unitOf(fields, meter),
    pickup,
    voices,
    timeSignatures: input.timeSignatures,
    keySignatures: input.keySignatures,
    tempos: input.tempos,
  };
  if (input.title) form.title = input.title;
  const parts = fields.find((f) => f.field === 'P')?.value;
  if (parts) form.parts = parts;
  const rhythm = fields.find((f) => f.field === 'R')?.value;
  if (rhythm) form.rhythm = rhythm;
  return form;
}
