/**
 * Corpus bookkeeping without file access (the renderer may use it on texts it already has):
 * reading one file's tunes, de-duplication by melody, the deterministic train/validation split and
 * the statistics. corpus/files.ts adds the file system (folders, globs) for Node.
 */
import { parseAbc, type AbcReadOptions } from '../abc/read';
import { MusicError } from '../errors';
import { readMidi } from '../midi/read';
import { monophonic, quantize } from '../sequence';
import { BOS, EOS, UNK, buildEncoding, encodingFromSpec, type Encoding, type EncodingName, type Tune } from '../encodings/index';
import { abcOf, tokenizeAbc, CURRENT_ABC_TOKEN_VERSION } from '../encodings/abc-text';
import { tokenizeAbcV2 } from '../encodings/abc-tokens';
import { MelodyEventEncoding, MidiEventEncoding } from '../encodings/events';
import { keyName } from '../abc/write';
import type { NoteSequence } from '../types';

export type Split = 'train' | 'validation';

export interface CorpusOptions {
  /** Share of tunes (by melody) that go to validation. Default 0.1. */
  validationFraction?: number;
  /** Seed of the split: the same seed and tunes give the same split, in any file order. Default 1. */
  seed?: number;
  /** Drop tunes whose melody (transposition and tempo aside) is already in the corpus. Default true. */
  dedupe?: boolean;
  /** Count tokens (and learn vocabularies) for these encodings while loading. */
  encodings?: EncodingName[];
  /**
   * The abc-token spelling those counts and the learned vocabulary use: the model's (its encoding
   * spec's version and chords). Default: the spelling new models learn (version 2, chord symbols
   * removed), as buildEncoding does; `version: 1` counts as the default model (trained before #14) spells.
   */
  abcToken?: { version?: 1 | 2; chords?: 'keep' | 'drop' };
  /** How ABC files are read (voices, grace notes). */
  abc?: Omit<AbcReadOptions, 'file'>;
  /** Which MIDI tracks become the tune: the melody track (default) or all non-drum tracks. */
  midiTracks?: 'melody' | 'all';
}

/** One tune kept in the corpus (metadata only: the notes are read again when iterated). */
export interface CorpusEntry {
  file: string;
  index: number;
  line: number;
  title?: string;
  split: Split;
}

export interface CorpusError {
  code: string;
  message: string;
  file: string;
  tune?: number;
  line?: number;
}

export interface CorpusFileReport {
  file: string;
  tunes: number;
  duplicates: number;
  errors: CorpusError[];
}

export interface TokenStats {
  total: number;
  vocabulary: number;
  meanPerTune: number;
  maxPerTune: number;
}

export interface CorpusStats {
  files: number;
  /** Tunes kept (after de-duplication). */
  tunes: number;
  train: number;
  validation: number;
  duplicates: number;
  /** Tunes or files that could not be read. */
  errors: number;
  notes: number;
  /** Length of the tunes in quarter notes (repeats expanded). */
  durations: { min: number; median: number; max: number; total: number };
  /** "6/8" -> number of tunes ("none" without meter). */
  meters: Record<string, number>;
  /** "D", "Ador" ... -> number of tunes ("none" without key). */
  keys: Record<string, number>;
  pitchRange: { min: number; max: number } | null;
  tokens?: Partial<Record<EncodingName, TokenStats>>;
}

export interface ReadTunesResult {
  tunes: Tune[];
  errors: CorpusError[];
}

export function isAbcFile(name: string): boolean {
  return /\.abc$/i.test(name);
}
export function isMidiFile(name: string): boolean {
  return /\.(mid|midi|kar|smf)$/i.test(name);
}

function toCorpusError(e: unknown, file: string): CorpusError {
  if (e instanceof MusicError) return { code: e.code, message: e.message, file, tune: e.tune, line: e.line };
  return { code: 'io', message: `${file}: ${(e as Error)?.message ?? String(e)}`, file };
}

/** The tunes of one file, by its extension (.abc, or .mid/.midi/.kar). Never throws. */
export function readTunes(file: string, content: Uint8Array | string, opts: CorpusOptions = {}): ReadTunesResult {
  try {
    if (isMidiFile(file)) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      const r = readMidi(bytes, { file, tracks: opts.midiTracks ?? 'melody' });
      if (r.sequence.notes.length === 0) return { tunes: [], errors: [{ code: 'midi-no-notes', message: `${file}: no notes in the melody track`, file }] };
      const title = r.sequence.title ?? file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
      return { tunes: [{ title, sequence: r.sequence, source: { file, index: 0, line: 1 } }], errors: [] };
    }
    const text = typeof content === 'string' ? content : new TextDecoder('utf-8').decode(content);
    const r = parseAbc(text, { ...opts.abc, file });
    return {
      tunes: r.tunes.map((t) => ({ title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: t.index, line: t.line } })),
      errors: r.errors.map((e) => toCorpusError(e, file)),
    };
  } catch (e) {
    return { tunes: [], errors: [toCorpusError(e, file)] };
  }
}

/** 53-bit FNV-1a style hash (two 32-bit halves), good enough to tell melodies apart. */
export function hash53(s: string, seed = 0): number {
  let h1 = 0x811c9dc5 ^ seed;
  let h2 = 0x01000193 ^ Math.imul(seed, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 15), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h2 >>> 0) * 0x200000 + ((h1 >>> 0) & 0x1fffff);
}

/**
 * The de-duplication key: the highest-note melody on a 12-per-quarter grid, pitches relative to
 * the first note, so the same tune in another key, tempo or octave counts as the same.
 */
export function melodyHash(seq: NoteSequence): number {
  const q = monophonic(quantize(seq, { stepsPerQuarter: 12 }));
  if (!q.notes.length) return 0;
  const p0 = q.notes[0].pitch;
  const t0 = q.notes[0].start;
  let s = '';
  for (const n of q.notes) s += `${n.pitch - p0},${Math.round((n.start - t0) * 12)},${Math.round((n.end - n.start) * 12)};`;
  return hash53(s);
}

/** Which split a melody belongs to: a hash of the melody and the seed, so file order does not matter. */
export function splitOf(melody: number, seed: number, validationFraction: number): Split {
  const u = hash53(String(melody), seed) / 2 ** 53;
  return u < validationFraction ? 'validation' : 'train';
}

/** Token counting per encoding; abc vocabularies are learned from what is counted. */
class TokenCounter {
  total = 0;
  max = 0;
  tunes = 0;
  vocab = new Set<string>();
  /** abc-token's spelling (see CorpusOptions.abcToken). */
  readonly version: 1 | 2;
  readonly chords: 'keep' | 'drop';
  constructor(
    readonly name: EncodingName,
    spelling: CorpusOptions['abcToken'] = {},
  ) {
    this.version = name === 'abc-token' ? (spelling.version ?? (CURRENT_ABC_TOKEN_VERSION as 1 | 2)) : 1;
    this.chords = spelling.chords ?? 'drop';
  }
  add(tune: Tune): void {
    let n: number;
    switch (this.name) {
      case 'abc-char': {
        const text = abcOf(tune);
        for (const ch of text) this.vocab.add(ch);
        n = Array.from(text).length + 2;
        break;
      }
      case 'abc-token': {
        const toks = this.version === 2 ? tokenizeAbcV2(abcOf(tune), { chords: this.chords }) : tokenizeAbc(abcOf(tune));
        for (const t of toks) this.vocab.add(t);
        n = toks.length + 2;
        break;
      }
      case 'melody-event': {
        const m = MelodyEventEncoding.reduce(tune.sequence);
        n = Math.round(m.notes.reduce((x, y) => Math.max(x, y.end), 0) * 4) + 2;
        break;
      }
      case 'midi-event':
        n = new MidiEventEncoding().encode(tune).length;
        break;
    }
    this.total += n;
    this.max = Math.max(this.max, n);
    this.tunes++;
  }
  stats(): TokenStats {
    const vocabulary = this.name === 'melody-event' ? 132 : this.name === 'midi-event' ? new MidiEventEncoding().tokens.length : this.vocabulary().length;
    return { total: this.total, vocabulary, meanPerTune: this.tunes ? this.total / this.tunes : 0, maxPerTune: this.max };
  }
  /** The vocabulary buildEncoding would learn from the tunes counted: specials first, then the tokens sorted. */
  vocabulary(): string[] {
    const specials = this.version === 2 ? [BOS, EOS, UNK] : [BOS, EOS];
    return [...specials, ...[...this.vocab].filter((t) => !specials.includes(t) && t !== UNK).sort()];
  }
  /** The encoding of that vocabulary (abc-char, abc-token). */
  encoding(): Encoding {
    const name = this.name as 'abc-char' | 'abc-token';
    return encodingFromSpec(this.version === 2 ? { name, version: 2, chords: this.chords, tokens: this.vocabulary() } : { name, tokens: this.vocabulary() });
  }
}

/**
 * Accumulates files into a corpus: call add() per file (in any order), then finish(). Holds the
 * melody hashes and entry metadata only, never the notes of earlier files.
 */
/** What the corpus stats need of one tune: small enough to send between threads and to keep. */
export interface TuneFacts {
  melody: number;
  index: number;
  line: number;
  title?: string;
  notes: number;
  totalTime: number;
  meter: string;
  key: string;
  minPitch: number;
  maxPitch: number;
}

export interface FileSummary {
  file: string;
  tunes: TuneFacts[];
  errors: CorpusError[];
}

export function tuneFacts(tune: Tune): TuneFacts {
  const s = tune.sequence;
  const ts = s.timeSignatures[0];
  let minPitch = 128;
  let maxPitch = -1;
  for (const n of s.notes) {
    if (n.pitch < minPitch) minPitch = n.pitch;
    if (n.pitch > maxPitch) maxPitch = n.pitch;
  }
  return {
    melody: melodyHash(s),
    index: tune.source.index,
    line: tune.source.line,
    title: tune.title,
    notes: s.notes.length,
    totalTime: s.totalTime,
    meter: ts ? `${ts.numerator}/${ts.denominator}` : 'none',
    key: s.keySignatures[0] ? keyName(s.keySignatures[0]) : 'none',
    minPitch,
    maxPitch,
  };
}

export function summarizeTunes(file: string, read: ReadTunesResult): FileSummary {
  return { file, tunes: read.tunes.map(tuneFacts), errors: read.errors };
}

export class CorpusBuilder {
  readonly entries: CorpusEntry[] = [];
  readonly files: CorpusFileReport[] = [];
  private readonly seen = new Set<number>();
  private readonly counters: TokenCounter[];
  private readonly durations: number[] = [];
  private meters: Record<string, number> = {};
  private keys: Record<string, number> = {};
  private notes = 0;
  private duplicates = 0;
  private errors = 0;
  private minPitch = 128;
  private maxPitch = -1;
  private readonly fraction: number;
  private readonly seed: number;

  constructor(private readonly opts: CorpusOptions = {}) {
    this.counters = (opts.encodings ?? []).map((e) => new TokenCounter(e, opts.abcToken));
    this.fraction = opts.validationFraction ?? 0.1;
    this.seed = opts.seed ?? 1;
    if (!(this.fraction >= 0 && this.fraction <= 1)) throw new RangeError(`validationFraction must be between 0 and 1, got ${this.fraction}`);
  }

  /** Adds one file's tunes; returns the tunes that were kept, with their split. */
  add(file: string, read: ReadTunesResult): { tune: Tune; split: Split }[] {
    const kept: { tune: Tune; split: Split }[] = [];
    const report = this.startFile(file, read.errors);
    for (const tune of read.tunes) {
      const split = this.accept(file, report, tuneFacts(tune));
      if (split === null) continue;
      for (const c of this.counters) c.add(tune);
      kept.push({ tune, split });
    }
    return kept;
  }

  /**
   * Adds one file from its summary (summarizeTunes, computed where the file was parsed): the same
   * stats as add() except token counts, without the tunes' notes crossing threads or being kept.
   */
  addSummary(summary: FileSummary): void {
    const report = this.startFile(summary.file, summary.errors);
    for (const facts of summary.tunes) this.accept(summary.file, report, facts);
  }

  private startFile(file: string, errors: CorpusError[]): CorpusFileReport {
    const report: CorpusFileReport = { file, tunes: 0, duplicates: 0, errors };
    this.errors += errors.length;
    this.files.push(report);
    return report;
  }

  /** Counts one tune unless it is a duplicate (null); returns its split. */
  private accept(file: string, report: CorpusFileReport, t: TuneFacts): Split | null {
    if ((this.opts.dedupe ?? true) && this.seen.has(t.melody)) {
      report.duplicates++;
      this.duplicates++;
      return null;
    }
    this.seen.add(t.melody);
    const split = splitOf(t.melody, this.seed, this.fraction);
    this.entries.push({ file, index: t.index, line: t.line, title: t.title, split });
    report.tunes++;
    this.notes += t.notes;
    this.durations.push(t.totalTime);
    this.meters[t.meter] = (this.meters[t.meter] ?? 0) + 1;
    this.keys[t.key] = (this.keys[t.key] ?? 0) + 1;
    if (t.notes > 0) {
      if (t.minPitch < this.minPitch) this.minPitch = t.minPitch;
      if (t.maxPitch > this.maxPitch) this.maxPitch = t.maxPitch;
    }
    return split;
  }

  finish(): CorpusStats {
    const d = this.durations.slice().sort((a, b) => a - b);
    const stats: CorpusStats = {
      files: this.files.length,
      tunes: this.entries.length,
      train: this.entries.filter((e) => e.split === 'train').length,
      validation: this.entries.filter((e) => e.split === 'validation').length,
      duplicates: this.duplicates,
      errors: this.errors,
      notes: this.notes,
      durations: { min: d[0] ?? 0, median: d[d.length >> 1] ?? 0, max: d[d.length - 1] ?? 0, total: d.reduce((a, b) => a + b, 0) },
      meters: sortCounts(this.meters),
      keys: sortCounts(this.keys),
      pitchRange: this.maxPitch >= 0 ? { min: this.minPitch, max: this.maxPitch } : null,
    };
    if (this.counters.length) {
      stats.tokens = {};
      for (const c of this.counters) stats.tokens[c.name] = c.stats();
    }
    return stats;
  }

  /** Encodings whose vocabularies were learned while loading (for the names in opts.encodings). */
  encodings(): Partial<Record<EncodingName, Encoding>> {
    const out: Partial<Record<EncodingName, Encoding>> = {};
    for (const c of this.counters) {
      if (c.name === 'abc-char' || c.name === 'abc-token') out[c.name] = c.encoding();
      else out[c.name] = buildEncoding(c.name, []);
    }
    return out;
  }
}

function sortCounts(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
