/**
 * Sampling constraints that make a take a tune: they guide sampling by zeroing the next tokens
 * that would break a rule, and never rewrite a note the model wrote. They work on the tokens'
 * texts (a take is their concatenation), so they serve any ABC spelling whose tokens are pieces
 * of ABC text: the abc-token spelling and a factored pitch + length one alike.
 *
 * - `bar-fill`: a bar line only where the bar holds the meter's length (the tune's pickup aside);
 *   no note or rest that would run past the bar line; a bar split by a repeat sign or double bar
 *   is completed by what follows it, as abc2midi counts it: the short bar before a `:|` and the
 *   start of the passage it repeats make one bar, and a second ending starts where the first did.
 * - `sections`: where the meter names a dance-tune form (reels, hornpipes, jigs, polkas: 8 bars;
 *   slip jigs and slides, whose bars are twice as long: 4; 3/4 airs and waltzes: 16), a section
 *   closes after exactly that many bars (its pickup aside), and it closes where its pickup lets
 *   the repeat come round (the last bar + the pickup = one bar).
 * - `tonic-ending`: the take ends only at a section end on the key's tonic; with `sections`, the
 *   second and later sections (their second endings) close on the tonic, so every one of them is
 *   a place where the tune may end.
 *
 * A row the constraints would leave empty is left as it was (the caller's grammar still keeps the
 * tune well formed and can always close it): a constraint that cannot be met never stalls a take.
 */
import { lexBody, meterLength, normalMeter, tupletFactor, unitLength, type LexedSym, type Sym } from './reader';
import { parseKey } from '../key';

export type TuneConstraintName = 'bar-fill' | 'sections' | 'tonic-ending';
export const TUNE_CONSTRAINTS: readonly TuneConstraintName[] = ['bar-fill', 'sections', 'tonic-ending'];

/** What each constraint does, in a musician's words (reports, --help). */
export const TUNE_CONSTRAINT_TEXT: Record<TuneConstraintName, string> = {
  'bar-fill': 'every bar holds the meter (pickup aside; bars split by repeats add up)',
  sections: 'sections close after 8 bars (4 in 9/8 and 12/8, 16 in 3/4)',
  'tonic-ending': 'the tune ends at a section end on the key\'s tonic',
};

/** Bars per section by meter (the dance-tune forms of the corpora); absent: no section rule. */
export const SECTION_BARS: Readonly<Record<string, number>> = { '4/4': 8, '2/2': 8, '2/4': 8, '6/8': 8, '3/2': 8, '9/8': 4, '12/8': 4, '3/4': 16 };

const EPS = 1e-6;

/** Where a take stands. Positions and lengths in whole notes. */
export interface TakeState {
  body: boolean;
  /** Bar length (whole notes), 0: unknown (no bar rules). */
  barLen: number;
  meter: string;
  /** L:, 0 until given (then the default unit applies). */
  unit: number;
  tonicLetter: string;
  /** The tonic's accidental as ABC writes it: '^', '_' or '' (natural). */
  tonicAcc: string;
  pos: number;
  /** No bar line yet: the first bar may be a pickup. */
  firstBar: boolean;
  tupletLeft: number;
  tupletFactor: number;
  /** In a chord: the length of its first note (-1 none yet); null outside a chord. */
  chord: number | null;
  chordTonic: boolean;
  grace: boolean;
  /** Broken rhythm: factor for the next note (1 none). */
  nextFactor: number;
  /** Length of the last note or chord (for a broken rhythm after it). */
  lastLen: number;
  /** The last note was the tonic (null: no note yet). */
  lastTonic: boolean | null;
  /** Accidentals written in this bar, per letter ("F=" ...), for the tonic check. */
  barAcc: string;
  /** Position in the bar where the current section started (its pickup's complement): the repeat comes round here. */
  secStart: number;
  /**
   * Where a `:|` goes back to, as abc2midi plays it: the tune's start (after its pickup) for the
   * first repeat, a `|:`, or after a repeat the previous `:|` or `||`.
   */
  repTarget: number;
  /** A `:|` has been played. */
  repeated: boolean;
  /** Full bars counted in the section. */
  bars: number;
  /** The section started inside a bar: the first bar it completes is the previous section's. */
  carry: boolean;
  /** Music since the last section boundary. */
  music: boolean;
  /** Sections closed. */
  sections: number;
  ending: 0 | 1 | 2;
  endingPos: number;
  endingBars: number;
  endingCarry: boolean;
  /** The last symbol closed a section (or ended one with no music after). */
  atSectionEnd: boolean;
  /** The last section close was on the tonic. */
  endTonic: boolean;
}

/** Copies a take's state field by field (much faster than Object.assign in the mask's inner loop). */
export function copyState(d: TakeState, s: TakeState): TakeState {
  d.body = s.body;
  d.barLen = s.barLen;
  d.meter = s.meter;
  d.unit = s.unit;
  d.tonicLetter = s.tonicLetter;
  d.tonicAcc = s.tonicAcc;
  d.pos = s.pos;
  d.firstBar = s.firstBar;
  d.tupletLeft = s.tupletLeft;
  d.tupletFactor = s.tupletFactor;
  d.chord = s.chord;
  d.chordTonic = s.chordTonic;
  d.grace = s.grace;
  d.nextFactor = s.nextFactor;
  d.lastLen = s.lastLen;
  d.lastTonic = s.lastTonic;
  d.barAcc = s.barAcc;
  d.secStart = s.secStart;
  d.repTarget = s.repTarget;
  d.repeated = s.repeated;
  d.bars = s.bars;
  d.carry = s.carry;
  d.music = s.music;
  d.sections = s.sections;
  d.ending = s.ending;
  d.endingPos = s.endingPos;
  d.endingBars = s.endingBars;
  d.endingCarry = s.endingCarry;
  d.atSectionEnd = s.atSectionEnd;
  d.endTonic = s.endTonic;
  return d;
}

export function initialTakeState(): TakeState {
  return {
    body: false,
    barLen: 0,
    meter: '',
    unit: 0,
    tonicLetter: '',
    tonicAcc: '',
    pos: 0,
    firstBar: true,
    tupletLeft: 0,
    tupletFactor: 1,
    chord: null,
    chordTonic: false,
    grace: false,
    nextFactor: 1,
    lastLen: 0,
    lastTonic: null,
    barAcc: '',
    secStart: 0,
    repTarget: 0,
    repeated: false,
    bars: 0,
    carry: false,
    music: false,
    sections: 0,
    ending: 0,
    endingPos: 0,
    endingBars: 0,
    endingCarry: false,
    atSectionEnd: false,
    endTonic: false,
  };
}

export interface ConstraintSet {
  barFill: boolean;
  sections: boolean;
  tonicEnding: boolean;
  /** L when the tune gives none (the abc-token decoder writes L:1/8). */
  defaultUnit: number;
  /** Least factor a length token written after a bare note may give it (factored spellings: `/2`), 1 if none. */
  shortest: number;
  /** The shortest note or rest the vocabulary can write, in units of L (a tuplet or decoration needs room for one). */
  minMul: number;
}

const near = (a: number, b: number) => Math.abs(a - b) < EPS;

/** Bars a section has under the `sections` rule here (0: no rule). */
function formBars(s: TakeState, c: ConstraintSet): number {
  return c.sections && s.barLen ? (SECTION_BARS[s.meter] ?? 0) : 0;
}

/**
 * The section rule for the current section: its bar count, or 0 when the section can no longer
 * close where the rule says (a row the constraints could not meet was sampled as it stood): the
 * rest of that section is free, and the rule starts again with the next one.
 */
function sectionBars(s: TakeState, c: ConstraintSet): number {
  const n = formBars(s, c);
  if (!n) return 0;
  if (s.bars > n - 1) return 0;
  if (!s.carry && s.bars === n - 1 && !s.firstBar && s.pos > closePoint(s) + EPS) return 0;
  return n;
}

/** Where the section's last bar ends: where the repeat comes round (a full bar when it started on one). */
function closePoint(s: TakeState): number {
  return s.secStart > EPS ? s.secStart : s.barLen;
}

/** In the section's last bar under the `sections` rule. */
function inClosingBar(s: TakeState, c: ConstraintSet): boolean {
  const n = sectionBars(s, c);
  return n > 0 && !s.carry && s.bars === n - 1 && !s.firstBar;
}

/** A note (or rest, chord) landing here must be the tonic: the close of a section from the second on. */
function tonicDue(s: TakeState, c: ConstraintSet, end: number): boolean {
  return c.tonicEnding && c.sections && s.sections >= 1 && s.ending !== 1 && inClosingBar(s, c) && near(end, closePoint(s));
}

function isTonic(s: TakeState, letter: string, acc: string): boolean {
  if (!s.tonicLetter || letter !== s.tonicLetter) return false;
  let written = acc;
  if (!written) {
    // An accidental written earlier in the bar holds for the letter (barAcc: "F^C=...").
    const at = s.barAcc.lastIndexOf(letter);
    if (at >= 0) {
      let end = at + 1;
      while (end < s.barAcc.length && '^_='.includes(s.barAcc[end])) end++;
      written = s.barAcc.slice(at + 1, end);
    }
  }
  const eff = written === '=' ? '' : written || s.tonicAcc;
  return eff === s.tonicAcc;
}

function setKey(s: TakeState, value: string): void {
  const k = parseKey(value);
  const m = /^\s*([A-Ga-g])([#b]?)/.exec(value);
  if (!k || !m) {
    s.tonicLetter = '';
    return;
  }
  s.tonicLetter = m[1].toUpperCase();
  s.tonicAcc = m[2] === '#' ? '^' : m[2] === 'b' ? '_' : '';
}

function setField(s: TakeState, key: string, value: string, c: ConstraintSet): void {
  if (key === 'M') {
    s.meter = normalMeter(value);
    const len = meterLength(value);
    s.barLen = len;
  } else if (key === 'L') s.unit = unitLength(value);
  else if (key === 'K') {
    setKey(s, value);
    s.body = true;
  }
  void c;
}

/**
 * Follows one symbol. With `check`, returns false when the symbol breaks an active constraint
 * (the state is then meaningless); `tentative`: the symbol is the last one and may still grow
 * (a bare note a length token may follow).
 */
export function feed(s: TakeState, x: Sym, c: ConstraintSet, check: boolean, tentative = false): boolean {
  const unit = s.unit || c.defaultUnit;
  switch (x.k) {
    case 'field':
      // No meter, unit, key or tempo change inside the tune: a dance tune keeps its bar, and a
      // field costs no time, so a model that cannot place a note could otherwise write them forever.
      if (check && c.barFill) return false;
      setField(s, x.key, x.value, c);
      return true;
    case 'note':
    case 'rest': {
      if (s.grace) return true;
      const len = x.mul * unit;
      const tonic = x.k === 'note' && isTonic(s, x.letter, x.acc);
      if (x.k === 'note' && x.acc) s.barAcc += `${x.letter}${x.acc}`;
      if (s.chord !== null) {
        if (s.chord < 0) {
          // The chord lasts as long as its first note (times a length after its ']').
          const factor = (s.tupletLeft > 0 ? s.tupletFactor : 1) * s.nextFactor;
          const owed = s.tupletLeft > 1 ? (s.tupletLeft - 1) * c.minMul * unit * s.tupletFactor : 0;
          if (check && s.barLen && c.barFill && s.pos + len * factor * (tentative && x.k === 'note' && !x.written ? c.shortest : 1) + owed > limitOf(s, c) + EPS) return false;
          s.chord = len;
        }
        if (tonic) s.chordTonic = true;
        return true;
      }
      const d = len * (s.tupletLeft > 0 ? s.tupletFactor : 1) * s.nextFactor;
      const end = s.pos + d;
      if (check && s.barLen) {
        const least = tentative && x.k === 'note' && !x.written ? d * c.shortest : d;
        // A tuplet's notes still to come need room too.
        const owed = s.tupletLeft > 1 ? (s.tupletLeft - 1) * c.minMul * unit * s.tupletFactor : 0;
        if (c.barFill && s.pos + least + owed > limitOf(s, c) + EPS) return false;
        // Once a tuplet is complete, what is left of the bar must be writable in the vocabulary's lengths.
        if (c.barFill && s.tupletLeft <= 1 && !(tentative && x.k === 'note' && !x.written) && !fillable(limitOf(s, c) - end, c, unit)) return false;
        if (tonicDue(s, c, end) && !tonic) return false;
        // A bare note that is not the tonic, in the bar that closes a section on it: it must be
        // able to end early enough for the tonic to follow.
        if (tentative && x.k === 'note' && !x.written && !tonic && tonicDue(s, c, closePoint(s)) && s.pos + least + c.minMul * unit > closePoint(s) + EPS) return false;
      }
      s.pos = end;
      s.nextFactor = 1;
      s.lastLen = d;
      if (x.k === 'note') s.lastTonic = tonic;
      if (s.tupletLeft > 0 && --s.tupletLeft === 0) s.tupletFactor = 1;
      s.music = true;
      s.atSectionEnd = false;
      return true;
    }
    case 'chordOpen':
      if (check && !roomForNote(s, c, unit, limitOf(s, c))) return false;
      s.chord = -1;
      s.chordTonic = false;
      return true;
    case 'tie':
      // The tied note must fit: in a section's last bar there is no next bar to carry it into.
      if (check && c.sections && inClosingBar(s, c) && !roomForNote(s, c, unit, limitOf(s, c))) return false;
      return true;
    case 'lead':
      // abc2midi holds a fermata longer than written: the bar would not add up.
      if (check && c.barFill && x.hold) return false;
      // A decoration or slur waits for its note: there must be room for one.
      if (check && s.chord === null && !s.grace && !roomForNote(s, c, unit, limitOf(s, c))) return false;
      return true;
    case 'chordClose': {
      const first = s.chord;
      s.chord = null;
      if (first === null || first <= 0) return true;
      const d = first * x.mul * (s.tupletLeft > 0 ? s.tupletFactor : 1) * s.nextFactor;
      const end = s.pos + d;
      if (check && s.barLen) {
        const owed = s.tupletLeft > 1 ? (s.tupletLeft - 1) * c.minMul * unit * s.tupletFactor : 0;
        if (c.barFill && end + owed > limitOf(s, c) + EPS) return false;
        if (c.barFill && s.tupletLeft <= 1 && !fillable(limitOf(s, c) - end, c, unit)) return false;
        if (tonicDue(s, c, end) && !s.chordTonic) return false;
      }
      s.pos = end;
      s.nextFactor = 1;
      s.lastLen = d;
      s.lastTonic = s.chordTonic;
      if (s.tupletLeft > 0 && --s.tupletLeft === 0) s.tupletFactor = 1;
      s.music = true;
      s.atSectionEnd = false;
      return true;
    }
    case 'tuplet': {
      const f = tupletFactor(x.n, s.barLen);
      if (check && s.barLen && c.barFill && s.pos + x.n * c.minMul * unit * f > limitOf(s, c) + EPS) return false;
      s.tupletLeft = x.n;
      s.tupletFactor = f;
      return true;
    }
    case 'broken': {
      const half = 2 ** -x.count;
      const prev = x.dir === '>' ? 2 - half : half;
      const extra = s.lastLen * (prev - 1);
      const next = x.dir === '>' ? half : 2 - half;
      if (check && s.barLen && c.barFill && s.pos + extra + c.minMul * unit * next > limitOf(s, c) + EPS) return false;
      s.pos += extra;
      s.nextFactor = next;
      return true;
    }
    case 'graceOpen':
      if (check && !roomForNote(s, c, unit, limitOf(s, c))) return false;
      s.grace = true;
      return true;
    case 'graceClose':
      s.grace = false;
      return true;
    case 'bar':
      return bar(s, x.text, c, check);
    default:
      return true;
  }
}

/** Where the bar ends for what is written now: the section's close point in its last bar. */
function limitOf(s: TakeState, c: ConstraintSet): number {
  return c.sections && inClosingBar(s, c) ? closePoint(s) : s.barLen;
}

/** Room left in a bar that notes of the vocabulary's lengths can fill (a whole number of its shortest note). */
function fillable(room: number, c: ConstraintSet, unit: number): boolean {
  if (room < EPS) return true;
  const steps = room / (c.minMul * unit);
  return Math.abs(steps - Math.round(steps)) < 1e-4;
}

function roomForNote(s: TakeState, c: ConstraintSet, unit: number, limit: number): boolean {
  if (!s.barLen || !c.barFill) return true;
  const factor = (s.tupletLeft > 0 ? s.tupletFactor : 1) * s.nextFactor;
  return s.pos + c.minMul * unit * factor <= limit + EPS;
}

function bar(s: TakeState, text: string, c: ConstraintSet, check: boolean): boolean {
  const num = /(\d+)(?:[,-]\d+)*$/.exec(text);
  const ending = num ? Number(num[1]) : 0;
  const core = text.replace(/\[?\d+(?:[,-]\d+)*$/, '');
  const isBar = core.includes('|') || core === '::';
  const endRep = core.startsWith(':');
  const startRep = core.endsWith(':');
  s.tupletLeft = 0;
  s.tupletFactor = 1;
  s.nextFactor = 1;
  if (!isBar) {
    // A bare ending mark ([1, [2) after a bar line.
    startEnding(s, ending);
    return true;
  }
  s.barAcc = '';
  const B = s.barLen;
  const full = B > 0 && near(s.pos, B);
  const empty = s.pos < EPS;
  const plain = core === '|' && !endRep && !startRep;
  const n = sectionBars(s, c);
  if (s.firstBar) {
    // The first bar line: what stands before it is a pickup (or a full first bar).
    if (empty && !s.music) {
      // A leading bar line or |: before any music.
      return true;
    }
    if (B && !full && s.pos > EPS) {
      if (check && c.barFill && s.pos > B + EPS) return false;
      // abc2midi goes back to a `|:` after the pickup, so the pickup would not complete the
      // section's last bar: the repeat starts with the tune instead.
      if (check && c.barFill && startRep) return false;
      s.secStart = B - s.pos;
      s.repTarget = s.secStart;
      s.carry = false;
      s.bars = 0;
    } else if (full) s.bars = 1;
    s.pos = 0;
    s.firstBar = false;
    if (ending) startEnding(s, ending);
    return true;
  }
  if (ending >= 2 && !endRep && (core === '|' || core === '')) {
    // The second ending's mark right after the `:|` that closed the first: the same bar line.
    startEnding(s, ending);
    return true;
  }
  if (plain) {
    if (empty && !s.music) return true;
    // A bar already overfull (sampled from a row the constraints could not meet) may close.
    if (check && B && c.barFill && !full && s.pos < B + EPS) return false;
    if (full) {
      if (s.carry) s.carry = false;
      else s.bars++;
      if (check && n > 0 && (ending === 1 ? !(s.bars >= n - 2 && s.bars <= n - 1) : s.bars >= n)) return false;
    }
    s.pos = 0;
    s.atSectionEnd = false;
    if (ending) startEnding(s, ending);
    return true;
  }
  // A section bar: || |] [| |: :| :: (with endings).
  if (!s.music) {
    // Right after another section bar (`:|` then `|:`): nothing closes.
    if (startRep || s.repeated) s.repTarget = B ? s.pos % B : 0;
    if (ending) startEnding(s, ending);
    return true;
  }
  return closeSection(s, c, check, endRep, startRep, ending, n);
}

function closeSection(s: TakeState, c: ConstraintSet, check: boolean, endRep: boolean, startRep: boolean, ending: number, n: number): boolean {
  const B = s.barLen;
  if (check && B) {
    const at = s.pos % B < EPS || near(s.pos, B) ? 0 : s.pos;
    const target = s.repTarget % B < EPS ? 0 : s.repTarget;
    // The repeat comes round to the section's start: the bars on both sides of it add up.
    if (c.barFill && endRep && !near(at, target) && s.pos < B + EPS) return false;
    if (n > 0) {
      const full = near(s.pos, B);
      const counted = s.bars + (s.carry ? 0 : 1);
      if (s.carry || counted !== n || !near(full ? B : s.pos, closePoint(s))) return false;
    }
    if (c.tonicEnding && c.sections && n > 0 && s.sections >= 1 && s.ending !== 1 && !s.lastTonic) return false;
  }
  const closingFirstEnding = s.ending === 1 && endRep;
  if (!closingFirstEnding) {
    s.sections++;
    s.endTonic = !!s.lastTonic;
    s.atSectionEnd = true;
    if (s.ending === 2) s.ending = 0;
  }
  // The next section starts where this one stopped in its bar.
  const rest = B ? (near(s.pos, B) ? 0 : s.pos % B) : 0;
  s.secStart = rest;
  s.carry = rest > EPS;
  s.pos = rest;
  s.bars = 0;
  s.music = false;
  // abc2midi: after a repeat, the next `:|` goes back to the previous `:|` or `||` (or a `|:`);
  // before the first repeat, to the tune's start. (A `|]` inside the tune is read like `||`.)
  if (endRep) s.repeated = true;
  if (startRep || s.repeated) s.repTarget = rest;
  if (ending) startEnding(s, ending);
  else if (closingFirstEnding) s.ending = 1; // waiting for the second ending
  return true;
}

function startEnding(s: TakeState, ending: number): void {
  if (ending === 1) {
    s.ending = 1;
    s.endingPos = s.pos;
    s.endingBars = s.bars;
    s.endingCarry = s.carry;
    s.music = true;
  } else if (ending >= 2) {
    s.ending = 2;
    s.pos = s.endingPos;
    s.bars = s.endingBars;
    s.carry = s.endingCarry;
    s.music = true;
    s.atSectionEnd = false;
  }
}

/** Whether the take may end here (after the symbols so far). */
export function mayEnd(s: TakeState, c: ConstraintSet): boolean {
  if (!s.body) return true;
  // A dance-tune form has two parts at least.
  if (formBars(s, c) && !(s.atSectionEnd && s.sections >= 2)) return false;
  if (!c.tonicEnding || !s.tonicLetter) return true;
  return s.atSectionEnd && s.ending !== 1 && s.endTonic;
}

// ---------------------------------------------------------------------------------------------
// Per-take cursors over a vocabulary

export interface TuneConstraintOptions {
  /** Which constraints are on (default: all). */
  constraints?: readonly TuneConstraintName[];
  /** L when the tune has none (default 1/8, as the ABC decoders write it). */
  defaultUnit?: number;
}

interface Cursor {
  /** The state before `tail`. */
  before: TakeState;
  /** The last symbol's text: the next token may still join it (`d` + `2`, `:` + `|`). */
  tail: string;
  /** The last token's text. */
  prev: string;
}

const LENGTH = /^(?:\d+|\d*\/+\d*)(?:\/\d*)*$/;
/**
 * How the decoders join two tokens: without a space, except where the factored spelling's decoder
 * keeps them apart (two lengths in a row, a bar line and a bar or repeat sign after it).
 */
function joiner(prev: string, t: string): string {
  return (LENGTH.test(prev) && LENGTH.test(t)) || (prev.endsWith('|') && /^[|:]/.test(t)) ? ' ' : '';
}

const SPECIAL_TOKEN = 1;
const FIELD = 2;
const APART = 3;
const JOINS = 0;
/** A token that starts with one of these never continues the symbol before it (unless that is an accidental or ':' alone). */
const STARTS_APART = /^[A-Ga-gzx~.HLMOPSTuv!"(){}\-^_=]/;

/** A vocabulary's special tokens (<s>, </s>, <unk>): no text. */
const SPECIAL = /^<[a-z/]+>$/;

/** Is a token a field line written whole ("M:6/8", "K:D Major")? */
const FIELD_TOKEN = /^[A-Za-z]:(?![|:])/;

export class TuneConstraints {
  readonly names: readonly TuneConstraintName[];
  private readonly set: ConstraintSet;
  private readonly cursors: Cursor[];
  private readonly lexed = new Map<string, LexedSym[]>();
  /** Tokens that move the music on (a note, rest, chord, bar line or length); the others cost no time. */
  private readonly moves: Uint8Array;
  private readonly scratch: TakeState = initialTakeState();
  /** Per token: special, a field, one that always starts a new symbol, or one that may join the tail. */
  private readonly kinds: Uint8Array;
  /** Per token: its symbols read alone. */
  private readonly alone: Sym[][];
  /** Per variation: rows the constraints could not meet (left as they were). */
  readonly fallbacks: number[];

  constructor(
    private readonly texts: readonly string[],
    private readonly special: { bos: number; eos: number },
    prime: readonly number[],
    count: number,
    options: TuneConstraintOptions = {},
  ) {
    this.names = options.constraints ?? TUNE_CONSTRAINTS;
    let shortest = 1;
    for (const t of texts) {
      const m = /^(\d*)(\/+)(\d*)$/.exec(t);
      if (m) shortest = Math.min(shortest, (m[1] ? Number(m[1]) : 1) / (m[3] ? Number(m[3]) : 2 ** m[2].length));
    }
    let minMul = Infinity;
    for (const t of texts) {
      const l = lexBody(t);
      if (l.length !== 1) continue;
      const x = l[0].sym;
      if (x.k === 'rest') minMul = Math.min(minMul, x.mul);
      if (x.k === 'note') minMul = Math.min(minMul, x.written ? x.mul : x.mul * shortest);
    }
    this.set = { barFill: this.names.includes('bar-fill'), sections: this.names.includes('sections'), tonicEnding: this.names.includes('tonic-ending'), defaultUnit: options.defaultUnit ?? 1 / 8, shortest, minMul: Number.isFinite(minMul) ? minMul : 1 };
    this.kinds = Uint8Array.from(texts, (t) => (SPECIAL.test(t) ? SPECIAL_TOKEN : FIELD_TOKEN.test(t) ? FIELD : STARTS_APART.test(t) ? APART : JOINS));
    this.alone = texts.map((t) => lexBody(t).map((l) => l.sym));
    this.moves = Uint8Array.from(texts, (t, id) => (id === special.eos || /^[\d/]+$/.test(t) || lexBody(t).some((l) => ['note', 'rest', 'chordClose', 'bar', 'partial'].includes(l.sym.k)) ? 1 : 0));
    const c: Cursor = { before: initialTakeState(), tail: '', prev: '' };
    for (const id of prime) this.follow(c, id);
    this.cursors = Array.from({ length: count }, () => ({ before: { ...c.before }, tail: c.tail, prev: c.prev }));
    this.fallbacks = new Array<number>(count).fill(0);
  }

  /** The state of a variation with its last symbol counted (for tests and reports). */
  stateOf(variation: number): TakeState {
    const c = this.cursors[variation];
    const s = { ...c.before };
    for (const l of this.lex(c.tail)) feed(s, l.sym, this.set, false);
    return s;
  }

  private lex(text: string): LexedSym[] {
    let l = this.lexed.get(text);
    if (!l) {
      l = lexBody(text);
      if (this.lexed.size > 20_000) this.lexed.clear();
      this.lexed.set(text, l);
    }
    return l;
  }

  /** Follows a token (a seed's, or a chosen one) without judging it. */
  private follow(c: Cursor, id: number): void {
    if (id === this.special.bos || id === this.special.eos) return;
    const t = this.texts[id];
    if (t === undefined || SPECIAL.test(t)) return;
    if (!c.before.body || FIELD_TOKEN.test(t)) {
      for (const l of this.lex(c.tail)) feed(c.before, l.sym, this.set, false);
      c.tail = '';
      const f = /^([A-Za-z]):(.*)$/s.exec(t) ?? /^\[([A-Za-z]):(.*)\]$/s.exec(t);
      if (f) setField(c.before, f[1], f[2].trim(), this.set);
      c.prev = t;
      return;
    }
    const syms = this.lex(c.tail + joiner(c.prev, t) + t);
    c.prev = t;
    for (let i = 0; i < syms.length - 1; i++) feed(c.before, syms[i].sym, this.set, false);
    c.tail = syms.length ? syms[syms.length - 1].text : '';
  }

  /**
   * Would token `id` keep the take within the constraints? `base`: the state after the tail as it
   * stands (null: the tail cannot stand as it is; undefined: the tail is still open, an accidental
   * or ':' alone, so every token joins it).
   */
  private allows(c: Cursor, id: number, base: TakeState | null | undefined): boolean {
    const kind = this.kinds[id];
    if (kind === SPECIAL_TOKEN) return true;
    if (kind === FIELD) return !this.set.barFill;
    if (kind === APART && base !== undefined) {
      // Starts a new symbol: the tail stands as written (fed once per row, in `base`).
      if (!base) return false;
      const s = copyState(this.scratch, base);
      const syms = this.alone[id];
      for (let i = 0; i < syms.length; i++) if (!feed(s, syms[i], this.set, true, i === syms.length - 1)) return false;
      return true;
    }
    const t = this.texts[id];
    const syms = this.lex(c.tail + joiner(c.prev, t) + t);
    const s = copyState(this.scratch, c.before);
    for (let i = 0; i < syms.length; i++) if (!feed(s, syms[i].sym, this.set, true, i === syms.length - 1)) return false;
    return true;
  }

  push(variation: number, token: number): void {
    this.follow(this.cursors[variation], token);
  }

  /** In the header: a tune states its meter (bars need one) before its key starts the music. */
  private maskHeader(c: Cursor, variation: number, probs: Float64Array): number {
    if (c.before.meter) return 0;
    let left = 0;
    const banned: number[] = [];
    for (let id = 0; id < probs.length; id++) {
      if (!(probs[id] > 0)) continue;
      if (/^K:/.test(this.texts[id] ?? '') || id === this.special.eos) banned.push(id);
      else left += probs[id];
    }
    if (!banned.length) return 0;
    if (left <= 0) {
      this.fallbacks[variation]++;
      return 0;
    }
    for (const id of banned) probs[id] = 0;
    return banned.length;
  }

  /**
   * Zeroes the tokens that would break a constraint. Leaves the row as it was when nothing would
   * be left (never a dead end). Returns how many tokens were zeroed.
   */
  mask(variation: number, probs: Float64Array): number {
    const c = this.cursors[variation];
    if (!c.before.body) return this.set.barFill ? this.maskHeader(c, variation, probs) : 0;
    const banned: number[] = [];
    let left = 0;
    let moving = 0;
    // The tail as it stands (a token that starts a new symbol completes it): fed once for the row.
    const tailSyms = this.lex(c.tail);
    const open = tailSyms.length > 0 && tailSyms[tailSyms.length - 1].sym.k === 'partial';
    let base: TakeState | null = { ...c.before };
    for (const l of tailSyms) if (base && !feed(base, l.sym, this.set, true)) base = null;
    for (let id = 0; id < probs.length; id++) {
      if (!(probs[id] > 0)) continue;
      let ok: boolean;
      if (id === this.special.eos) {
        const s = { ...c.before };
        for (const l of tailSyms) feed(s, l.sym, this.set, false);
        ok = mayEnd(s, this.set);
      } else ok = this.allows(c, id, open ? undefined : base);
      if (ok) {
        left += probs[id];
        if (this.moves[id]) moving += probs[id];
      } else banned.push(id);
    }
    if (!banned.length) return 0;
    // Nothing left, or nothing but marks that cost no time (decorations, slurs): a dead end.
    if (left <= 0 || moving <= 0) {
      this.fallbacks[variation]++;
      return 0;
    }
    for (const id of banned) probs[id] = 0;
    return banned.length;
  }
}
