/**
 * ABC out: NoteSequence -> ABC 2.1 text. Hand-written because abcjs only goes the other way.
 *
 * The timeline is cut at every onset, every end and every bar line; each piece is one note, chord or
 * rest, and notes that go on into the next piece are tied. That makes any quantized sequence
 * (polyphony included) come back note for note when it is read again. Velocities are not written.
 */
import { keyAccidentals, MODES, parseKey } from '../key';
import { quantize } from '../sequence';
import type { KeySignature, NoteSequence } from '../types';
import type { BarLine, FormVoice, TuneForm } from './form';

const LETTERS = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;
const LETTER_BASE = [0, 2, 4, 5, 7, 9, 11];
const SHARP_ORDER = [3, 0, 4, 1, 5, 2, 6]; // F C G D A E B as letter indices
const FLAT_ORDER = [6, 2, 5, 1, 4, 0, 3]; // B E A D G C F

/** Per-letter alteration (-1, 0, +1) of a key signature with this many sharps (>0) or flats (<0). */
export function keyAlterations(accidentals: number): number[] {
  const alt = [0, 0, 0, 0, 0, 0, 0];
  const n = Math.max(-7, Math.min(7, Math.round(accidentals)));
  for (let i = 0; i < Math.abs(n); i++) alt[n > 0 ? SHARP_ORDER[i] : FLAT_ORDER[i]] = n > 0 ? 1 : -1;
  return alt;
}

interface Spelling {
  letter: number; // 0-6
  alter: number; // -2..2
  octave: number; // scientific octave of the letter (C4 = middle C)
}

/** Spells a pitch in a key: the key's own note if any, else a natural, else sharps in sharp keys and flats in flat keys. */
export function spellPitch(pitch: number, keyAlt: number[], sharpKey: boolean): Spelling {
  const pc = ((pitch % 12) + 12) % 12;
  let best: Spelling | null = null;
  let bestScore = Infinity;
  for (let l = 0; l < 7; l++) {
    let alter = pc - LETTER_BASE[l];
    if (alter > 6) alter -= 12;
    if (alter < -6) alter += 12;
    if (Math.abs(alter) > 1) continue;
    const score = alter === keyAlt[l] ? 0 : alter === 0 ? 1 : (alter > 0) === sharpKey ? 2 : 3;
    if (score < bestScore) {
      bestScore = score;
      best = { letter: l, alter, octave: Math.floor((pitch - alter) / 12) - 1 };
    }
  }
  return best!;
}

function noteName(s: Spelling): string {
  const letter = LETTERS[s.letter];
  if (s.octave >= 5) return letter.toLowerCase() + "'".repeat(s.octave - 5);
  return letter + ','.repeat(Math.max(0, 4 - s.octave));
}

function accidentalText(alter: number): string {
  return alter === 0 ? '=' : alter > 0 ? '^'.repeat(alter) : '_'.repeat(-alter);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Length text for a duration of `steps` grid steps when L is `unitSteps` steps ("", "2", "3/2", "/2"). */
function lengthText(steps: number, unitSteps: number): string {
  const g = gcd(steps, unitSteps);
  const num = steps / g;
  const den = unitSteps / g;
  if (den === 1) return num === 1 ? '' : String(num);
  if (num === 1 && den === 2) return '/';
  return (num === 1 ? '' : String(num)) + '/' + den;
}

/** Splits a duration into lengths a reader expects to see (1, 2, 3, 4, 6, 8 ... units, halves, dotted halves). */
function splitDuration(steps: number, unitSteps: number): number[] {
  const nice = new Set<number>();
  for (let j = -6; j <= 6; j++) {
    for (const k of [1, 3]) {
      const s = unitSteps * k * 2 ** j;
      if (Number.isInteger(s) && s > 0) nice.add(s);
    }
  }
  const sorted = [...nice].sort((a, b) => b - a);
  const out: number[] = [];
  let left = steps;
  while (left > 0) {
    const s = sorted.find((x) => x <= left) ?? left;
    out.push(s);
    left -= s;
  }
  return out;
}

export function keyName(k: KeySignature | undefined): string {
  if (!k) return 'C';
  const alt = keyAlterations(k.accidentals);
  const s = spellPitch(k.tonic + 60, alt, k.accidentals >= 0);
  return LETTERS[s.letter] + (s.alter > 0 ? '#' : s.alter < 0 ? 'b' : '') + MODES[k.mode].abc;
}

export interface TuneWriteOptions {
  /** X: number (default: the form's). */
  x?: number | string;
  /** T: (replaces the form's first title). */
  title?: string;
  /** Quantization grid before writing, steps per quarter (default: the finest straight grid up to 32nds the notes sit on, else 16ths with triplets). */
  stepsPerQuarter?: number;
  /** L: denominator (8 -> L:1/8), replacing the form's L:. */
  unitDenominator?: number;
  /** Bars per line of music (default: where the text the form was read from broke its lines, else 4). */
  barsPerLine?: number;
  /** Write Q: fields and tempo changes (default true). */
  tempo?: boolean;
  /** Triplets: false quantizes notes on the 16th-triplet grid to 16ths (default: written as (3 tuplets). */
  triplets?: boolean;
}

const ANNOTATION_PREFIX: Record<string, string> = { default: '', above: '^', below: '_', left: '<', right: '>' };

/** The grid a set of times sits on: the finest straight grid up to 32nds, or 0 when none. */
function straightGrid(times: number[]): number {
  for (const spq of [4, 8, 16, 32]) if (times.every((t) => onGrid(t, spq))) return spq;
  return 0;
}

/**
 * ABC text of a tune form: the header fields as written (X: T: ... K:), then each voice bar by bar
 * with its bar lines, repeats, endings, parts, chord symbols, key, meter and tempo changes.
 * Notes are spelled as writeAbc always did (see the module comment); ties join notes across bar
 * lines; lengths are written in the form's unit (L:).
 */
export function writeTuneForm(form: TuneForm, opts: TuneWriteOptions = {}): string {
  const voicesIn = form.voices.filter((v) => v.notes.length > 0 || v.chords.length > 0);
  if (!voicesIn.length) voicesIn.push(form.voices[0] ?? { id: '1', bars: [{ start: 0, end: 4, line: '|]' }], notes: [], chords: [], broken: [], played: 0 });
  const sigs = [...form.timeSignatures].filter((t) => t.numerator > 0 && t.denominator > 0).sort((a, b) => a.time - b.time);
  const ts = sigs.find((t) => t.time <= 0) ?? sigs[0] ?? { time: 0, numerator: 4, denominator: 4 };
  // The grid: notes and bar lines exactly where they are when they sit on a straight grid, else
  // 16ths and triplets on 12 steps per quarter (quantized), as writeAbc always did.
  const times: number[] = [];
  for (const v of voicesIn) {
    for (const n of v.notes) times.push(n.start, n.end);
    for (const b of v.bars) times.push(b.start, b.end);
    for (const c of v.chords) times.push(c.time);
  }
  let triplets = false;
  let spq = opts.stepsPerQuarter ?? straightGrid(times);
  const quantized = voicesIn.map((v) => {
    const seq: NoteSequence = { notes: v.notes, tempos: [], timeSignatures: [], keySignatures: [], totalTime: 0 };
    if (spq) return opts.stepsPerQuarter ? quantize(seq, { stepsPerQuarter: spq }).notes : v.notes;
    return quantize(seq, { stepsPerQuarter: 4, triplets: opts.triplets !== false }).notes;
  });
  if (!spq && opts.triplets !== false && !opts.stepsPerQuarter) {
    // Triplets with 16ths (12 per quarter), 32nds (24) or 64ths (48), exactly as written.
    // Triplet 32nds ((3f/g/a/ in L:1/16, steps 1, 5, 7, 11 of 12) are written on 24.
    const thirtySeconds = (t: number) => {
      const k = ((Math.round(t * 12) % 12) + 12) % 12;
      return k % 2 !== 0 && k % 3 !== 0;
    };
    for (const grid of [12, 24, 48])
      if (times.every((t) => onGrid(t, grid)) && (grid !== 12 || !times.some(thirtySeconds))) {
        spq = grid;
        triplets = true;
        quantized.forEach((_, i) => (quantized[i] = voicesIn[i].notes));
        break;
      }
  }
  if (!spq) {
    triplets = opts.triplets !== false && quantized.some((ns) => ns.some((n) => !onGrid(n.start, 4) || !onGrid(n.end, 4)));
    spq = triplets ? 12 : 4;
  }
  // Every bar must be a whole number of steps (e.g. 3/32 needs 32nds), and so must the unit (and
  // every unit an [L:] field changes to).
  const [unitNum, unitDenForm] = opts.unitDenominator ? [1, opts.unitDenominator] : form.unit;
  const unitChanges = opts.unitDenominator ? voicesIn.map(() => []) : voicesIn.map((v) => (v.units ?? []).filter((u) => u.unit[0] > 0 && u.unit[1] > 0));
  const whole = (t: { numerator: number; denominator: number }) => Number.isInteger((t.numerator * 4 * spq) / t.denominator);
  const wholeUnit = ([n, d]: [number, number]) => Number.isInteger((4 * spq * n) / d);
  while ((![ts, ...sigs].every(whole) || !wholeUnit([unitNum, unitDenForm]) || !unitChanges.every((l) => l.every((u) => wholeUnit(u.unit)))) && spq < 192 && !triplets) spq *= 2;
  const unitSteps = (4 * spq * unitNum) / unitDenForm;
  const unitInt = Number.isInteger(unitSteps) && unitSteps >= 1 ? unitSteps : 1;
  const unitText = unitInt === unitSteps ? `${unitNum}/${unitDenForm}` : `1/${4 * spq}`;
  const step = (t: number) => Math.round(t * spq);

  let endStep = 0;
  for (const v of voicesIn) endStep = Math.max(endStep, step(v.bars[v.bars.length - 1]?.end ?? 0));
  quantized.forEach((ns) => (endStep = Math.max(endStep, ...ns.map((n) => step(n.end)))));
  // Triplet spans are whole quarters or halves: a tune that ends inside its last bar ends on a quarter.
  const lastBarEnd = Math.max(...voicesIn.map((v) => step(v.bars[v.bars.length - 1]?.end ?? 0)));
  if (triplets && endStep > lastBarEnd) endStep = Math.ceil(endStep / spq) * spq;

  const keys = [...form.keySignatures].sort((a, b) => a.time - b.time);
  const key = keys.find((k) => k.time <= 0) ?? keys[0];
  const keyAt = (k: KeySignature) => ({ ...k, accidentals: keyAccidentals(k.tonic, k.mode) });
  // A K: line right after the header's (K:D then K:F) is a key at time 0 that the header's K: does
  // not say: the body opens with it.
  const headerKey = parseKey(form.keyText);
  const openingKey = key && headerKey && (headerKey.tonic !== key.tonic || headerKey.mode !== key.mode) ? `[K:${keyName(keyAt(key))}]` : '';
  const keyChanges = new Map<number, KeySignature>();
  for (const k of keys) {
    const at = step(k.time);
    if (at > 0 && at < endStep) keyChanges.set(at, keyAt(k));
  }
  const tempos = [...form.tempos].filter((t) => t.qpm > 0 && Number.isFinite(t.qpm)).sort((a, b) => a.time - b.time);
  const firstQpm = tempos.find((t) => t.time <= 0)?.qpm ?? tempos[0]?.qpm;
  const tempoChanges = new Map<number, number>();
  if (opts.tempo ?? true) {
    let last = firstQpm !== undefined ? Math.round(firstQpm) : undefined;
    for (const t of tempos) {
      const at = step(t.time);
      const qpm = Math.round(t.qpm);
      if (at <= 0 || at >= endStep || qpm === last) continue;
      tempoChanges.set(at, qpm);
      last = qpm;
    }
  }
  const meterAt = (at: number) => {
    let m = ts;
    for (const s of sigs) if (step(s.time) <= at) m = s;
    return m;
  };

  const body: string[] = [];
  let abcVoice = 0;
  const allVoices: { chords: Chord[]; v: FormVoice; i: number; extra: boolean }[] = [];
  voicesIn.forEach((v, i) => {
    const notes = quantized[i].map((n) => ({ pitch: n.pitch, s: step(n.start), e: step(n.end) })).filter((n) => n.e > n.s);
    allocateVoices(notes).forEach((chords, k) => allVoices.push({ chords, v, i, extra: k > 0 }));
  });
  // Voices keep their ids and V: fields as written (V:S name="Soprano", inline [V:S] or a line of
  // its own; the header's definitions are header fields); a voice the writer adds (overlapping
  // chords) gets a new id. A form without V: fields numbers its voices V:1, V:2 ...
  const named = voicesIn.some((v) => v.written) || form.header.some((f) => f.field === 'V');
  const usedIds = new Set(voicesIn.map((v) => v.id));
  const freshId = (id: string) => {
    let k = 2;
    while (usedIds.has(`${id}${k}`)) k++;
    usedIds.add(`${id}${k}`);
    return `${id}${k}`;
  };
  const headerUnit = unitText;
  let currentUnit = headerUnit;
  for (const { chords, v, i, extra } of allVoices) {
    abcVoice++;
    let voiceField: { value: string; inline: boolean } | null = null;
    if (named && (allVoices.length > 1 || v.written)) voiceField = extra ? { value: freshId(v.id), inline: !!v.written?.inline } : (v.written ?? { value: v.id, inline: false });
    else if (allVoices.length > 1) voiceField = { value: String(abcVoice), inline: false };
    if (voiceField && !voiceField.inline) body.push(`V:${voiceField.value}`);
    // Unit changes in steps; the voice starts in its own unit, written out when it is not the
    // unit in force (abcjs carries an [L:] on from the voice before) or not the header's.
    const unitAt = new Map<number, { steps: number; text: string }>();
    let startUnit = headerUnit;
    // A unit the grid cannot count in whole steps (1/64 among triplets) is not written: lengths stay in the unit before it.
    for (const u of unitChanges[i].filter((x) => wholeUnit(x.unit) && (4 * spq * x.unit[0]) / x.unit[1] >= 1)) {
      const at = step(u.time);
      const text = `${u.unit[0]}/${u.unit[1]}`;
      if (at <= 0) startUnit = text;
      else if (at < endStep) unitAt.set(at, { steps: (4 * spq * u.unit[0]) / u.unit[1], text });
    }
    const stepsOf = (text: string) => {
      const [n, d] = text.split('/').map(Number);
      return (4 * spq * n) / d;
    };
    const opening = startUnit !== currentUnit || startUnit !== headerUnit ? `[L:${startUnit}]` : '';
    currentUnit = [startUnit, ...[...unitAt.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1].text)].pop()!;
    // Bars: the form's, in steps; the last reaches the end of the tune.
    const bars: Bar[] = [];
    let written = `${ts.numerator}/${ts.denominator}`;
    for (const b of v.bars) {
      const start = step(b.start);
      const end = step(b.end);
      if (end <= start && bars.length) {
        bars[bars.length - 1].line = b.line || bars[bars.length - 1].line;
        if (b.lineBreak) bars[bars.length - 1].lineBreak = true;
        continue;
      }
      const m = meterAt(start);
      const mt = `${m.numerator}/${m.denominator}`;
      const compound = m.numerator % 3 === 0 && m.numerator > 3 && m.denominator >= 8;
      const bar: Bar = { start, end: Math.max(end, start + 1), beatSteps: Math.max(1, Math.round(((compound ? 3 : 1) * 4 * spq) / m.denominator)), line: b.line };
      if (mt !== written) bar.meter = written = mt;
      if (b.ending) bar.ending = b.ending;
      if (b.part) bar.part = b.part;
      if (b.lineBreak) bar.lineBreak = true;
      bars.push(bar);
    }
    if (!bars.length) bars.push({ start: 0, end: Math.max(1, endStep), beatSteps: spq, line: '|]' });
    const last = bars[bars.length - 1];
    if (last.end < endStep) last.end = endStep;
    const annotations = new Map<number, string>();
    for (const c of v.chords) {
      const at = Math.min(step(c.time), endStep - 1);
      const text = `"${ANNOTATION_PREFIX[c.position] ?? ''}${c.name.replace(/"/g, "'")}"`;
      annotations.set(at, (annotations.get(at) ?? '') + text);
    }
    // Decorations as written, after the chord symbols of their note (~ a roll, . staccato, !name! the rest).
    for (const d of v.decorations ?? []) {
      const at = Math.min(step(d.time), endStep - 1);
      const text = d.name === 'roll' || d.name === 'irishroll' ? '~' : d.name === 'staccato' ? '.' : `!${d.name}!`;
      annotations.set(at, (annotations.get(at) ?? '') + text);
    }
    const lines = writeVoice(chords, { endStep, bars, unitSteps: startUnit === headerUnit ? unitInt : stepsOf(startUnit), unitChanges: unitAt, key: key ? keyAt(key) : undefined, keyChanges, tempoChanges: abcVoice <= 1 ? tempoChanges : new Map(), triplets, stepsPerQuarter: spq, barsPerLine: opts.barsPerLine ?? 4, broken: new Map(v.broken.map((x) => [step(x.time), x.sign] as const)), asWritten: opts.barsPerLine === undefined && v.bars.some((b) => b.lineBreak), opening: v.opening, annotations });
    // An inline voice field and the voice's opening unit go before its first note (after a P: line).
    const prefix = (voiceField?.inline ? `[V:${voiceField.value}] ` : '') + openingKey + opening;
    if (prefix) {
      const first = lines.findIndex((l) => !/^[A-Za-z]:/.test(l));
      if (first >= 0) lines[first] = prefix + lines[first];
      else lines.push(prefix);
    }
    body.push(...lines);
  }

  // The header as written; T: and L: as asked, Q: left out without tempo.
  const head: string[] = [`X:${opts.x ?? form.x}`];
  const title = opts.title !== undefined ? opts.title.replace(/\s+/g, ' ').trim() || 'Untitled' : undefined;
  let wroteTitle = false;
  let wroteUnit = false;
  for (const f of form.header) {
    if (f.field === 'T' && !wroteTitle) {
      head.push(`T:${title ?? f.value}`);
      wroteTitle = true;
      continue;
    }
    if (f.field === 'L') {
      if (!wroteUnit) head.push(`L:${unitText}`);
      wroteUnit = true;
      continue;
    }
    if (f.field === 'Q' && opts.tempo === false) continue;
    head.push(`${f.field}:${f.value}`);
  }
  if (!wroteTitle) head.splice(1, 0, `T:${title ?? form.title ?? 'Untitled'}`);
  if (!wroteUnit && (unitText !== `${form.unit[0]}/${form.unit[1]}` || opts.unitDenominator)) head.push(`L:${unitText}`);
  head.push(`K:${form.keyText}`);
  return head.join('\n') + '\n' + body.join('\n') + '\n';
}

/**
 * Steps of the writer's loops since the last reset: the linear-time test counts them (a count, not
 * a wall time, so it holds on a loaded machine).
 */
export const work = { steps: 0 };

function onGrid(t: number, spq: number): boolean {
  return Math.abs(t * spq - Math.round(t * spq)) < 1e-6;
}

interface Bar {
  start: number;
  end: number;
  beatSteps: number;
  /** The meter written at the start of this bar ([M:3/4]) when it changes here. */
  meter?: string;
  /** The bar line after it ('' for none). */
  line: BarLine | '';
  /** The ending it starts ("1", "2"). */
  ending?: string;
  /** The part it starts (written as a P: line before it). */
  part?: string;
  /** The line of music ends after it (as the text it was read from had it). */
  lineBreak?: boolean;
}

interface Chord {
  s: number;
  e: number;
  pitches: number[];
}

/**
 * One ABC voice can only tie reliably from a note or chord to the same chord: abcjs matches ties
 * inside chords by position. So notes with the same onset and end form a chord, and chords that
 * overlap go to separate voices (V:1, V:2 ...). A melody stays one voice.
 */
function allocateVoices(notes: { pitch: number; s: number; e: number }[]): Chord[][] {
  const groups = new Map<string, Chord>();
  for (const n of notes) {
    const k = `${n.s}:${n.e}`;
    const g = groups.get(k);
    if (g) {
      if (!g.pitches.includes(n.pitch)) g.pitches.push(n.pitch);
    } else groups.set(k, { s: n.s, e: n.e, pitches: [n.pitch] });
  }
  // Two notes a semitone apart may share a letter (G ^G), and abcjs then mixes up their ties: such
  // notes go to chords of their own (hence other voices).
  const split: Chord[] = [];
  for (const g of groups.values()) {
    const parts: Chord[] = [];
    for (const p of [...g.pitches].sort((x, y) => x - y)) {
      let part = parts.find((c) => c.pitches.every((q) => Math.abs(q - p) > 1));
      if (!part) parts.push((part = { s: g.s, e: g.e, pitches: [] }));
      part.pitches.push(p);
    }
    split.push(...parts);
  }
  const chords = split.sort((a, b) => a.s - b.s || b.pitches[0] - a.pitches[0]);
  const voices: Chord[][] = [];
  const voiceEnd: number[] = [];
  for (const c of chords) {
    c.pitches.sort((a, b) => a - b);
    let v = voiceEnd.findIndex((end) => end <= c.s);
    if (v < 0) {
      v = voices.length;
      voices.push([]);
      voiceEnd.push(0);
    }
    voices[v].push(c);
    voiceEnd[v] = c.e;
  }
  if (voices.length === 0) voices.push([]);
  return voices;
}

interface VoiceContext {
  endStep: number;
  bars: Bar[];
  /** Steps of the unit length (L:) the voice starts in. */
  unitSteps: number;
  /** [L:] changes by step (after 0): the new unit's steps and text ("1/16"). */
  unitChanges?: Map<number, { steps: number; text: string }>;
  key: KeySignature | undefined;
  /** Key changes by step (after 0). */
  keyChanges: Map<number, KeySignature>;
  /** Tempo changes by step (after 0), in quarter notes per minute: written in the first voice only. */
  tempoChanges: Map<number, number>;
  /** The grid is 12 (or 24) per quarter and triplet spans are written as tuplets. */
  triplets: boolean;
  stepsPerQuarter: number;
  barsPerLine: number;
  /** Lines of music end where the text the form was read from ended them (bars' lineBreak), not every barsPerLine. */
  asWritten?: boolean;
  /** The bar line before the first bar (|:). */
  opening?: BarLine;
  /** Chord symbols and annotations ("Am") to write before the note or rest at a step. */
  annotations: Map<number, string>;
  /** Broken rhythm as written (a>b, a<b): the first note's step and the sign. */
  broken?: Map<number, '>' | '<'>;
}

/**
 * Triplet spans on the 12-per-quarter grid: a quarter whose cuts are all on thirds becomes one
 * (3 span of eighths, and a half-quarter whose cuts are on sixths a (3 span of 16ths. Cuts that
 * mix both in one half-quarter are moved to the nearest sixth (documented limit); on 24 or 48 steps a
 * 16th cut in twelfths of a quarter is a (3 span of 32nds. A span never
 * crosses a bar line. Returns the spans (start -> end) and the cuts to add or move.
 */
function tripletSpans(points: number[], barStarts: Set<number>, endStep: number, S = 12): { spans: Map<number, number>; moved: Map<number, number> } {
  // S steps per quarter (12, or 24 with 32nds): straight notes sit on 3 steps (16ths or 32nds),
  // triplet eighths on S/3, triplet 16ths on S/6.
  const T8 = S / 3;
  const T16 = S / 6;
  const H = S / 2;
  work.steps++;
  const spans = new Map<number, number>();
  const moved = new Map<number, number>();
  // One pass over the sorted points and bar starts (a 10,000-bar silence has 40,000 quarters and
  // 10,000 points: filtering all points per quarter was quadratic, issue #18).
  const bars = [...barStarts].sort((a, b) => a - b);
  let pi = 0;
  const inside = (a: number, b: number, from: number) => {
    const out: number[] = [];
    for (let i = from; i < points.length && points[i] < b; i++) {
      work.steps++;
      if (points[i] > a) out.push(points[i]);
    }
    return out;
  };
  // Quarters are counted from each bar line (a bar of a 16th in the middle of a tune, |:g/|, moves
  // the beats of every bar after it); the first bar, a pickup, counts back from its end.
  const segments: [number, number][] = [];
  {
    let from = 0;
    for (const b of bars) {
      if (b <= from || b >= endStep) continue;
      segments.push([from, b]);
      from = b;
    }
    if (from < endStep) segments.push([from, endStep]);
  }
  segments.forEach(([bs, be], si) => {
    const first = si === 0 && segments.length > 1 && (be - bs) % S !== 0 ? be - Math.ceil((be - bs) / S) * S : bs;
    for (let q0 = first; q0 < be; q0 += S) {
      work.steps++;
      const q = Math.max(bs, q0);
      const qEnd = Math.min(be, q0 + S);
      while (pi < points.length && points[pi] <= q) pi++;
      // A quarter without cuts inside is plain: skip straight to the quarter of the next cut.
      if (pi >= points.length || points[pi] >= qEnd) {
        const next = pi < points.length ? Math.min(points[pi], be) : be;
        if (next - q0 > 2 * S) q0 += Math.floor((next - q0) / S - 1) * S;
        continue;
      }
      // Triplet quarters: a half note cut in thirds ((3 of quarters) is one span over two quarters.
      if (q0 >= bs && q + 2 * S <= be) {
        const half = inside(q, q + 2 * S, pi);
        if (half.some((p) => (p - q) % 3 !== 0) && half.every((p) => (p - q) % (2 * T8) === 0)) {
          spans.set(q, q + 2 * S);
          q0 += S;
          continue;
        }
      }
      const pts = inside(q, qEnd, pi);
      if (pts.every((p) => (p - q0) % 3 === 0)) continue;
      if (qEnd - q === S && pts.every((p) => (p - q) % T8 === 0)) {
        spans.set(q, qEnd);
        continue;
      }
      for (const h0 of [q0, q0 + H]) {
        const h = Math.max(bs, h0);
        const hEnd = Math.min(qEnd, h0 + H);
        if (h >= hEnd) continue;
        const hp = inside(h, hEnd, pi);
        if (hp.every((p) => (p - q0) % 3 === 0)) continue;
        if ((hEnd - h !== H || !hp.every((p) => (p - h) % T16 === 0)) && S % 24 === 0) {
          // Triplet 32nds: each 16th of the half-quarter (within the bar) is plain or one (3 span of 32nds.
          const Q = S / 4;
          const T32 = S / 12;
          const sub: number[] = [];
          let fits = true;
          for (const g of [h0, h0 + Q]) {
            const gp = inside(Math.max(h, g), Math.min(hEnd, g + Q), pi);
            if (gp.every((p) => (p - q0) % 3 === 0)) continue;
            if (g >= h && g + Q <= hEnd && gp.every((p) => (p - g) % T32 === 0)) sub.push(g);
            else fits = false;
          }
          if (fits) {
            for (const g of sub) spans.set(g, g + Q);
            continue;
          }
        }
        if (hEnd - h !== H) {
          for (const p of hp) if ((p - q0) % 3 !== 0) moved.set(p, q0 + Math.round((p - q0) / 3) * 3);
          continue;
        }
        for (const p of hp) if ((p - h) % T16 !== 0) moved.set(p, h + Math.round((p - h) / T16) * T16);
        spans.set(h, hEnd);
      }
    }
  });
  return { spans, moved };
}

/** An ending as written: [1, [1,3, [2-4; one named in words (["Coda") keeps its quotes. */
function endingMark(ending: string): string {
  return /^\d+(?:[,-]\d+)*$/.test(ending) ? `[${ending}` : `["${ending.replace(/"/g, "'")}"`;
}

function writeVoice(chordsIn: Chord[], ctx: VoiceContext): string[] {
  const { bars } = ctx;
  let unitSteps = ctx.unitSteps;
  const unitChanges = ctx.unitChanges ?? new Map<number, { steps: number; text: string }>();
  let keyAcc = ctx.key ? ctx.key.accidentals : 0;
  let keyAlt = keyAlterations(keyAcc);
  let sharpKey = keyAcc >= 0;
  const barStarts = new Set(bars.map((b) => b.start));
  const meterChanges = bars.some((b) => b.meter);
  let chords = chordsIn;
  const cuts = new Set<number>([0, ctx.endStep]);
  const addChordCuts = () => {
    for (const c of chords) {
      cuts.add(c.s);
      cuts.add(c.e);
    }
  };
  addChordCuts();
  for (const b of bars) if (b.start > 0) cuts.add(b.start);
  for (const t of ctx.annotations.keys()) cuts.add(t);
  for (const k of ctx.keyChanges.keys()) cuts.add(k);
  for (const t of ctx.tempoChanges.keys()) cuts.add(t);
  for (const t of unitChanges.keys()) cuts.add(t);
  let spans = new Map<number, number>();
  if (ctx.triplets) {
    const t = tripletSpans([...cuts].sort((a, b) => a - b), barStarts, ctx.endStep, ctx.stepsPerQuarter);
    spans = t.spans;
    if (t.moved.size) {
      const mv = (x: number) => t.moved.get(x) ?? x;
      chords = chords.map((c) => ({ ...c, s: mv(c.s), e: mv(c.e) })).filter((c) => c.e > c.s);
      cuts.clear();
      cuts.add(0).add(ctx.endStep);
      addChordCuts();
      for (const b of bars) if (b.start > 0) cuts.add(b.start);
      for (const t of ctx.annotations.keys()) cuts.add(mv(t));
      for (const k of ctx.keyChanges.keys()) cuts.add(mv(k));
      for (const t of ctx.tempoChanges.keys()) cuts.add(mv(t));
      for (const t of unitChanges.keys()) cuts.add(mv(t));
    }
    for (const [a, b] of spans) cuts.add(a).add(b);
  }
  const points = [...cuts].filter((c) => c >= 0 && c <= ctx.endStep).sort((a, b) => a - b);

  const lines: string[] = [];
  if (bars[0].part !== undefined) lines.push(`P:${bars[0].part}`);
  let line = ctx.opening ?? '';
  if (bars[0].ending) line += `${endingMark(bars[0].ending)} `;
  let barsOnLine = 0;
  let bar = 0;
  let stateLetter = new Map<number, number>(); // letter -> alteration within the bar
  let stateExact = new Map<string, number>(); // letter+octave -> alteration within the bar
  // After a key change inside a bar, readers differ on what the earlier accidentals of the bar
  // still mean: every note spells its accidental out until the bar line.
  let explicit = false;
  // abcjs does not let the accidental of a tied-in note carry on through the bar: such notes spell
  // themselves out but leave the bar's accidentals as they were.
  // A tied-in note keeps the spelling of the note it is tied from (C#- [K:F] ^C, not _D): a tie
  // joins notes of the same letter.
  const spelled = new Map<number, Spelling>();
  const pitchText = (p: number, tiedIn: boolean): string => {
    const sp = (tiedIn && spelled.get(p)) || spellPitch(p, keyAlt, sharpKey);
    spelled.set(p, sp);
    const exactKey = `${sp.letter}:${sp.octave}`;
    const curLetter = stateLetter.get(sp.letter) ?? keyAlt[sp.letter];
    const cur = stateExact.get(exactKey) ?? keyAlt[sp.letter];
    // Readers differ on whether an accidental carries to other octaves: write it whenever either reading would need it.
    let acc = '';
    if (explicit || sp.alter !== cur || sp.alter !== curLetter) {
      acc = accidentalText(sp.alter);
      if (!tiedIn) {
        stateExact.set(exactKey, sp.alter);
        stateLetter.set(sp.letter, sp.alter);
      }
    }
    return acc + noteName(sp);
  };

  let ci = 0;
  let tuplet: { end: number; start: number; count: number } | null = null;
  /** The written length of the second note of a broken-rhythm pair (a>b: both written a unit long). */
  let brokenNext: number | null = null;
  for (let i = 0; i + 1 < points.length; i++) {
    work.steps++;
    const a = points[i];
    const b = points[i + 1];
    while (bar + 1 < bars.length && bars[bar + 1].start <= a) {
      // No bar line before an ending that starts inside a bar (A2A2 [1 Bd|); none written elsewhere is a plain one.
      const inside = bars[bar].line === '' && !!bars[bar + 1].ending;
      line += inside ? '' : bars[bar].line || '|';
      bar++;
      barsOnLine++;
      stateLetter = new Map();
      stateExact = new Map();
      explicit = false;
      const part = bars[bar].part;
      if ((ctx.asWritten ? !!bars[bar - 1].lineBreak : barsOnLine >= ctx.barsPerLine) || part !== undefined) {
        lines.push(line);
        if (part !== undefined) lines.push(`P:${part}`);
        line = '';
        barsOnLine = 0;
      } else line += ' ';
      // An ending right after its bar line: |1, :|2 (abcjs and abc2midi read [1 and |1 alike).
      if (bars[bar].ending) line = (inside ? line : line.replace(/ $/, '')) + `${endingMark(bars[bar].ending!)} `;
      if (bars[bar].meter) line += `[M:${bars[bar].meter}]`;
    }
    if (a > 0 && a !== bars[bar].start && (a - bars[bar].start) % bars[bar].beatSteps === 0 && line !== '' && !/[ ><]$/.test(line)) line += ' ';
    const qpm = ctx.tempoChanges.get(a);
    if (qpm) line += `[Q:1/4=${qpm}]`;
    const unit = unitChanges.get(a);
    if (unit) {
      line += `[L:${unit.text}]`;
      unitSteps = unit.steps;
    }
    const k = ctx.keyChanges.get(a);
    if (k) {
      line += `[K:${keyName(k)}]`;
      keyAcc = k.accidentals;
      keyAlt = keyAlterations(keyAcc);
      sharpKey = keyAcc >= 0;
      if (a !== bars[bar].start) explicit = true;
    }
    const spanEnd = spans.get(a);
    if (spanEnd !== undefined) tuplet = { start: line.length, end: spanEnd, count: 0 };
    const annotation = ctx.annotations.get(a);
    if (annotation) line += annotation;
    while (ci < chords.length && chords[ci].e <= a) ci++;
    const c = ci < chords.length && chords[ci].s <= a ? chords[ci] : null;
    // Inside a triplet span every length is written 3/2 as long: (3 plays three in the time of two.
    let pieces = splitDuration(tuplet ? ((b - a) * 3) / 2 : b - a, unitSteps);
    let sign: '>' | '<' | '' = '';
    if (brokenNext !== null) {
      pieces = [brokenNext];
      brokenNext = null;
    } else if (c && !tuplet && c.s === a && c.e === b && ctx.broken?.has(a) && i + 2 < points.length) {
      // Written as it was: a>b (3:1) or a<b (1:3), both notes at their mean length.
      const want = ctx.broken.get(a)!;
      const nb = points[i + 2];
      let next: Chord | null = null;
      for (let j = ci + 1; j < chords.length && chords[j].s <= b; j++) if (chords[j].s === b) next = chords[j];
      const l1 = b - a;
      const l2 = nb - b;
      const half = (l1 + l2) / 2;
      const ratio = want === '>' ? l1 === 3 * l2 : l2 === 3 * l1;
      if (next && next.e === nb && ratio && !barStarts.has(b) && !spans.has(b) && splitDuration(half, unitSteps).length === 1 && !ctx.keyChanges.has(b) && !ctx.tempoChanges.has(b) && !unitChanges.has(b)) {
        pieces = [half];
        sign = want;
        brokenNext = half;
      }
    }
    // abcjs 6.7 plays a rest that fills a bar for the length of the tune's first meter, also after
    // an [M:] change; two rests are read at their written length.
    if (!c && meterChanges && a === bars[bar].start && b === bars[bar].end && pieces.length === 1 && pieces[0] % 2 === 0) pieces = [pieces[0] / 2, pieces[0] / 2];
    for (let k = 0; k < pieces.length; k++) {
      const len = lengthText(pieces[k], unitSteps);
      if (tuplet) tuplet.count++;
      if (!c) {
        line += 'z' + len;
        continue;
      }
      const tie = k < pieces.length - 1 || c.e > b ? '-' : '';
      const tiedIn = k > 0 || c.s < a;
      const names = c.pitches.map((p) => pitchText(p, tiedIn));
      line += (names.length === 1 ? names[0] : '[' + names.join('') + ']') + len + tie + sign;
    }
    if (tuplet && b >= tuplet.end) {
      const mark = tuplet.count === 3 ? '(3' : `(3:2:${tuplet.count}`;
      line = line.slice(0, tuplet.start) + mark + line.slice(tuplet.start);
      tuplet = null;
    }
  }
  line = line.replace(/\s+$/, '');
  const end = bars[bars.length - 1].line;
  if (line !== '' || lines.length === 0) lines.push(line + end);
  else lines[lines.length - 1] += end;
  return lines;
}
