/// <reference path="../../types/abcjs-internals.d.ts" />
/**
 * A hand-written reader for the plain single-voice tunes that make up almost all of the folk
 * corpora, building the same parse tree abcjs's parseOnly builds (the parts of it that
 * prepareForAudio, signatureChanges and tune/perform.ts read: lines, staffs with key and meter,
 * notes, rests, chords, bar lines, endings, ties, tuplets, grace notes, decorations, chord
 * symbols, parts, character positions, warnings).
 *
 * Why: abcjs's parser was half of all corpus reading time (issue #20: 10,000 tunes parsed and
 * encoded in <= 6 s). It builds a tree for drawing (beams, fonts, positions, formatting on every
 * note) at ~25 µs per note; this reader does only what playing needs, in one pass over the text.
 *
 * It follows abcjs 6.7's parser step by step (parseMusic, getCoreNote, letter_to_bar,
 * getBrackettedSubstring, setMeter, setTempo, parseKey...), quirks included, so that a tune reads
 * the same whichever path reads it. It declines (returns null, and parseAbc asks abcjs) whenever
 * the text holds anything outside that subset: voices, overlays, inline fields, body K:/M:/Q:/T:
 * lines, directives (%%, I:), macros (U:), old-style +decorations+, multi-measure rests, keys with
 * extra accidentals or clefs, and every construct abcjs would warn about except unrepresentable
 * durations (whose warning it writes as abcjs does). `bench/abc-quick.ts` reads every tune of the
 * corpora both ways and counts the tunes that differ (none may) and the share declined.
 */

// abcjs's own key-signature table (relative majors and their accidentals), so a K: reads exactly
// as abcjs reads it, quirks included ('A#' as two flats); not a music table of ours (that is key.ts).
import keyAccidentals from 'abcjs/src/const/key-accidentals.js';

export interface QuickPitch {
  pitch: number;
  accidental?: string;
  startTie?: Record<string, never>;
  endTie?: boolean;
  duration?: number;
  acciaccatura?: boolean;
  /** abcjs sets it on transposed pitches; the quick reader never does. */
  midipitch?: number;
}

export interface QuickElement {
  el_type: string;
  startChar?: number;
  endChar?: number;
  pitches?: QuickPitch[];
  rest?: { type: string; startTie?: Record<string, never>; endTie?: boolean };
  duration?: number;
  decoration?: string[];
  gracenotes?: QuickPitch[];
  chord?: { name: string; position: string }[];
  startTriplet?: number;
  tripletMultiplier?: number;
  tripletR?: number;
  endTriplet?: boolean;
  type?: string;
  startEnding?: string;
  title?: string;
  /** abcjs's line of the element (quick: undefined; the reader warns about endings with it). */
  line?: number;
  /** Set by prepareForAudio (read.ts): the ornaments taken out of `decoration`. */
  ornaments?: string[];
}

interface Meter {
  type: string;
  value?: { num: string; den?: string }[];
}

interface Key {
  root: string;
  acc: string;
  mode: string;
  accidentals: { acc: string; note: string }[];
}

interface Staff {
  clef: { type: string; verticalPos: number };
  key: Key;
  meter?: Meter;
  voices: QuickElement[][];
}

/** The parts of abcjs's TuneObject that parseAbc reads. */
export interface QuickTune {
  lines: { staff: Staff[] }[];
  metaText: { title?: string; tempo?: { duration?: number[]; bpm?: number } };
  warnings?: string[];
  formatting: Record<string, never>;
  getMeterFraction(): { num: number; den: number };
  getKeySignature(): Key | Record<string, never>;
  getBarLength(): number;
  getPickupLength(): number;
}

/** Thrown inside the reader when the text leaves the subset; parseAbc falls back to abcjs. */
const DECLINE = { declined: true };
function decline(): never {
  throw DECLINE;
}

const PITCHES: Record<string, number> = { A: 5, B: 6, C: 0, D: 1, E: 2, F: 3, G: 4, a: 12, b: 13, c: 7, d: 8, e: 9, f: 10, g: 11 };
const RESTS: Record<string, string> = { x: 'invisible', y: 'spacer', z: 'rest' };
const TRIPLET_Q: Record<number, number> = { 2: 3, 3: 2, 4: 3, 5: 2, 6: 2, 7: 2, 8: 3, 9: 2 };
const NON_DECORATIONS = 'ABCDEFGabcdefgxyzZ[]|^_{';
// abcjs's lists (abc_parse_settings.js).
const LEGAL_ACCENTS = new Set(['trill', 'trillh', 'lowermordent', 'uppermordent', 'mordent', 'pralltriller', 'accent', 'fermata', 'invertedfermata', 'tenuto', '0', '1', '2', '3', '4', '5', '+', 'wedge', 'open', 'thumb', 'snap', 'turn', 'roll', 'breath', 'shortphrase', 'mediumphrase', 'longphrase', 'segno', 'coda', 'D.S.', 'D.C.', 'fine', 'beambr1', 'beambr2', 'slide', 'marcato', 'upbow', 'downbow', '/', '//', '///', '////', 'trem1', 'trem2', 'trem3', 'trem4', 'turnx', 'invertedturn', 'invertedturnx', 'trill(', 'trill)', 'arpeggio', 'xstem', 'mark', 'umarcato', 'D.C.alcoda', 'D.C.alfine', 'D.S.alcoda', 'D.S.alfine', 'editorial', 'courtesy']);
const VOLUME_DECORATIONS = new Set(['p', 'pp', 'f', 'ff', 'mf', 'mp', 'ppp', 'pppp', 'fff', 'ffff', 'sfz']);
const DYNAMIC_DECORATIONS = new Set(['crescendo(', 'crescendo)', 'diminuendo(', 'diminuendo)', 'glissando(', 'glissando)', '~(', '~)']);
const PSEUDONYMS: Record<string, string> = { '<': 'accent', '>': 'accent', tr: 'trill', plus: '+', emphasis: 'accent', '^': 'umarcato', marcato: 'umarcato', '<(': 'crescendo(', '<)': 'crescendo)', '>(': 'diminuendo(', '>)': 'diminuendo)' };
const LETTER_DECORATIONS: Record<string, string> = { u: 'upbow', v: 'downbow', '~': 'irishroll', H: 'fermata', J: 'slide', L: 'accent', M: 'mordent', O: 'coda', P: 'pralltriller', R: 'roll', S: 'segno', T: 'trill', t: 'trillh' };
const DURATIONS = new Set([0.5, 0.75, 0.875, 0.9375, 0.96875, 0.984375, 0.25, 0.375, 0.4375, 0.46875, 0.484375, 0.4921875, 0.125, 0.1875, 0.21875, 0.234375, 0.2421875, 0.24609375, 0.0625, 0.09375, 0.109375, 0.1171875, 0.12109375, 0.123046875, 0.03125, 0.046875, 0.0546875, 0.05859375, 0.060546875, 0.0615234375, 0.015625, 0.0234375, 0.02734375, 0.029296875, 0.0302734375, 0.03076171875]);
/** Header fields abcjs keeps as text only (metaTextHeaders), and in the body drops the line. */
const TEXT_FIELDS = new Set(['A', 'B', 'C', 'D', 'F', 'G', 'I', 'N', 'O', 'R', 'S', 'W', 'Z']);
/** Every letter abcjs's parseHeader acts on; other `x:` lines are music to it (|:..., e:|...). */
const HEADER_FIELDS = new Set([...TEXT_FIELDS, 'H', 'K', 'L', 'M', 'P', 'Q', 'T', 'U', 'V', 's', 'w', 'X', 'E', 'm']);

/** K: as abcjs reads it (tonic, #/b, mode); anything more (clef, explicit accidentals) declines. */
function parseKeyField(value: string): { root: string; acc: string; mode: string } {
  const m = /^\s*([A-G])([#b]?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!m) return decline();
  let mode = '';
  if (m[3]) {
    // tokenizer.getMode: the first three letters count (a lone 'm' is minor).
    const w = m[3].toLowerCase();
    const first = w.length === 1 ? w : w.slice(0, 3);
    const modes: Record<string, string> = { mix: 'Mix', dor: 'Dor', phr: 'Phr', lyd: 'Lyd', loc: 'Loc', aeo: 'm', maj: '', ion: '', min: 'm', m: 'm' };
    if (!(first in modes)) return decline();
    mode = modes[first];
  }
  return { root: m[1], acc: m[2], mode };
}

/** M: as abcjs's setMeter reads the forms seen in folk books; others decline. */
function parseMeterField(value: string): { meter: Meter | null; defaultLength: number | null } {
  const v = value.trim();
  if (v === 'C') return { meter: { type: 'common_time' }, defaultLength: 0.125 };
  if (v === 'C|') return { meter: { type: 'cut_time' }, defaultLength: 0.125 };
  if (v.length === 0 || v.toLowerCase() === 'none') return { meter: null, defaultLength: 0.125 };
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(v);
  if (!m) return decline();
  const total = parseInt(m[1]) / parseInt(m[2]);
  return { meter: { type: 'specified', value: [{ num: m[1], den: m[2] }] }, defaultLength: total < 0.75 ? 0.0625 : 0.125 };
}

/** Tempo forms: `120`, `1/4=120`, either with a quoted string before or after. */
function parseTempoField(value: string): { tempo: { duration: number[]; bpm: number }; delay: boolean } {
  const v = value.trim();
  let m = /^(?:"[^"\\]*"\s*)?(\d+)\s*\/\s*(\d+)\s*=\s*(\d+)\s*(?:"[^"\\]*")?$/.exec(v);
  if (m) return { tempo: { duration: [parseInt(m[1]) / parseInt(m[2])], bpm: parseInt(m[3]) }, delay: false };
  m = /^(?:"[^"\\]*"\s*)?(\d+)\s*(?:"[^"\\]*")?$/.exec(v);
  if (m) return { tempo: { duration: [1], bpm: parseInt(m[1]) }, delay: true };
  return decline();
}

const NO_ACCENT: [number, string | null] = [0, ''];
/** A chord symbol that abcjs respells (b and # as signs, o, 0 and ^ after the root). */
const CHORD_SPELLING = /[b#o0^]/;

const isWhite = (c: string | undefined) => c === ' ' || c === '\t' || c === '\x12';

/** tokenizer.getBrackettedSubstring: [consumed, text, closed]. */
function bracketted(line: string, i: number, maxErrorChars: number, matchChar?: string): [number, string, boolean] {
  const match = matchChar ?? line[i];
  let pos = i + 1;
  let esc = false;
  while (pos < line.length && (esc || line[pos] !== match)) {
    esc = line[pos] === '\\';
    ++pos;
  }
  const subst = (s: string) => (s.includes('\\') ? s.replace(/\\n/g, '\n').replace(/\\"/g, '"') : s);
  if (line[pos] === match) return [pos - i + 1, subst(line.substring(i + 1, pos)), true];
  pos = i + maxErrorChars;
  if (pos > line.length - 1) pos = line.length - 1;
  return [pos - i + 1, subst(line.substring(i + 1, pos)), false];
}

/** tokenizer.getNumber / getFraction. */
function getNumber(line: string, index: number): { num: number; index: number } {
  let num = 0;
  while (index < line.length) {
    const c = line.charCodeAt(index);
    if (c < 48 || c > 57) break;
    num = num * 10 + (c - 48);
    index++;
  }
  return { num, index };
}
function getFraction(line: string, index: number): { value: number; index: number } {
  let num = 1;
  let den = 1;
  if (line[index] !== '/') {
    const r = getNumber(line, index);
    num = r.num;
    index = r.index;
  }
  if (line[index] === '/') {
    index++;
    if (line[index] === '/') {
      let div = 0.5;
      // (Reads stop at the end of the text: a read past it makes V8 recompile the reader.)
      for (;;) {
        const c = index < line.length ? line[index] : undefined;
        index++;
        if (c !== '/') break;
        div = div / 2;
      }
      return { value: num * div, index: index - 1 };
    }
    const save = index;
    const r2 = getNumber(line, index);
    if (r2.num === 0 && save === r2.index) r2.num = 2;
    if (r2.num !== 0) den = r2.num;
    index = r2.index;
  }
  return { value: num / den, index };
}

function brokenRhythm(line: string, index: number): [number, number, number] {
  if (line[index] === '>') {
    if (index < line.length - 2 && line[index + 1] === '>' && line[index + 2] === '>') return [3, 1.875, 0.125];
    if (index < line.length - 1 && line[index + 1] === '>') return [2, 1.75, 0.25];
    return [1, 1.5, 0.5];
  }
  if (index < line.length - 2 && line[index + 1] === '<' && line[index + 2] === '<') return [3, 0.125, 1.875];
  if (index < line.length - 1 && line[index + 1] === '<') return [2, 0.25, 1.75];
  return [1, 0.5, 1.5];
}

/** tokenizer.getBarLine: [length, type] or null; unknown bar symbols decline. */
function barLine(line: string, i: number): [number, string] | null {
  switch (line[i]) {
    case ']':
      if (line[i + 1] === '|') return [2, 'bar_thick_thin'];
      if (line[i + 1] === '[') {
        const c = line[i + 2];
        if ((c >= '1' && c <= '9') || c === '"') return [2, 'bar_invisible'];
        return decline();
      }
      return [1, 'bar_invisible'];
    case ':':
      if (line[i + 1] === ':') return [2, 'bar_dbl_repeat'];
      if (line[i + 1] === '|') {
        if (line[i + 2] === ']') {
          if (line[i + 3] === '|') return line[i + 4] === ':' ? [5, 'bar_dbl_repeat'] : [3, 'bar_right_repeat'];
          return [3, 'bar_right_repeat'];
        }
        if (line[i + 2] === '|') return line[i + 3] === ':' ? [4, 'bar_dbl_repeat'] : [3, 'bar_right_repeat'];
        return [2, 'bar_right_repeat'];
      }
      return decline();
    case '[':
      if (line[i + 1] === '|') {
        if (line[i + 2] === ':') return [3, 'bar_left_repeat'];
        if (line[i + 2] === ']') return [3, 'bar_invisible'];
        return [2, 'bar_thick_thin'];
      }
      if ((line[i + 1] >= '1' && line[i + 1] <= '9') || line[i + 1] === '"') return [1, 'bar_invisible'];
      return null;
    case '|':
      if (line[i + 1] === ']') return [2, 'bar_thin_thick'];
      if (line[i + 1] === '|') return line[i + 2] === ':' ? [3, 'bar_left_repeat'] : [2, 'bar_thin_thin'];
      if (line[i + 1] === ':') {
        let colons = 0;
        while (i + 1 + colons < line.length && line[i + 1 + colons] === ':') colons++;
        return [1 + colons, 'bar_left_repeat'];
      }
      return [1, 'bar_thin'];
  }
  return null;
}

interface Core {
  pitch?: number;
  accidental?: string;
  rest?: { type: string; startTie?: Record<string, never>; endTie?: boolean };
  duration: number;
  startTie?: Record<string, never>;
  endTie?: boolean;
  endChar: number;
}

/**
 * A new element with every field the reader may set, in one order. Elements built field by field
 * came in dozens of object shapes, and each new shape reaching the reader's compiled code made V8
 * throw that code away and compile it again (~25 times per pass over the corpora, each costing
 * more than reading a thousand tunes).
 */
export function newElement(type: string): QuickElement {
  return { el_type: type, startChar: undefined, endChar: undefined, pitches: undefined, rest: undefined, duration: undefined, decoration: undefined, gracenotes: undefined, chord: undefined, startTriplet: undefined, tripletMultiplier: undefined, tripletR: undefined, endTriplet: undefined, type: undefined, startEnding: undefined, title: undefined, line: undefined, ornaments: undefined };
}
export function newPitch(pitch: number): QuickPitch {
  return { pitch, accidental: undefined, startTie: undefined, endTie: undefined, duration: undefined, acciaccatura: undefined, midipitch: undefined };
}
function partElement(title: string): QuickElement {
  const e = newElement('part');
  e.title = title;
  return e;
}

const encode = (s: string) => s.replace(/\x12/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Reads `text` (the tune as parseAbc hands it to abcjs) or returns null when it holds anything
 * outside the subset this reader covers.
 */
export function quickParseAbc(text: string): QuickTune | null {
  try {
    return read(text);
  } catch {
    // A decline, or text this reader did not foresee: abcjs reads it (and reports what is wrong).
    return null;
  }
}

function read(text: string): QuickTune {
  let str = text.replace(/\r\n?/g, '\n') + '\n';
  if (str.includes('\n\\') || str.includes('\\%')) decline();
  // Line continuations, keeping the character count (as abcjs does).
  if (str.includes('\\')) str = str.replace(/\\([ \t]*)(%.*)*\n/g, (_all, ws: string, comment?: string) => ws + '\x12' + (comment ? ' '.repeat(comment.length) : '') + '\n');
  const lines = str.split('\n');
  if (lines[lines.length - 1].length === 0) lines.pop();

  const warnings: string[] = [];
  const metaText: QuickTune['metaText'] = {};
  let defaultLength = 0.125;
  let haventSetLength = true;
  let meter: Meter | null = null; // multilineVars.meter: handed to the first staff only
  let origMeter: Meter | null = null;
  let key: { root: string; acc: string; mode: string } | null = null;
  let delayedTempo: { duration: number[]; bpm: number } | null = null;
  let inHeader = true;
  let hasTitle = false;

  const tuneLines: { staff: Staff[] }[] = [];
  let voice: QuickElement[] | null = null;
  let startNewLineFlag = true;
  let lineContinuation = false;
  let partForNextLine: { title: string; startChar: number; endChar: number } | null = null;
  let nextNoteDuration = 0;
  let inTie: boolean | undefined;
  let inTieChord: Record<number, boolean | undefined> = {};
  let holdOver: { inTie: boolean | undefined; inTieChord: Record<number, boolean | undefined> } | null = null;
  let inEnding = false;
  let el: QuickElement = newElement('');
  let lineIndex = 0;
  let iChar = 0;
  let line = '';

  const warn = (message: string, col: number) => {
    const bad = line[col] === ' ' || line[col] === undefined ? 'SPACE' : line[col];
    warnings.push(`Music Line:${lineIndex}:${col + 1}: ${message}:  ${encode(line.substring(col - 64, col))}<span style="text-decoration:underline;font-size:1.3em;font-weight:bold;">${bad}</span>${encode(line.substring(col + 1).substring(0, 64))}`);
  };
  const resolveTempo = () => {
    if (!delayedTempo) return;
    const m = meter ?? origMeter;
    const dur = m && m.type === 'specified' ? 1 / parseInt(m.value![0].den!) : 0.25;
    delayedTempo.duration[0] = dur * delayedTempo.duration[0];
    metaText.tempo = delayedTempo;
    delayedTempo = null;
  };
  // Every line's staff gets the key (nothing downstream changes it, so they share one object).
  let keyOfLines: Key | null = null;
  const staffKey = (): Key => {
    if (keyOfLines) return keyOfLines;
    const k = key ?? { root: 'none', acc: '', mode: '' };
    const accidentals = k.root === 'none' ? [] : keyAccidentals(k.root + k.acc + k.mode);
    if (!accidentals) return decline();
    return (keyOfLines = { root: k.root, acc: k.acc, mode: k.mode, accidentals });
  };
  const appendElement = (e: QuickElement, startChar: number, endChar: number) => {
    e.startChar = startChar;
    e.endChar = endChar;
    voice!.push(e);
  };
  const startNewLine = () => {
    const part = partForNextLine;
    partForNextLine = null;
    const lineMeter = meter;
    meter = null;
    const key = staffKey();
    if (voice && !voice.some((e) => e.el_type === 'note' || e.el_type === 'bar')) {
      if (part) appendElement(partElement(part.title), part.startChar, part.endChar);
      return;
    }
    const staff: Staff = { clef: { type: 'treble', verticalPos: 0 }, key, voices: [[]] };
    voice = staff.voices[0];
    tuneLines.push({ staff: [staff] });
    if (part) appendElement(partElement(part.title), part.startChar, part.endChar);
    if (lineMeter !== null) staff.meter = lineMeter;
  };

  /** abcjs's getCoreNote for one note or rest (no slurs before it: those are read by the caller). */
  const coreNote = (s: string, index: number, canHaveBrokenRhythm: boolean): Core | null => {
    // Every field up front, in one order: one object shape (see newElement).
    const el: Partial<Core> = { pitch: undefined, accidental: undefined, rest: undefined, duration: undefined, startTie: undefined, endTie: undefined, endChar: undefined };
    if (s[index] === '.' && s[index + 1] === '-') decline();
    let state = 'startSlur';
    let durationSetByPrevious = false;
    for (;;) {
      const c = s[index];
      const complete = state === 'octave' || state === 'duration' || state === 'broken_rhythm' || state === 'end_slur';
      switch (c) {
        case '(':
          if (state === 'startSlur') decline(); // a slur inside a note (abcjs keeps count; never in the corpora)
          if (complete) { el.endChar = index; return el as Core; }
          return null;
        case ')':
          if (complete) break; // an end slur
          return null;
        case '^':
        case '_':
          if (state === 'startSlur') {
            el.accidental = c === '^' ? 'sharp' : 'flat';
            state = c === '^' ? 'sharp2' : 'flat2';
          } else if (state === (c === '^' ? 'sharp2' : 'flat2')) {
            el.accidental = c === '^' ? 'dblsharp' : 'dblflat';
            state = 'pitch';
          } else if (complete) { el.endChar = index; return el as Core; }
          else return null;
          break;
        case '=':
          if (state === 'startSlur') {
            el.accidental = 'natural';
            state = 'pitch';
          } else if (complete) { el.endChar = index; return el as Core; }
          else return null;
          break;
        case 'A': case 'B': case 'C': case 'D': case 'E': case 'F': case 'G':
        case 'a': case 'b': case 'c': case 'd': case 'e': case 'f': case 'g':
          if (state === 'startSlur' || state === 'sharp2' || state === 'flat2' || state === 'pitch') {
            el.pitch = PITCHES[c];
            state = 'octave';
            if (canHaveBrokenRhythm && nextNoteDuration !== 0) {
              el.duration = defaultLength * nextNoteDuration;
              nextNoteDuration = 0;
              durationSetByPrevious = true;
            } else el.duration = defaultLength;
          } else if (complete) { el.endChar = index; return el as Core; }
          else return null;
          break;
        case ',':
        case "'":
          if (state === 'octave') el.pitch! += c === ',' ? -7 : 7;
          else if (complete) { el.endChar = index; return el as Core; }
          else return null;
          break;
        case 'x': case 'y': case 'z':
          if (state === 'startSlur') {
            el.rest = { type: RESTS[c] };
            el.accidental = undefined;
            if (canHaveBrokenRhythm && nextNoteDuration !== 0) {
              el.duration = defaultLength * nextNoteDuration;
              nextNoteDuration = 0;
              durationSetByPrevious = true;
            } else el.duration = defaultLength;
            state = 'duration';
          } else if (complete) { el.endChar = index; return el as Core; }
          else return null;
          break;
        case 'X': case 'Z':
          return decline(); // multi-measure rests
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': case '/':
          if (state === 'octave' || state === 'duration') {
            const f = getFraction(s, index);
            el.duration = el.duration! * f.value;
            el.endChar = f.index;
            let k = f.index;
            while (k < s.length && (isWhite(s[k]) || s[k] === '-')) {
              if (s[k] === '-') el.startTie = {};
              k++;
            }
            index = k - 1;
            state = 'broken_rhythm';
          } else if (state === 'sharp2' || state === 'flat2') return decline(); // quarter tones
          else return null;
          break;
        case '-':
          if (state === 'startSlur') return decline(); // a tie written before its note
          if (state === 'octave' || state === 'duration' || state === 'end_slur') {
            el.startTie = {};
            if (!durationSetByPrevious && canHaveBrokenRhythm) state = 'broken_rhythm';
            else { el.endChar = index + 1; return el as Core; }
          } else if (state === 'broken_rhythm') { el.endChar = index; return el as Core; }
          else return null;
          break;
        case ' ':
        case '\t':
          if (complete) {
            do {
              if (s[index] === '.' && s[index + 1] === '-') decline();
              if (s[index] === '-') el.startTie = {};
              index++;
            } while (index < s.length && (isWhite(s[index]) || s[index] === '-'));
            el.endChar = index;
            if (!durationSetByPrevious && canHaveBrokenRhythm && (s[index] === '<' || s[index] === '>')) {
              index--;
              state = 'broken_rhythm';
            } else return el as Core;
          } else return null;
          break;
        case '>':
        case '<':
          if (complete) {
            if (canHaveBrokenRhythm) {
              const br = brokenRhythm(s, index);
              index += br[0] - 1;
              nextNoteDuration = br[2];
              el.duration = br[1] * el.duration!;
              state = 'end_slur';
            } else { el.endChar = index; return el as Core; }
          } else return null;
          break;
        default:
          if (complete) { el.endChar = index; return el as Core; }
          return null;
      }
      index++;
      if (index === s.length) {
        if (state === 'octave' || state === 'duration' || state === 'broken_rhythm' || state === 'end_slur') {
          el.endChar = index;
          return el as Core;
        }
        return null;
      }
    }
  };

  const accent = (i: number): [number, string | null] => {
    const c = line[i];
    if (c === '.') return line[i + 1] === '(' || line[i + 1] === '-' ? [0, ''] : [1, 'staccato'];
    if (c in LETTER_DECORATIONS) return [1, LETTER_DECORATIONS[c]];
    if (c === '+') return decline();
    if (c === '!') {
      const r = bracketted(line, i, 5);
      let name = r[1];
      if (name.length > 1 && (name[0] === '^' || name[0] === '_')) name = name.substring(1);
      if (name.startsWith('style=') || name.startsWith('class=')) return decline();
      if (LEGAL_ACCENTS.has(name) || VOLUME_DECORATIONS.has(name) || DYNAMIC_DECORATIONS.has(name)) return [r[0], name];
      if (name in PSEUDONYMS) return [r[0], PSEUDONYMS[name]];
      // abc2win's '!' line break: only at the end of a line here.
      if (r[0] === 1 || line[i + r[0] - 1] !== '!') {
        if (i + 1 < line.length) decline();
        return [1, null];
      }
      return decline(); // an unknown decoration (abcjs warns)
    }
    return [0, ''];
  };

  const grace = (i: number): [number, QuickPitch[]] | null => {
    const g = bracketted(line, i, 1, '}');
    if (!g[2]) decline();
    if (line[i + g[0]] === ')') {
      g[0]++;
      g[1] += ')';
    }
    const s = g[1];
    const notes: QuickPitch[] = [];
    let k = 0;
    let tie = false;
    while (k < s.length) {
      let acciaccatura = false;
      if (s[k] === '/') {
        acciaccatura = true;
        k++;
      }
      if (s[k] === '(') decline();
      const n = coreNote(s, k, false);
      if (n) {
        if (n.rest) decline();
        const p = newPitch(n.pitch!);
        p.duration = n.duration / (defaultLength * 8);
        if (n.accidental) p.accidental = n.accidental;
        if (acciaccatura) p.acciaccatura = true;
        if (n.startTie) p.startTie = n.startTie;
        if (tie) {
          p.endTie = true;
          tie = false;
        }
        if (n.startTie) tie = true;
        notes.push(p);
        k = n.endChar;
      } else {
        if (s[k] !== ' ') decline();
        k++;
      }
    }
    return notes.length ? [g[0], notes] : decline();
  };

  const parseMusic = () => {
    resolveTempo();
    inHeader = false;
    let i = 0;
    const startOfLine = iChar;
    while (i < line.length && isWhite(line[i])) i++;
    if (i === line.length) return;
    let delayStartNewLine = startNewLineFlag;
    startNewLineFlag = true;
    let tripletNotesLeft = 0;
    if (lineContinuation && /^(?:[IMKPLQV]):/.test(line.substring(i, i + 2)) && line.length >= i + 3) decline();

    while (i < line.length) {
      const startI = i;
      // Inline fields ([K:D], [M:3/4], [P:A]...) decline.
      {
        let k = i;
        while (k < line.length && isWhite(line[k])) k++;
        if (line.length >= k + 5 && line[k] === '[' && line[k + 2] === ':') decline();
      }
      if (!voice || (delayStartNewLine && !lineContinuation)) {
        startNewLine();
        delayStartNewLine = false;
      }
      for (;;) {
        while (i < line.length && isWhite(line[i])) i++;
        if (i > 0 && line[i - 1] === '\x12' && line.length >= i + 3 && /^[IMKPLQV]:/.test(line.substring(i, i + 2))) decline();
        if (line[i] === '"') {
          const r = bracketted(line, i, 5);
          if (!r[2]) decline();
          let name = r[1];
          let position = 'default';
          const first = name[0];
          if (name.length > 0 && (first === '^' || first === '_' || first === '<' || first === '>' || first === '@')) {
            if (first === '@') decline();
            name = name.substring(1);
            position = first === '^' ? 'above' : first === '_' ? 'below' : first === '<' ? 'left' : 'right';
          } else if (CHORD_SPELLING.test(name)) {
            name = name.replace(/([ABCDEFG0-9])b/g, '$1♭').replace(/([ABCDEFG0-9])#/g, '$1♯').replace(/^([ABCDEFG])([♯♭]?)o([^A-Za-z])/g, '$1$2°$3').replace(/^([ABCDEFG])([♯♭]?)o$/g, '$1$2°').replace(/^([ABCDEFG])([♯♭]?)0([^A-Za-z])/g, '$1$2ø$3').replace(/^([ABCDEFG])([♯♭]?)\^([^A-Za-z])/g, '$1$2∆$3');
          }
          if (name.includes('\\')) decline(); // tokenizer.translateString's escapes
          name = name.replace(/;/g, '\n');
          el.chord ??= [];
          const same = el.chord.find((c) => c.position === position);
          if (same) {
            for (const c of el.chord) if (c.position === position) c.name += '\n' + name;
          } else el.chord.push({ name, position });
          i += r[0];
          while (i < line.length && isWhite(line[i])) i++;
          continue;
        }
        const a = i >= line.length || NON_DECORATIONS.includes(line[i]) ? NO_ACCENT : accent(i);
        if (a[0] > 0) {
          if (a[1] !== null && a[1].length > 0) {
            if (a[1] !== 'beambr1' && a[1] !== 'beambr2') (el.decoration ??= []).push(a[1]);
          }
          i += a[0];
          continue;
        }
        if (line[i] === '{') {
          const g = grace(i)!;
          el.gracenotes = g[1];
          i += g[0];
          continue;
        }
        break;
      }

      const bar = barLine(line, i);
      if (bar) {
        if (el.gracenotes) decline();
        let len = bar[0];
        let ending: string | undefined;
        // A repeat ending: digits, commas and dashes, optionally after '[' (spaces allowed before it).
        let ws = 0;
        while (line[i + len + ws] === ' ') ws++;
        const origLen = len;
        if (line[i + len + ws] === '[') len += ws + 1;
        if (line[i + len] === '"' && line[i + len - 1] === '[') decline();
        let r = 0;
        while (i + len + r < line.length && '1234567890-,'.includes(line[i + len + r])) r++;
        if (r === 0 || line[i + len] === '-') len = origLen;
        else {
          ending = line.substring(i + len, i + len + r);
          len += r;
        }
        const b: QuickElement = newElement('bar');
        b.type = bar[1];
        if (inEnding && bar[1] !== 'bar_thin') inEnding = false;
        if (ending !== undefined) {
          b.startEnding = ending;
          inEnding = true;
          if (bar[1] === 'bar_right_repeat') {
            if (holdOver) {
              inTie = holdOver.inTie;
              inTieChord = { ...holdOver.inTieChord };
            }
          } else holdOver = { inTie, inTieChord: { ...inTieChord } };
        }
        if (el.decoration) b.decoration = el.decoration;
        if (el.chord) (b as { chord?: unknown }).chord = el.chord;
        appendElement(b, startOfLine + startI, startOfLine + i + len);
        el = newElement('');
        i += len;
      } else if (line[i] === '&') {
        decline();
      } else {
        // Open slurs and a tuplet.
        if (line[i] === '.' && line[i + 1] === '(') i++;
        while (line[i] === '(' || isWhite(line[i])) {
          if (line[i] === '(') {
            if (i + 1 < line.length && line[i + 1] >= '2' && line[i + 1] <= '9') {
              const p = line.charCodeAt(i + 1) - 48;
              let q = TRIPLET_Q[p];
              let r = p;
              if (line[i + 2] === ':') {
                if (line[i + 3] === ':') {
                  if (line[i + 4] >= '1' && line[i + 4] <= '9') {
                    r = line.charCodeAt(i + 4) - 48;
                    i += 3;
                  } else decline();
                } else if (line[i + 3] >= '1' && line[i + 3] <= '9') {
                  q = line.charCodeAt(i + 3) - 48;
                  if (line[i + 4] === ':') {
                    if (line[i + 5] >= '1' && line[i + 5] <= '9') {
                      r = line.charCodeAt(i + 5) - 48;
                      i += 4;
                    } else decline();
                  } else i += 2;
                } else decline();
              }
              if (el.startTriplet !== undefined || tripletNotesLeft > 0) decline(); // nested tuplets (abcjs warns)
              el.startTriplet = p;
              el.tripletMultiplier = q / p;
              el.tripletR = r;
              tripletNotesLeft = r;
              i++;
            }
          }
          i++;
        }

        if (line[i] === '[') {
          i++;
          let chordDuration: number | null = null;
          for (;;) {
            const a = accent(i);
            if (a[0] > 0) {
              if (a[1] === null) decline();
              i += a[0];
            }
            const n = coreNote(line, i, false);
            if (n && n.pitch !== undefined) {
              if (a[0] > 0 && a[1]) (el.decoration ??= []).push(a[1]);
              const p = newPitch(n.pitch);
              if (n.accidental) p.accidental = n.accidental;
              if (n.startTie) p.startTie = n.startTie;
              if (!el.pitches) {
                el.duration = n.duration;
                el.pitches = [p];
              } else el.pitches.push(p);
              const at = el.pitches.length;
              if (inTieChord[at]) {
                p.endTie = true;
                inTieChord[at] = undefined;
              }
              if (p.startTie) inTieChord[at] = true;
              i = n.endChar;
            } else if (line[i] === ']') {
              i++;
              if (!el.pitches) decline();
              if (nextNoteDuration !== 0) {
                el.duration = el.duration! * nextNoteDuration;
                nextNoteDuration = 0;
              }
              if (inTie) {
                for (const p of el.pitches!) p.endTie = true;
                inTie = false;
              }
              if (tripletNotesLeft > 0) {
                tripletNotesLeft--;
                if (tripletNotesLeft === 0) el.endTriplet = true;
              }
              let postDone = false;
              while (i < line.length && !postDone) {
                const c = line[i];
                if (c === ' ' || c === '\t' || c === ')') {
                  // a space (beam) or an end slur
                } else if (c === '-') {
                  for (const p of el.pitches!) p.startTie = {};
                  inTie = true;
                } else if (c === '>' || c === '<') {
                  const br = brokenRhythm(line, i);
                  i += br[0] - 1;
                  nextNoteDuration = br[2];
                  chordDuration = chordDuration ? chordDuration * br[1] : br[1];
                } else if ((c >= '1' && c <= '9') || c === '/') {
                  const f = getFraction(line, i);
                  chordDuration = f.value;
                  i = f.index;
                  const ch = line[i];
                  if (ch === '-' || ch === ')' || ch === ' ' || ch === '<' || ch === '>') i--;
                  else postDone = true;
                } else if (c === '0') chordDuration = 0;
                else postDone = true;
                if (!postDone) i++;
              }
              if (chordDuration !== null) el.duration = el.duration! * chordDuration;
              el.el_type = 'note';
              appendElement(el, startOfLine + startI, startOfLine + i);
              el = newElement('');
              break;
            } else decline(); // spaces or rests in a chord, or no ']' (abcjs warns)
          }
        } else {
          const core = coreNote(line, i, true);
          if (core) {
            if (core.pitch !== undefined) {
              const p = newPitch(core.pitch);
              if (core.accidental !== undefined) p.accidental = core.accidental;
              if (core.startTie !== undefined) p.startTie = core.startTie;
              el.pitches = [p];
            } else {
              el.rest = core.rest!;
              if (core.startTie !== undefined) el.rest.startTie = core.startTie;
            }
            el.duration = core.duration;
            if (inTie && (el.pitches || el.rest!.type !== 'spacer')) {
              if (el.pitches) el.pitches[0].endTie = true;
              else el.rest!.endTie = true;
              inTie = false;
            }
            if (core.startTie) inTie = true;
            i = core.endChar;
            if (tripletNotesLeft > 0 && !(core.rest && core.rest.type === 'spacer')) {
              tripletNotesLeft--;
              if (tripletNotesLeft === 0) el.endTriplet = true;
            }
            if (el.rest && el.rest.type === 'rest' && el.duration === 1) {
              const m = origMeter;
              const measure = m && m.type === 'specified' && m.value?.length ? parseInt(m.value[0].num, 10) / parseInt(m.value[0].den!, 10) : 1;
              if (measure <= 1) {
                el.rest.type = 'whole';
                el.duration = measure;
              }
            }
            if (el.duration! < 1 && !DURATIONS.has(el.duration!) && el.duration !== 0 && (!el.rest || el.rest.type !== 'spacer')) warn('Duration not representable: ' + line.substring(startI, i), i);
            if (el.rest && el.rest.type === 'invisible') el.decoration = undefined;
            el.el_type = 'note';
            appendElement(el, startOfLine + startI, startOfLine + i);
            el = newElement('');
          }
        }
        if (i === startI) {
          if (line[i] !== ' ' && line[i] !== '`') warn('Unknown character ignored', i); // abcjs: "Unknown character ignored"
          i++;
        }
      }
    }
    lineContinuation = line.includes('\x12');
    if (!lineContinuation) el = newElement('');
  };

  for (let n = 0; n < lines.length; n++) {
    if (n > 0) iChar += lines[n - 1].length + 1;
    lineIndex = n + 1;
    const raw = lines[n];
    if (raw.startsWith('%%')) decline();
    const pct = raw.indexOf('%');
    line = (pct >= 0 ? raw.substring(0, pct) : raw).trimEnd(); // = replace(/\s+$/, '')
    if (line.length === 0) continue;
    // parseLine: a line whose second character is ':' goes to the header reader, which hands
    // anything that is not a field it knows (|:..., e:|...) back to the music reader.
    const f = line[0];
    const field = line.length >= 2 && line[1] === ':' && !lineContinuation && HEADER_FIELDS.has(f);
    if (!field) {
      if (inHeader) decline(); // music before K:
      parseMusic();
      continue;
    }
    const value = line.substring(2);
    if (value.includes('\x12')) decline();
    if (TEXT_FIELDS.has(f) || f === 'X') continue; // text kept by abcjs as metaText, or the X: number
    if (!inHeader) {
      if (f === 'P') {
        const title = value.trim();
        if (title.includes('\\') || title.includes('$')) decline();
        partForNextLine = { title, startChar: iChar, endChar: iChar + line.length };
        continue;
      }
      if (f === 'L' || (f === 'w' && voice)) {
        if (f === 'L') setLength(value);
        continue; // lyrics (after the first music line; before it abcjs warns)
      }
      decline();
    }
    switch (f) {
      case 'T': {
        if (hasTitle) continue; // a subtitle: a text line before the music
        const title = value.trim();
        if (title.includes('\\') || title.includes('$')) decline();
        metaText.title = reverseThe(title);
        hasTitle = true;
        break;
      }
      case 'M': {
        const m = parseMeterField(value);
        origMeter = meter = m.meter;
        if (haventSetLength && m.defaultLength !== null) {
          defaultLength = m.defaultLength;
          haventSetLength = false;
        }
        break;
      }
      case 'L':
        setLength(value);
        break;
      case 'Q': {
        const t = parseTempoField(value);
        if (t.delay) delayedTempo = t.tempo;
        else if (!metaText.tempo) metaText.tempo = t.tempo;
        else decline();
        break;
      }
      case 'P':
        break;
      case 'K':
        resolveTempo();
        key = parseKeyField(value);
        inHeader = false;
        break;
      default:
        decline();
    }
  }

  function setLength(value: string) {
    const parts = value.replace(/ /g, '').split('/');
    if (parts.length === 2) {
      const num = parseInt(parts[0]);
      const den = parseInt(parts[1]);
      if (den > 0) {
        defaultLength = num / den;
        haventSetLength = false;
      }
    } else if (parts.length === 1 && parts[0] === '1') {
      defaultLength = 1;
      haventSetLength = false;
    } else decline();
  }

  // cleanUp: lines without notes or bars are dropped.
  const kept = tuneLines.filter((l) => l.staff[0].voices[0].some((e) => e.el_type === 'note' || e.el_type === 'bar'));
  const tune: QuickTune = {
    lines: kept,
    metaText,
    formatting: {},
    getMeterFraction() {
      const m = kept.find((l) => l.staff[0].meter)?.staff[0].meter ?? { type: 'common_time' };
      if (m.type === 'specified') return { num: parseInt(m.value![0].num, 10), den: parseInt(m.value![0].den!, 10) };
      if (m.type === 'cut_time') return { num: 2, den: 2 };
      return { num: 4, den: 4 };
    },
    getKeySignature() {
      return kept[0]?.staff[0].key ?? {};
    },
    getBarLength() {
      const m = this.getMeterFraction();
      return m.num / m.den;
    },
    getPickupLength() {
      const barLength = this.getBarLength();
      let pickup = 0;
      let multiplier = 1;
      // The music up to the first bar line, over as many lines as it takes (as abcjs counts it).
      scan: for (const l of kept) {
        for (const e of l.staff[0].voices[0] ?? []) {
          const spacer = e.rest?.type === 'spacer';
          if (e.startTriplet) multiplier = e.tripletMultiplier!;
          if (e.duration && !spacer) pickup += e.duration * multiplier;
          if (e.endTriplet) multiplier = 1;
          if (pickup >= barLength) pickup -= barLength;
          if (e.el_type === 'bar') break scan;
        }
      }
      return pickup < 1e-8 || barLength - pickup < 1e-8 ? 0 : pickup;
    },
  };
  if (warnings.length) tune.warnings = warnings;
  return tune;
}

const THE_PATTERNS: [RegExp, string][] = [
  [/,\s*The$/, 'The '],
  [/,\s*the$/, 'the '],
  [/,\s*A$/, 'A '],
  [/,\s*a$/, 'a '],
  [/,\s*An$/, 'An '],
  [/,\s*an$/, 'an '],
  [/,\s*Da$/, 'Da '],
  [/,\s*La$/, 'La '],
  [/,\s*Le$/, 'Le '],
  [/,\s*Les$/, 'Les '],
  [/,\s*Ye$/, 'Ye '],
];

/** tokenizer.theReverser: "Woman of the House, The" is titled "The Woman of the House". */
function reverseThe(title: string): string {
  for (const [re, replace] of THE_PATTERNS) {
    const m = title.match(re);
    if (!m) continue;
    let str = title;
    const number = /^(\d+)\./.exec(str)?.[1];
    if (number) str = str.replace(number + '.', '').trim();
    const result = replace + str.substring(0, str.length - m[0].length);
    return number ? number + '. ' + result : result;
  }
  return title;
}
