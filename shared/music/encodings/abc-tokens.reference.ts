/**
 * The version-2 tokenizer as it was before issue #20 (one regular expression per line): the
 * reference the hand-written scanner of abc-tokens.ts is tested against (abc-tokens.test.ts).
 * Test support only; not exported from index.ts.
 */
import { MusicError } from '../errors';
import { DECORATION_LETTERS, barTokens, canonicalKey, canonicalMeter, pitchToken, pushLength, readLength, tupletToken, unitInEighths, type AbcTokenOptions, type AbcTokenRemovals } from './abc-tokens';

const IGNORED_MARKS = new Set(['`', 'y', 'k']);

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

/**
 * Cuts normalized ABC (normalizeAbc's output) into version-2 tokens. Fills `removed` with what it
 * left out. Throws MusicError('abc-syntax') naming the tune and line for an L: that is not a
 * fraction (the lengths after it could not be counted).
 */
export function tokenizeAbcV2Reference(abc: string, options: AbcTokenOptions = {}, removed: AbcTokenRemovals = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 }): string[] {
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

