/**
 * abc-token version 2: the canonical, factored spelling of a tune (issue #14 item 3).
 *
 * A note is two tokens, as in folk-rnn's vocabulary: its pitch (accidental, letter and octave marks:
 * `^f`, `=B,`, `c'`) and, when it is not one eighth, its length (`2`, `/`, `3/2`, `/4`). Lengths are
 * counted in eighths whatever L: the tune writes (with `L:1/4`, `c/2` is `c`, an eighth), so there is no L: token and the decoder writes L:1/8. Each thing has one spelling:
 * `c/2`, `c/` and `c1/2` are `c` `/`; `C'` is `c`; `K:G`, `K:GMajor` and `K:G maj` are `K:Gmaj`;
 * `M:C` is `M:4/4`, `M:C|` is `M:2/2`; `:|:` and `:||:` are `::`; `|1` is `|` `[1`, `:|2` is `:|` `[2`;
 * `(3:2:3` is `(3`; `+trill+` and `T` are `!trill!` (`u` `!upbow!`, `v` `!downbow!`, `M`, `L`, `O`, `S`
 * their decorations; `H`, `P`, `~`, `.` as written); P: lines are `P:AABB` (header) or `[P:A]` (body).
 * The beaming space `` ` ``, the spacer `y` and `k` (which abcjs ignores) are removed and counted.
 * Chord symbols (`"Am"`) are tokens when the encoding keeps them (`chords: 'keep'`), otherwise
 * removed and counted; text annotations (`"^text"`) are always removed and counted. Any key
 * (any tonic and mode), any meter fraction and any length can be written this way; whether a model
 * knows a token is its vocabulary's business (unknown tokens become `<unk>`, counted).
 *
 * The version-1 spelling (a note with its length as one token, header fields as written; the
 * default model and every model trained before it) is `tokenizeAbc` in abc-text.ts, unchanged.
 * A saved spec without `version` is version 1. The tokenizer only cuts and respells the text; abcjs
 * (parseAbc) reads it again on decode.
 */
import { MusicError } from '../errors';
import { MODES, modeOf } from '../key';

/**
 * What the tokenizer removed (never silently): chord symbols (when not kept), text annotations, and
 * marks that only lay the score out or that abcjs ignores: the beaming space `` ` ``, the spacer
 * `y` and `k` (Ryan's Mammoth; not ABC, abcjs skips it with a warning).
 */
export interface AbcTokenRemovals {
  chordSymbols: number;
  annotations: number;
  ignoredMarks?: number;
}

/**
 * The decoration letters of ABC 2.1 spelled as the decoration they stand for, as `!trill!` and
 * `+trill+` are: a model learns one token per ornament. `H` (fermata), `P` (uppermordent), `~`
 * and `.` stay as written: the default model's training corpus (irish.abc, CRE) has them, and its
 * vocabulary would no longer match.
 */
export const DECORATION_LETTERS: Readonly<Record<string, string>> = { T: '!trill!', u: '!upbow!', v: '!downbow!', M: '!lowermordent!', L: '!accent!', O: '!coda!', S: '!segno!' };
/** Marks removed and counted (`ignoredMarks`): layout only (`` ` `` beaming space, `y` spacer), or ignored by abcjs (`k`). */
const IGNORED_MARKS = new Set(['`', 'y', 'k']);

export interface AbcTokenOptions {
  /** Chord symbols ("Am") as tokens ('keep') or removed and counted ('drop', the default). */
  chords?: 'keep' | 'drop';
  /** For error messages: which tune this is. */
  source?: { file: string; index: number; line: number };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A length as ABC writes it after a note ("", "2", "/", "//", "3/2", "/4") as a fraction. */
export function readLength(text: string): [number, number] | null {
  if (text === '') return [1, 1];
  // By hand (digits, then "/" with optional digits, repeated): it runs for every note.
  const digitsTo = (i: number) => {
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    return i;
  };
  let i = digitsTo(0);
  const num = i === 0 ? 1 : Number(text.slice(0, i));
  let den = 1;
  while (i < text.length) {
    if (text.charCodeAt(i) !== 47) return null; // not "/"
    const end = digitsTo(i + 1);
    den *= end === i + 1 ? 2 : Number(text.slice(i + 1, end));
    i = end;
  }
  if (!Number.isFinite(num) || !Number.isFinite(den) || den === 0) return null;
  return [num, den];
}

/** The one spelling of a length in eighths: "" for 1, "2", "/" (a half), "/4", "3/2", "0" for zero. */
export function lengthToken(num: number, den: number): string {
  if (num === 0) return '0';
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (den === 1) return num === 1 ? '' : String(num);
  if (num === 1) return den === 2 ? '/' : `/${den}`;
  return `${num}/${den}`;
}

/** The length a length token stands for, in eighths ("" = 1, "/" = 1/2). Null if it is not one. */
export function lengthOfToken(token: string): number | null {
  if (!/^(\d+|\d*\/\d*)$/.test(token) && token !== '') return null;
  const l = readLength(token);
  return l ? l[0] / l[1] : null;
}

/** Is this token a length (after a pitch, a rest or a chord's `]`)? */
export function isLengthToken(token: string): boolean {
  return /^(\d+|\d*\/\d*)$/.test(token);
}

/** Is this token a pitch (accidental, letter, octave marks)? */
export function isPitchToken(token: string): boolean {
  return /^(\^\^|\^|__|_|=)?[A-Ga-g][,']*$/.test(token);
}

/** A pitch in one spelling: the octave by case and marks (`c,` is `C`, `C'` is `c`). */
export function pitchToken(acc: string, letter: string, oct: string): string {
  let octave = letter === letter.toLowerCase() ? 1 : 0; // 0: C..B, 1: c..b
  for (const ch of oct) octave += ch === "'" ? 1 : -1;
  const l = letter.toLowerCase();
  const head = octave >= 1 ? l + "'".repeat(octave - 1) : l.toUpperCase() + ','.repeat(-octave);
  return acc + head;
}

/**
 * A K: value in one spelling: tonic as written (letter upper case, # or b), the mode's three
 * letters, then any extra accidentals (`K:D exp ^g` is `Dmaj ^g`); `none` and an empty key are C
 * major, `HP`/`Hp` stay (bagpipe keys). Null when it is not a key abcjs would read (`clef=bass`).
 */
export function canonicalKey(value: string): string | null {
  const v = value.replace(/%.*$/, '').trim();
  if (v === '' || /^none\b/i.test(v)) return 'Cmaj';
  if (/^hp\b/i.test(v)) return v.slice(0, 2);
  const m = /^([A-Ga-g])([#b]?)\s*([A-Za-z]*)/.exec(v);
  if (!m) return null;
  const word = m[3];
  const mode = modeOf(word) ?? (word === '' || /^(clef|octave|transpose|middle|stafflines|t|m|exp)$/i.test(word) ? 'major' : null);
  if (!mode) return null;
  const extras = [...v.slice(m[0].length).matchAll(/(?:^|\s)(\^\^|\^|__|_|=)([A-Ga-g])(?=\s|$)/g)].map((x) => x[1] + x[2].toLowerCase());
  return m[1].toUpperCase() + m[2] + MODES[mode].short + (extras.length ? ' ' + extras.join(' ') : '');
}

/** An M: value in one spelling: `C` 4/4, `C|` 2/2, fractions without spaces, `none`. */
export function canonicalMeter(value: string): string {
  const v = value.replace(/%.*$/, '').replace(/\s+/g, '');
  if (v === 'C') return '4/4';
  if (v === 'C|') return '2/2';
  if (/^none$/i.test(v) || v === '') return 'none';
  return v;
}

/** A unit length L: as eighths per unit (L:1/16 -> 1/2), or null when it is not a fraction. */
export function unitInEighths(value: string): [number, number] | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value.replace(/%.*$/, ''));
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) return null;
  return [Number(m[1]) * 8, Number(m[2])];
}

/** Canonical bar tokens: a bar line, then the ending it opens (if any) as its own token. */
export function barTokens(text: string): string[] {
  const m = /^(.*?)(\[?)(\d+(?:[,-]\d+)*)$/.exec(text);
  let bar = text;
  let ending: string | undefined;
  if (m && !/^\[?\d/.test(text)) {
    bar = m[1];
    ending = `[${m[3]}`;
  } else if (/^\[\d/.test(text)) return [text];
  const out: string[] = [];
  const left = (bar.match(/^:+/)?.[0].length ?? 0) > 0;
  const right = (bar.match(/:+$/)?.[0].length ?? 0) > 0;
  const core = bar.replace(/^:+|:+$/g, '');
  if (left && right) out.push('::');
  else if (left) out.push(core.endsWith(']') ? ':|]' : ':|');
  else if (right) out.push('|:');
  else if (bar === '') {
    /* a bare ending */
  } else if (core === '|') out.push('|');
  else if (core === '|]') out.push('|]');
  else out.push('||'); // ||, [|, |[|, |||
  if (ending) out.push(ending);
  return out;
}

/** A tuplet mark in one spelling: (p when q and r are the defaults ABC gives every meter. */
export function tupletToken(text: string): string {
  const [p, q, r] = text.slice(1).split(':');
  const P = Number(p);
  const defaultQ: Record<number, number> = { 2: 3, 3: 2, 4: 3, 6: 2, 8: 3 };
  const qOk = q === undefined || q === '' || Number(q) === defaultQ[P];
  const rOk = r === undefined || r === '' || Number(r) === P;
  if (qOk && rOk) return `(${P}`;
  return `(${P}:${q ?? ''}:${r === undefined || r === '' ? P : Number(r)}`;
}

/** One chord note waiting for the chord's end (its length multiplier), or a mark inside a chord. */
type ChordItem = { pitch: string; len: string; unit: [number, number] } | { raw: string };

/** The state of one tokenizeAbcV2 call (plain functions over it: no closures made per call). */
interface TokenizerState {
  tokens: string[];
  removed: AbcTokenRemovals;
  keepChords: boolean;
  source: AbcTokenOptions['source'];
  unit: [number, number];
  /** Length tokens already spelled in the current unit: written length -> token ('' for none). */
  lengths: Map<string, string>;
  meter: string | null;
  chord: ChordItem[] | null;
}

// Spellings are cut from many tunes with few distinct texts: each is worked out once (interned).
/** Pitch spellings by accidental (6), letter (14) and the sum of the octave marks (-16..16). */
const PITCH_TABLE: (string | undefined)[] = new Array(6 * 14 * 33).fill(undefined);
const BARS = new Map<string, string[]>();
const TUPLETS = new Map<string, string>();
const LENGTHS_BY_UNIT = new Map<string, Map<string, string>>();
const MEMO_LIMIT = 50_000; // hostile text cannot grow them without end

function lengthsFor(unit: [number, number]): Map<string, string> {
  const key = `${unit[0]}/${unit[1]}`;
  let m = LENGTHS_BY_UNIT.get(key);
  if (!m) {
    if (LENGTHS_BY_UNIT.size > 1000) LENGTHS_BY_UNIT.clear();
    m = new Map();
    LENGTHS_BY_UNIT.set(key, m);
  }
  return m;
}

/** pushLength in the current unit, remembered per written length. */
function pushUnitLength(st: TokenizerState, written: string): void {
  if (written === '') {
    // One unit: "" when the unit is an eighth.
    const u = st.unit;
    if (u[0] === u[1]) return;
  }
  let t = st.lengths.get(written);
  if (t === undefined) {
    const out: string[] = [];
    pushLength(out, written, st.unit);
    t = out.length ? out[0] : '';
    if (st.lengths.size < MEMO_LIMIT) st.lengths.set(written, t);
  }
  if (t !== '') st.tokens.push(t);
}

function setUnit(st: TokenizerState, value: string, lineIndex: number): void {
  const u = unitInEighths(value);
  if (!u) {
    const src = st.source;
    throw new MusicError('abc-syntax', `${src ? `${src.file}: tune ${src.index + 1}, ` : ''}line ${(src?.line ?? 1) + lineIndex}: L:${value} is not a unit length (expected a fraction like 1/8)`, src ? { file: src.file, tune: src.index, line: src.line + lineIndex } : undefined);
  }
  st.unit = u;
  st.lengths = lengthsFor(u);
}

function fieldToken(st: TokenizerState, f: string, value: string, lineIndex: number): string | null {
  switch (f) {
    case 'M': {
      st.meter = canonicalMeter(value);
      return `M:${st.meter}`;
    }
    case 'K': {
      const k = canonicalKey(value);
      return k === null ? null : `K:${k}`;
    }
    case 'L':
      setUnit(st, value, lineIndex);
      return null;
    case 'P': {
      const p = value.replace(/[\s.]/g, '');
      return p === '' ? null : `P:${p}`;
    }
    case 'V': {
      const id = value.trim().split(/\s+/)[0];
      return id ? `V:${id}` : null;
    }
    default:
      return null; // T:, Q:, X: and the rest are not music the model writes
  }
}

function flushChord(st: TokenizerState): void {
  for (const item of st.chord ?? []) {
    if ('raw' in item) st.tokens.push(item.raw);
    else {
      st.tokens.push(item.pitch);
      pushLength(st.tokens, item.len, item.unit);
    }
  }
  st.chord = null;
}

/** JavaScript's \s (what the regular expressions this scanner replaces skipped). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 0x2000 ? (c <= 0x200a || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff) : c === 0xa0 || c === 0x1680);
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isNoteLetter = (c: number) => (c >= 65 && c <= 71) || (c >= 97 && c <= 103);
function skipDigits(line: string, i: number): number {
  while (isDigit(line.charCodeAt(i))) i++;
  return i;
}
/** A written length: digits, then at most one run of slashes with digits (`\d*(?:\/+\d*)?`). */
function skipLength(line: string, i: number): number {
  i = skipDigits(line, i);
  if (line.charCodeAt(i) === 47) {
    while (line.charCodeAt(i) === 47) i++;
    i = skipDigits(line, i);
  }
  return i;
}
/** An ending's numbers: digits, then `,n` or `-n` as long as a digit follows (`\d+(?:[,-]\d+)*`, a digit at i). */
function skipEnding(line: string, i: number): number {
  i = skipDigits(line, i);
  for (;;) {
    const c = line.charCodeAt(i);
    if ((c === 44 || c === 45) && isDigit(line.charCodeAt(i + 1))) i = skipDigits(line, i + 1);
    else return i;
  }
}

const Q = 34; // "
const BANG = 33;
const PLUS = 43;
const COLON = 58;
const BAR = 124;
const OPEN = 91; // [
const CLOSE = 93; // ]

/**
 * What starts at line[i] when it is not a note, a rest, a bar line or a space: the first of an
 * inline field, quoted text, `!deco!`/`+deco+`, `[|` or `[2`, `Z` bars, a tuplet, a chord end,
 * broken rhythm or a grace start that matches there, else the one character (otherChar). Each
 * returns where the scanner goes on. Rare tokens are their own small functions called through one
 * table, so that meeting one for the first time does not throw away and recompile the whole
 * scanner's optimized code (it did, a dozen times a run, ~1 cpu-s of compiling).
 */
type RareToken = (st: TokenizerState, line: string, i: number, n: number, li: number) => number;

/** Anything else, one character (one UTF-16 unit, as the regular expression read it). */
function otherChar(st: TokenizerState, line: string, i: number): number {
  const c = line.charCodeAt(i);
  if (c === OPEN && !st.chord) {
    st.tokens.push('[');
    st.chord = [];
  } else if (c === 96 || c === 121 || c === 107) st.removed.ignoredMarks = (st.removed.ignoredMarks ?? 0) + 1; // ` y k
  else {
    const ch = line[i];
    const t = DECORATION_LETTERS[ch] ?? ch;
    if (st.chord) st.chord.push({ raw: t });
    else st.tokens.push(t);
  }
  return i + 1;
}

function openBracket(st: TokenizerState, line: string, i: number, n: number, li: number): number {
  const d = line.charCodeAt(i + 1);
  // Inline field [K:G] (up to a ']' on the line).
  if (isLetter(d) && line.charCodeAt(i + 2) === COLON) {
    const k = line.indexOf(']', i + 3);
    if (k >= 0 && k < n) {
      if (st.chord) flushChord(st);
      const t = fieldToken(st, line[i + 1], line.slice(i + 3, k).trim(), li);
      if (t !== null) st.tokens.push(`[${t}]`);
      return k + 1;
    }
  }
  // [| and [2: bar lines and endings.
  if (d === BAR) {
    let k = i + 1;
    while (line.charCodeAt(k) === BAR) k++;
    while (line.charCodeAt(k) === COLON) k++;
    return barLine(st, line, i, k);
  }
  if (isDigit(d)) return barLine(st, line, i, skipEnding(line, i + 1));
  return otherChar(st, line, i);
}

function quoted(st: TokenizerState, line: string, i: number, n: number): number {
  // A chord symbol or an annotation (an unclosed one runs to the line end).
  const k = line.indexOf('"', i + 1);
  const end = k < 0 || k >= n ? n : k + 1;
  if (st.chord) flushChord(st);
  const text = line.slice(i, end).replace(/^"|"$/g, '');
  const f = text.charCodeAt(0);
  if (f === 94 || f === 95 || f === 60 || f === 62 || f === 64) st.removed.annotations++; // ^ _ < > @
  else if (st.keepChords && text.trim() !== '') st.tokens.push(`"${text.trim()}"`);
  else st.removed.chordSymbols++;
  return end;
}

function decoration(st: TokenizerState, line: string, i: number, n: number): number {
  const c = line.charCodeAt(i);
  let k = -1;
  if (c === BANG) {
    k = line.indexOf('!', i + 1);
    if (k >= n) k = -1;
  } else {
    let j = i + 1;
    while (j < n && line.charCodeAt(j) !== PLUS && !isSpace(line.charCodeAt(j))) j++;
    if (j < n && line.charCodeAt(j) === PLUS) k = j;
  }
  if (k < 0) return otherChar(st, line, i);
  const t = c === BANG ? line.slice(i, k + 1) : `!${line.slice(i + 1, k)}!`;
  if (st.chord) st.chord.push({ raw: t });
  else st.tokens.push(t);
  return k + 1;
}

function multiBarRest(st: TokenizerState, line: string, i: number): number {
  // Z: a multi-bar rest, a count of bars
  if (st.chord) flushChord(st);
  const end = skipDigits(line, i + 1);
  const t = line.slice(i, end);
  st.tokens.push(t === 'Z1' ? 'Z' : t);
  return end;
}

function tuplet(st: TokenizerState, line: string, i: number): number {
  if (!isDigit(line.charCodeAt(i + 1))) return otherChar(st, line, i);
  // ( tuplet: (p:q:r
  if (st.chord) flushChord(st);
  let k = skipDigits(line, i + 1);
  while (line.charCodeAt(k) === COLON) k = skipDigits(line, k + 1);
  const text = line.slice(i, k);
  let t = TUPLETS.get(text);
  if (t === undefined) {
    t = tupletToken(text);
    if (TUPLETS.size < MEMO_LIMIT) TUPLETS.set(text, t);
  }
  st.tokens.push(t);
  return k;
}

function chordEnd(st: TokenizerState, line: string, i: number): number {
  // The end of a chord, with its length multiplier (`[DF]2` is `[D2F2]`): one spelling, and
  // abc2midi reads a multiplier after notes with lengths as nothing.
  const end = skipLength(line, i + 1);
  const mult = readLength(line.slice(i + 1, end)) ?? [1, 1];
  for (const item of st.chord ?? []) {
    if ('raw' in item) st.tokens.push(item.raw);
    else {
      st.tokens.push(item.pitch);
      pushLength(st.tokens, item.len, [item.unit[0] * mult[0], item.unit[1] * mult[1]]);
    }
  }
  st.chord = null;
  st.tokens.push(']');
  return end;
}

function brokenRhythm(st: TokenizerState, line: string, i: number): number {
  // < > broken rhythm, up to three
  if (st.chord) flushChord(st);
  let k = i + 1;
  while (k < i + 3 && (line.charCodeAt(k) === 60 || line.charCodeAt(k) === 62)) k++;
  st.tokens.push(line.slice(i, k));
  return k;
}

function graceStart(st: TokenizerState, line: string, i: number): number {
  // { or {/ grace notes
  if (st.chord) flushChord(st);
  const slash = line.charCodeAt(i + 1) === 47;
  st.tokens.push(slash ? '{/' : '{');
  return i + (slash ? 2 : 1);
}

/** The bar line line[i, end): its tokens (a bar, then the ending it opens), spelled once per text. */
function barLine(st: TokenizerState, line: string, i: number, end: number): number {
  if (st.chord) flushChord(st);
  const text = line.slice(i, end);
  let bars = BARS.get(text);
  if (!bars) {
    bars = barTokens(text);
    if (BARS.size < MEMO_LIMIT) BARS.set(text, bars);
  }
  for (const b of bars) st.tokens.push(b);
  return end;
}

/** Rare tokens by their first character (ASCII); anything not here and not scanned inline is otherChar. */
const RARE: (RareToken | undefined)[] = new Array(128).fill(undefined);
RARE[OPEN] = openBracket;
RARE[Q] = quoted;
RARE[BANG] = decoration;
RARE[PLUS] = decoration;
RARE[90] = multiBarRest; // Z
RARE[40] = tuplet; // (
RARE[CLOSE] = chordEnd;
RARE[60] = brokenRhythm; // <
RARE[62] = brokenRhythm; // >
RARE[123] = graceStart; // {

/**
 * Cuts one music line into tokens. A hand-written scanner (it was one regular expression with an
 * alternative per kind of token, tried in order at each position; abc-tokens.reference.ts keeps it,
 * and the tests compare the two): at each character that is not a space or a backslash, the first
 * of these that matches is the token: inline field `[K:G]`, quoted text, `!deco!` or `+deco+`, bar
 * line (`::`, `:|]:[2`, `[|`, `[2`), note, rest, `Z` bars, tuplet, chord end with its length,
 * broken rhythm, grace start, else the one character. Notes, rests, bar lines starting with `:`
 * or `|` and spaces are scanned here; the rest (whose first characters none of those share) in
 * the RARE functions.
 */
function scanLine(st: TokenizerState, line: string, li: number, from: number, to: number): void {
  // line[from, to) is the line (the tune's text is read in place: no copy per line, and the
  // character after the line, a newline or none, ends every run the scanner reads).
  const n = to;
  const tokens = st.tokens;
  let i = from;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 92 || isSpace(c)) {
      i++;
      continue;
    }
    // A note: accidental, letter, octave marks, length.
    let letterAt = -1;
    if (isNoteLetter(c)) letterAt = i;
    else if (c === 94 || c === 95) {
      // ^ ^^ _ __
      const d = line.charCodeAt(i + 1);
      if (d === c) {
        if (isNoteLetter(line.charCodeAt(i + 2))) letterAt = i + 2;
      } else if (isNoteLetter(d)) letterAt = i + 1;
    } else if (c === 61 && isNoteLetter(line.charCodeAt(i + 1))) letterAt = i + 1; // =
    if (letterAt >= 0) {
      let k = letterAt + 1;
      let octave = 0;
      for (let d = line.charCodeAt(k); d === 44 || d === 39; d = line.charCodeAt(++k)) octave += d === 39 ? 1 : -1; // , '
      // The spelling depends on the accidental, the letter and the sum of the octave marks only:
      // looked up by number (no string cut per note).
      const l = line.charCodeAt(letterAt);
      const acc = letterAt === i ? 0 : letterAt === i + 2 ? (c === 94 ? 2 : 4) : c === 94 ? 1 : c === 95 ? 3 : 5; // none ^ ^^ _ __ =
      const key = octave >= -16 && octave <= 16 ? (acc * 14 + (l >= 97 ? l - 97 + 7 : l - 65)) * 33 + octave + 16 : -1;
      let pitch = key >= 0 ? PITCH_TABLE[key] : undefined;
      if (pitch === undefined) {
        pitch = pitchToken(line.slice(i, letterAt), line[letterAt], line.slice(letterAt + 1, k));
        if (key >= 0) PITCH_TABLE[key] = pitch;
      }
      const end = skipLength(line, k);
      const len = k === end ? '' : line.slice(k, end);
      if (st.chord) st.chord.push({ pitch, len, unit: st.unit });
      else {
        tokens.push(pitch);
        pushUnitLength(st, len);
      }
      i = end;
      continue;
    }
    // Bar lines, repeats and endings that start with ':' or '|' (`[|` and `[2` are openBracket's).
    if (c === COLON || c === BAR) {
      let k = i;
      let barEnd = -1;
      if (c === COLON && line.charCodeAt(i + 1) === COLON) {
        while (line.charCodeAt(k) === COLON) k++;
        barEnd = k;
      } else {
        while (line.charCodeAt(k) === COLON) k++;
        if (line.charCodeAt(k) === BAR) {
          k++;
          for (let d = line.charCodeAt(k); d === CLOSE || d === BAR; d = line.charCodeAt(++k));
          while (line.charCodeAt(k) === COLON) k++;
          const j = line.charCodeAt(k) === OPEN ? k + 1 : k;
          if (isDigit(line.charCodeAt(j))) k = skipEnding(line, j);
          barEnd = k;
        }
      }
      i = barEnd > 0 ? barLine(st, line, i, barEnd) : otherChar(st, line, i);
      continue;
    }
    if (c === 122 || c === 120) {
      // z, x: a rest and its length
      if (st.chord) flushChord(st);
      tokens.push(c === 122 ? 'z' : 'x');
      const end = skipLength(line, i + 1);
      pushUnitLength(st, end === i + 1 ? '' : line.slice(i + 1, end));
      i = end;
      continue;
    }
    const rare = c < 128 ? RARE[c] : undefined;
    i = rare !== undefined ? rare(st, line, i, n, li) : otherChar(st, line, i);
  }
  if (st.chord) flushChord(st); // a chord left open at the end of a line: its notes as they are
}

/**
 * Cuts normalized ABC (normalizeAbc's output) into version-2 tokens. Fills `removed` with what it
 * left out. Throws MusicError('abc-syntax') naming the tune and line for an L: that is not a
 * fraction (the lengths after it could not be counted).
 */
export function tokenizeAbcV2(abc: string, options: AbcTokenOptions = {}, removed: AbcTokenRemovals = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 }): string[] {
  const st: TokenizerState = { tokens: [], removed, keepChords: options.chords === 'keep', source: options.source, unit: [1, 1], lengths: lengthsFor([1, 1]), meter: null, chord: null };
  const tokens = st.tokens;
  let inBody = false;
  let headerUnit = false;
  let li = 0;
  for (let next = 0; next <= abc.length; li++) {
    const from = next;
    let to = abc.indexOf('\n', from);
    if (to < 0) to = abc.length;
    next = to + 1;
    if (from === to) continue;
    // The character after the line (a newline, or none) is neither ':', '|' nor a letter.
    const c0 = abc.charCodeAt(from);
    if (isLetter(c0) && abc.charCodeAt(from + 1) === COLON && !(inBody && isNoteLetter(c0) && (abc.charCodeAt(from + 2) === BAR || abc.charCodeAt(from + 2) === COLON))) {
      const f = abc[from];
      const value = abc.slice(from + 2, to).trim();
      if (!inBody) {
        if (f === 'L') {
          setUnit(st, value, li);
          headerUnit = true;
          continue;
        }
        if (f === 'K') {
          // ABC's default unit: 1/16 when the meter is below 3/4 (M:2/4 gives L:1/16), else 1/8.
          const meter = st.meter;
          if (!headerUnit && meter && /^\d+\/\d+$/.test(meter)) {
            const [num, den] = meter.split('/').map(Number);
            if (num / den < 0.75) {
              st.unit = [1, 2];
              st.lengths = lengthsFor(st.unit);
            }
          }
          inBody = true;
        }
        const t = fieldToken(st, f, value, li);
        if (t !== null) tokens.push(t);
        else if (f === 'K') tokens.push('K:Cmaj');
      } else {
        const t = fieldToken(st, f, value, li);
        if (t !== null) tokens.push(`[${t}]`);
      }
      continue;
    }
    if (!inBody) continue;
    scanLine(st, abc, li, from, to);
  }
  return tokens;
}

export function pushLength(tokens: string[], written: string, unit: [number, number]): void {
  const l = readLength(written);
  if (!l) {
    tokens.push(written); // a malformed length ("3/0"): kept as written, abcjs will say what it reads
    return;
  }
  const t = lengthToken(l[0] * unit[0], l[1] * unit[1]);
  if (t !== '') tokens.push(t);
}

/**
 * Joins version-2 tokens back into ABC text abcjs and abc2midi read: header tokens as lines (X:1,
 * L:1/8, M:, P:, K: last), the body joined without spaces, except where two tokens would read as
 * one (a length after a length), four bars to a line.
 */
const FIELD_LINE = '\u0001';

export function detokenizeAbcV2(tokens: readonly string[], warnings: string[]): string {
  const head: string[] = ['X:1', 'L:1/8'];
  let key: string | undefined;
  let body = '';
  let bars = 0;
  let prev = '';
  for (const t of tokens) {
    if (key === undefined && /^[A-Za-z]:/.test(t)) {
      if (t.startsWith('K:')) key = t;
      else head.push(t);
      continue;
    }
    if (key === undefined) {
      warnings.push('no K: field before the music; assumed K:C');
      key = 'K:Cmaj';
    }
    // Two lengths in a row would read as one ("2" "/" as "2/"), and ":|" "|:" as ":||:", which
    // abc2midi misreads: a space keeps them apart.
    const sep = (isLengthToken(t) && isLengthToken(prev)) || (prev.endsWith('|') && /^[|:]/.test(t)) ? ' ' : '';
    const inline = /^\[[A-Za-z]:.*\]$/.test(t) ? t.slice(1, -1) : /^[A-Za-z]:/.test(t) ? t : null;
    if (inline !== null && (prev === '' || prev.includes('|') || /^\[[A-Za-z]:/.test(prev))) {
      // A field after a bar line is written as its own line, as tunes write key and meter changes
      // (abcjs keeps a K: line's key through a repeat that goes back over it).
      body += (body === '' || body.endsWith('\n') ? '' : '\n') + FIELD_LINE + inline + '\n';
    } else body += sep + (inline !== null ? `[${inline}]` : t);
    prev = t;
    if (/\|/.test(t) && ++bars % 4 === 0) body += '\n';
  }
  head.push(key ?? 'K:Cmaj');
  // A music line that starts like a field ("A:|") would be read as one: a space keeps it music.
  const lines = body
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l.startsWith(FIELD_LINE) ? l.slice(1) : /^[A-Za-z]:/.test(l) ? ' ' + l : l));
  return head.join('\n') + '\n' + lines.join('\n') + '\n';
}
