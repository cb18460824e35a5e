/**
 * A small reader of ABC text as it is written, symbol by symbol, for sampling constraints: where
 * the music stands in its bar and section, and what each symbol would do to that. It knows only
 * what the constraints ask (lengths, bar lines, repeats, endings, the key's tonic) and nothing
 * about how a model spells its tokens: a take is the concatenation of its tokens' texts, so the
 * same reader serves the abc-token spelling (`d2`, `|:`) and a factored one (`d` then `2`).
 *
 * Positions are in whole notes (so an inline L: change does not move them); floating point with
 * a small tolerance (tuplets give thirds).
 */

/** One symbol of ABC body text. */
export type Sym =
  | { k: 'field'; key: string; value: string }
  | { k: 'bar'; text: string }
  | { k: 'note'; letter: string; acc: string; mul: number; written: boolean }
  | { k: 'rest'; mul: number }
  | { k: 'chordOpen' }
  | { k: 'chordClose'; mul: number }
  | { k: 'tuplet'; n: number }
  | { k: 'broken'; dir: '>' | '<'; count: number }
  | { k: 'graceOpen' }
  | { k: 'graceClose' }
  /** Text that may still become a symbol (an accidental alone, ':' before '|', an open quote). */
  | { k: 'partial' }
  /** Decorations, a slur's opening, chord symbols: no time of their own, but a note must follow. */
  | { k: 'lead'; hold: boolean }
  /** A tie: the same pitch must follow. */
  | { k: 'tie' }
  /** Ties, slur ends, spaces: no time, no bar. */
  | { k: 'skip' };

export interface LexedSym {
  sym: Sym;
  text: string;
}

const PATTERNS: [RegExp, (m: RegExpExecArray) => Sym][] = [
  [/\[([A-Za-z]):([^\]\n]*)\]/y, (m) => ({ k: 'field', key: m[1], value: m[2].trim() })],
  [/\[[A-Za-z]:[^\]\n]*$/y, () => ({ k: 'partial' })],
  [/::|:*\|[\]|]?:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|:*|\[\d+(?:[,-]\d+)*/y, (m) => ({ k: 'bar', text: m[0] })],
  [/:+$/y, () => ({ k: 'partial' })],
  [/(\^\^|\^|__|_|=)?([A-Ga-g])[,']*(\d*)(\/*)(\d*)/y, (m) => ({ k: 'note', letter: m[2].toUpperCase(), acc: m[1] ?? '', mul: lengthOf(m[3], m[4], m[5]), written: !!(m[3] || m[4]) })],
  [/(?:\^\^|\^|__|_|=)$/y, () => ({ k: 'partial' })],
  [/[zx](\d*)(\/*)(\d*)/y, (m) => ({ k: 'rest', mul: lengthOf(m[1], m[2], m[3]) })],
  [/\](\d*)(\/*)(\d*)/y, (m) => ({ k: 'chordClose', mul: m[1] || m[2] ? lengthOf(m[1], m[2], m[3]) : 1 })],
  [/\[/y, () => ({ k: 'chordOpen' })],
  [/\((\d)(?::\d*){0,2}/y, (m) => ({ k: 'tuplet', n: Number(m[1]) })],
  [/-/y, () => ({ k: 'tie' })],
  [/>+|<+/y, (m) => ({ k: 'broken', dir: m[0][0] as '>' | '<', count: m[0].length })],
  [/\{\/?/y, () => ({ k: 'graceOpen' })],
  [/\}/y, () => ({ k: 'graceClose' })],
  [/"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+|[~.HLMOPSTuv(]/y, (m) => ({ k: 'lead', hold: m[0] === 'H' || /^[!+]fermata[!+]$/.test(m[0]) })],
  [/["!+][^\n]*$/y, () => ({ k: 'partial' })],
];

export function lengthOf(digits: string, slashes: string, den: string): number {
  const num = digits ? Number(digits) : 1;
  if (!slashes) return num;
  return den ? num / Number(den) : num / 2 ** slashes.length;
}

/** Cuts body text into symbols (a field line "M:6/8" alone is one field symbol). */
export function lexBody(text: string): LexedSym[] {
  const field = /^([A-Za-z]):(.*)$/s.exec(text);
  if (field && !/^[A-Ga-g]:[|:]/.test(text)) return [{ sym: { k: 'field', key: field[1], value: field[2].trim() }, text }];
  const out: LexedSym[] = [];
  let i = 0;
  outer: while (i < text.length) {
    for (const [re, make] of PATTERNS) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (m && m[0].length > 0) {
        out.push({ sym: make(m), text: m[0] });
        i += m[0].length;
        continue outer;
      }
    }
    // Anything else (spaces, decorations ~ . H T u v, slur marks, ties, line continuations).
    out.push({ sym: { k: 'skip' }, text: text[i] });
    i++;
  }
  return out;
}

/** "6/8" -> 0.75, "C" -> 1, "C|" -> 1; 0 when not a meter (none, free). */
export function meterLength(v: string): number {
  const t = v.replace(/%.*$/, '').trim();
  if (t === 'C' || t === 'C|') return 1;
  const m = /^(\d+)\/(\d+)$/.exec(t);
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : 0;
}

/** "C" -> "4/4", "C|" -> "2/2". */
export function normalMeter(v: string): string {
  const t = v.replace(/%.*$/, '').replace(/\s+/g, '');
  return t === 'C' ? '4/4' : t === 'C|' ? '2/2' : t;
}

export function unitLength(v: string): number {
  const m = /^\s*(\d+)\/(\d+)/.exec(v);
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : 0;
}

/** ABC's tuplet ratios: (2 three in the time of two, (3 two, (4 three; odd ones two or three (compound meters). */
export function tupletFactor(n: number, meter: number): number {
  const compound = meter > 0 && Math.round(meter * 8) % 3 === 0 && meter >= 0.75;
  const q = n === 2 ? 3 : n === 3 ? 2 : n === 4 ? 3 : n === 6 ? 2 : n === 8 ? 3 : compound ? 3 : 2;
  return q / n;
}
