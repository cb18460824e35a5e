/**
 * Plays an abcjs parse tree: repeats and endings expanded, ties joined, tuplets timed, accidentals
 * resolved, velocities from beat accents and dynamics. The result is one list of sounding notes per
 * voice, in whole notes.
 *
 * Why hand-written: abcjs's own player (tune.setUpAudio) does the same, but it builds a MIDI-ready
 * copy of every element (clones, chord tracks, drum tracks, millisecond timings on the tree) and
 * took half of all ABC reading time, which made the 10,000-tunes-in-10-s target out of reach. This
 * module follows the player's reading of the tree (the same voice numbering, repeat sections,
 * triplet rounding, tie joining and beat accents) so that notes come out as they did, with two
 * deliberate differences: inline tempo changes (Q: in the body) do not stretch note lengths (times
 * here are in notes, tempo belongs to the tempo map, which this module reads too), and a grace note
 * group is only built when asked for. parseAbc adjusts the tree before (see prepareForAudio in read.ts).
 */

import { compareNotes } from '../sequence';
import type { Note, NoteSequence, TimeSignature } from '../types';
import type { FormBar, FormVoice, PerformOptions, TuneForm } from './form';

/** Quarter-note times are snapped to this grid: abcjs rounds its whole-note times to 6 decimals. */
const TIME_GRID = 10080; // 2^5 * 3^2 * 5 * 7: exact for every duplet..septuplet and 1/128 notes

/** Whole notes (abcjs's unit) to quarter notes on the grid. */
export function snap(wholeNotes: number): number {
  return Math.round(wholeNotes * 4 * TIME_GRID) / TIME_GRID;
}

/** The notes of one voice. */
export interface PlayedVoice {
  /** In quarter notes, in the order played; note.voice is 0. Notes too short to sound are left out. */
  notes: Note[];
  /** How many notes the voice played, counting those left out. */
  played: number;
}

/** What a voice writes besides notes, on its written timeline (whole notes; repeats not expanded). */
export interface WrittenMarks {
  /** Every bar line element, in order: abcjs's type (after parseAbc's adjustments) and the ending it starts. */
  lines: { time: number; type: string; ending?: string; eol?: boolean }[];
  /** Chord symbols and annotations ("Am", "^text") at the time of the note they are written on. */
  chords: { time: number; name: string; position: string }[];
  /** Part labels (P:A in the body). */
  parts: { time: number; label: string }[];
  /** Notes written with broken rhythm after them (a>b, a<b): the first note's time and the sign. */
  broken: { time: number; sign: '>' | '<' }[];
  /** Decorations written on notes (!trill!, ~, !p! ...): the note's time and abcjs's name. */
  decorations?: { time: number; name: string }[];
}

export interface Performance {
  voices: PlayedVoice[];
  /** With `linear`: each voice's bar lines, chord symbols, parts and broken rhythm (same order as voices). */
  marks?: WrittenMarks[];
  /** Tempo changes written in the body ([Q:] or a Q: line), at each time they are played, in quarter notes. */
  tempos: { time: number; qpm: number }[];
  /** For each asked-for character position: the whole-note times at which the note written there starts. */
  anchorTimes: Map<number, number[]>;
}

/**
 * A note while it is played: start in whole notes, `end` holds the written length (with the notes
 * tied to it) until every tie is joined; then the same object becomes the Note (fewer objects for
 * the garbage collector: it was a fifth of all reading time).
 */
type Sounding = Note;

interface Pitch {
  pitch?: number;
  accidental?: string;
  midipitch?: number;
  startTie?: unknown;
  endTie?: unknown;
  /** Grace notes carry their written length. */
  duration?: number;
}

interface Element {
  el_type?: string;
  type?: string;
  pitches?: (Pitch | null)[];
  gracenotes?: Pitch[];
  rest?: { type?: string };
  duration?: number;
  decoration?: string[];
  startTriplet?: number;
  tripletMultiplier?: number;
  tripletR?: number;
  endTriplet?: boolean;
  startEnding?: string;
  startChar?: number;
  accidentals?: { acc?: string; note?: string }[];
  root?: string;
  value?: { num?: string; den?: string }[];
  cmd?: string;
  params?: unknown[];
  transpose?: number;
}

interface Staff {
  clef?: { type?: string; transpose?: number };
  key?: Element;
  meter?: Element;
  voices?: Element[][];
}

interface TuneLike {
  lines?: { staff?: Staff[] }[];
  formatting?: { midi?: Record<string, unknown[] | undefined> };
  visualTranspose?: number;
  getPickupLength?: () => number;
}

/** Quarter notes per minute of an abcjs tempo (Q:3/8=120 is 180), or null when it has none. */
export function qpmOf(tempo: { duration?: number[]; bpm?: number } | undefined): number | null {
  if (!tempo?.bpm || !(tempo.bpm > 0)) return null;
  const beat = (tempo.duration ?? [0.25]).reduce((a, b) => a + b, 0) || 0.25;
  const qpm = tempo.bpm * beat * 4;
  return Number.isFinite(qpm) && qpm > 0 && qpm < 2000 ? qpm : null;
}

/** What the player reads from the linear stream of a voice (before repeats are expanded). */
type Item =
  | { kind: 'note'; el: Element; duration: number }
  | { kind: 'bar' }
  | { kind: 'key'; acc: number[]; id: string }
  | { kind: 'meter'; beatFraction: number }
  | { kind: 'transpose'; semitones: number }
  | { kind: 'beat'; stress: number[]; perPitch: number[][] }
  | { kind: 'vol'; volume: number }
  | { kind: 'volinc'; volume: number }
  | { kind: 'accents'; on: boolean }
  | { kind: 'tempo'; qpm: number }
  | { kind: 'line'; type: string; ending?: string; eol?: boolean }
  | { kind: 'part'; label: string };

type Section = { type: 'start' | 'end'; index: number } | { type: 'ending'; index: number; endings: number[] };

const DYNAMICS = new Map<string, number[]>([
  ['pppp', [15, 10, 5]],
  ['ppp', [30, 20, 10]],
  ['pp', [45, 35, 20]],
  ['p', [60, 50, 35]],
  ['mp', [75, 65, 50]],
  ['mf', [90, 80, 65]],
  ['f', [105, 95, 80]],
  ['ff', [120, 110, 95]],
  ['fff', [127, 125, 110]],
  ['ffff', [127, 125, 110]],
]);
/** The order in which a note's dynamics are looked for (the first found wins): softest first. */
const DYNAMIC_ORDER = [...DYNAMICS.keys()];
const DEFAULT_STRESS = [105, 95, 85];
/** How far a crescendo or diminuendo moves the volume when no dynamic marks its end. */
const HAIRPIN = 50;
const SCALE = [0, 2, 4, 5, 7, 9, 11];
const ACCIDENTAL_SHIFT: Record<string, number> = { sharp: 1, flat: -1, natural: 0, dblsharp: 2, dblflat: -2, quartersharp: 0.25, quarterflat: -0.25 };
const KEY_SHIFT: Record<string, number> = { sharp: 1, flat: -1, quartersharp: 0.25, quarterflat: -0.25 };

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
/** One character of what String.prototype.trimEnd removes (by code: ASCII first, the rest by \s). */
const WHITE = /^\s$/;
const isWhite = (code: number) => (code < 128 ? code === 32 || (code >= 9 && code <= 13) : WHITE.test(String.fromCharCode(code)));
const letterOf = (staffPitch: number) => ((staffPitch % 7) + 7) % 7;

/**
 * The notes of every voice of the tune, in the voice order abcjs numbers them. `anchors`: character
 * positions of written notes whose start times the caller wants (where key and meter changes hang).
 * `compoundTuplets`: (5, (7 and (9 in a compound meter (6/8, 9/8, 12/8) last three beats' notes, as
 * ABC 2.1 and abc2midi read them (abcjs: two); the caller turns it off when the tune writes the
 * ratio out ((5:2), which the parse tree does not tell apart.
 */
export function performTune(tune: TuneLike, graces: 'drop' | 'keep', anchors?: ReadonlySet<number>, compoundTuplets = true, written?: { linear: true; text: string }): Performance {
  const streams = linearize(tune, compoundTuplets, !!written);
  const pickup = safePickup(tune);
  const anchorTimes = new Map<number, number[]>();
  const tempos: { time: number; qpm: number }[] = [];
  const marks: WrittenMarks[] = [];
  const voices = streams.map((s) => {
    // Linear: the voice as written, once through (perform(form) expands the repeats from its bars).
    const spans = written ? [{ start: 0, end: s.items.length - 1 }] : expandRepeats(s.items, s.sections);
    const m: WrittenMarks | undefined = written ? { lines: [], chords: [], parts: [], broken: [], decorations: [] } : undefined;
    if (m) marks.push(m);
    return play(s.items, spans, pickup, graces, anchors?.size ? anchors : undefined, anchorTimes, tempos, m && { marks: m, text: written!.text });
  });
  // A tempo written in one voice holds for all: one list, in time order, repeats of a value dropped.
  tempos.sort((a, b) => a.time - b.time);
  const changes: { time: number; qpm: number }[] = [];
  for (const t of tempos) {
    const last = changes[changes.length - 1];
    if (last && last.time === t.time) last.qpm = t.qpm;
    else if (!last || last.qpm !== t.qpm) changes.push(t);
  }
  return written ? { voices, anchorTimes, tempos: changes, marks } : { voices, anchorTimes, tempos: changes };
}

function safePickup(tune: TuneLike): number {
  try {
    const p = tune.getPickupLength?.() ?? 0;
    return Number.isFinite(p) ? p : 0;
  } catch {
    return 0;
  }
}

/** Key items by the key they read: the quick reader gives every line of a tune the same key object. */
const keyItems = new WeakMap<Element, Item>();
function keyItem(key: Element): Item {
  let item = keyItems.get(key);
  if (!item) keyItems.set(key, (item = newKeyItem(key)));
  return item;
}

function newKeyItem(key: Element): Item {
  // A Highland bagpipe key (K:HP) sounds F and C sharp and G natural.
  const list = key.root === 'HP' ? [{ acc: 'natural', note: 'g' }, { acc: 'sharp', note: 'f' }, { acc: 'sharp', note: 'c' }] : (key.accidentals ?? []).filter((a) => a.acc !== 'natural');
  const acc = [0, 0, 0, 0, 0, 0, 0];
  for (const a of list) {
    if (!a?.note) continue;
    acc[letterOf(a.note.toLowerCase().charCodeAt(0) - 99)] += KEY_SHIFT[a.acc ?? ''] ?? 0;
  }
  return { kind: 'key', acc, id: acc.join(',') };
}

/** A compound meter: six, nine, twelve... beats (6/8, 9/8, 12/8, 6/4). */
function isCompound(meter: Element | undefined): boolean {
  if (meter?.type !== 'specified' || !meter.value?.length) return false;
  const num = parseInt(String(meter.value[0].num), 10);
  return num > 3 && num % 3 === 0;
}

function beatFractionOf(meter: Element): number {
  let num: number;
  let den: number;
  if (meter.type === 'common_time') [num, den] = [4, 4];
  else if (meter.type === 'cut_time') [num, den] = [2, 2];
  else if (meter.type === 'specified' && meter.value?.length) {
    const v = meter.value[0];
    num = String(v.num ?? '').includes('+') ? String(v.num).split('+').reduce((a, b) => a + parseInt(b, 10), 0) : parseInt(String(v.num), 10);
    den = parseInt(String(v.den), 10);
  } else return 0.25;
  // The beat: a half, a quarter, a dotted quarter in compound eighths, else an eighth.
  switch (den) {
    case 2:
      return 0.5;
    case 8:
      return num % 3 === 0 ? 0.375 : 0.125;
    case 16:
      return 0.125;
    default:
      return 0.25;
  }
}

/** Adds a key or meter unless it repeats the last one of its kind (abcjs restates them per line). */
function addIfNew(items: Item[], item: Item & { kind: 'key' | 'meter' }): void {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.kind !== item.kind) continue;
    if (it.kind === 'key' ? it.id === (item as { id: string }).id : it.beatFraction === (item as { beatFraction: number }).beatFraction) return;
    break;
  }
  items.push(item);
}

function endingNumbers(text: string): number[] {
  // "1", "2", "1,3", "1-3"; anything else is an ending without a number.
  const nums: number[] = [];
  if (text.indexOf(',') > 0) {
    for (const part of text.split(',')) {
      const n = parseInt(part, 10);
      if (n > 0) nums.push(n);
    }
  } else if (text.indexOf('-') > 0) {
    const [a, b] = text.split('-').map((x) => parseInt(x, 10));
    for (let n = a; n <= b && n < 20; n++) nums.push(n);
  } else {
    const n = parseInt(text, 10);
    if (n > 0) nums.push(n);
  }
  return nums;
}

interface Stream {
  items: Item[];
  sections: Section[];
}

/** Each voice's elements in one stream, lines joined, with the bars where repeats start and end. */
function linearize(tune: TuneLike, compoundTuplets: boolean, marks = false): Stream[] {
  const streams: Stream[] = [];
  const midi = tune.formatting?.midi ?? {};
  let transpose = 0;
  if (Array.isArray(midi.transpose)) transpose = Number(midi.transpose[0]) || 0;
  if (tune.visualTranspose) transpose -= tune.visualTranspose;
  const start: Item[] = [];
  if (transpose) start.push({ kind: 'transpose', semitones: transpose });
  if (Array.isArray(midi.beat)) start.push({ kind: 'beat', stress: (midi.beat as number[]).slice(0, 3), perPitch: [] });
  if (midi.nobeataccents) start.push({ kind: 'accents', on: false });
  const clefShifted: boolean[] = [];
  // Hairpins are tracked by the voice's place within its staff, as abcjs does.
  const crescendo: (number | false)[] = [];
  const diminuendo: (number | false)[] = [];

  for (const line of tune.lines ?? []) {
    if (!line.staff) continue;
    let number = 0;
    for (const staff of line.staff) {
      if (staff.clef?.type === 'TAB') continue;
      (staff.voices ?? []).forEach((voice, k) => {
        let stream = streams[number];
        if (!stream) stream = streams[number] = { items: [...start], sections: [{ type: 'start', index: -1 }] };
        const items = stream.items;
        const clefType = staff.clef?.type;
        if (transpose && clefType === 'perc') items.push({ kind: 'transpose', semitones: 0 });
        if (clefType !== 'perc' && staff.key) addIfNew(items, keyItem(staff.key) as Item & { kind: 'key' });
        if (staff.meter) addIfNew(items, { kind: 'meter', beatFraction: beatFractionOf(staff.meter) });
        if (clefType && clefType !== 'perc' && staff.clef?.transpose) {
          items.push({ kind: 'transpose', semitones: staff.clef.transpose });
          clefShifted[number] = false;
        }
        if (clefType) {
          if (clefType.includes('-8') || clefType.includes('+8')) {
            items.push({ kind: 'transpose', semitones: clefType.includes('-8') ? -12 : 12 });
            clefShifted[number] = true;
          } else if (clefShifted[number]) {
            items.push({ kind: 'transpose', semitones: 0 });
            clefShifted[number] = false;
          }
        }
        let compound = isCompound(staff.meter);
        let notesInBar = 0;
        let tupletRatio = 0;
        let tupletTotal = 0;
        let tupletSoFar = 0;
        let volume = DEFAULT_STRESS.slice();

        const dynamics = (el: Element, v: number) => {
          const deco = el.decoration;
          if (!deco) return;
          const type = DYNAMIC_ORDER.find((d) => deco.includes(d));
          if (type) {
            volume = DYNAMICS.get(type)!.slice();
            items.push({ kind: 'beat', stress: volume.slice(), perPitch: deco.filter((d) => DYNAMICS.has(d)).map((d) => DYNAMICS.get(d)!.slice()) });
            crescendo[k] = diminuendo[k] = false;
          }
          const hairpin = (closing: string, up: boolean) => {
            // The step per note that reaches the dynamic written just after the hairpin, or 50 up or down.
            let n = 0;
            let i = v + 1;
            for (; i < voice.length; i++) {
              if (voice[i].el_type === 'note') n++;
              if (voice[i].decoration?.includes(closing)) break;
            }
            let target = up ? Math.min(127, volume[0] + HAIRPIN) : Math.max(15, volume[0] - HAIRPIN);
            for (let j = v + n + 1; j < Math.min(voice.length, v + n + 4); j++) {
              const mark = voice[j].el_type === 'note' ? voice[j].decoration?.find((d) => DYNAMICS.has(d)) : undefined;
              if (mark) {
                target = DYNAMICS.get(mark)![0];
                break;
              }
            }
            return n > 0 ? Math.floor((target - volume[0]) / n) : false;
          };
          if (deco.includes('crescendo(')) {
            crescendo[k] = hairpin('crescendo)', true);
            diminuendo[k] = false;
          } else if (deco.includes('crescendo)')) crescendo[k] = false;
          else if (deco.includes('diminuendo(')) {
            crescendo[k] = false;
            diminuendo[k] = hairpin('diminuendo)', false);
          } else if (deco.includes('diminuendo)')) diminuendo[k] = false;
        };

        for (let v = 0; v < voice.length; v++) {
          const el = voice[v];
          switch (el.el_type) {
            case 'note': {
              if (crescendo[k] || diminuendo[k])
                for (const step of [crescendo[k], diminuendo[k]]) {
                  if (!step) continue;
                  volume = volume.map((x) => x + step);
                  items.push({ kind: 'beat', stress: volume.slice(), perPitch: [] });
                }
              dynamics(el, v);
              if (el.rest?.type === 'spacer') break; // y (a spacer) takes no time; x (an invisible rest) does
              const written = el.duration as number;
              let d = written === 0 ? 0.25 : written;
              if (el.startTriplet) {
                tupletRatio = el.tripletMultiplier as number;
                const p = el.startTriplet;
                if (compoundTuplets && compound && (p === 5 || p === 7 || p === 9) && Math.abs(tupletRatio - 2 / p) < 1e-9) tupletRatio = 3 / p;
                tupletTotal = el.startTriplet * tupletRatio * written;
                if (el.startTriplet !== el.tripletR && v + (el.tripletR as number) <= voice.length) {
                  let sum = 0;
                  for (let w = v; w < v + (el.tripletR as number); w++) sum += voice[w].duration as number;
                  tupletTotal = tupletRatio * sum;
                }
                d = round6(d * tupletRatio);
                tupletSoFar = d;
              } else if (tupletRatio) {
                if (el.endTriplet) {
                  tupletRatio = 0;
                  // The last note of a group gets what the group has left (no rounding drift).
                  d = round6(tupletTotal - tupletSoFar);
                } else {
                  d = round6(d * tupletRatio);
                  tupletSoFar += d;
                }
              }
              items.push({ kind: 'note', el, duration: d });
              notesInBar++;
              break;
            }
            case 'key':
            case 'keySignature':
              addIfNew(items, keyItem(el) as Item & { kind: 'key' });
              break;
            case 'meter':
            case 'timeSignature':
              addIfNew(items, { kind: 'meter', beatFraction: beatFractionOf(el) });
              compound = isCompound(el);
              break;
            case 'clef':
              if (el.transpose) items.push({ kind: 'transpose', semitones: el.transpose });
              if (el.type?.includes('-8')) items.push({ kind: 'transpose', semitones: -12 });
              else if (el.type?.includes('+8')) items.push({ kind: 'transpose', semitones: 12 });
              break;
            case 'bar': {
              if (notesInBar > 0) items.push({ kind: 'bar' }); // two bars in a row count once
              dynamics(el, v);
              notesInBar = 0;
              const here = items.length - 1;
              const secs = stream.sections;
              const isStart = el.type === 'bar_left_repeat' || el.type === 'bar_dbl_repeat';
              const isEnd = el.type === 'bar_right_repeat' || el.type === 'bar_dbl_repeat';
              if (isEnd) {
                // Two end repeats in a row: the second repeats from the first.
                const last = secs[secs.length - 1];
                if (last.type === 'end') secs.push({ type: 'start', index: last.index });
                secs.push({ type: 'end', index: here });
              }
              if (el.startEnding) secs.push({ type: 'ending', index: here, endings: endingNumbers(el.startEnding) });
              if (isStart) secs.push({ type: 'start', index: here });
              // After the sections are placed: a line item sounds nothing and moves no index they hold.
              if (marks) items.push({ kind: 'line', type: el.type ?? 'bar_thin', ending: el.startEnding });
              break;
            }
            case 'part':
              if (marks && typeof (el as { title?: unknown }).title === 'string') items.push({ kind: 'part', label: (el as { title: string }).title });
              break;
            case 'midi': {
              const p = Number(el.params?.[0]);
              if (el.cmd === 'transpose') items.push({ kind: 'transpose', semitones: p || 0 });
              else if (el.cmd === 'beat' && Array.isArray(el.params)) items.push({ kind: 'beat', stress: (el.params as number[]).slice(0, 3), perPitch: [] });
              else if (el.cmd === 'nobeataccents' || el.cmd === 'beataccents') items.push({ kind: 'accents', on: el.cmd === 'beataccents' });
              else if ((el.cmd === 'vol' || el.cmd === 'volinc') && Number.isFinite(p)) items.push({ kind: el.cmd, volume: p });
              break;
            }
            case 'tempo': {
              const qpm = qpmOf(el as { duration?: number[]; bpm?: number });
              if (qpm) items.push({ kind: 'tempo', qpm });
              break;
            }
            default:
              // Part labels, stems, fonts, line breaks: nothing that changes notes.
              break;
          }
        }
        // The line of music ends here as written: its last bar line carries the break.
        if (marks) {
          for (let j = items.length - 1; j >= 0; j--) {
            const it = items[j];
            if (it.kind === 'note') break;
            if (it.kind === 'line') {
              it.eol = true;
              break;
            }
          }
        }
        number++;
      });
    }
  }
  return streams;
}

interface Span {
  start: number;
  end: number;
}
interface Repeat {
  common: { start: number; end?: number };
  endings?: ({ start: number; end?: number } | undefined)[];
}

/**
 * The order in which a voice's items are played, as spans of indices (both ends included). A repeat
 * is the span from its start bar to its end bar; endings are spans after it, played in turn, each
 * after another copy of the common part.
 */
function expandRepeats(items: Item[], sections: Section[]): Span[] {
  const lastElement = items.length - 1;
  const last = sections[sections.length - 1];
  if (last.type !== 'start' && last.index + 1 < lastElement) sections.push({ type: 'start', index: last.index + 1 });
  if (sections.length < 2) return [{ start: 0, end: lastElement }];

  const repeats: Repeat[] = [];
  let current: Repeat | null = null;
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i];
    if (s.type === 'start') {
      if (current) {
        if (!current.common.end) current.common.end = s.index;
        for (const e of current.endings ?? []) if (e && !e.end && e.start !== s.index) e.end = s.index;
        // After an end repeat, the common part is played once more without an ending.
        if (sections[i - 1].type === 'end' && current.endings?.length) current.endings[current.endings.length] = { start: -1, end: -1 };
        repeats.push(current);
        // Whatever lies between the last repeat and this start is played once.
        let lastUsed: number = current.common.end;
        let open = false;
        for (const e of current.endings ?? []) {
          if (!e) continue;
          if (e.end === undefined) open = true;
          else lastUsed = Math.max(lastUsed, e.end);
        }
        if (!open && lastUsed < s.index - 1) repeats.push({ common: { start: lastUsed + 1, end: s.index } });
      }
      current = { common: { start: s.index } };
    } else if (s.type === 'ending') {
      if (!current) continue;
      if (!current.common.end) current.common.end = s.index;
      current.endings ??= [];
      for (const n of s.endings) current.endings[n] = { start: s.index + 1 };
    } else if (current) {
      current.endings ??= [];
      for (const e of current.endings) if (e && !e.end) e.end = s.index;
      if (!current.common.end) current.common.end = s.index;
    }
  }
  if (current) {
    if (!current.common.end) current.common.end = lastElement;
    for (const e of current.endings ?? []) if (e && !e.end) e.end = lastElement;
    repeats.push(current);
  }

  const spans: Span[] = [];
  // An ending still open when the next section starts is played by that section instead.
  const add = (start: number, end: number | undefined) => {
    if (end !== undefined) spans.push({ start: Math.max(0, start), end: Math.min(lastElement, end) });
  };
  for (const r of repeats) {
    if (!r.endings) add(r.common.start, r.common.end);
    else if (r.endings.length === 0) {
      add(r.common.start, r.common.end);
      add(r.common.start, r.common.end);
    } else
      for (const e of r.endings) {
        if (!e) continue;
        add(r.common.start, r.common.end);
        if (e.start > 0) add(e.start, e.end);
      }
  }
  return spans;
}

/** Grace notes (kept) in front of a note: they take the first half of its length. */
interface GraceGroup {
  main: Sounding;
  graces: { note: Sounding; length: number }[];
}

/**
 * Walks the spans of one voice and sounds its notes. While playing, a note's `end` holds its
 * written length with the notes tied to it; times are set once every tie is joined.
 */
function play(items: Item[], spans: Span[], pickup: number, graces: 'drop' | 'keep', anchors: ReadonlySet<number> | undefined, anchorTimes: Map<number, number[]>, tempos: { time: number; qpm: number }[], written?: { marks: WrittenMarks; text: string }): PlayedVoice {
  const out: Sounding[] = [];
  const groups: GraceGroup[] = [];
  const halved = new Set<Sounding>();
  const graceNotes = new Set<Sounding>();
  // Integer millionths of a whole note: the player's clock, free of rounding drift.
  let time = 0;
  let keyAcc = [0, 0, 0, 0, 0, 0, 0];
  const barAcc = new Map<number, number>(); // by staff position: abcjs's player carries per octave
  let transpose = 0;
  let beatFraction = 0.25;
  let lastBar = 0;
  let stress = DEFAULT_STRESS;
  let perPitch: number[][] = [];
  let nextVolume: number | undefined;
  let nextDelta: number | undefined;
  let accents = true;
  const ties = new Map<number, Sounding>();

  const pitchOf = (p: Pitch): number => {
    if (p.midipitch !== undefined) return p.midipitch;
    const staff = p.pitch as number;
    if (p.accidental && Object.hasOwn(ACCIDENTAL_SHIFT, p.accidental)) barAcc.set(staff, ACCIDENTAL_SHIFT[p.accidental]);
    const letter = letterOf(staff);
    const shift = barAcc.get(staff) ?? keyAcc[letter];
    // Quarter tones round to the nearest semitone.
    return Math.round(Math.floor(staff / 7) * 12 + SCALE[letter] + 60 + shift + transpose);
  };
  const volumeAt = (beat: number, pitchIndex?: number): number => {
    const s = pitchIndex !== undefined && perPitch.length > pitchIndex ? perPitch[pitchIndex] : stress;
    let v: number;
    if (nextVolume !== undefined) {
      v = nextVolume;
      nextVolume = undefined;
    } else if (!accents) v = s[1];
    else if (pickup > beat) v = s[2];
    else {
      const inBar = (beat - lastBar) / beatFraction;
      v = inBar === 0 ? s[0] : Number.isInteger(inBar) ? s[1] : s[2];
    }
    if (nextDelta) {
      v += nextDelta;
      nextDelta = undefined;
    }
    return Math.min(127, Math.max(0, v));
  };
  /** Does this pitch start a note (rather than lengthen the open tie it continues)? */
  const starts = (p: Pitch, d: number): boolean => {
    const open = ties.get(p.pitch as number);
    if (!open) return true;
    if (p.startTie) {
      open.end += d;
      return false;
    }
    if (p.endTie) {
      open.end += d;
      ties.delete(p.pitch as number);
      return false;
    }
    return true;
  };

  for (const span of spans)
    for (let i = span.start; i <= span.end; i++) {
      const it = items[i];
      switch (it.kind) {
        case 'note': {
          const el = it.el;
          const d = it.duration;
          const beat = time / 1e6;
          time += d ? Math.round(d * 1e6) : 0;
          let velocity = volumeAt(beat);
          if (written) {
            const chords = (el as { chord?: { name?: string; position?: string }[] }).chord;
            if (chords) for (const c of chords) if (typeof c?.name === 'string') for (const name of c.name.split('\n')) written.marks.chords.push({ time: beat, name, position: c.position ?? 'default' });
            if (el.startChar !== undefined && (el as { endChar?: number }).endChar !== undefined) {
              // The note's text with trailing white space left out ends in > or < (not >>): without slicing it.
              const text = written.text;
              let end = Math.min((el as { endChar: number }).endChar, text.length);
              while (end > el.startChar && isWhite(text.charCodeAt(end - 1))) end--;
              const sign = end > el.startChar ? text[end - 1] : undefined;
              if ((sign === '>' || sign === '<') && (end - 2 >= el.startChar ? text[end - 2] : undefined) !== sign) written.marks.broken.push({ time: beat, sign });
            }
            // Ornaments (taken out of the decorations by the reader, not played) first, as written.
            const ornaments = (el as { ornaments?: string[] }).ornaments;
            if (ornaments) for (const name of ornaments) written.marks.decorations?.push({ time: beat, name });
            if (el.decoration) for (const name of el.decoration) written.marks.decorations?.push({ time: beat, name });
          }
          const pitches = el.pitches;
          if (!pitches) break;
          const first = pitches[0];
          const firstStarts = !!first && starts(first, d);
          let kept: GraceGroup['graces'] | undefined;
          if (el.gracenotes?.length && firstStarts) {
            // Grace pitches count for the bar's accidentals whether or not they are kept.
            if (graces === 'drop') for (const g of el.gracenotes) pitchOf(g);
            else {
              const volume = Math.round((velocity * 2) / 3);
              kept = el.gracenotes.map((g) => ({ note: { pitch: pitchOf(g), start: beat, end: 0, velocity: volume, voice: 0 }, length: g.duration ?? 0 }));
              for (const g of kept) {
                out.push(g.note);
                graceNotes.add(g.note);
              }
            }
          }
          const decorations = el.decoration;
          const accent = !!decorations?.includes('accent');
          if (accent) velocity = Math.min(127, velocity * 1.5);
          const halve = graces === 'keep' && !!el.gracenotes?.length;
          for (let j = 0; j < pitches.length; j++) {
            // A chord's notes can each have their own dynamic (asked even for a tied-in note).
            const v = !accent && decorations && decorations.length > j ? volumeAt(beat, j) : velocity;
            const p = pitches[j];
            if (!p || (j === 0 ? !firstStarts : !starts(p, d))) continue;
            const note: Sounding = { pitch: pitchOf(p), start: beat, end: d, velocity: v, voice: 0 };
            if (anchors && el.startChar !== undefined && anchors.has(el.startChar)) {
              const times = anchorTimes.get(el.startChar);
              if (times) times.push(beat);
              else anchorTimes.set(el.startChar, [beat]);
            }
            if (p.startTie) ties.set(p.pitch as number, note);
            if (kept && j === 0) groups.push({ main: note, graces: kept });
            if (halve) halved.add(note);
            out.push(note);
          }
          break;
        }
        case 'bar':
          barAcc.clear();
          lastBar = time / 1e6;
          break;
        case 'key':
          keyAcc = it.acc;
          break;
        case 'meter':
          beatFraction = it.beatFraction;
          break;
        case 'transpose':
          transpose = it.semitones;
          break;
        case 'beat':
          stress = it.stress;
          perPitch = it.perPitch;
          break;
        case 'vol':
          nextVolume = it.volume;
          break;
        case 'volinc':
          nextDelta = it.volume;
          break;
        case 'accents':
          accents = it.on;
          break;
        case 'tempo':
          tempos.push({ time: snap(time / 1e6), qpm: it.qpm });
          break;
        case 'line':
          // One object shape (eol: undefined rather than absent): voiceForm's code stays compiled.
          written?.marks.lines.push({ time: time / 1e6, type: it.type, ending: it.ending, eol: it.eol ? true : undefined });
          break;
        case 'part':
          written?.marks.parts.push({ time: time / 1e6, label: it.label });
          break;
      }
    }

  // Lengths are known once every tie is joined. Graces share the first half of the main note, in
  // proportion to their written lengths.
  for (const g of groups) {
    const length = g.main.end;
    const ratio = length / 2 / g.graces.reduce((a, x) => a + x.length, 0);
    let t = g.main.start;
    for (const x of g.graces) {
      x.note.start = t;
      x.note.end = t + x.length * ratio;
      t += x.length * ratio;
    }
  }
  let count = 0;
  for (const n of out) {
    let start = n.start;
    let end: number;
    if (graceNotes.size && graceNotes.has(n)) end = n.end;
    else {
      let duration = round6(n.end);
      if (halved.size && halved.has(n)) {
        duration /= 2;
        start += duration;
      }
      end = start + duration;
    }
    n.start = snap(start);
    n.end = snap(end);
    if (!(n.end > n.start) || !Number.isFinite(n.end) || n.pitch < 0 || n.pitch > 127) continue;
    n.velocity = Math.min(127, Math.max(1, Math.round(n.velocity)));
    out[count++] = n;
  }
  const played = out.length;
  out.length = count;
  return { notes: out, played };
}

// ---------------------------------------------------------------------------------------------
// The performance of a tune form: repeats, endings and parts expanded bar by bar, swing applied.

/** The bars of a voice in the order they are played: repeats and endings expanded, P: order followed. */
export function playOrder(voice: FormVoice, partOrder?: string): number[] {
  // The same repeat reading as the tree player (expandRepeats), on a stream of bar lines and bars:
  // index 0 is the line before the first bar, bar i is at 2i+1 and the line after it at 2i+2.
  const n = voice.bars.length;
  if (n === 0) return [];
  const items: Item[] = new Array(2 * n + 1).fill({ kind: 'bar' });
  const sections: Section[] = [{ type: 'start', index: -1 }];
  const line = (index: number, kind: string | undefined, ending: string | undefined) => {
    const isStart = kind === '|:' || kind === '::';
    const isEnd = kind === ':|' || kind === '::';
    if (isEnd) {
      const last = sections[sections.length - 1];
      if (last.type === 'end') sections.push({ type: 'start', index: last.index });
      sections.push({ type: 'end', index });
    }
    if (ending) sections.push({ type: 'ending', index, endings: endingNumbers(ending) });
    if (isStart) sections.push({ type: 'start', index });
  };
  line(0, voice.opening, voice.bars[0].ending);
  for (let i = 0; i < n; i++) line(2 * i + 2, voice.bars[i].line, voice.bars[i + 1]?.ending);
  const order: number[] = [];
  for (const span of expandRepeats(items, sections)) for (let i = span.start; i <= span.end; i++) if (i % 2 === 1) order.push((i - 1) / 2);
  if (!partOrder) return order;
  const parts = expandPartOrder(partOrder);
  if (!parts.length || !voice.bars.some((b) => b.part)) return order;
  // Each bar belongs to the last part label before it; bars before the first label (an intro)
  // are played once first, as abc2midi does.
  // Part labels are one letter (P:A); "P:ad lib" is part a.
  const partOf: string[] = [];
  let current = '';
  for (const b of voice.bars) partOf.push((current = b.part !== undefined ? b.part.trim().charAt(0) : current));
  // An order that names none of the body's parts is not followed.
  if (!parts.some((p) => partOf.includes(p))) return order;
  const out = order.filter((b) => partOf[b] === '');
  for (const p of parts) for (const b of order) if (partOf[b] === p) out.push(b);
  return out;
}

/** "AABA" -> AABA, "A2B" -> AAB, "(AB)2C" -> ABABC; dots and spaces are ignored. */
export function expandPartOrder(order: string): string[] {
  let i = 0;
  const group = (depth: number): string[] => {
    const out: string[] = [];
    while (i < order.length) {
      const c = order[i];
      if (c === ')') {
        if (depth > 0) {
          i++;
          break;
        }
        i++;
        continue;
      }
      let unit: string[];
      if (c === '(') {
        i++;
        unit = group(depth + 1);
      } else if (/[A-Za-z]/.test(c)) {
        unit = [c];
        i++;
      } else {
        i++;
        continue;
      }
      const m = /^\d+/.exec(order.slice(i));
      const times = m ? Math.min(16, Number(m[0])) : 1;
      if (m) i += m[0].length;
      for (let t = 0; t < times && out.length < 1000; t++) out.push(...unit);
    }
    return out;
  };
  return group(0);
}

const isHornpipe = (rhythm: string | undefined) => !!rhythm && /^\s*[Hh]ornpipe/.test(rhythm);

/**
 * A hornpipe as abc2midi plays it (measured with abc2midi 4.84): R: starting "hornpipe" or
 * "Hornpipe"; broken rhythm 2:1 in every meter; in 2/4 or 4/4 with eight units (L:) to the bar
 * (4/4 with L:1/8, 2/4 with L:1/16), every pair of single notes one unit long that starts on an
 * even unit of its bar 2:1.
 */
function swung(voice: FormVoice, meterAt: (t: number) => TimeSignature | undefined, unit: [number, number]): Note[] {
  const notes = voice.notes.map((n) => ({ ...n }));
  const byStart = new Map<number, typeof notes>();
  for (const n of notes) {
    const list = byStart.get(n.start);
    if (list) list.push(n);
    else byStart.set(n.start, [n]);
  }
  const eps = 1e-6;
  const u = (4 * unit[0]) / unit[1];
  const pair = (a: typeof notes, firstShare: number) => {
    const end = a[0].end;
    const b = byStart.get(end);
    if (!b) return false;
    const total = b[0].end - a[0].start;
    const split = snapQ(a[0].start + total * firstShare);
    for (const n of a) if (Math.abs(n.end - end) < eps) n.end = split;
    for (const n of b) n.start = split;
    byStart.delete(end);
    byStart.set(split, b);
    return true;
  };
  // Bars abc2midi swings: 2/4 or 4/4 with eight units to the bar. There a<b is played long-short too.
  const swingBar = (t: number) => {
    const m = meterAt(t);
    return !!m && m.denominator === 4 && (m.numerator === 2 || m.numerator === 4) && Math.abs((m.numerator * 4) / m.denominator - 8 * u) < eps;
  };
  const done = new Set<number>();
  for (const br of voice.broken) {
    const a = byStart.get(br.time);
    if (a && pair(a, br.sign === '>' || swingBar(br.time) ? 2 / 3 : 1 / 3)) done.add(br.time);
  }
  for (const bar of voice.bars) {
    if (!swingBar(bar.start)) continue;
    for (let t = bar.start; t + 2 * u <= bar.end + eps; t += 2 * u) {
      const a = byStart.get(snapQ(t));
      if (!a || a.length !== 1 || done.has(snapQ(t)) || Math.abs(a[0].end - a[0].start - u) > eps) continue;
      const b = byStart.get(a[0].end);
      if (!b || b.length !== 1 || Math.abs(b[0].end - b[0].start - u) > eps) continue;
      pair(a, 2 / 3);
    }
  }
  return notes;
}

function snapQ(quarters: number): number {
  return Math.round(quarters * TIME_GRID) / TIME_GRID;
}

/**
 * The performance of a tune form: each voice's bars in playing order (repeats and endings
 * expanded, the P: order followed unless `parts: false`), ties held across bars played in a row,
 * the meter, key and tempo changes at every time they are played, and hornpipe swing when asked.
 */
export function perform(form: TuneForm, opts: PerformOptions = {}): NoteSequence {
  const which = opts.voices ?? 'first';
  const withNotes = form.voices.map((v, i) => ({ v, i })).filter((x) => x.v.notes.length > 0);
  let chosen: { v: FormVoice; i: number }[];
  if (which === 'all') chosen = withNotes;
  else if (which === 'first') chosen = withNotes.slice(0, 1);
  else chosen = form.voices[which] ? [{ v: form.voices[which], i: which }] : [];
  const partOrder = opts.parts === false ? undefined : form.parts;
  const meterAt = (t: number) => {
    let m: TimeSignature | undefined;
    for (const s of form.timeSignatures) if (s.time <= t + 1e-9) m = s;
    return m;
  };
  const swing = !!opts.swing && isHornpipe(form.rhythm);
  const notes: Note[] = [];
  let melodyPlan: { bar: FormBar; at: number }[] | undefined;
  for (const { v, i } of chosen) {
    const order = playOrder(v, partOrder);
    const written = swing ? swung(v, meterAt, form.unit) : v.notes;
    // The notes that sound in each bar (a note held over bar lines is in each of them).
    const inBar: Note[][] = v.bars.map(() => []);
    let b = 0;
    // Usually in order already: sorted (stably, as before) only when not.
    let inOrder = true;
    for (let k = 1; k < written.length && inOrder; k++) inOrder = written[k - 1].start <= written[k].start;
    const sorted = inOrder ? written : [...written].sort((x, y) => x.start - y.start);
    for (const n of sorted) {
      while (b < v.bars.length - 1 && v.bars[b].end <= n.start) b++;
      for (let k = b; k < v.bars.length && v.bars[k].start < n.end; k++) inBar[k].push(n);
    }
    let time = 0;
    const plan: { bar: FormBar; at: number }[] = [];
    for (let k = 0; k < order.length; k++) {
      const bi = order[k];
      const bar = v.bars[bi];
      const offset = time - bar.start;
      const cameFromBefore = k > 0 && order[k - 1] === bi - 1;
      for (const n of inBar[bi]) {
        const startsHere = n.start >= bar.start - 1e-9;
        if (!startsHere && cameFromBefore) continue; // already sounding from the bar before
        let end = n.end;
        let cur = bi;
        let j = k;
        while (end > v.bars[cur].end + 1e-9) {
          if (j + 1 < order.length && order[j + 1] === cur + 1) {
            j++;
            cur++;
          } else {
            end = v.bars[cur].end;
            break;
          }
        }
        const start = snapQ((startsHere ? n.start : bar.start) + offset);
        const stop = snapQ(end + offset);
        if (stop > start) notes.push({ pitch: n.pitch, start, end: stop, velocity: n.velocity, voice: which === 'all' ? i : 0 });
      }
      plan.push({ bar, at: time });
      time = snapQ(time + (bar.end - bar.start));
    }
    melodyPlan ??= plan;
  }
  notes.sort(compareNotes);
  const plan = melodyPlan ?? [];
  const totalTime = notes.reduce((m, n) => Math.max(m, n.end), 0);
  const seq: NoteSequence = {
    notes,
    tempos: placeChanges(form.tempos, plan),
    timeSignatures: placeChanges(form.timeSignatures, plan),
    keySignatures: placeChanges(form.keySignatures, plan),
    totalTime,
  };
  if (form.title) seq.title = form.title;
  return seq;
}

/** Signature changes on the written timeline -> at every time their bar is played. */
function placeChanges<T extends { time: number }>(written: T[], plan: { bar: FormBar; at: number }[]): T[] {
  if (written.length <= 1 || plan.length === 0) return written.map((w) => ({ ...w }));
  const at: T[] = [];
  const last = plan.reduce((m, p) => Math.max(m, p.bar.end), 0);
  for (const w of written.slice(1))
    for (const p of plan) if ((w.time >= p.bar.start - 1e-9 && w.time < p.bar.end - 1e-9) || (w.time >= last - 1e-9 && p.bar.end >= last - 1e-9)) at.push({ ...w, time: snapQ(p.at + Math.min(w.time, p.bar.end) - p.bar.start) });
  const same = (a: T, b: T) => JSON.stringify({ ...a, time: 0 }) === JSON.stringify({ ...b, time: 0 });
  const out: T[] = [{ ...written[0] }];
  for (const s of at.sort((a, b) => a.time - b.time)) {
    const prev = out[out.length - 1];
    if (prev.time === s.time) out[out.length - 1] = s;
    else if (!same(prev, s)) out.push(s);
  }
  return out.filter((s, i) => i === 0 || !same(out[i - 1], s));
}
