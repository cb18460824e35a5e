/**
 * ABC in: abcjs parses (parseOnly); perform.ts plays its parse tree (repeats, endings, ties, tuplets;
 * broken rhythm is in abcjs's durations); this module turns the notes into NoteSequences and abcjs's
 * warnings into ours.
 */
import abcjs from 'abcjs';
import { MusicError, type MusicWarning } from '../errors';
import { DEFAULT_QPM } from '../sequence';
import { parseKey } from '../key';
import type { KeySignature, NoteSequence, TempoChange, TimeSignature } from '../types';
import { perform, performTune, qpmOf, snap } from '../tune/perform';
import { formFromPlayed, headerFields, unitOf } from '../tune/read';
import { unitChanges } from './units';
import type { TuneForm } from '../tune/form';
import { newElement, newPitch, quickParseAbc, type QuickElement, type QuickPitch } from './quick';
import { commentOutHeaderText, dropBrokenRhythmBeforeBars, inheritedHeader, normalizeAbc, splitAbcBook, type AbcTuneText } from './book';

export interface AbcReadOptions {
  /** Named in errors and warnings. */
  file?: string;
  /**
   * Which voice(s) become notes: 'first' (default) = the first voice that has notes (the melody in
   * folk collections), 'all' = every voice (note.voice = voice index), or a voice index.
   */
  voices?: 'first' | 'all' | number;
  /**
   * Grace notes: 'drop' (default) removes them and gives the time abcjs took from the main note
   * back to it, so the melody keeps its written rhythm (abc2midi -NGRA does the same); 'keep'
   * keeps them as short notes before the main note, as abcjs plays them.
   */
  graces?: 'drop' | 'keep';
  /**
   * How far an accidental reaches within its bar: 'pitch' (default; ABC 2.2 and abc2midi) = the
   * same letter in every octave, 'octave' (ABC 2.1 as abcjs reads it) = the same letter and octave.
   */
  accidentals?: 'pitch' | 'octave';
  /**
   * Tunes longer than this many characters are refused before abcjs reads them (10 MB single
   * lines). Default 50,000: twenty times the longest tune of the folk corpora (2,439).
   */
  maxTuneChars?: number;
  /**
   * Tunes that would play more notes than this (repeats expanded) are refused, counted on abcjs's
   * parse before they are played. Default 12,000: ten times the longest tune of the corpora
   * (1,084); a hostile file cannot make one tune hold megabytes of notes.
   */
  maxNotes?: number;
  /** Follow the header's P: part order when playing (default true); false plays the tune as written. */
  parts?: boolean;
  /** Swing R:hornpipe tunes as abc2midi plays them (default false; see PerformOptions). */
  swing?: boolean;
  /**
   * Which parser reads the text: 'auto' (default) = our quick reader (quick.ts) for the plain
   * single-voice tunes it covers, abcjs for the rest; 'abcjs' = always abcjs; 'quick' = only the
   * quick reader (a tune it declines is an error). The last two are for tests and bench/abc-quick.ts.
   */
  reader?: 'auto' | 'abcjs' | 'quick';
}

export interface AbcTune {
  /** 0-based index in the file. */
  index: number;
  /** X: number as written. */
  x: string;
  /** 1-based line of the X: field in the file. */
  line: number;
  title?: string;
  /** Normalized text of this tune (see normalizeAbc). */
  abc: string;
  /** The performance: perform(form) with the reading options (repeats expanded, P: order followed). */
  sequence: NoteSequence;
  /** What the notation says: header fields, bars, pickup, repeats, endings, chord symbols, parts. */
  form: TuneForm;
  /** Number of voices abcjs found (the sequence may hold only one of them). */
  voiceCount: number;
  warnings: MusicWarning[];
}

export interface AbcReadResult {
  tunes: AbcTune[];
  /** Tunes that could not be read; the others still load. */
  errors: MusicError[];
}

const MAX_QUARTERS = 100_000;
const MAX_NOTES = 12_000;
const MAX_TUNE_CHARS = 50_000;
/** Warnings kept per tune: a broken tune can warn on every note. */
const MAX_WARNINGS = 100;

/**
 * abcjs's notes, bars and part labels copied into the objects the quick reader builds (the same
 * fields in the same order: everything prepareForAudio, signatureChanges and perform.ts read, and
 * nothing else). abcjs builds them field by field in dozens of shapes; the 3% of tunes it reads
 * made V8 recompile the player and the reader's helpers each time a new shape reached them.
 */
function inQuickShapes<T extends abcjs.TuneObject | undefined>(tune: T): T {
  for (const line of tune?.lines ?? [])
    for (const staff of (line as { staff?: { voices?: unknown[][] }[] }).staff ?? [])
      for (const voice of staff.voices ?? [])
        for (let i = 0; i < voice.length; i++) {
          const el = voice[i] as QuickElement & { line?: number };
          if (el.el_type !== 'note' && el.el_type !== 'bar' && el.el_type !== 'part') continue;
          const c = newElement(el.el_type);
          c.startChar = el.startChar;
          c.endChar = el.endChar;
          if (el.pitches) c.pitches = el.pitches.map(pitchInQuickShape);
          c.rest = el.rest;
          c.duration = el.duration;
          c.decoration = el.decoration;
          if (el.gracenotes) c.gracenotes = el.gracenotes.map(pitchInQuickShape);
          c.chord = el.chord;
          c.startTriplet = el.startTriplet;
          c.tripletMultiplier = el.tripletMultiplier;
          c.tripletR = el.tripletR;
          c.endTriplet = el.endTriplet;
          c.type = el.type;
          c.startEnding = el.startEnding;
          c.title = el.title;
          c.line = el.line;
          voice[i] = c;
        }
  return tune;
}

function pitchInQuickShape(p: QuickPitch): QuickPitch {
  if (!p) return p;
  const c = newPitch(p.pitch);
  c.accidental = p.accidental;
  c.startTie = p.startTie;
  c.endTie = p.endTie;
  c.duration = p.duration;
  c.acciaccatura = p.acciaccatura;
  c.midipitch = p.midipitch;
  return c;
}

/** abcjs counts pitches in staff steps from middle C: step % 7 is the letter. */
const LETTER_INDEX: Record<string, number> = { c: 0, d: 1, e: 2, f: 3, g: 4, a: 5, b: 6 };

/** Rejects files that are clearly not text (binary junk named .abc) before abcjs sees them. */
export function looksBinary(text: string): boolean {
  const sample = text.slice(0, 4096);
  if (sample.includes('\u0000')) return true;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
  }
  return sample.length > 0 && control / sample.length > 0.1;
}

/** Reads every tune of an ABC file. Never throws for bad content: failures land in `errors`. */
export function parseAbc(text: string, opts: AbcReadOptions = {}): AbcReadResult {
  const file = opts.file;
  if (typeof text !== 'string') return { tunes: [], errors: [new MusicError('abc-syntax', 'expected ABC text', { file })] };
  if (looksBinary(text)) return { tunes: [], errors: [new MusicError('abc-syntax', 'this is not ABC text (binary data)', { file, line: 1 })] };
  const book = splitAbcBook(text);
  if (book.tunes.length === 0) return { tunes: [], errors: [new MusicError('abc-no-tunes', 'no tune found (expected an X: line followed by K:)', { file })] };
  const header = inheritedHeader(book.header);
  const tunes: AbcTune[] = [];
  const errors: MusicError[] = [];
  for (const t of book.tunes) {
    try {
      tunes.push(parseAbcTune(t, header, opts));
    } catch (e) {
      errors.push(e instanceof MusicError ? e : new MusicError('abc-syntax', `abcjs failed: ${(e as Error)?.message ?? String(e)}`, { file, tune: t.index, line: t.line }));
    }
  }
  return { tunes, errors };
}

/** Reads one tune of a book. Throws MusicError (with file, tune and line) when it cannot. */
export function parseAbcTune(t: AbcTuneText, header: string[], opts: AbcReadOptions = {}): AbcTune {
  const where = { file: opts.file, tune: t.index, line: t.line || 1 };
  const maxChars = opts.maxTuneChars ?? MAX_TUNE_CHARS;
  const maxNotes = opts.maxNotes ?? MAX_NOTES;
  if (t.text.length > maxChars) throw new MusicError('abc-too-long', `tune is ${t.text.length} characters long; the limit is ${maxChars}`, where);
  // abcjs builds arrays as long as a bar of the meter: an absurd meter (M:4294967296/4) grows one
  // until V8 aborts the whole process, so look at every M: (header, body and inline) first.
  // A unit length of 1/4294967296 makes every note vanish (and abcjs warn on each one).
  for (const part of header) checkLengths(part, where, null);
  checkLengths(t.text, where, t.line || 1);
  // File-header fields go right after X: so that the tune's own fields still override them.
  const nl = t.text.indexOf('\n');
  const text = commentOutHeaderText(header.length ? t.text.slice(0, nl + 1) + header.join('\n') + '\n' + t.text.slice(nl + 1) : t.text);
  const fileLine = (tuneLine: number) => {
    const l = tuneLine > 1 + header.length ? tuneLine - header.length : Math.min(tuneLine, 1);
    return Math.max(1, t.line + l - 1);
  };

  const abcText = dropBrokenRhythmBeforeBars(text);
  // The quick reader builds the same tree as abcjs for the tunes it covers, ~10x faster (quick.ts).
  const reader = opts.reader ?? 'auto';
  const quick = reader === 'abcjs' ? null : (quickParseAbc(abcText) as unknown as abcjs.TuneObject | null);
  if (!quick && reader === 'quick') throw new MusicError('abc-syntax', 'the quick reader does not cover this tune', where);
  const tune = quick ?? inQuickShapes(abcjs.parseOnly(abcText)[0]);
  if (!tune) throw new MusicError('abc-syntax', 'abcjs found no tune here', where);
  const abcjsWarnings: string[] = tune.warnings ?? [];
  const warnings: MusicWarning[] = abcjsWarnings.slice(0, MAX_WARNINGS).map((w: string) => abcjsWarning(w, fileLine));
  if (abcjsWarnings.length > MAX_WARNINGS) warnings.push({ message: `${abcjsWarnings.length - MAX_WARNINGS} more warnings not shown` });

  const supplied: { start: number; end: number }[] = [];
  const { written, notesEstimate } = prepareForAudio(tune, warnings, fileLine, opts.accidentals ?? 'pitch', supplied);
  if (notesEstimate > maxNotes) throw new MusicError('abc-too-long', `the tune would play about ${notesEstimate} notes with its repeats; the limit is ${maxNotes} (option maxNotes)`, where);
  if (written * 4 > MAX_QUARTERS) throw new MusicError('abc-too-long', `the tune is written ${Math.round(written * 4)} quarter notes long (absurd durations?); the limit is ${MAX_QUARTERS}`, where);
  // Most tunes change neither key nor meter after the header: skip the walk over the tree.
  const changes = BODY_SIGNATURE.test(text.slice(bodyStart(text))) ? signatureChanges(tune) : { keys: [], meters: [] };
  const graces = opts.graces ?? 'drop';
  const anchors = new Set<number>();
  for (const c of changes.keys) anchors.add(c.anchor);
  for (const c of changes.meters) anchors.add(c.anchor);
  // Unit length changes in the body ([L:1/16]): kept in the form for the writer (units.ts).
  const units = BODY_UNIT.test(text.slice(bodyStart(text))) ? unitChanges(tune, abcText, unitOf(headerFields(text).fields, meterOf(tune)[0])) : [];
  for (const u of units) anchors.add(u.anchor);
  // Heard once through as written (the form); perform(form) expands repeats and parts.
  // (5:2 written out keeps its ratio; the tree cannot tell it from a bare (5 (see perform.ts).
  const { voices, anchorTimes, tempos, marks } = performTune(tune as never, graces, anchors, !/\([579]:/.test(text), { linear: true, text: abcText });
  const withNotes = voices.map((v, i) => ({ v, i })).filter((x) => x.v.played > 0);
  if (withNotes.length === 0) throw new MusicError('abc-no-notes', 'the tune has no notes (expected music after K:)', where);
  const which = opts.voices ?? 'first';
  if (typeof which === 'number' && !(voices[which]?.played > 0)) throw new MusicError('abc-no-notes', `voice ${which} has no notes (the tune has ${voices.length} voices)`, where);

  const title = tune.metaText?.title?.split('\n')[0]?.trim() || undefined;
  const form = formFromPlayed({
    text,
    title,
    voices,
    marks: marks ?? [],
    tempos: tempoMap(tempoOf(tune), tempos),
    timeSignatures: withChanges(meterOf(tune), changes.meters, anchorTimes),
    keySignatures: withChanges(keyOf(tune), changes.keys, anchorTimes),
    ...(units.length ? { units: voices.map((_, i) => units.filter((u) => u.voice === i).map((u) => ({ time: snap(Math.max(0, (anchorTimes.get(u.anchor)?.[0] ?? 0) - u.before)), unit: u.unit }))) } : {}),
  });
  const sequence = perform(form, { parts: opts.parts, swing: opts.swing, voices: which });
  const notes = sequence.notes;
  if (notes.length === 0) throw new MusicError('abc-no-notes', 'every note of the tune is too short to play (absurd lengths?)', where);
  if (notes.length > maxNotes) throw new MusicError('abc-too-long', `the tune expands to ${notes.length} notes; the limit is ${maxNotes} (option maxNotes)`, where);
  if (!(sequence.totalTime <= MAX_QUARTERS)) throw new MusicError('abc-too-long', `the tune lasts ${Math.round(sequence.totalTime)} quarter notes (absurd durations?); the limit is ${MAX_QUARTERS}`, where);
  const result: AbcTune = { index: t.index, x: t.x, line: t.line || 1, title, abc: normalizeAbc(text), sequence, form, voiceCount: withNotes.length, warnings };
  if (supplied.length) impliedStarts.set(result, supplied);
  return result;
}

const METER = /(?:^|\[)\s*M:\s*(\d+)\s*\/\s*(\d+)/gm;
/** An L: field's value, to the end of its line or inline field (a % comment ends it too). */
const UNIT = /(?:^|\[)[ \t]*L:([^\]\n%]*)/gm;
/** A K: or M: field in the body: a line of its own or inline. */
const BODY_SIGNATURE = /(?:^|\[)\s*[KM]:/m;
/** An L: field in the body. */
const BODY_UNIT = /(?:^|\[)[ \t]*L:/m;

function checkLengths(text: string, where: { file?: string; tune: number; line: number }, firstLine: number | null): void {
  // The file line of a match in the tune's text (header parts keep the tune's line).
  const at = (index: number) => (firstLine === null ? where : { ...where, line: firstLine + countLines(text, index) });
  if (text.includes('M:'))
    for (const m of text.matchAll(METER)) {
      const [num, den] = [Number(m[1]), Number(m[2])];
      if (num > 64 || den > 64 || den === 0) throw new MusicError('abc-too-long', `meter M:${m[1]}/${m[2]} is not a playable meter (expected at most 64 beats of at least 1/64)`, at(m.index));
    }
  if (text.includes('L:'))
    for (const m of text.matchAll(UNIT)) {
      const value = m[1].trim();
      const f = /^(\d+)\s*\/\s*(\d+)$/.exec(value) ?? /^(\d+)()$/.exec(value);
      // L:-1/4, L:1/0, L:x, L:1/8/2: abcjs reads them as some length or none; we refuse them.
      if (!f) throw new MusicError('abc-syntax', `unit length L:${value.slice(0, 20)} is not a length (expected a fraction like L:1/8)`, at(m.index));
      const [num, den] = [Number(f[1]), f[2] === '' ? 1 : Number(f[2])];
      if (num < 1 || num > 64 || den < 1 || den > 512) throw new MusicError(num > 64 ? 'abc-too-long' : 'abc-syntax', `unit length L:${value} is not a playable length (expected 1/1 to 1/512)`, at(m.index));
    }
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Where the body starts: after the first K: line (the header's last field). */
function bodyStart(text: string): number {
  const k = /^K:.*$/m.exec(text);
  return k ? k.index + k[0].length : 0;
}

function tempoOf(tune: abcjs.TuneObject): number {
  return qpmOf(tune.metaText?.tempo as { duration?: number[]; bpm?: number } | undefined) ?? DEFAULT_QPM;
}

/** The header's tempo, then the body's changes; a change at time 0 replaces the header's. */
function tempoMap(first: number, changes: { time: number; qpm: number }[]): TempoChange[] {
  const out: TempoChange[] = [{ time: 0, qpm: first }];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (c.time <= 0) last.qpm = c.qpm;
    else if (c.qpm !== last.qpm) out.push({ time: c.time, qpm: c.qpm });
  }
  return out;
}

function meterOf(tune: abcjs.TuneObject): TimeSignature[] {
  const m = tune.getMeterFraction?.() as { num?: number; den?: number } | undefined;
  const num = Number(m?.num);
  const den = Number(m?.den);
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0 || num > 64 || den > 64) return [];
  return [{ time: 0, numerator: num, denominator: den }];
}

function keyOf(tune: abcjs.TuneObject): KeySignature[] {
  const k = keyFrom(tune.getKeySignature?.(), 0);
  return k ? [k] : [];
}

function keyFrom(k: unknown, time: number): KeySignature | null {
  // abcjs has read the key already: root, accidental and its short mode name (m, Dor, Mix...).
  const key = k as { root?: string; acc?: string; mode?: string } | undefined;
  if (!key || !key.root || !/^[A-G]$/.test(key.root)) return null;
  return parseKey(`${key.root}${key.acc === '#' || key.acc === 'b' ? key.acc : ''}${key.mode ?? ''}`, time);
}

function meterFrom(m: unknown, time: number): TimeSignature | null {
  const meter = m as { type?: string; value?: { num?: string; den?: string }[] } | undefined;
  if (meter?.type === 'common_time') return { time, numerator: 4, denominator: 4 };
  if (meter?.type === 'cut_time') return { time, numerator: 2, denominator: 2 };
  if (meter?.type !== 'specified' || meter.value?.length !== 1) return null;
  const numerator = Number(meter.value[0].num);
  const denominator = Number(meter.value[0].den);
  if (!Number.isInteger(numerator) || !Number.isInteger(denominator) || numerator <= 0 || denominator <= 0 || numerator > 64 || denominator > 64) return null;
  return { time, numerator, denominator };
}

/**
 * A mid-tune change, placed at the note that follows it: `anchor` is that note's startChar, and
 * `before` the written rests between the change and it (whole notes). abcjs's played notes carry
 * their startChar, so every time the repeats play that note is a time the change takes effect.
 */
interface SignatureChange<T> {
  value: T;
  anchor: number;
  before: number;
}

/** Key and meter changes of every voice: inline [K:]/[M:] fields and K:/M: lines in the body. */
function signatureChanges(tune: abcjs.TuneObject): { keys: SignatureChange<KeySignature>[]; meters: SignatureChange<TimeSignature>[] } {
  const keys: SignatureChange<KeySignature>[] = [];
  const meters: SignatureChange<TimeSignature>[] = [];
  const lastKey = new Map<string, string>();
  const lastMeter = new Map<string, string>();
  // back: the last played note before the change and the written time from its start to the
  // change, for a change followed by a tied-in note (which abcjs merges into the note before).
  type Pending = { key?: KeySignature; meter?: TimeSignature; before: number; back: { anchor: number; since: number } | null };
  const heads = new Map<string, { anchor: number; since: number }>();
  // Per voice: a change at the end of a line waits for the next line's first note.
  const waiting = new Map<string, Pending[]>();
  for (const line of tune.lines ?? []) {
    const staves = (line as { staff?: { key?: unknown; meter?: unknown; voices?: (AbcjsElement & { startChar?: number })[][] }[] }).staff;
    staves?.forEach((staff, si) =>
      (staff.voices ?? []).forEach((voice, vi) => {
        const id = `${si}:${vi}`;
        const back = () => {
          const h = heads.get(id);
          return h ? { ...h } : null;
        };
        const pending = waiting.get(id) ?? [];
        waiting.set(id, pending);
        const note = (key: KeySignature | null, meter: TimeSignature | null) => {
          // A K:/M: line shows up as the staff's key/meter of the next line; abcjs repeats them on
          // every line, so only a different value is a change.
          if (key) {
            const k = `${key.tonic}${key.mode}`;
            if (lastKey.has(id) && lastKey.get(id) !== k) pending.push({ key, before: 0, back: back() });
            lastKey.set(id, k);
          }
          if (meter) {
            const m = `${meter.numerator}/${meter.denominator}`;
            if (lastMeter.has(id) && lastMeter.get(id) !== m) pending.push({ meter, before: 0, back: back() });
            lastMeter.set(id, m);
          }
        };
        note(keyFrom(staff.key, 0), meterFrom(staff.meter, 0));
        for (const el of voice) {
          if (el.el_type === 'key') note(keyFrom(el, 0), null);
          else if (el.el_type === 'meter') note(null, meterFrom(el, 0));
          else if (el.el_type === 'note') {
            const d = typeof el.duration === 'number' && Number.isFinite(el.duration) ? el.duration : 0;
            const pitches = (el.pitches ?? []).filter((p): p is AbcjsPitch => !!p);
            const tiedIn = pitches.length > 0 && pitches.every((p) => p.endTie);
            const played = !el.rest && !tiedIn && typeof el.startChar === 'number';
            if (pending.length && !el.rest && typeof el.startChar === 'number') {
              for (const p of pending) {
                const at = played ? { anchor: el.startChar, before: p.before } : p.back ? { anchor: p.back.anchor, before: -p.back.since } : null;
                if (!at) continue;
                if (p.key) keys.push({ value: p.key, ...at });
                if (p.meter) meters.push({ value: p.meter, ...at });
              }
              pending.length = 0;
            } else for (const p of pending) p.before += d;
            const h = heads.get(id);
            if (played) heads.set(id, { anchor: el.startChar!, since: d });
            else if (h) h.since += d;
          }
        }
      }),
    );
  }
  // Changes that no note follows (in the rests at the end) hang on the last note before them.
  for (const pending of waiting.values())
    for (const p of pending) {
      if (!p.back) continue;
      if (p.key) keys.push({ value: p.key, anchor: p.back.anchor, before: -p.back.since });
      if (p.meter) meters.push({ value: p.meter, anchor: p.back.anchor, before: -p.back.since });
    }
  return { keys, meters };
}

/** The first signature followed by every change at every time it is played, repeats expanded. */
function withChanges<T extends { time: number }>(first: T[], changes: SignatureChange<T>[], anchorTimes: Map<number, number[]>): T[] {
  if (!changes.length) return first;
  const byAnchor = new Map<number, SignatureChange<T>[]>();
  for (const c of changes) byAnchor.set(c.anchor, [...(byAnchor.get(c.anchor) ?? []), c]);
  const at: T[] = [];
  for (const [anchor, times] of anchorTimes) {
    const list = byAnchor.get(anchor);
    if (list) for (const start of times) for (const c of list) at.push({ ...c.value, time: snap(Math.max(0, start - c.before)) });
  }
  const same = (a: T, b: T) => JSON.stringify({ ...a, time: 0 }) === JSON.stringify({ ...b, time: 0 });
  const out = [...first];
  for (const s of at.sort((a, b) => a.time - b.time)) {
    const prev = out[out.length - 1];
    if (prev && prev.time === s.time) out[out.length - 1] = s;
    else if (!prev || !same(prev, s)) out.push(s);
  }
  // A change at time 0 replaces the header's value; a run of equal values keeps only its first.
  return out.filter((s, i) => i === 0 || !same(out[i - 1], s));
}

function abcjsWarning(w: string, fileLine: (tuneLine: number) => number): MusicWarning {
  const plain = String(w).replace(/<[^>]*>/g, '');
  const m = /^Music Line:(\d+):(\d+):\s*(.*)$/s.exec(plain);
  if (!m) return { message: plain.slice(0, 200) };
  const line = fileLine(Number(m[1]));
  const message = m[3].replace(/\s+/g, ' ').trim().slice(0, 200);
  return { message: `column ${m[2]}: ${message}`, line };
}

/** Decorations that abcjs plays as extra notes; the melody is the written note. */
const ORNAMENTS = new Set(['trill', 'trillh', 'lowermordent', 'uppermordent', 'mordent', 'pralltriller', 'turn', 'roll', 'irishroll', 'turnx', 'invertedturn', 'invertedturnx', 'arpeggio', 'slide']);
const SECTION_BARS = new Set(['bar_thin_thin', 'bar_thick_thin', 'bar_thin_thick']);

interface AbcjsPitch {
  pitch?: number;
  accidental?: string;
  startTie?: unknown;
  endTie?: unknown;
}

interface AbcjsElement {
  pitches?: (AbcjsPitch | null)[];
  rest?: unknown;
  el_type?: string;
  duration?: number;
  line?: number;
  type?: string;
  decoration?: string[];
  gracenotes?: unknown[];
  startEnding?: string;
  startTriplet?: number;
  tripletMultiplier?: number;
  tripletR?: number;
  endTriplet?: boolean;
  startChar?: number;
  endChar?: number;
}

/**
 * abcjs's player times a (3 group as three notes as long as its first, and gives the last note
 * what is left: (3D>EG plays G for 5/6 of a quarter instead of 1/3. A group whose notes differ in
 * length is played as plain notes with the tuplet's ratio applied here instead (abc2midi's timing).
 */
function evenOutTuplets(voice: AbcjsElement[]): void {
  for (let i = 0; i < voice.length; i++) {
    const first = voice[i];
    if (!first.startTriplet || !first.tripletMultiplier) continue;
    const group: AbcjsElement[] = [];
    let j = i;
    for (; j < voice.length; j++) {
      const el = voice[j];
      if (j > i && el.startTriplet) break;
      if (el.el_type === 'note') group.push(el);
      if (el.endTriplet) break;
    }
    if (j >= voice.length || !voice[j].endTriplet || group.some((el) => typeof el.duration !== 'number')) continue;
    if (group.every((el) => el.duration === first.duration)) continue;
    const ratio = first.tripletMultiplier;
    for (const el of group) el.duration = el.duration! * ratio;
    // Cleared, not deleted: a deleted property gives the element another shape (slower code after it).
    first.startTriplet = undefined;
    first.tripletMultiplier = undefined;
    first.tripletR = undefined;
    voice[j].endTriplet = undefined;
    i = j;
  }
}

/**
 * Where parseAbc read a repeat start that the text leaves implicit (a section bar taken as |:),
 * as character ranges of the text abcjs read (commentOutHeaderText of the tune with the file
 * header copied in; same length). Only the abc2midi oracle asks: abc2midi mishandles these
 * sections after 1st/2nd endings (see README), so its copy gets them spelled out.
 */
const impliedStarts = new WeakMap<AbcTune, { start: number; end: number }[]>();
export function impliedRepeatStarts(tune: AbcTune): { start: number; end: number }[] {
  return impliedStarts.get(tune) ?? [];
}

/**
 * Adjusts abcjs's parse tree before perform.ts plays it (abcjs's own player read it the same way):
 * - ornaments (trills, rolls, mordents...) are not expanded into extra notes;
 * - a section that repeats (ends with :|, or starts a first ending) without its own |: repeats from
 *   the last double bar (||, [|, |]) since the previous :|, or else from that :| itself. This is how
 *   abc2midi and players read folk-tune books; abcjs would otherwise fold the section into the
 *   previous repeat;
 * - ties that do not reach the same pitch are dropped;
 * - absurd ending numbers are dropped.
 * Returns the written length of the longest voice in whole notes (repeats not expanded) and an
 * estimate (from above) of the notes perform.ts will play with repeats expanded.
 */
function prepareForAudio(tune: abcjs.TuneObject, warnings: MusicWarning[], fileLine: (tuneLine: number) => number, accidentals: 'octave' | 'pitch', supplied: { start: number; end: number }[]): { written: number; notesEstimate: number } {
  let longest = 0; // written length of the longest voice, in whole notes
  let notesEstimate = 0;
  const lengths = new Map<string, number>();
  // sinceStart: notes since the last |: or :|, played again at the next :|.
  type VoiceState = { lastEnd: AbcjsElement | null; sawStart: boolean; sectionBar: AbcjsElement | null; endingAfterEnd: boolean; tied: { p: AbcjsPitch; acc: string }[]; barAccidentals: Map<number, string>; sinceStart: number; key: Map<number, string> };
  const states = new Map<string, VoiceState>();
  const supplyStart = (st: VoiceState) => {
    if (!st.lastEnd || st.sawStart) return;
    if (st.sectionBar) {
      st.sectionBar.type = 'bar_left_repeat';
      const { startChar, endChar } = st.sectionBar;
      if (typeof startChar === 'number' && typeof endChar === 'number') supplied.push({ start: startChar, end: endChar });
    }
    else if (!st.endingAfterEnd && st.lastEnd.type === 'bar_right_repeat') {
      st.lastEnd.type = 'bar_dbl_repeat';
      // Recorded too, so that abc2midi's copy writes this :| as :: (spellOutRepeatStarts).
      const { startChar, endChar } = st.lastEnd;
      if (typeof startChar === 'number' && typeof endChar === 'number') supplied.push({ start: startChar, end: endChar });
    }
    st.sawStart = true;
  };
  // A bar line that opens a line after a line ending without one (d\n|:gd...) makes abcjs play the
  // note before it twice; it belongs to the end of the previous line anyway.
  const lastVoice = new Map<string, AbcjsElement[]>();
  for (const line of tune.lines ?? []) {
    const staves = (line as { staff?: { voices?: AbcjsElement[][] }[] }).staff;
    staves?.forEach((staff, si) =>
      (staff.voices ?? []).forEach((voice, vi) => {
        const key = `${si}:${vi}`;
        const prev = lastVoice.get(key);
        const last = prev?.[prev.length - 1];
        // Part labels, key and meter changes may come first on the line.
        let i = 0;
        while (i < voice.length && voice[i].el_type !== 'bar' && voice[i].el_type !== 'note') i++;
        if (prev && voice[i]?.el_type === 'bar' && last && last.el_type !== 'bar') prev.push(...voice.splice(i, 1));
        if (voice.length) lastVoice.set(key, voice);
      }),
    );
  }
  for (const line of tune.lines ?? []) {
    const staves = (line as { staff?: { voices?: AbcjsElement[][] }[] }).staff;
    if (!staves) continue;
    staves.forEach((staff, si) => {
      (staff.voices ?? []).forEach((voice, vi) => {
        const key = `${si}:${vi}`;
        let st = states.get(key);
        if (!st) states.set(key, (st = { lastEnd: null, sawStart: false, sectionBar: null, endingAfterEnd: false, tied: [], barAccidentals: new Map(), sinceStart: 0, key: new Map() }));
        const state = st;
        const setKey = (k: unknown) => {
          const list = (k as { accidentals?: { acc?: string; note?: string }[] } | undefined)?.accidentals;
          if (!Array.isArray(list)) return;
          state.key = new Map();
          for (const a of list) if (a?.note && a.acc) state.key.set(LETTER_INDEX[a.note.toLowerCase()] ?? -1, a.acc);
        };
        setKey((staff as { key?: unknown }).key);
        // What a pitch sounds as: its own accidental, else the bar's for its letter, else the key's.
        const sounding = (p: AbcjsPitch) => {
          const letter = ((p.pitch! % 7) + 7) % 7;
          return p.accidental ?? (accidentals === 'pitch' ? state.barAccidentals.get(letter) : undefined) ?? state.key.get(letter) ?? 'natural';
        };
        evenOutTuplets(voice);
        let length = lengths.get(key) ?? 0;
        for (const el of voice) {
          if (el.el_type === 'key') setKey(el);
          if (el.el_type === 'note') {
            // A tie to a different pitch (G3-A, =F2-^F) or to a rest ties nothing, as in abc2midi.
            // abcjs would keep it open and join the G to the next tied G, however far away, or
            // sound ^F as the =F it is tied from.
            const pitches = el.pitches ?? [];
            for (const t of st.tied) {
              const q = el.rest ? undefined : pitches.find((x) => x?.pitch === t.p.pitch);
              // A tied-in note without an accidental sounds as the note it is tied from (=F6-|F4).
              if (q && (!q.accidental || q.accidental === t.acc)) continue;
              t.p.startTie = undefined;
              if (q) q.endTie = undefined;
            }
            if (st.tied.length) st.tied = [];
          }
          if (typeof el.duration === 'number' && Number.isFinite(el.duration)) length += el.duration;
          if (el.el_type === 'note' && !el.rest) {
            for (const p of el.pitches ?? []) {
              if (!p || typeof p.pitch !== 'number') continue;
              if (accidentals === 'pitch') {
                // ABC 2.2's default (and abc2midi's): an accidental holds for that letter in every octave until the bar line.
                const letter = ((p.pitch % 7) + 7) % 7;
                // A tied-in note's accidental only repeats the tie's pitch; abcjs does not carry it either.
                if (p.accidental) {
                  if (!p.endTie) st.barAccidentals.set(letter, p.accidental);
                } else {
                  const carried = st.barAccidentals.get(letter);
                  if (carried && !p.startTie && !p.endTie) p.accidental = carried;
                }
              }
              // What a tied note sounds as is fixed here, in chord order: in [A^a]-, the A was
              // written before the sharp and stays natural.
              if (p.startTie) st.tied.push({ p, acc: sounding(p) });
            }
          }
          if (el.el_type === 'note' && !el.rest) {
            const n = (el.pitches?.length ?? 0) + (el.gracenotes?.length ?? 0);
            notesEstimate += n;
            st.sinceStart += n;
          }
          if (el.decoration) {
            // Ornaments are played as the written note; the tune form still writes them (perform.ts marks).
            const ornaments = el.decoration.filter((d) => ORNAMENTS.has(d));
            if (ornaments.length) (el as { ornaments?: string[] }).ornaments = ornaments;
            el.decoration = el.decoration.filter((d) => !ORNAMENTS.has(d));
          }
          // abcjs keeps endings in an array indexed by their number: |589473 would allocate it.
          if (el.startEnding && /\d{3,}|\b(?:[2-9]\d)\b/.test(el.startEnding)) {
            warnings.push({ message: `ending number ${el.startEnding} ignored (expected 1-19)`, line: el.line !== undefined ? fileLine(el.line + 1) : undefined });
            el.startEnding = undefined;
          }
          if (el.el_type !== 'bar' || !el.type) continue;
          st.barAccidentals.clear();
          const isStart = el.type === 'bar_left_repeat' || el.type === 'bar_dbl_repeat';
          const isEnd = el.type === 'bar_right_repeat' || el.type === 'bar_dbl_repeat';
          const ending = el.startEnding;
          if (isEnd) {
            notesEstimate += st.sinceStart;
            st.sinceStart = 0;
          } else if (isStart) st.sinceStart = 0;
          if (isEnd) {
            supplyStart(st);
            st.lastEnd = el;
            st.sawStart = el.type === 'bar_dbl_repeat';
            st.sectionBar = null;
            st.endingAfterEnd = !!ending;
            continue;
          }
          if (ending) {
            if (/^\s*1/.test(ending)) supplyStart(st);
            else st.endingAfterEnd = true;
          }
          if (isStart) st.sawStart = true;
          else if (SECTION_BARS.has(el.type) && !ending) st.sectionBar = el;
        }
        lengths.set(key, length);
        longest = Math.max(longest, length);
      });
    });
  }
  return { written: longest, notesEstimate };
}
