/**
 * Mutations for fuzzing the ABC and MIDI readers (shared/music/fuzz.test.ts and the reliability
 * suite's importer fuzz, bench/reliability): small, seeded edits of real files that keep most of their
 * structure (so the readers get deep before something is wrong), plus the classic hostile values
 * (lengths past the end, variable-length quantities that never end, absurd durations and tempos).
 * Hand-written rather than a generic fuzzer because the interesting edits are format-aware (MIDI
 * chunk lengths, ABC header fields) and the run must be reproducible from (seed, index) alone.
 */

export type Rng = () => number;

/** mulberry32: small, fast, good enough to pick mutations; reproducible from one integer. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xf0, 0xf7, 0xfe, 0xff, 0x90, 0x80, 0xb0, 0x2f, 0x51, 0x58, 0x59];
const INTERESTING_U32 = [0, 1, 6, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

function chunkOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 8 <= b.length; i++) {
    if (b[i] === 0x4d && b[i + 1] === 0x54 && (b[i + 2] === 0x72 || b[i + 2] === 0x68) && (b[i + 3] === 0x6b || b[i + 3] === 0x64)) out.push(i);
  }
  return out;
}

type ByteMutation = (b: Uint8Array, r: Rng, other: Uint8Array) => Uint8Array;

const byteMutations: Record<string, ByteMutation> = {
  flipBits(b, r) {
    const c = b.slice();
    for (let k = 1 + int(r, 8); k > 0 && c.length; k--) c[int(r, c.length)] ^= 1 << int(r, 8);
    return c;
  },
  interestingByte(b, r) {
    const c = b.slice();
    if (c.length) c[int(r, c.length)] = pick(r, INTERESTING_BYTES);
    return c;
  },
  insertBytes(b, r) {
    const at = int(r, b.length + 1);
    const ins = Uint8Array.from({ length: 1 + int(r, 16) }, () => (r() < 0.5 ? pick(r, INTERESTING_BYTES) : int(r, 256)));
    return concat(b.subarray(0, at), ins, b.subarray(at));
  },
  deleteRange(b, r) {
    const at = int(r, b.length);
    return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 64))));
  },
  truncate(b, r) {
    return b.slice(0, int(r, b.length));
  },
  duplicateRange(b, r) {
    const at = int(r, b.length);
    const len = 1 + int(r, Math.min(512, b.length - at));
    return concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
  },
  chunkLength(b, r) {
    const offs = chunkOffsets(b);
    if (!offs.length) return byteMutations.flipBits(b, r, b);
    const c = b.slice();
    const o = pick(r, offs) + 4;
    const v = r() < 0.5 ? pick(r, INTERESTING_U32) : (new DataView(c.buffer).getUint32(o) + int(r, 64) - 32) >>> 0;
    new DataView(c.buffer).setUint32(o, v);
    return c;
  },
  header(b, r) {
    const c = b.slice();
    if (c.length >= 14) {
      const field = pick(r, [8, 10, 12]);
      new DataView(c.buffer).setUint16(field, r() < 0.5 ? pick(r, [0, 1, 2, 3, 0x7fff, 0x8000, 0xffff, 0xe728]) : int(r, 65536));
    }
    return c;
  },
  endlessVlq(b, r) {
    const offs = chunkOffsets(b).filter((o) => b[o + 2] === 0x72);
    const at = offs.length ? pick(r, offs) + 8 + int(r, 8) : int(r, b.length + 1);
    return concat(b.subarray(0, at), Uint8Array.from({ length: 4 + int(r, 12) }, () => 0xff), b.subarray(at));
  },
  hugeMeta(b, r) {
    // A meta event claiming a length far past the end of the file (tempo, text, end of track).
    const offs = chunkOffsets(b).filter((o) => b[o + 2] === 0x72);
    const at = offs.length ? pick(r, offs) + 8 : int(r, b.length + 1);
    return concat(b.subarray(0, at), Uint8Array.of(0x00, 0xff, pick(r, [0x01, 0x03, 0x2f, 0x51, 0x58, 0x59, 0x7f]), 0x8f, 0xff, 0xff, 0x7f), b.subarray(at));
  },
  runningStatus(b, r) {
    // Status bytes removed: data bytes read as running status, or a stray data byte first.
    const c = b.slice();
    for (let k = 0; k < 4; k++) {
      const i = int(r, c.length);
      if (c[i] >= 0x80 && c[i] < 0xf0) c[i] &= 0x7f;
    }
    return c;
  },
  splice(b, r, other) {
    const at = int(r, b.length);
    const from = int(r, other.length);
    return concat(b.subarray(0, at), other.subarray(from, from + 1 + int(r, 256)), b.subarray(at));
  },
};

export const BYTE_MUTATIONS = Object.keys(byteMutations);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One to four mutations from `table`, each named in `ops` so that a failing case can be told. */
function mutate<T>(table: Record<string, (x: T, r: Rng, other: T) => T>, names: string[], seed: T, other: T, r: Rng): { data: T; ops: string[] } {
  let data = seed;
  const ops: string[] = [];
  for (let k = 1 + int(r, 4); k > 0; k--) {
    const op = pick(r, names);
    ops.push(op);
    data = table[op](data, r, other);
  }
  return { data, ops };
}

export function mutateBytes(seed: Uint8Array, other: Uint8Array, r: Rng): { data: Uint8Array; ops: string[] } {
  return mutate(byteMutations, BYTE_MUTATIONS, seed, other, r);
}

// ---------------------------------------------------------------------------------------------
// ABC

const ABC_CHARS = "|:[]()^_=,'<>/-~.{}!+\"%\\0123456789ABCDEFGabcdefgzxZ \n";
const HEADER_LINES = [
  'K:',
  'K:none',
  'K:Hp',
  'K:C clef=perc',
  'K:Zzz',
  'L:1/1000',
  'L:0/0',
  'L:1/0',
  'L:99999/1',
  'M:1000/1',
  'M:0/0',
  'M:none',
  'M:C|',
  'Q:1/4=0',
  'Q:1/4=100000',
  'Q:-1',
  'V:1',
  'V:2 clef=bass',
  'V:99999',
  '%%MIDI program 200',
  '%%MIDI transpose 1000',
  '%%score (1 2) 3',
  'X:',
  'X:1',
  'T:',
  'P:ABABABABAB',
  'P:(A2B)99999',
  'I:linebreak $',
  'w: la la la',
  '+:',
];
const NOTE_SNIPPETS = [
  'A999999',
  'z9999999',
  'Z99999',
  'A/99999999',
  'A0',
  'A/0',
  '(9:1:100 ABC',
  '(3',
  '(99999:1:1 A',
  '[[[[',
  ']]]]',
  '{{{{ABC',
  '[ACEG][ACEG]16',
  '^^^^^^A',
  "A''''''''''''''''''",
  'A,,,,,,,,,,,,,,,,',
  '|:|:|:|:',
  ':|:|:|',
  '|1|2|3|4|5',
  '[1,2,3,4,5,6,7,8',
  '!trill!!trill!!p!',
  '!unterminated',
  '"chord',
  '"^annotation"',
  'A-A-A-A-',
  'A>>>>>>>B',
  'A<<<<<<<B',
  '\\\n',
  '&&&&',
  '[V:1]',
  '[K:Bb]',
  '[M:7/8]',
  '[L:1/64]',
  '[Q:1/8=1]',
  'y99999',
  '.~HLMOPSTuv',
];
const UNICODE = ['\u0000', '\ufeff', '\u202e', '\ud83c\udfb5', '\udc00', '\u00e9', '\u2014', '\r', '\r\n', '\t', '\u000b'];

type TextMutation = (t: string, r: Rng, other: string) => string;

const textMutations: Record<string, TextMutation> = {
  deleteRange(t, r) {
    const at = int(r, t.length);
    return t.slice(0, at) + t.slice(at + 1 + int(r, 40));
  },
  insertChars(t, r) {
    const at = int(r, t.length + 1);
    let s = '';
    for (let k = 1 + int(r, 12); k > 0; k--) s += ABC_CHARS[int(r, ABC_CHARS.length)];
    return t.slice(0, at) + s + t.slice(at);
  },
  headerLine(t, r) {
    const lines = t.split('\n');
    lines.splice(int(r, lines.length + 1), 0, pick(r, HEADER_LINES));
    return lines.join('\n');
  },
  replaceHeader(t, r) {
    const lines = t.split('\n');
    const idx = lines.map((l, i) => (/^[A-Za-z]:/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (idx.length) lines[pick(r, idx)] = pick(r, HEADER_LINES);
    return lines.join('\n');
  },
  noteSnippet(t, r) {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + pick(r, NOTE_SNIPPETS) + t.slice(at);
  },
  duplicateLines(t, r) {
    const lines = t.split('\n');
    const at = int(r, lines.length);
    const n = 1 + int(r, 4);
    const times = r() < 0.05 ? 200 : 1 + int(r, 3);
    const block = lines.slice(at, at + n);
    for (let k = 0; k < times; k++) lines.splice(at, 0, ...block);
    return lines.join('\n');
  },
  shuffleLines(t, r) {
    const lines = t.split('\n');
    for (let k = 0; k < 3; k++) {
      const i = int(r, lines.length);
      const j = int(r, lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
    }
    return lines.join('\n');
  },
  unicode(t, r) {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + pick(r, UNICODE) + t.slice(at);
  },
  truncate(t, r) {
    return t.slice(0, int(r, t.length));
  },
  bigNumber(t, r) {
    const digits = [...t.matchAll(/\d+/g)];
    if (!digits.length) return t + '9999999';
    const m = pick(r, digits);
    return t.slice(0, m.index) + pick(r, ['0', '9999999', '4294967296', '1e309', '-1', '00000000001']) + t.slice(m.index! + m[0].length);
  },
  splice(t, r, other) {
    const at = int(r, t.length + 1);
    const from = int(r, other.length);
    return t.slice(0, at) + other.slice(from, from + 1 + int(r, 200)) + t.slice(at);
  },
};

export const TEXT_MUTATIONS = Object.keys(textMutations);

export function mutateText(seed: string, other: string, r: Rng): { data: string; ops: string[] } {
  return mutate(textMutations, TEXT_MUTATIONS, seed, other, r);
}
