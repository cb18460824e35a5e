/**
 * A sampling-time grammar for ABC models: tracks, per variation, where the tune stands (header or
 * body, open repeat, first or second ending, inside a chord, grace group, tuplet, a tie or broken
 * rhythm waiting for its note) and zeroes the probability of every token that would make the tune
 * malformed for abc2midi or abcjs. The rules follow what abc2midi 4.84 reports as an error (checked
 * by hand on small tunes, see README): an ending without an open repeat, a second `|:` while one is
 * open, `::` after a closed section, a tune ending inside a repeat, an unclosed chord, a tie to
 * another pitch, broken rhythm between unequal notes, nested tuplets.
 *
 * The abc-token encoding's decoder joins tokens without spaces, so two tokens can read back as one
 * symbol (`:|` then `|:` is `:||:`; `|` then `1` is the ending `|1`). The grammar therefore works on
 * symbols as the tokenizer reads the joined text: a token that merges with the symbol before it is
 * judged as the merged symbol, from the state before that symbol.
 *
 * Hand-written rather than a parser library: it must answer "which of 320 next tokens keep the tune
 * well formed" thousands of times a second, from a state of a few numbers.
 */
import { tokenizeAbc } from '../encodings/abc-text';
import type { Encoding } from '../encodings/types';
import { isLengthToken, lengthOfToken } from '../encodings/abc-tokens';

/** Where the tune stands with respect to repeats. */
export const enum Rep {
  /** No repeat sign yet: a `:|`, `::` or first ending repeats from the start (abc2midi inserts the `|:`). */
  Implicit = 0,
  /** After `|:` or `::`. */
  Open = 1,
  /** After a `:|` (or an ending 2 closed by a bar): a new section; an ending needs a `|:` first. */
  Closed = 2,
  /** Inside a first ending: it must close with `:|`. */
  Ending1 = 3,
  /** Right after the `:|` that closed a first ending: the second ending must follow. */
  AfterEnding1 = 4,
  /** Inside a second ending. */
  Ending2 = 5,
}

export interface GrammarState {
  /** K: seen: the body has begun. */
  body: boolean;
  rep: Rep;
  /** Notes in the open chord `[..]`, or -1. */
  chord: number;
  /** Notes in the open grace group `{..}`, or -1. */
  grace: number;
  /** Notes still owed to a tuplet. */
  tuplet: number;
  /** A tie is waiting: the next note must have this pitch (letter + octave marks), or ''. */
  tie: string;
  /** Accidental of the tied note ('' none). */
  tieAcc: string;
  /** A broken rhythm is waiting: the next note must have this length (in L units), or 0. */
  broken: number;
  /** The last symbol was a note (not in a chord or grace group): its pitch and length, for - and >. */
  lastPitch: string;
  lastAcc: string;
  lastLen: number;
  /** A decoration (~ . H T), grace group or slur opening is waiting for its note. */
  deco: number;
  /** The last symbol ended a note, rest or chord (a slur may close after it). */
  afterNote: boolean;
  slur: number;
  /** Notes in the body (the tune may end only after some). */
  notes: number;
  /** Notes or rests since the last bar line. */
  barNotes: number;
  /** Notes since the last repeat sign (a :| repeats something). */
  sectionNotes: number;
  /** The last symbol with a duration or bar was a bar line: 1 a plain or double one, 2 an end of repeat. */
  prevBar: number;
  /** The last bar symbol began an ending or a repeat: a note must come before the next bar line. */
  endingStart: boolean;
  /** The last symbol was an inline field ([M:..], [K:..]): another may not follow at once. */
  afterField: boolean;
}

export function initialState(): GrammarState {
  return { body: false, rep: Rep.Implicit, chord: -1, grace: -1, tuplet: 0, tie: '', tieAcc: '', broken: 0, lastPitch: '', lastAcc: '', lastLen: 0, deco: 0, afterNote: false, slur: 0, notes: 0, barNotes: 0, sectionNotes: 0, prevBar: 0, endingStart: false, afterField: false };
}

/**
 * What the allowed next symbols depend on: the last note's pitch and length matter only once a tie
 * or broken rhythm asks for them (then they are in `tie` / `broken`), so only "there is a last note"
 * is part of the key. Keeps the mask's cache small.
 */
/**
 * What waits for a note (GrammarState.deco). abc2midi finds no note before a tie after an
 * ornamented or staccato note (it plays them as several notes or shorter), so those cannot be tied.
 */
const ORNAMENT = 1;
const STACCATO = 2;
/** A slur's or grace group's note. */
const LEAD = 3;

/** Lengths a broken rhythm may follow (0: the last note was in a tuplet or decorated). */
function brokenOk(len: number): boolean {
  return len === 0.5 || len === 1 || len === 2;
}

const keys = new WeakMap<GrammarState, string>();
function stateKey(s: GrammarState): string {
  let k = keys.get(s);
  if (k === undefined) keys.set(s, (k = computeKey(s)));
  return k;
}
function computeKey(s: GrammarState): string {
  return `${+s.body}${s.rep}${s.chord}${s.grace}${s.tuplet}${s.tie}${s.tieAcc}/${s.broken}/${s.lastPitch ? 1 : 0}${brokenOk(s.lastLen) ? 1 : 0}${s.deco}${+s.afterNote}${s.slur}${s.notes >= MIN_NOTES ? 1 : 0}${s.barNotes > 0 ? 1 : 0}${s.sectionNotes > 0 ? 1 : 0}${s.prevBar}${+s.endingStart}${+s.afterField}`;
}

// ---------------------------------------------------------------------------------------------
// Symbols

type Lex =
  | { k: 'field'; key: string; inline: boolean; ok: boolean }
  | { k: 'bar'; end: boolean; start: boolean; ending: number; heavy: boolean; final: boolean; plain: boolean; bar: boolean }
  | { k: 'note'; pitch: string; acc: string; len: number }
  | { k: 'rest' }
  | { k: 'chordOpen' }
  | { k: 'chordClose' }
  | { k: 'tuplet'; n: number }
  | { k: 'slurOpen' }
  | { k: 'slurClose' }
  | { k: 'tie' }
  | { k: 'broken' }
  | { k: 'graceOpen' }
  | { k: 'graceClose' }
  | { k: 'deco'; needsNote: boolean }
  | { k: 'junk' };

const NOTE = /^(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)(\d*)(\/*)(\d*)$/;
const BAR = /^(?:::|:*\|[\]|]?:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|:*|\[\d+(?:[,-]\d+)*)$/;
const KNOWN_BAR = /^(?:\||\|\||\|\]|\[\||\|:|\[\|:|:\|\|?|:\|\]|::|:\|\|:|\|\[?\d|\[\d|:\|\[?\d)$/;
/** Inline fields abc2midi and abcjs both read: a key, a meter, a unit length, a tempo. */
const GOOD_FIELD = /^(?:K:[A-G][#b]?(?: ?[A-Za-z]+)?(?: (?:\^|_|=)[a-g])*|M:(?:\d+\/\d+|C\|?)|L:1\/\d+|Q:\d+|P:[A-Z])$/;
/** A chord symbol abc2midi reads ("Am", "D7", "G/B", "Bbmaj7"): abc-token version 2 models may keep them. */
const CHORD_SYMBOL = /^"[A-G][#b]?(?:m|maj|min|dim|aug|sus|add|M)?\d*(?:\/[A-G][#b]?)?"$/;

function lengthOf(digits: string, slashes: string, den: string): number {
  const num = digits ? Number(digits) : 1;
  if (!slashes) return num;
  return den ? num / Number(den) : num / 2 ** slashes.length;
}

/** A plain, dotted or double-dotted length written the usual way (no "/1", no leading 0, at most 16). */
function representable(digits: string, slashes: string, den: string, len: number): boolean {
  if (/^0/.test(digits) || /^0|^1$/.test(den) || slashes.length > 2 || (den && slashes.length > 1)) return false;
  // abc2midi: "6 b is not a power of 2" for B3/6.
  if (den && !Number.isInteger(Math.log2(Number(den)))) return false;
  if (!(len > 0 && len <= 16)) return false;
  for (const head of [1, 3, 7]) {
    const k = Math.log2(len / head);
    if (Number.isInteger(k) && k >= -3) return true; // abcjs: "Duration not representable" for g/16
  }
  return false;
}

export function classify(t: string): Lex {
  if (/^[A-Za-z]:/.test(t)) return { k: 'field', key: t[0], inline: false, ok: t[0] !== 'K' || GOOD_FIELD.test(t) };
  if (/^\[[A-Za-z]:/.test(t)) return { k: 'field', key: t[1], inline: true, ok: t.endsWith(']') && GOOD_FIELD.test(t.slice(1, -1)) };
  if (BAR.test(t)) {
    // Only the bar symbols both readers know (abcjs: "Unknown bar symbol" for ':|:', '||::';
    // abc2midi does not always take '||:' as a start of repeat).
    if (!KNOWN_BAR.test(t)) return { k: 'junk' };
    const m = /^(:*)(.*?)(:*)$/.exec(t.replace(/\[?(\d+(?:[,-]\d+)*)$/, ''))!;
    const num = /(\d+)(?:[,-]\d+)*$/.exec(t);
    const core = m[2];
    const double = t === '::';
    return {
      k: 'bar',
      end: m[1].length > 0 || double,
      start: m[3].length > 0 || double,
      ending: num ? Number(num[1]) : 0,
      heavy: core.length > 1,
      final: core === '|]',
      plain: t === '|',
      bar: t.includes('|') || double,
    };
  }
  const n = NOTE.exec(t);
  if (n) {
    const len = lengthOf(n[4], n[5], n[6]);
    // abcjs: "Duration not representable" for lengths a note head cannot show (5, 9, 11 units).
    // abc2midi: "Bad pitch specifier ' after note E": ' only on lower case, ',' only on upper case.
    const upper = n[2] === n[2].toUpperCase();
    if (!representable(n[4], n[5], n[6], len) || (upper ? n[3].includes("'") : n[3].includes(','))) return { k: 'junk' };
    return { k: 'note', pitch: n[2] + n[3], acc: n[1] ?? '', len };
  }
  const rest = /^[zx](\d*)(\/*)(\d*)$/.exec(t);
  if (rest) return representable(rest[1], rest[2], rest[3], lengthOf(rest[1], rest[2], rest[3])) ? { k: 'rest' } : { k: 'junk' };
  if (t === '[') return { k: 'chordOpen' };
  const close = /^\](\d*)(\/*)(\d*)$/.exec(t);
  if (close) return !close[1] && !close[2] && !close[3] || representable(close[1], close[2], close[3], lengthOf(close[1], close[2], close[3])) ? { k: 'chordClose' } : { k: 'junk' };
  const tup = /^\((\d)$/.exec(t);
  if (tup) return Number(tup[1]) >= 2 ? { k: 'tuplet', n: Number(tup[1]) } : { k: 'junk' };
  if (t === '(') return { k: 'slurOpen' };
  if (t === ')') return { k: 'slurClose' };
  if (t === '-') return { k: 'tie' };
  if (t === '>' || t === '<') return { k: 'broken' };
  if (t === '{' || t === '{/') return { k: 'graceOpen' };
  if (t === '}') return { k: 'graceClose' };
  if (t === '~' || t === '.' || t === 'H' || t === 'T') return { k: 'deco', needsNote: true };
  if (/^![a-z]+!$/.test(t)) return { k: 'deco', needsNote: false };
  if (CHORD_SYMBOL.test(t)) return { k: 'deco', needsNote: false };
  return { k: 'junk' };
}

const lexCache = new Map<string, Lex>();
function lex(t: string): Lex {
  let l = lexCache.get(t);
  if (!l) {
    l = classify(t);
    if (lexCache.size < 50_000) lexCache.set(t, l);
  }
  return l;
}

/** The end-of-tune "symbol". */
export const END = '\u0000end';

/**
 * The state after symbol `t`, or null when `t` would make the tune malformed. Pure: the caller's
 * state is not changed.
 */
export function advance(s: GrammarState, t: string): GrammarState | null {
  const r = advanceSymbol(s, t);
  // Only a field's own state remembers that a field came last.
  return r && r !== s && r.afterField && lex(t).k !== 'field' ? { ...r, afterField: false } : r;
}

function advanceSymbol(s: GrammarState, t: string): GrammarState | null {
  if (t === END) return canEnd(s) ? s : null;
  const l = lex(t);
  if (!s.body) {
    // Header: fields only, each on its own line; K: starts the body.
    if (l.k !== 'field' || l.inline || !l.ok) return null;
    return l.key === 'K' ? { ...s, body: true } : s;
  }
  // Right after the :| that closed a first ending, only the second ending may come.
  if (s.rep === Rep.AfterEnding1 && l.k !== 'bar') return null;
  const inGroup = s.chord >= 0 || s.grace >= 0;
  const waiting = s.tie !== '' || s.broken > 0 || s.deco;
  switch (l.k) {
    case 'junk':
      return null;
    case 'field':
      // A key, meter or part change stands at the start of a bar, once: in mid-bar a meter change
      // can leave the bar overfull with nothing that fits but more fields (a take that ended in
      // 14 [M:C|] fields).
      if (!l.ok || !GOOD_FIELD.test(l.inline ? t.slice(1, -1) : t) || inGroup || waiting || s.tuplet > 0 || s.barNotes > 0 || s.afterField) return null;
      return { ...s, lastPitch: '', afterNote: false, afterField: true };
    case 'bar':
      return bar(s, l);
    case 'note': {
      if (s.chord >= 0) return s.chord < 4 ? { ...s, chord: s.chord + 1 } : null;
      if (s.grace >= 0) return s.grace < 4 ? { ...s, grace: s.grace + 1 } : null;
      if (s.tie && (l.pitch !== s.tie || (l.acc !== '' && l.acc !== s.tieAcc))) return null;
      if (s.broken > 0 && Math.abs(l.len - s.broken) > 1e-9) return null;
      // A note inside a tuplet is shortened: a broken rhythm after it would join unequal notes.
      // A decorated note may be played shorter (staccato): abc2midi then refuses a broken rhythm after it.
      return { ...s, tie: '', tieAcc: '', broken: 0, deco: 0, afterNote: true, lastPitch: s.deco === ORNAMENT || s.deco === STACCATO ? '' : l.pitch, lastAcc: l.acc || (l.pitch === s.tie ? s.tieAcc : ''), lastLen: s.tuplet > 0 || s.deco || s.broken ? 0 : l.len, tuplet: Math.max(0, s.tuplet - 1), notes: s.notes + 1, barNotes: s.barNotes + 1, sectionNotes: s.sectionNotes + 1, prevBar: 0, endingStart: false };
    }
    case 'rest':
      if (inGroup || waiting) return null;
      return { ...s, lastPitch: '', afterNote: true, tuplet: Math.max(0, s.tuplet - 1), barNotes: s.barNotes + 1, prevBar: 0, endingStart: false };
    case 'chordOpen':
      if (inGroup || waiting) return null;
      return { ...s, chord: 0, lastPitch: '', afterNote: false };
    case 'chordClose':
      if (s.chord < 1) return null;
      return { ...s, chord: -1, lastPitch: '', afterNote: true, tuplet: Math.max(0, s.tuplet - 1), notes: s.notes + 1, barNotes: s.barNotes + 1, sectionNotes: s.sectionNotes + 1, prevBar: 0, endingStart: false };
    case 'tuplet':
      if (inGroup || waiting || s.tuplet > 0) return null;
      return { ...s, tuplet: l.n, lastPitch: '', afterNote: false };
    case 'slurOpen':
      // The slur's first note follows at once (abcjs reads '(' then '[M:..]' as a chord).
      if (inGroup || waiting || s.slur > 0) return null;
      return { ...s, slur: 1, deco: LEAD, lastPitch: '', afterNote: false };
    case 'slurClose':
      if (inGroup || s.slur < 1 || waiting || !s.afterNote || s.tuplet > 0) return null;
      return { ...s, slur: 0, lastPitch: '', afterNote: false };
    case 'tie':
      if (!s.lastPitch) return null;
      return { ...s, tie: s.lastPitch, tieAcc: s.lastAcc, lastPitch: '', afterNote: false };
    case 'broken':
      // abcjs: a dotted B3 ("B3>") is a "Duration not representable": only plain lengths take a dot.
      // Only the common lengths, so that the vocabulary surely has a note to answer with.
      if (!s.lastPitch || s.tuplet > 0 || !brokenOk(s.lastLen)) return null;
      return { ...s, broken: s.lastLen, lastPitch: '', afterNote: false };
    case 'graceOpen':
      if (inGroup || waiting) return null;
      return { ...s, grace: 0, lastPitch: '', afterNote: false };
    case 'graceClose':
      if (s.grace < 1) return null;
      // Grace notes lead into a note (abcjs reads a '[' after them as a chord; abc2midi wants a note between two groups).
      return { ...s, grace: -1, deco: LEAD, afterNote: false };
    case 'deco':
      if (inGroup || waiting) return null;
      return { ...s, deco: l.needsNote ? (t === '.' ? STACCATO : ORNAMENT) : 0, lastPitch: '', afterNote: false };
  }
}

function bar(s: GrammarState, l: Extract<Lex, { k: 'bar' }>): GrammarState | null {
  if (s.chord >= 0 || s.grace >= 0 || s.tuplet > 0 || s.broken > 0 || s.deco) return null;
  // A tie may cross a plain bar line, not a repeat (the note it ties to is elsewhere on the replay).
  if (s.tie && !l.plain) return null;
  // An ending holds at least one note before its next bar line; so does a bar after a first-ending close.
  if ((s.endingStart || s.rep === Rep.AfterEnding1) && !(s.rep === Rep.AfterEnding1 && l.ending === 2 && !l.end)) {
    if (s.barNotes === 0) return null;
  }
  // Two bar symbols with nothing between: only ':|' then '|:' or '[2' (abc2midi misreads '|]||:', ':|||:').
  // A bare '[1' / '[2' stands right after a bar line (abc2midi misses an ending in mid-bar).
  const bareEnding = l.ending > 0 && !l.end && !l.bar;
  if (bareEnding ? s.prevBar === 0 : s.prevBar === 1) return null;
  if (s.prevBar === 2 && !((l.start && !l.end && !l.ending) || (l.ending === 2 && !l.end))) return null;
  // A repeat of nothing (abcjs reads such a tune as having no notes).
  if (l.end && s.sectionNotes === 0 && s.rep !== Rep.Ending1) return null;
  let rep = s.rep;
  let endingStart = false;
  if (rep === Rep.AfterEnding1) {
    // Only the second ending may follow the :| that closed the first.
    if (l.ending !== 2 || l.end || l.start) return null;
    return { ...s, rep: Rep.Ending2, barNotes: 0, prevBar: 1, endingStart: true, lastPitch: '', afterNote: false };
  }
  if (l.end) {
    if (rep === Rep.Ending1) {
      // Exactly ':|' (or ':|2'): ':||' would read '[2' after it as one unknown symbol, a dead end.
      if (l.start || l.heavy) return null;
      if (l.ending === 2) rep = Rep.Ending2;
      else if (l.ending === 0) rep = Rep.AfterEnding1;
      else return null;
      endingStart = l.ending === 2;
    } else if (rep === Rep.Implicit || rep === Rep.Open || rep === Rep.Closed) {
      // A :| in a closed section repeats from the previous :| (abc2midi: "Assuming repeat", a warning).
      if (l.ending) return null; // ending 2 without ending 1
      if (l.start && rep === Rep.Closed) return null; // abc2midi: "found :: before |:"
      rep = l.start ? Rep.Open : Rep.Closed;
    } else return null; // Ending2: abc2midi wants || or |: to close it
    if (l.final && rep !== Rep.Closed && rep !== Rep.Ending2) return null;
  } else if (l.ending) {
    if (l.ending === 1 && (rep === Rep.Implicit || rep === Rep.Open) && !l.start) {
      rep = Rep.Ending1;
      endingStart = true;
    } else return null;
  } else if (l.start) {
    if (rep === Rep.Implicit || rep === Rep.Closed || rep === Rep.Ending2) rep = Rep.Open;
    else return null;
    endingStart = true; // abc2midi: '|:' then '|1' with nothing between is "[1 before |:"
  } else if (l.heavy) {
    // || and |] close a second ending; inside an open repeat or a first ending they are out of place.
    if (rep === Rep.Ending1) return null;
    if (rep === Rep.Open && l.final) return null;
    if (rep === Rep.Ending2) rep = Rep.Closed;
  }
  return { ...s, rep, barNotes: 0, sectionNotes: l.end || l.start ? 0 : s.sectionNotes, prevBar: l.end && !l.heavy ? 2 : 1, endingStart, lastPitch: '', afterNote: false };
}

/** A take shorter than this is not a tune (and abcjs may find no notes in it). */
const MIN_NOTES = 4;

function canEnd(s: GrammarState): boolean {
  return s.body && s.notes >= MIN_NOTES && s.chord < 0 && s.grace < 0 && s.tuplet === 0 && !s.tie && !s.broken && !s.deco && !s.endingStart && (s.rep === Rep.Implicit || s.rep === Rep.Closed || s.rep === Rep.Ending2);
}

// ---------------------------------------------------------------------------------------------
// abc-token adapter

/** A variation's position: the grammar state, and the symbol the last token(s) spelled. */
interface Cursor {
  state: GrammarState;
  /** The state before `pending` (a token that merges with `pending` is judged from here). */
  before: GrammarState;
  /** The text of the last symbol (body only), '' after a line break or in the header. */
  pending: string;
  /** Body tokens with a bar line in them, as the decoder counts them to break lines. */
  bars: number;
  /** The start of the current line of the decoded text (a few characters). */
  lineHead: string;
  /**
   * abc-token version 2: `pending` is a pitch that is allowed only with a length token after it
   * (after `c/>`, the next note must be a half too): only such a length may come next.
   */
  needsLength?: boolean;
}

export interface AbcGrammar {
  /** Feeds a token chosen (or given in the seed) for a variation. */
  push(variation: number, token: number): void;
  /** Zeroes the row's tokens that would make the tune malformed; the sampler renormalizes. */
  mask(variation: number, index: number, probs: Float64Array): void;
}

/**
 * The grammar for an abc-token or abc-char model, one cursor per variation, fed with the prime.
 * Returns null for other encodings. `meter` (abc-token, default on): bars hold what the meter says
 * (see BarClock).
 */
export function abcGrammar(encoding: Encoding, prime: readonly number[], count: number, opts: { meter?: boolean; limit?: number } = {}): AbcGrammar | null {
  if (encoding.name === 'abc-token') return new TokenGrammar(encoding, prime, count, opts.meter ?? true, opts.limit);
  if (encoding.name === 'abc-char') return new CharGrammar(encoding, prime, count);
  return null;
}

/** Body text as the tokenizer cuts it (after a rest, so that "B:" is not read as a field line). */
function readBody(text: string): string[] {
  return tokenizeAbc(`K:C\nz ${text}`).slice(2);
}

/**
 * A symbol that can take more characters after it: an accidental alone, an unclosed quote,
 * decoration or bracket. After anything else, a token that starts with a note letter or one of
 * these marks begins a new symbol (no symbol of the tokenizer continues with them).
 */
const OPEN_END = /^(?:\^\^?|__?|=|["!+[].*)$/;
const STARTS_APART = /^[A-Ga-gzxZ~.\-(){}^_=HT]/;

function isFieldLike(lineHead: string, t: string): boolean {
  return lineHead.length < 2 && /^[A-Za-z]:/.test(lineHead + t) && !/^[A-Za-z]:/.test(t);
}

/** How two adjacent pieces of body text read back: 0 apart, 1 as one symbol, 2 otherwise (refused). */
function joinKind(a: string, b: string): { kind: 0 | 1 | 2; merged?: string } {
  if (STARTS_APART.test(b) && !OPEN_END.test(a)) return { kind: 0 };
  const t = readBody(a + b);
  if (t.length === 2 && t[0] === a && t[1] === b) return { kind: 0 };
  if (t.length === 1) return { kind: 1, merged: t[0] };
  return { kind: 2 };
}

interface TokenCaches {
  hasBar: Uint8Array;
  /** Per pending symbol: how each token joins it. */
  joins: Map<string, { kinds: Uint8Array; merged: Map<number, string>; any: boolean; ids: number[] }>;
  /** Per state: the tokens to zero when they do not join the pending symbol. */
  banned: Map<string, Int32Array>;
  /** Per (state before the pending symbol, that symbol): the joining tokens to zero. */
  bannedJoined: Map<string, Int32Array>;
  /** The two above together, per (state, state before, symbol). */
  bannedBoth: Map<string, Int32Array>;
}

/** Kept per vocabulary (the model cache keeps the encoding), so a second Generate starts warm. */
const tokenCaches = new WeakMap<readonly string[], TokenCaches>();

class TokenGrammar implements AbcGrammar {
  private readonly cursors: Cursor[];
  private readonly texts: readonly string[];
  private readonly hasBar: Uint8Array;
  private readonly joins: TokenCaches['joins'];
  private readonly banned: TokenCaches['banned'];
  private readonly bannedJoined: TokenCaches['bannedJoined'];
  private readonly bannedBoth: TokenCaches['bannedBoth'];
  private readonly closer: number;
  private readonly colonIds: number[];
  /** Version 2: the vocabulary's length tokens. */
  private readonly lengthTexts: string[];

  constructor(
    private readonly encoding: Encoding,
    prime: readonly number[],
    count: number,
    meter: boolean,
    /** Most tokens a take may have (the sampler's length): near it the take winds down (see windDown). */
    private readonly limit?: number,
  ) {
    this.texts = encoding.tokens;
    let caches = tokenCaches.get(this.texts);
    if (!caches) {
      caches = { hasBar: Uint8Array.from(this.texts, (t) => (t.includes('|') && !FIELD_TEXT.test(t) ? 1 : 0)), joins: new Map(), banned: new Map(), bannedJoined: new Map(), bannedBoth: new Map() };
      tokenCaches.set(this.texts, caches);
    }
    this.hasBar = caches.hasBar;
    this.joins = caches.joins;
    this.banned = caches.banned;
    this.bannedJoined = caches.bannedJoined;
    this.bannedBoth = caches.bannedBoth;
    this.closer = this.texts.indexOf(':|');
    this.lengthTexts = encoding.version === 2 ? this.texts.filter((t) => isLengthToken(t)) : [];
    this.colonIds = this.texts.flatMap((t, i) => (t.startsWith(':') ? [i] : []));
    const c: Cursor = { state: initialState(), before: initialState(), pending: '', bars: 0, lineHead: '' };
    this.cursors = [c];
    for (let i = 0; i < prime.length; i++) {
      if (i === 0 && prime[i] === encoding.bos) continue;
      this.advanceCursor(c, prime[i], true);
    }
    for (let v = 1; v < count; v++) this.cursors.push({ ...c });
    if (meter) {
      this.clock = new BarClock(this.texts, count, encoding.version === 2);
      for (let i = 0; i < prime.length; i++) if (!(i === 0 && prime[i] === encoding.bos)) this.clock.push(-1, prime[i]);
    }
  }

  private readonly clock?: BarClock;

  private joinsOf(pending: string) {
    let j = this.joins.get(pending);
    if (!j) {
      const kinds = new Uint8Array(this.texts.length);
      const merged = new Map<number, string>();
      if (pending) {
        // Version 2 writes one length after a pitch or rest (the decoder keeps a second apart, and
        // abc2midi reads a chord's length multiplier after notes with lengths as nothing).
        const lengthDone = this.encoding.version === 2 && (/[\d/]$/.test(pending) || pending.startsWith(']'));
        for (let id = 2; id < this.texts.length; id++) {
          const t = this.texts[id];
          if (/^\[?[A-Za-z]:/.test(t)) continue; // fields are written whole ([K:..] inline)
          if (lengthDone && isLengthToken(t)) {
            kinds[id] = 2;
            continue;
          }
          const r = joinKind(pending, t);
          kinds[id] = r.kind;
          if (r.merged) merged.set(id, r.merged);
        }
      }
      const ids: number[] = [];
      kinds.forEach((k, id) => k !== 0 && ids.push(id));
      j = { kinds, merged, any: ids.length > 0, ids };
      this.joins.set(pending, j);
    }
    return j;
  }

  /** The cursor after token `id`, or null if not allowed. `lenient` (the seed): never null. */
  private next(c: Cursor, id: number, lenient = false): Cursor | null {
    const { bos, eos } = this.encoding;
    if (id === eos) return advance(c.state, END) ? c : null;
    if (id === bos || id < 0 || id >= this.texts.length) return lenient ? c : null;
    const t = this.texts[id];
    if (!c.state.body) {
      const s = advance(c.state, t);
      if (!s) return lenient ? { ...c, state: /^K:/.test(t) ? { ...c.state, body: true } : c.state } : null;
      return { state: s, before: c.state, pending: '', bars: c.bars, lineHead: '' };
    }
    // A line of the decoded text that starts "A:" reads as a header field (abcjs fails on "A:|").
    if (!lenient && isFieldLike(c.lineHead, t)) return null;
    // Body: does the token join the symbol before it?
    const bars = c.bars + this.hasBar[id];
    const lineBreak = this.hasBar[id] === 1 && bars % 4 === 0;
    const lineHead = lineBreak ? '' : c.lineHead.length >= 2 ? c.lineHead : (c.lineHead + t).slice(0, 2);
    const j = c.pending ? this.joinsOf(c.pending) : undefined;
    const kind = j ? j.kinds[id] : 0;
    if (c.needsLength && kind !== 1 && !lenient) return null;
    if (kind === 2) return lenient ? { state: c.state, before: c.state, pending: '', bars, lineHead } : null;
    if (kind === 1) {
      const merged = j!.merged.get(id)!;
      const s = advance(c.before, merged);
      if (!s) return lenient ? { state: c.state, before: c.state, pending: '', bars, lineHead } : null;
      return { state: s, before: c.before, pending: lineBreak ? '' : merged, bars, lineHead };
    }
    const s = advance(c.state, t);
    if (!s) {
      // Version 2: a pitch (or rest) that is right only with the length still to come.
      if (!lenient && this.lengthTexts.length && /^(?:\^\^|\^|__|_|=)?[A-Ga-gzx][,']*$/.test(t)) {
        for (const len of this.lengthTexts) {
          const s2 = advance(c.state, t + len);
          if (s2) return { state: s2, before: c.state, pending: t, bars, lineHead, needsLength: true };
        }
      }
      return lenient ? { state: c.state, before: c.state, pending: lineBreak ? '' : t, bars, lineHead } : null;
    }
    // Header-style fields in the body are written as [X:..] inline fields: nothing joins them.
    const joinable = !/^[A-Za-z]:/.test(t);
    return { state: s, before: c.state, pending: lineBreak || !joinable ? '' : t, bars, lineHead };
  }

  private advanceCursor(c: Cursor, id: number, lenient: boolean): void {
    // A token the grammar allows is followed strictly (a pitch may then wait for its length).
    const n = (lenient && this.next(c, id)) || this.next(c, id, lenient);
    if (n) Object.assign(c, { needsLength: false }, n);
  }

  push(variation: number, token: number): void {
    // Chosen tokens passed the mask; one that did not (the fallback) is taken leniently.
    this.advanceCursor(this.cursors[variation], token, true);
    this.clock?.push(variation, token);
  }

  /**
   * The tokens to zero, in two cached parts: tokens read as a new symbol depend only on the state
   * (a few hundred distinct states in practice); the few tokens that join the pending symbol (a
   * length digit after a note, `|` after `:`) depend on the state before it and on that symbol.
   */
  private bannedFor(c: Cursor): Int32Array {
    const key = stateKey(c.state);
    let apart = this.banned.get(key);
    if (!apart) {
      const free: Cursor = { state: c.state, before: c.state, pending: '', bars: 0, lineHead: '' };
      const out: number[] = [];
      for (let id = 0; id < this.texts.length; id++) if (id !== this.encoding.bos && !this.next(free, id)) out.push(id);
      apart = Int32Array.from(out);
      this.banned.set(key, apart);
    }
    if (!c.pending) return apart;
    const j = this.joinsOf(c.pending);
    if (!j.any) return apart;
    const jkey = `${stateKey(c.before)}|${c.pending}`;
    let joined = this.bannedJoined.get(jkey);
    if (!joined) {
      const out: number[] = [];
      for (const id of j.ids) if (!this.next(c, id)) out.push(id);
      joined = Int32Array.from(out);
      if (this.bannedJoined.size > 50_000) this.bannedJoined.clear();
      this.bannedJoined.set(jkey, joined);
    }
    const ckey = `${key}|${jkey}`;
    let both = this.bannedBoth.get(ckey);
    if (!both) {
      const out: number[] = [];
      for (const id of apart) if (j.kinds[id] === 0) out.push(id);
      for (const id of joined) out.push(id);
      both = Int32Array.from(out);
      if (this.bannedBoth.size > 50_000) this.bannedBoth.clear();
      this.bannedBoth.set(ckey, both);
    }
    return both;
  }

  mask(variation: number, index: number, probs: Float64Array): void {
    const c = this.cursors[variation];
    if (c.needsLength) {
      // Only the lengths that make the pending pitch right.
      const j = this.joinsOf(c.pending);
      const out: number[] = [];
      for (let id = 0; id < this.texts.length; id++) if (!(j.kinds[id] === 1 && this.next(c, id))) out.push(id);
      applyBan(probs, Int32Array.from(out), this.encoding.eos, -1, () => false);
      this.clock?.mask(variation, probs);
      return;
    }
    // Not in the cached lists (they do not know the line): a note letter alone at a line's start
    // may not be followed by a ':' symbol.
    if (c.lineHead.length === 1 && c.state.body) for (const id of this.colonIds) if (isFieldLike(c.lineHead, this.texts[id])) probs[id] = 0;
    applyBan(probs, this.bannedFor(c), this.encoding.eos, this.closer, (id) => !!this.next(c, id));
    if (c.state.body) this.clock?.mask(variation, probs);
    if (this.limit !== undefined && c.state.body) this.windDown(c, this.limit - index, probs);
  }

  /**
   * Near the length limit a take closes what is open and ends, instead of being cut mid-repeat
   * ("Missing :|" from abc2midi): within `WIND_DOWN` tokens of the limit nothing new opens (a
   * repeat, an ending, a chord, a tuplet, a slur, a tie, an inline field), a full bar closes with the bar line that
   * leaves the least open (`:|` in a repeat), and within half of it the tune ends at the first bar
   * line where it may.
   */
  private windDown(c: Cursor, left: number, probs: Float64Array): void {
    const span = Math.min(WIND_DOWN, Math.floor((this.limit ?? 0) / 2));
    if (left > span) return;
    const eos = this.encoding.eos;
    const endable = !!advance(c.state, END);
    if (endable && c.state.prevBar > 0 && left <= span / 2) {
      probs.fill(0);
      probs[eos] = 1;
      return;
    }
    const keep = (ids: number[]) => {
      if (!ids.some((id) => probs[id] > 0)) return;
      const set = new Set(ids);
      for (let id = 0; id < probs.length; id++) if (!set.has(id)) probs[id] = 0;
    };
    const allowed: { id: number; state: GrammarState }[] = [];
    for (let id = 0; id < probs.length; id++) {
      if (!(probs[id] > 0) || id === eos) continue;
      const n = this.next(c, id);
      if (n) allowed.push({ id, state: n.state });
    }
    const s = c.state;
    const opens = (n: GrammarState) =>
      (n.rep === Rep.Open && s.rep !== Rep.Open) || (n.rep === Rep.Ending1 && s.rep !== Rep.Ending1) || (n.chord >= 0 && s.chord < 0) || (n.grace >= 0 && s.grace < 0) || n.tuplet > s.tuplet || n.slur > s.slur || (!!n.tie && !s.tie);
    const bars = allowed.filter((a) => this.hasBar[a.id]);
    // Music only: an inline field (a key or meter change) is no way to end a tune.
    const music = allowed.filter((a) => !FIELD_TEXT.test(this.texts[a.id]));
    if (bars.length) {
      // Close the bar with the bar line that leaves the least open (`:|` in a first ending).
      const score = (n: GrammarState) => (advance(n, END) ? 0 : n.rep === Rep.Ending2 ? 1 : n.rep === Rep.AfterEnding1 || n.rep === Rep.Open ? 2 : 3);
      const best = Math.min(...bars.map((b) => score(b.state) + (opens(b.state) ? 4 : 0)));
      const closing = bars.filter((b) => score(b.state) + (opens(b.state) ? 4 : 0) === best).map((b) => b.id);
      // With the grammar's own bar clock a bar line here closes a full bar: close it now. Without it
      // (the tune constraints keep the bars) the bar may not be full yet: notes that open nothing
      // stay, and the constraints choose; forcing a bar line at every step wrote one-note bars.
      if (this.clock) keep(closing);
      else keep([...closing, ...music.filter((a) => !this.hasBar[a.id] && !opens(a.state)).map((a) => a.id), ...(endable ? [eos] : [])]);
      return;
    }
    // When the model wants none of the calm music, the tune ends if it may, else any music goes on;
    // never fields alone.
    const calm = [...music.filter((a) => !opens(a.state)).map((a) => a.id), ...(endable ? [eos] : [])];
    if (calm.some((id) => probs[id] > 0)) keep(calm);
    else if (endable) {
      probs.fill(0);
      probs[eos] = 1;
    } else keep(music.map((a) => a.id));
  }
}

/**
 * A header or inline field (`M:C|`, `[K:D]`): its `|` is part of a meter, not a bar line. Counting
 * `M:C|` as a bar line let the wind-down pick it as "the bar line that leaves the least open" after
 * `:|[2`, and a take near its limit looped on `[M:C|]` fields with one-note bars.
 */
const FIELD_TEXT = /^\[?[A-Za-z]:/;

/** Tokens before the length limit where an abc-token take starts to wind down (two long bars and their closing). */
const WIND_DOWN = 64;

/**
 * Zeroes `banned`; an end of tune the grammar refuses because a repeat is open gives its
 * probability to the `:|` that closes it (the model wanted to stop: let it stop properly). If
 * nothing would be left, the row is left as it was (never a dead end).
 */
function applyBan(probs: Float64Array, banned: Int32Array, eos: number, closer: number, allowed: (id: number) => boolean): void {
  let left = 0;
  for (let i = 0; i < probs.length; i++) left += probs[i];
  let removed = 0;
  for (let i = 0; i < banned.length; i++) removed += probs[banned[i]];
  if (left - removed <= 0) return;
  const pEos = probs[eos];
  for (let i = 0; i < banned.length; i++) probs[banned[i]] = 0;
  if (pEos > 0 && probs[eos] === 0 && closer >= 0 && probs[closer] > 0 && allowed(closer)) probs[closer] += pEos;
}

// ---------------------------------------------------------------------------------------------
// abc-char adapter

/**
 * For a character model a symbol is spelled a character at a time. The cursor holds the state
 * before the symbol being spelled and its text so far; a character either extends that symbol
 * (judged whole, from the state before it), or completes it and starts the next one, or is a space
 * or line break that completes it. A symbol may be left incomplete only while it can still grow
 * into one (an accidental before its note, ':' before '|', '[' before '1' or 'K:', '(' before '3',
 * an inline field before its ']'); the tune cannot end on one. The header is free text (titles)
 * except that the tune cannot end in it. Chord symbols and !decorations! are not offered in the
 * body: their text is free, and abc2midi rejects guitar chords it cannot read.
 */
interface CharCursor {
  /** In the tune body (after the K: line). */
  body: boolean;
  /** The state before `pending`. */
  before: GrammarState;
  /** The symbol being spelled ('' between symbols). */
  pending: string;
  /** The current line so far, kept only while short (header K: line, "A:" at a line start). */
  line: string;
  /** Nothing but spaces on the current line yet (a line break now would leave an empty line, ending the tune). */
  blank: boolean;
}

/** Symbol prefixes that may still grow into a symbol the grammar knows. */
const PREFIX = /^(?:\^\^?|__?|=|:|\[|\(|\[[KLMQ](?::[^\]\n]*)?)$/;
const FIELD_SAMPLE: Record<string, string> = { K: 'C', L: '1/8', M: '4/4', Q: '120' };

/** A prefix is worth spelling only if some symbol it grows into is allowed here (no dead ends). */
function prefixOk(before: GrammarState, p: string): boolean {
  let ways: string[];
  if (/^[\^_=]/.test(p)) ways = Array.from('CDEFGABcdefgab', (l) => p + l);
  else if (p === ':') ways = [':|', '::', ':|2'];
  else if (p === '[') ways = ['[', '[1', '[2', '[|', '[K:C]'];
  else if (p === '(') ways = ['(', '(3'];
  else if (p.startsWith('[')) ways = [`[${p[1]}:${FIELD_SAMPLE[p[1]] ?? ''}]`];
  else return false;
  return ways.some((w) => !!advance(before, w));
}

const NOTE_SO_FAR = /^((?:\^\^|\^|__|_|=)?[A-Ga-gzx][,']*)(\d*\/*\d*)$/;
/** The lengths a note still being spelled may grow into (written the usual way). */
const LENGTHS = ['', '2', '3', '4', '6', '8', '12', '16', '/', '//', '/2', '/4', '3/2', '3/4', '7/4'];

/**
 * Whether the symbol spelled so far is allowed, or can still become allowed: a note whose length
 * is still to come (after a broken rhythm 'c' must become 'c2'), or a prefix (see prefixOk).
 */
function canGrow(before: GrammarState, p: string): boolean {
  if (advance(before, p)) return true;
  const n = NOTE_SO_FAR.exec(p);
  if (n) return LENGTHS.some((l) => l.length > n[2].length && l.startsWith(n[2]) && !!advance(before, n[1] + l));
  return PREFIX.test(p) && prefixOk(before, p);
}

/** The cursor after character `ch`, or null if it would make the tune malformed. */
function charNext(c: CharCursor, ch: string): CharCursor | null {
  if (!c.body) {
    if (ch !== '\n') return { ...c, line: c.line.length < 80 ? c.line + ch : c.line };
    if (/^K:/.test(c.line)) return { body: true, before: { ...initialState(), body: true }, pending: '', line: '', blank: true };
    return { ...c, line: '' };
  }
  if (ch === ' ' || ch === '\t' || ch === '\n') {
    const s = c.pending ? advance(c.before, c.pending) : c.before;
    // No space inside a chord or grace group (abcjs: "Spaces are not allowed in chords"), and no
    // empty line: it ends the tune.
    // A decoration, slur or broken rhythm holds on to its note (abc2midi: "Malformed note" after "~ ").
    if (!s || s.chord >= 0 || s.grace >= 0 || s.deco || s.broken || (ch === '\n' && c.blank && !c.pending)) return null;
    return { body: true, before: s, pending: '', line: ch === '\n' ? '' : c.line.length < 2 ? c.line + ch : c.line, blank: ch === '\n' || c.blank };
  }
  // A line that starts "A:" reads as a header field.
  if (ch === ':' && /^[A-Za-z]$/.test(c.line)) return null;
  const line = c.line.length < 2 ? c.line + ch : c.line;
  // A broken rhythm or tie right after its note (abcjs: '>' at a line start is an unknown character).
  if ((ch === '>' || ch === '<' || ch === '-' || ch === ')') && !c.pending) return null;
  const joined = c.pending + ch;
  if (PREFIX.test(joined) || /^\[[KLMQ]:[^\]\n]*\]$/.test(joined)) {
    // Still spelling one symbol (an inline field is one symbol once its ']' comes).
    if (joined.endsWith(']') ? !advance(c.before, joined) : !prefixOk(c.before, joined)) return null;
    return { body: true, before: c.before, pending: joined, line, blank: false };
  }
  if (!c.pending) return canGrow(c.before, ch) ? { body: true, before: c.before, pending: ch, line, blank: false } : null;
  const t = readBody(joined);
  if (t.length === 1 && t[0] === joined) return canGrow(c.before, joined) ? { body: true, before: c.before, pending: joined, line, blank: false } : null;
  if (t.length === 2 && t[0] === c.pending && t[1] === ch) {
    const s = advance(c.before, c.pending);
    if (!s) return null;
    return canGrow(s, ch) ? { body: true, before: s, pending: ch, line, blank: false } : null;
  }
  return null;
}

function charCanEnd(c: CharCursor): boolean {
  if (!c.body) return false;
  const s = c.pending ? advance(c.before, c.pending) : c.before;
  return !!s && !!advance(s, END);
}

class CharGrammar implements AbcGrammar {
  private readonly cursors: CharCursor[];
  private readonly texts: readonly string[];
  private readonly banned: Map<string, Int32Array>;

  constructor(
    private readonly encoding: Encoding,
    prime: readonly number[],
    count: number,
  ) {
    this.texts = encoding.tokens;
    let banned = charCaches.get(this.texts);
    if (!banned) charCaches.set(this.texts, (banned = new Map()));
    this.banned = banned;
    const c: CharCursor = { body: false, before: initialState(), pending: '', line: '', blank: true };
    this.cursors = [c];
    for (let i = 0; i < prime.length; i++) {
      if (i === 0 && prime[i] === encoding.bos) continue;
      this.feed(c, prime[i]);
    }
    for (let v = 1; v < count; v++) this.cursors.push({ ...c });
  }

  /** Follows a chosen (or seeded) character; one the grammar refuses resets the symbol being spelled. */
  private feed(c: CharCursor, id: number): void {
    const ch = this.texts[id];
    if (id === this.encoding.eos || id === this.encoding.bos || ch === undefined) return;
    for (const part of ch) {
      const n = charNext(c, part);
      if (n) Object.assign(c, n);
      else Object.assign(c, { pending: '', line: part === '\n' ? '' : c.line });
    }
  }

  push(variation: number, token: number): void {
    this.feed(this.cursors[variation], token);
  }

  mask(variation: number, _index: number, probs: Float64Array): void {
    const c = this.cursors[variation];
    // The symbol being spelled may be a tie or broken rhythm that takes the last note's pitch.
    const b = c.before;
    const key = `${+c.body}|${stateKey(b)}|${b.lastPitch}${b.lastAcc}${b.lastLen}|${c.pending}|${c.blank ? 0 : /^[A-Za-z]$/.test(c.line) ? 1 : 2}`;
    let banned = c.body ? this.banned.get(key) : undefined;
    if (!banned) {
      const out: number[] = [];
      for (let id = 0; id < this.texts.length; id++) {
        if (id === this.encoding.bos) continue;
        if (id === this.encoding.eos) {
          if (!charCanEnd(c)) out.push(id);
          continue;
        }
        if (!c.body) continue; // header text is free
        let n: CharCursor | null = c;
        for (const part of this.texts[id]) if (n) n = charNext(n, part);
        if (!n) out.push(id);
      }
      banned = Int32Array.from(out);
      if (c.body) {
        if (this.banned.size > 50_000) this.banned.clear();
        this.banned.set(key, banned);
      }
    }
    applyBan(probs, banned, this.encoding.eos, -1, () => false);
  }
}

const charCaches = new WeakMap<readonly string[], Map<string, Int32Array>>();

// ---------------------------------------------------------------------------------------------
// Bar lengths (abc-token)

/** What a token does to the clock. */
const enum Tk {
  Other,
  Note,
  Rest,
  ChordOpen,
  ChordClose,
  Tuplet,
  Broken,
  GraceOpen,
  GraceClose,
  PlainBar,
  SectionBar,
  Meter,
  Unit,
  Lead,
  /** abc-token version 2: a length token after a pitch, a rest or a chord's first pitch. */
  Length,
}

interface Clock {
  /** Bar length in units of L (0: unknown, no constraint). */
  barLen: number;
  meter: number;
  unit: number;
  /** Position in the bar, in units of L. */
  pos: number;
  /** Still in the tune's first bar (a pickup may be short). */
  firstBar: boolean;
  tupletLeft: number;
  tupletFactor: number;
  /** In a chord: the length of its first note (-1: none yet); null outside. */
  chord: number | null;
  grace: boolean;
  lastLen: number;
  /** Position in the bar where the first ending began. */
  endingStart: number;
  /**
   * abc-token version 2: the last token was a pitch or rest whose length token may follow (1:
   * counted as one unit already, with `pendingFactor`; 2: a chord's first pitch; 3: another
   * pitch of the chord), else 0.
   */
  pending: number;
  pendingFactor: number;
}

/**
 * Keeps each bar to the meter: a note or rest that would run past the bar line is refused, and so
 * is a plain bar line before the bar is full, except for the tune's first bar (a pickup). A repeat
 * sign, ending or double bar may split a bar: the short bar before it and the pickup after it make
 * one bar (as abc2midi counts them), and a second ending starts where the first did. Lengths
 * are counted in units of L; tuplets (2/3 for (3), chords (their first note times the length after
 * ']'), grace notes (nothing) and broken rhythm (the pair keeps its sum) as ABC says. A bar that
 * cannot be completed by anything the model would write is left free (never a dead end). Tokens
 * that join into one symbol (a length digit after a note) are counted as written, a small error.
 */
class BarClock {
  private readonly kind: Uint8Array;
  private readonly len: Float64Array;
  private readonly clocks: Clock[];
  private seed: Clock = { barLen: 0, meter: 0, unit: 0, pos: 0, firstBar: true, tupletLeft: 0, tupletFactor: 1, chord: null, grace: false, lastLen: 0, endingStart: 0, pending: 0, pendingFactor: 1 };

  constructor(
    private readonly texts: readonly string[],
    private readonly count: number,
    /** abc-token version 2: a note is a pitch token, then a length token unless it is one unit. */
    private readonly factored = false,
  ) {
    this.kind = new Uint8Array(texts.length);
    this.len = new Float64Array(texts.length);
    texts.forEach((t, i) => {
      const l = classify(t);
      let k = Tk.Other;
      let len = 0;
      if (l.k === 'note') [k, len] = [Tk.Note, l.len];
      else if (l.k === 'rest') {
        const m = /^[zx](\d*)(\/*)(\d*)$/.exec(t)!;
        [k, len] = [Tk.Rest, lengthOf(m[1], m[2], m[3])];
      } else if (l.k === 'chordOpen') k = Tk.ChordOpen;
      else if (l.k === 'chordClose') {
        const m = /^\](\d*)(\/*)(\d*)$/.exec(t)!;
        [k, len] = [Tk.ChordClose, lengthOf(m[1], m[2], m[3])];
      } else if (l.k === 'tuplet') [k, len] = [Tk.Tuplet, l.n];
      else if (l.k === 'broken') k = Tk.Broken;
      else if (l.k === 'graceOpen') k = Tk.GraceOpen;
      else if (l.k === 'graceClose') k = Tk.GraceClose;
      else if (l.k === 'bar') [k, len] = t === '|' ? [Tk.PlainBar, 0] : [Tk.SectionBar, l.final ? -1 : l.ending];
      else if (l.k === 'deco' || l.k === 'slurOpen') k = Tk.Lead;
      else if (factored && isLengthToken(t)) [k, len] = [Tk.Length, lengthOfToken(t) ?? 0];
      else if (l.k === 'field') {
        const v = (l.inline ? t.slice(3, -1) : t.slice(2)).trim();
        if (l.key === 'M') [k, len] = [Tk.Meter, meterOf(v)];
        else if (l.key === 'L') [k, len] = [Tk.Unit, fraction(v)];
      }
      this.kind[i] = k;
      this.len[i] = len;
    });
    this.clocks = [];
    const ids = (...kinds: Tk[]) => texts.flatMap((_, i) => (kinds.includes(this.kind[i]) ? [i] : []));
    this.byLength = ids(Tk.Note, Tk.Rest).sort((a, b) => this.len[b] - this.len[a]);
    this.closes = ids(Tk.ChordClose);
    this.plainBars = ids(Tk.PlainBar);
    this.brokens = ids(Tk.Broken);
    this.tuplets = ids(Tk.Tuplet);
    this.leads = ids(Tk.ChordOpen, Tk.GraceOpen, Tk.Lead);
    this.lengths = ids(Tk.Length);
    // The shortest a pitch can be once its length token follows (one unit when it has none).
    this.shortest = factored ? Math.min(1, ...this.lengths.map((id) => this.len[id]).filter((x) => x > 0)) : 1;
  }

  private clock(v: number): Clock {
    if (v < 0) return this.seed;
    while (this.clocks.length < this.count) this.clocks.push({ ...this.seed });
    return this.clocks[v];
  }

  push(v: number, id: number): void {
    const c = this.clock(v);
    const len = this.len[id];
    const pending = c.pending;
    c.pending = 0;
    if (this.kind[id] === Tk.Length) {
      // The pitch before counted one unit: the rest of its length now.
      if (pending === 1) {
        c.pos += (len - 1) * c.pendingFactor;
        c.lastLen = len;
      } else if (pending === 2) c.chord = len;
      return;
    }
    switch (this.kind[id]) {
      case Tk.Meter:
      case Tk.Unit:
        if (this.kind[id] === Tk.Meter) c.meter = len;
        else c.unit = len;
        // No L: is 1/8 here: the abc-token decoder writes L:1/8 when the tune has none (ABC's own
        // default would be 1/16 under 3/4).
        c.barLen = c.meter > 0 ? c.meter / (c.unit || 1 / 8) : 0;
        return;
      case Tk.Note:
      case Tk.Rest:
        if (c.grace) return;
        if (c.chord !== null) {
          if (this.factored) c.pending = c.chord < 0 ? 2 : 3;
          if (c.chord < 0) c.chord = len;
          return;
        }
        if (this.factored) {
          c.pending = 1;
          c.pendingFactor = c.tupletLeft > 0 ? c.tupletFactor : 1;
        }
        this.advance(c, len);
        return;
      case Tk.ChordOpen:
        c.chord = -1;
        return;
      case Tk.ChordClose:
        if (c.chord !== null && c.chord > 0) this.advance(c, c.chord * (len || 1));
        c.chord = null;
        return;
      case Tk.Tuplet:
        c.tupletLeft = len;
        c.tupletFactor = tupletFactor(len, c.meter);
        return;
      case Tk.GraceOpen:
        c.grace = true;
        return;
      case Tk.GraceClose:
        c.grace = false;
        return;
      case Tk.PlainBar:
        c.pos = 0;
        c.firstBar = false;
        c.tupletLeft = 0;
        c.tupletFactor = 1;
        return;
      case Tk.SectionBar:
        // A short bar before a repeat sign or double bar is completed by the next section's pickup
        // (abc2midi counts the two halves as one bar); a full one closes. The second ending starts
        // where the first did.
        if (len === 2) c.pos = c.endingStart;
        else if (len === -1 || c.pos >= c.barLen - 1e-6 || (c.firstBar && c.pos === 0)) c.pos = 0;
        if (len === 1) c.endingStart = c.pos;
        // After a final bar '|]' the music starts afresh: a pickup may follow.
        c.firstBar = len === -1;
        c.tupletLeft = 0;
        c.tupletFactor = 1;
        return;
    }
  }

  private advance(c: Clock, len: number): void {
    c.pos += len * (c.tupletLeft > 0 ? c.tupletFactor : 1);
    c.lastLen = len;
    if (c.tupletLeft > 0 && --c.tupletLeft === 0) c.tupletFactor = 1;
  }

  mask(v: number, probs: Float64Array): void {
    const c = this.clock(v);
    if (!c.barLen || c.grace) return;
    const room = c.barLen - c.pos + 1e-6;
    const factor = c.tupletLeft > 0 ? c.tupletFactor : 1;
    const banned = this.scratch;
    banned.length = 0;
    if (this.factored) {
      // A length token right after its pitch: it must fit (the pitch counted one unit already).
      // Anything else leaves the pitch at one unit, which must fit too.
      // (In a chord, pending 2 or 3, the chord's closing is checked instead.)
      for (const id of this.lengths) if (c.pending === 0 || (c.pending === 1 && (this.len[id] - 1) * c.pendingFactor > room)) banned.push(id);
      if (c.pending === 1 && room < 0) {
        const keep = new Set(this.lengths.filter((id) => (this.len[id] - 1) * c.pendingFactor <= room));
        for (let id = 0; id < probs.length; id++) if (!keep.has(id)) banned.push(id);
      }
    }
    // Notes and rests, longest first: stop at the first that fits (version 2: the pitch at its shortest).
    if (c.chord === null || c.chord < 0) {
      for (const id of this.byLength) {
        if ((this.factored ? this.shortest : this.len[id]) * factor <= room) break;
        banned.push(id);
      }
    } else {
      for (const id of this.closes) if (c.chord * (this.len[id] || 1) * factor > room) banned.push(id);
    }
    if (!c.firstBar && room > 2e-6) banned.push(...this.plainBars);
    if (c.lastLen > room) banned.push(...this.brokens);
    for (const id of this.tuplets) if (this.len[id] * tupletFactor(this.len[id], c.meter) * 0.5 > room) banned.push(id);
    if (room < 0.5) banned.push(...this.leads);
    let total = 0;
    for (let i = 0; i < probs.length; i++) total += probs[i];
    let removed = 0;
    for (const id of banned) removed += probs[id];
    // Nothing the model would write fits: leave the bar free rather than stall.
    if (total - removed <= 0) return;
    for (const id of banned) probs[id] = 0;
  }

  private readonly scratch: number[] = [];
  /** Note and rest ids, longest first. */
  private readonly byLength: number[];
  private readonly closes: number[];
  private readonly plainBars: number[];
  private readonly brokens: number[];
  private readonly tuplets: number[];
  /** Chord and grace openings, decorations, slurs: each needs room for a note. */
  private readonly leads: number[];
  /** Version 2: the length tokens, and the shortest length a pitch can take. */
  private readonly lengths: number[];
  private readonly shortest: number;
}

/** "6/8" -> 0.75, "C" -> 1, "C|" -> 1; 0 if not a meter. */
function meterOf(v: string): number {
  if (v === 'C') return 1;
  if (v === 'C|') return 1;
  return fraction(v);
}

function fraction(v: string): number {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : 0;
}

/** ABC's tuplet ratios: (2 three in two... (3 two, (4 three, odd ones two or three (compound meter). */
function tupletFactor(n: number, meter: number): number {
  const compound = meter > 0 && Math.round(meter * 8) % 3 === 0 && meter >= 0.75;
  const q = n === 2 ? 3 : n === 3 ? 2 : n === 4 ? 3 : n === 6 ? 2 : n === 8 ? 3 : compound ? 3 : 2;
  return q / n;
}
