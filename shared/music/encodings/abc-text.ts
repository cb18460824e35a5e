/**
 * The two encodings of ABC text: abc-char (every character, the MIT lab's char-RNN recipe) and
 * abc-token. abc-token has two spellings, told apart by the spec's `version`: version 1 (no
 * version in the spec; every model trained before issue #14, the default model among them) cuts
 * one token per note-with-length, bar line, repeat mark, header field as written (`tokenizeAbc`,
 * below, unchanged); version 2 (new models) is the canonical factored spelling of abc-tokens.ts:
 * pitch and length as separate tokens as in folk-rnn's vocabulary, one spelling per key, meter,
 * length and bar line, chord symbols kept or removed and counted, `<unk>` for what a vocabulary
 * lacks.
 * The tokenizer is hand-written because abcjs has no token stream to offer; it only cuts text into
 * pieces and never interprets them: parseAbc (abcjs) reads the text again on decode.
 */
import { MusicError } from '../errors';
import { parseAbc } from '../abc/read';
import { normalizeAbc } from '../abc/book';
import { writeAbc } from '../abc/write';
import { emptySequence } from '../sequence';
import { BOS, EOS, UNK, type DecodedTune, type Encoding, type EncodeReport, type EncodingName, type EncodingSpec, type Tune } from './types';
import { detokenizeAbcV2, tokenizeAbcV2, type AbcTokenRemovals } from './abc-tokens';

/** The ABC text an ABC encoding sees for a tune: its own normalized text, or one written from its notes. */
export function abcOf(tune: Tune): string {
  return tune.abc ?? normalizeAbc(writeAbc(tune.sequence, { title: tune.title, repeats: false }));
}

const BODY_TOKEN = new RegExp(
  [
    String.raw`\[[A-Za-z]:[^\]\n]*\]`, // inline field [K:G]
    String.raw`"[^"\n]*"`, // chord symbol or annotation
    String.raw`![^!\n]*!`, // !decoration!
    String.raw`\+[^+\n\s]*\+`, // +decoration+ (old style)
    String.raw`::|:*\|[\]|]?:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|:*|\[\d+(?:[,-]\d+)*`, // bar lines, repeats, endings
    String.raw`(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*\d*(?:\/+\d*)?`, // note with accidental, octave and length
    String.raw`[zZx]\d*(?:\/+\d*)?`, // rests
    String.raw`\(\d(?::\d*)*`, // tuplet
    String.raw`\]\d*(?:\/+\d*)?`, // end of chord with its length
    String.raw`[<>]{1,3}`, // broken rhythm
    String.raw`\{\/?`, // grace notes start (acciaccatura)
    String.raw`[^\s\\]`, // anything else, one character at a time
  ].join('|'),
  'g',
);

/** Cuts normalized ABC into tokens: header fields whole, the body into musical symbols, spaces dropped. */
export function tokenizeAbc(abc: string): string[] {
  const tokens: string[] = [];
  let inBody = false;
  for (const line of abc.split('\n')) {
    if (line === '') continue;
    if (/^[A-Za-z]:/.test(line) && !(inBody && /^[A-Ga-g]:[|:]/.test(line))) {
      const f = line[0];
      if (f === 'X' || f === 'T') continue; // numbering and titles are not music
      const value = line.slice(2).trim();
      if (!inBody) {
        tokens.push(`${f}:${value}`);
        if (f === 'K') inBody = true;
      } else tokens.push(`[${f}:${value}]`);
      continue;
    }
    if (!inBody) continue;
    for (const m of line.matchAll(BODY_TOKEN)) tokens.push(m[0]);
  }
  return tokens;
}

/** Joins abc-token tokens back into a tune: header tokens as lines, the body as lines of 4 bars. */
export function detokenizeAbc(tokens: readonly string[], warnings: string[]): string {
  const head: string[] = ['X:1'];
  let body = '';
  let bars = 0;
  let sawK = false;
  for (const t of tokens) {
    if (!sawK && /^[A-Za-z]:/.test(t)) {
      head.push(t);
      if (t.startsWith('K:')) sawK = true;
      continue;
    }
    if (!sawK) {
      warnings.push('no K: field before the music; assumed K:C');
      head.push('K:C');
      sawK = true;
    }
    if (/^[A-Za-z]:/.test(t)) body += `[${t}]`;
    else body += t;
    if (/\|/.test(t) && ++bars % 4 === 0) body += '\n';
  }
  if (!sawK) head.push('K:C');
  if (!head.some((h) => h.startsWith('L:'))) head.splice(1, 0, 'L:1/8');
  return head.join('\n') + '\n' + body.replace(/\n+$/, '') + '\n';
}

function decodeAbcText(text: string, warnings: string[]): DecodedTune {
  const r = parseAbc(text, { file: 'generated' });
  for (const e of r.errors) warnings.push(e.message);
  const t = r.tunes[0];
  if (!t) return { abc: text, sequence: emptySequence(), warnings };
  for (const w of t.warnings) warnings.push((w.line ? `line ${w.line}: ` : '') + w.message);
  return { abc: text, sequence: t.sequence, warnings };
}

/** How an ABC encoding spells: its name, version and (version 2) chord policy. */
export interface AbcSpelling {
  name: 'abc-char' | 'abc-token';
  version: 1 | 2;
  chords: 'keep' | 'drop';
}

/**
 * What learning saw of one tune: its text, its tokens as ids into the vocabulary being learned
 * (before sorting) and what the tokenizer removed. encode() reads them instead of cutting the text
 * a second time (the engine and the benches learn a vocabulary from the tunes they then encode).
 */
interface LearnedTune {
  abc: string;
  ids: Uint16Array;
  chordSymbols: number;
  annotations: number;
  ignoredMarks: number;
}

/** Tokens learned per tune, and how the learning order maps to the sorted vocabulary's ids. */
interface LearnedTokens {
  tunes: WeakMap<Tune, LearnedTune>;
  /** learning id -> vocabulary id (the vocabulary sorted, specials first). */
  ids: Int32Array;
}

class AbcTextEncoding implements Encoding {
  readonly bos = 0;
  readonly eos = 1;
  readonly unk?: number;
  readonly name: EncodingName;
  readonly version: 1 | 2;
  private readonly index: Map<string, number>;
  /** Set by learnAbcEncoding: the tokens of the tunes it learned from, each read once by encode(). */
  learned?: LearnedTokens;

  constructor(
    private readonly spelling: AbcSpelling,
    readonly tokens: readonly string[],
  ) {
    this.name = spelling.name;
    this.version = spelling.version;
    this.index = new Map(tokens.map((t, i) => [t, i]));
    if (spelling.version === 2) this.unk = this.index.get(UNK);
  }

  tokenize(abc: string): string[] {
    return this.split(abc);
  }

  private split(abc: string, removed?: AbcTokenRemovals, source?: Tune['source']): string[] {
    if (this.name === 'abc-char') return abcCharTokens(abc);
    if (this.version === 1) return tokenizeAbc(abc);
    return tokenizeAbcV2(abc, { chords: this.spelling.chords, source }, removed);
  }

  encode(tune: Tune, report?: EncodeReport): number[] {
    const fast = this.learned && this.encodeLearned(tune, report);
    if (fast) return fast;
    const ids = [this.bos];
    const removed = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 };
    for (const t of this.split(abcOf(tune), removed, tune.source)) {
      const id = this.index.get(t);
      if (id !== undefined && id >= 2 && id !== this.unk) {
        ids.push(id);
        continue;
      }
      if (!report && this.unk === undefined) throw new MusicError('unencodable', `${JSON.stringify(t)} is not in the ${this.name} vocabulary`, { file: tune.source.file, tune: tune.source.index, line: tune.source.line });
      if (report && this.version === 1 && this.name === 'abc-token' && /^"/.test(t)) {
        // A version-1 vocabulary without this chord symbol or annotation ("^text"): removed, counted.
        if (/^"[\^_<>@]/.test(t)) report.annotations++;
        else report.chordSymbols++;
        continue;
      }
      if (report) {
        report.unknown++;
        report.unknownTokens[t] = (report.unknownTokens[t] ?? 0) + 1;
      }
      if (this.unk !== undefined) ids.push(this.unk);
    }
    if (report) {
      report.chordSymbols += removed.chordSymbols;
      report.annotations += removed.annotations;
      report.ignoredMarks += removed.ignoredMarks;
    }
    ids.push(this.eos);
    return ids;
  }

  /**
   * A tune this vocabulary was learned from, with the same text: its ids from the tokens learning
   * cut (every one is in the vocabulary), the same as cutting the text again. Read once: the
   * tokens are dropped after (a second encode cuts the text). Null when learning did not keep the
   * tune (another tune, its text changed, or a token that is a special).
   */
  private encodeLearned(tune: Tune, report?: EncodeReport): number[] | null {
    const learned = this.learned!;
    const t = learned.tunes.get(tune);
    if (!t) return null;
    learned.tunes.delete(tune);
    if (tune.abc !== t.abc) return null;
    const n = t.ids.length;
    const ids = new Array<number>(n + 2);
    ids[0] = this.bos;
    const map = learned.ids;
    for (let i = 0; i < n; i++) {
      const id = map[t.ids[i]];
      if (id < 2 || id === this.unk) return null;
      ids[i + 1] = id;
    }
    ids[n + 1] = this.eos;
    if (report) {
      report.chordSymbols += t.chordSymbols;
      report.annotations += t.annotations;
      report.ignoredMarks += t.ignoredMarks;
    }
    return ids;
  }

  decode(ids: ArrayLike<number>): DecodedTune {
    const warnings: string[] = [];
    const parts: string[] = [];
    let unknown = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.bos && i === 0) continue;
      if (id === this.eos) {
        if (i < ids.length - 1) warnings.push(`ignored ${ids.length - 1 - i} tokens after the end of the tune`);
        break;
      }
      if (id === this.unk) {
        unknown++;
        continue;
      }
      const t = Number.isInteger(id) ? this.tokens[id] : undefined;
      if (t === undefined || id < 2) {
        warnings.push(`token id ${id} at position ${i} is not in the vocabulary; skipped`);
        continue;
      }
      parts.push(t);
    }
    if (unknown) warnings.push(`left out ${unknown} unknown token${unknown === 1 ? '' : 's'} (${UNK})`);
    if (this.name === 'abc-char') {
      let text = parts.join('');
      // A char model may run on into the next tune: keep the first.
      const second = text.search(/\n(?=X:)/);
      if (second >= 0 && text.slice(0, second).includes('K:')) {
        warnings.push('the text continues with another tune; kept the first');
        text = text.slice(0, second + 1);
      }
      if (!/^X:/m.test(text)) text = 'X:1\n' + text;
      return decodeAbcText(text, warnings);
    }
    return decodeAbcText(this.version === 2 ? detokenizeAbcV2(parts, warnings) : detokenizeAbc(parts, warnings), warnings);
  }

  toSpec(): EncodingSpec {
    if (this.version === 2) return { name: this.name, version: 2, chords: this.spelling.chords, tokens: [...this.tokens] };
    return { name: this.name, tokens: [...this.tokens] };
  }
}

export function abcCharTokens(abc: string): string[] {
  return Array.from(abc);
}

/**
 * An ABC encoding over a vocabulary. abc-token: version 1 unless asked (old specs have no version);
 * a version-2 vocabulary must hold `<unk>` at id 2.
 */
export function makeAbcEncoding(name: 'abc-char' | 'abc-token', tokens: readonly string[], opts: { version?: 1 | 2; chords?: 'keep' | 'drop' } = {}): Encoding {
  const version = name === 'abc-token' ? (opts.version ?? 1) : 1;
  if (version === 2 && tokens[2] !== UNK) throw new MusicError('bad-spec', `abc-token version 2: the vocabulary must hold "${UNK}" at id 2`);
  return new AbcTextEncoding({ name, version, chords: opts.chords ?? 'drop' }, tokens);
}

/**
 * The current spelling of abc-token for new models: version 2 (canonical, factored), chord symbols
 * removed and counted unless `chords: 'keep'`.
 */
export const CURRENT_ABC_TOKEN_VERSION = 2;

/**
 * Learns the vocabulary: specials first (<s> = 0, </s> = 1, and for abc-token version 2 <unk> = 2),
 * then the tokens seen, sorted. abc-token is learned in the current spelling (version 2) unless
 * `version: 1` is asked.
 */
export function learnAbcEncoding(name: 'abc-char' | 'abc-token', tunes: Iterable<Tune>, opts: { version?: 1 | 2; chords?: 'keep' | 'drop' } = {}): Encoding {
  const version = name === 'abc-token' ? (opts.version ?? CURRENT_ABC_TOKEN_VERSION) : 1;
  const chords = opts.chords ?? 'drop';
  // Tokens get ids in the order they are first seen; each tune with ABC text keeps its ids for
  // encode(), which maps them to the sorted vocabulary's (the text is cut once, not twice).
  const seen = new Map<string, number>();
  const seenTokens: string[] = [];
  const kept = new WeakMap<Tune, LearnedTune>();
  const idOf = (t: string): number => {
    let id = seen.get(t);
    if (id === undefined) {
      id = seenTokens.length;
      seen.set(t, id);
      seenTokens.push(t);
    }
    return id;
  };
  // abc-char: the id of each UTF-16 unit once looked up (characters outside the BMP through the Map).
  const unitIds = name === 'abc-char' ? new Int32Array(0x10000).fill(-1) : null;
  for (const tune of tunes) {
    const abc = abcOf(tune);
    const removed = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 };
    let ids: Uint16Array;
    let fits = true;
    if (unitIds) {
      // The characters as abcCharTokens (Array.from) cuts them: code points, a surrogate pair as one.
      const all = new Uint16Array(abc.length);
      let n = 0;
      for (let i = 0; i < abc.length; i++) {
        const c = abc.charCodeAt(i);
        let id: number;
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < abc.length && (abc.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          id = idOf(abc.slice(i, i + 2));
          i++;
        } else {
          id = unitIds[c];
          if (id < 0) id = unitIds[c] = idOf(abc[i]);
        }
        if (id > 0xffff) fits = false;
        all[n++] = id;
      }
      ids = n === abc.length ? all : all.slice(0, n);
    } else {
      const toks = version === 1 ? tokenizeAbc(abc) : tokenizeAbcV2(abc, { chords }, removed);
      ids = new Uint16Array(toks.length);
      for (let i = 0; i < toks.length; i++) {
        const id = idOf(toks[i]);
        if (id > 0xffff) fits = false;
        ids[i] = id;
      }
    }
    // Only a tune's own text is kept to (a tune written from its notes could change under it).
    if (fits && tune.abc !== undefined) kept.set(tune, { abc: tune.abc, ids, chordSymbols: removed.chordSymbols, annotations: removed.annotations, ignoredMarks: removed.ignoredMarks ?? 0 });
  }
  const specials = version === 2 ? [BOS, EOS, UNK] : [BOS, EOS];
  const vocabulary = seenTokens.filter((t) => t !== BOS && t !== EOS && t !== UNK).sort();
  const encoding = makeAbcEncoding(name, [...specials, ...vocabulary], { version: version as 1 | 2, chords }) as AbcTextEncoding;
  // learning id -> vocabulary id; a special seen in a tune maps below 2 (or to <unk>) and that
  // tune is cut again when encoded, as before.
  const index = new Map(encoding.tokens.map((t, i) => [t, i]));
  const map = new Int32Array(seenTokens.length);
  for (let i = 0; i < seenTokens.length; i++) map[i] = index.get(seenTokens[i])!;
  encoding.learned = { tunes: kept, ids: map };
  return encoding;
}
