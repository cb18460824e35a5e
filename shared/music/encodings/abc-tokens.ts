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

const BODY = new RegExp(
  [
    String.raw`(?<field>\[[A-Za-z]:[^\]\n]*\])`, // inline field [K:G]
    String.raw`(?<quoted>"[^"\n]*"?)`, // chord symbol or annotation (an unclosed one runs to the line end)
    String.raw`(?<deco>![^!\n]*!|\+[^+\n\s]*\+)`, // !decoration!, +decoration+ (old style)
    String.raw`(?<bar>::+|:*\|[\]|]*:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|+:*|\[\d+(?:[,-]\d+)*)`, // bar lines, repeats, endings
    String.raw`(?<note>(?<acc>\^\^|\^|__|_|=)?(?<letter>[A-Ga-g])(?<oct>[,']*)(?<len>\d*(?:\/+\d*)?))`, // note
    String.raw`(?<rest>(?<rl>[zx])(?<rlen>\d*(?:\/+\d*)?))`, // rest, invisible rest
    String.raw`(?<mrest>Z\d*)`, // multi-bar rest: a count of bars, not a length
    String.raw`(?<tuplet>\(\d+(?::\d*)*)`, // tuplet
    String.raw`(?<chordEnd>\](?<clen>\d*(?:\/+\d*)?))`, // end of chord with its length (a multiplier)
    String.raw`(?<broken>[<>]{1,3})`, // broken rhythm
    String.raw`(?<grace>\{\/?)`, // grace notes start (acciaccatura)
    String.raw`(?<other>[^\s\\])`, // anything else, one character at a time
  ].join('|'),
  'g',
);
/**
 * BODY with numbered groups (the same pattern): named groups make every match build a groups object,
 * three times the cost of the match (the tokenizer was a sixth of bench/music-parse.ts's time).
 */
const BODY_GROUPS = new RegExp(BODY.source.replace(/\(\?<[A-Za-z]+>/g, '('), 'g');
const G_FIELD = 1;
const G_QUOTED = 2;
const G_DECO = 3;
const G_BAR = 4;
const G_NOTE = 5;
const G_ACC = 6;
const G_LETTER = 7;
const G_OCT = 8;
const G_LEN = 9;
const G_REST = 10;
const G_RL = 11;
const G_RLEN = 12;
const G_MREST = 13;
const G_TUPLET = 14;
const G_CHORDEND = 15;
const G_CLEN = 16;
const G_BROKEN = 17;
const G_GRACE = 18;
const G_OTHER = 19;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A length as ABC writes it after a note ("", "2", "/", "//", "3/2", "/4") as a fraction. */
function readLength(text: string): [number, number] | null {
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
function pitchToken(acc: string, letter: string, oct: string): string {
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
function unitInEighths(value: string): [number, number] | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value.replace(/%.*$/, ''));
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) return null;
  return [Number(m[1]) * 8, Number(m[2])];
}

/** Canonical bar tokens: a bar line, then the ending it opens (if any) as its own token. */
function barTokens(text: string): string[] {
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
function tupletToken(text: string): string {
  const [p, q, r] = text.slice(1).split(':');
  const P = Number(p);
  const defaultQ: Record<number, number> = { 2: 3, 3: 2, 4: 3, 6: 2, 8: 3 };
  const qOk = q === undefined || q === '' || Number(q) === defaultQ[P];
  const rOk = r === undefined || r === '' || Number(r) === P;
  if (qOk && rOk) return `(${P}`;
  return `(${P}:${q ?? ''}:${r === undefined || r === '' ? P : Number(r)}`;
}

/**
 * Cuts normalized ABC (normalizeAbc's output) into version-2 tokens. Fills `removed` with what it
 * left out. Throws MusicError('abc-syntax') naming the tune and line for an L: that is not a
 * fraction (the lengths after it could not be counted).
 */
export function tokenizeAbcV2(abc: string, options: AbcTokenOptions = {}, removed: AbcTokenRemovals = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 }): string[] {
  const keepChords = options.chords === 'keep';
  const tokens: string[] = [];
  let inBody = false;
  let unit: [number, number] = [1, 1]; // eighths per unit; ABC's default L: is 1/8 for common meters
  let headerUnit: [number, number] | null = null;
  let meter = null as string | null;
  const lines = abc.split('\n');
  let chord: ({ pitch: string; len: string; unit: [number, number] } | { raw: string })[] | null = null;
  const flushChord = () => {
    for (const item of chord ?? []) {
      if ('raw' in item) tokens.push(item.raw);
      else {
        tokens.push(item.pitch);
        pushLength(tokens, item.len, item.unit);
      }
    }
    chord = null;
  };
  const fail = (lineIndex: number, what: string): never => {
    const src = options.source;
    throw new MusicError('abc-syntax', `${src ? `${src.file}: tune ${src.index + 1}, ` : ''}line ${(src?.line ?? 1) + lineIndex}: ${what}`, src ? { file: src.file, tune: src.index, line: src.line + lineIndex } : undefined);
  };
  const setUnit = (value: string, lineIndex: number) => {
    const u = unitInEighths(value);
    if (!u) fail(lineIndex, `L:${value} is not a unit length (expected a fraction like 1/8)`);
    unit = u!;
  };
  const field = (f: string, value: string, lineIndex: number): string | null => {
    switch (f) {
      case 'M': {
        meter = canonicalMeter(value);
        return `M:${meter}`;
      }
      case 'K': {
        const k = canonicalKey(value);
        return k === null ? null : `K:${k}`;
      }
      case 'L':
        setUnit(value, lineIndex);
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
  };
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (line === '') continue;
    if (/^[A-Za-z]:/.test(line) && !(inBody && /^[A-Ga-g]:[|:]/.test(line))) {
      const f = line[0];
      const value = line.slice(2).trim();
      if (!inBody) {
        if (f === 'L') {
          setUnit(value, li);
          headerUnit = unit;
          continue;
        }
        if (f === 'K') {
          // ABC's default unit: 1/16 when the meter is below 3/4 (M:2/4 gives L:1/16), else 1/8.
          if (!headerUnit && meter && /^\d+\/\d+$/.test(meter)) {
            const [n, d] = meter.split('/').map(Number);
            if (n / d < 0.75) unit = [1, 2];
          }
          inBody = true;
        }
        const t = field(f, value, li);
        if (t !== null) tokens.push(t);
        else if (f === 'K') tokens.push('K:Cmaj');
      } else {
        const t = field(f, value, li);
        if (t !== null) tokens.push(`[${t}]`);
      }
      continue;
    }
    if (!inBody) continue;
    BODY_GROUPS.lastIndex = 0;
    for (let m = BODY_GROUPS.exec(line); m !== null; m = BODY_GROUPS.exec(line)) {
      if (chord && m[G_NOTE] === undefined && m[G_DECO] === undefined && m[G_CHORDEND] === undefined && m[G_OTHER] === undefined) flushChord();
      if (m[G_FIELD] !== undefined) {
        const inner = m[G_FIELD].slice(1, -1);
        const t = field(inner[0], inner.slice(2).trim(), li);
        if (t !== null) tokens.push(`[${t}]`);
      } else if (m[G_QUOTED] !== undefined) {
        const text = m[G_QUOTED].replace(/^"|"$/g, '');
        if (/^[\^_<>@]/.test(text)) removed.annotations++;
        else if (keepChords && text.trim() !== '') tokens.push(`"${text.trim()}"`);
        else removed.chordSymbols++;
      } else if (m[G_DECO] !== undefined) {
        (chord ? (t: string) => chord!.push({ raw: t }) : (t: string) => tokens.push(t))(`!${m[G_DECO].slice(1, -1)}!`);
      } else if (m[G_BAR] !== undefined) {
        tokens.push(...barTokens(m[G_BAR]));
      } else if (m[G_NOTE] !== undefined) {
        const pitch = pitchToken(m[G_ACC] ?? '', m[G_LETTER], m[G_OCT]);
        if (chord) chord.push({ pitch, len: m[G_LEN], unit });
        else {
          tokens.push(pitch);
          pushLength(tokens, m[G_LEN], unit);
        }
      } else if (m[G_REST] !== undefined) {
        tokens.push(m[G_RL]);
        pushLength(tokens, m[G_RLEN], unit);
      } else if (m[G_MREST] !== undefined) {
        tokens.push(m[G_MREST] === 'Z1' ? 'Z' : m[G_MREST]);
      } else if (m[G_TUPLET] !== undefined) {
        tokens.push(tupletToken(m[G_TUPLET]));
      } else if (m[G_CHORDEND] !== undefined) {
        // The chord's length multiplier goes into its notes (`[DF]2` is `[D2F2]`): one spelling, and
        // abc2midi reads a multiplier after notes with lengths as nothing.
        const mult = readLength(m[G_CLEN]) ?? [1, 1];
        for (const item of chord ?? []) {
          if ('raw' in item) tokens.push(item.raw);
          else {
            tokens.push(item.pitch);
            pushLength(tokens, item.len, [item.unit[0] * mult[0], item.unit[1] * mult[1]]);
          }
        }
        chord = null;
        tokens.push(']');
      } else if (m[G_BROKEN] !== undefined || m[G_GRACE] !== undefined) {
        tokens.push(m[0]);
      } else if (m[0] === '[' && !chord) {
        tokens.push('[');
        chord = [];
      } else if (IGNORED_MARKS.has(m[0])) removed.ignoredMarks = (removed.ignoredMarks ?? 0) + 1;
      else {
        const t = DECORATION_LETTERS[m[0]] ?? m[0];
        if (chord) chord.push({ raw: t });
        else tokens.push(t);
      }
    }
    flushChord(); // a chord left open at the end of a line: its notes as they are
  }
  return tokens;
}

function pushLength(tokens: string[], written: string, unit: [number, number]): void {
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
