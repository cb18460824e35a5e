/**
 * Measures of how tune-like a set of ABC tunes is, computed with the same code for a model's takes
 * and for real tunes (scripts/quality-report.ts prints them side by side), and the held-out
 * cross-entropy of a model on tunes it never trained on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StepModel } from './step';
import { parseAbc } from '@shared/music/abc/read';
import { normalizeAbc } from '@shared/music/abc/book';
import { tokenizeAbc } from '@shared/music/encodings/abc-text';
import type { Mode, NoteSequence } from '@shared/music/types';
import { MODES, modeOf } from '@shared/music/key';

// ---------------------------------------------------------------------------------------------
// Per-tune measures

/** Bar lines, repeats and first/second endings as the abc-token tokenizer cuts them. */
const BAR = /^(?:::|:*\|[\]|]?:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|:*|\[\d+(?:[,-]\d+)*)$/;
/** What is not the music of a bar: chord symbols, decorations (also ~ and the letter ones), slurs, inline fields. */
const NOT_MUSIC = /^(?:"|!|\+|\[[A-Za-z]:|[~.HLMOPSTuv()]$)/;

/** "D Major" and "D", "A Dorian" and "ADor" are the same key (the two corpora spell them differently). */
export function normalizeKey(k: string): string {
  const m = /^\s*([A-G][#b]?)\s*([A-Za-z]*)/.exec(k);
  if (!m) return k.trim();
  // The modes through the one key table (shared/music/key.ts): major '', minor 'm', others 'dor', 'mix'...
  const mode = modeOf(m[2]);
  if (!mode) return m[1] + m[2].toLowerCase();
  const family = MODES[mode].family;
  return m[1] + (family === 'major' ? '' : family === 'minor' ? 'm' : MODES[mode].short);
}

/**
 * The bars of a tune as strings of its note, rest and rhythm tokens, with the key in front (the
 * same letters mean other pitches in another key). Empty bars (double bar lines, a leading bar
 * line) are dropped so that repeat signs do not break a run.
 */
export function barsOf(abc: string): string[] {
  const text = normalizeAbc(abc);
  const key = normalizeKey(/^K:(.*)$/m.exec(text)?.[1] ?? 'C');
  const bars: string[] = [];
  let cur: string[] = [];
  const close = () => {
    if (cur.length) bars.push(`${key}|${cur.join(' ')}`);
    cur = [];
  };
  for (const t of tokenizeAbc(text)) {
    if (/^[A-Za-z]:/.test(t)) continue; // header
    if (BAR.test(t)) close();
    else if (!NOT_MUSIC.test(t)) cur.push(t);
  }
  close();
  return bars;
}

/** Index of every bar position in the training tunes, for the copied-run search. */
export class BarIndex {
  private readonly where = new Map<string, number[]>();
  private readonly tunes: string[][] = [];

  add(bars: string[]): void {
    const t = this.tunes.length;
    this.tunes.push(bars);
    bars.forEach((b, i) => {
      let list = this.where.get(b);
      if (!list) this.where.set(b, (list = []));
      list.push(t * 100_000 + i);
    });
  }

  /** Longest run of consecutive bars of `bars` that also stand consecutively in one training tune. */
  longestCopiedRun(bars: string[]): number {
    let best = 0;
    let prev = new Map<number, number>(); // position in the training set -> run length ending there
    for (const b of bars) {
      const next = new Map<number, number>();
      for (const pos of this.where.get(b) ?? []) {
        const run = (prev.get(pos - 1) ?? 0) + 1;
        next.set(pos, run);
        if (run > best) best = run;
      }
      prev = next;
    }
    return best;
  }
}

/** Pitch classes of the key signature's scale (its relative major's): what "in key" means here. */
export function scaleOf(accidentals: number): Set<number> {
  const tonic = (((accidentals * 7) % 12) + 12) % 12;
  return new Set([0, 2, 4, 5, 7, 9, 11].map((s) => (tonic + s) % 12));
}

export interface TuneFigures {
  notes: number;
  bars: number;
  /** Highest minus lowest pitch, semitones. */
  range: number;
  /** Share of notes whose pitch class belongs to the key signature's scale. */
  inKey: number;
}

export function figuresOf(seq: NoteSequence, bars: number): TuneFigures {
  const pitches = seq.notes.map((n) => n.pitch);
  const key = seq.keySignatures[0];
  const scale = scaleOf(key?.accidentals ?? 0);
  const inKey = pitches.length ? pitches.filter((p) => scale.has(p % 12)).length / pitches.length : 0;
  return { notes: pitches.length, bars, range: pitches.length ? Math.max(...pitches) - Math.min(...pitches) : 0, inKey };
}

export interface AbcjsCheck {
  ok: boolean;
  /** Parsed, but abcjs warned (counted as a failure for `ok`). */
  warnings: string[];
  error?: string;
  sequence?: NoteSequence;
}

export function checkWithAbcjs(abc: string): AbcjsCheck {
  const r = parseAbc(abc, { file: 'generated' });
  if (r.errors.length || !r.tunes.length) return { ok: false, warnings: [], error: r.errors[0]?.message ?? 'no tune' };
  const t = r.tunes[0];
  const warnings = t.warnings.map((w) => w.message);
  return { ok: warnings.length === 0 && r.tunes.length === 1, warnings, sequence: t.sequence };
}

export interface BarLengthWarning {
  /** abc2midi's bar number (0 = the bars before the first bar line: a pickup). */
  bar: number;
  line: number;
  column: number;
  /** abc2midi says "in repeat": the warning comes from playing a repeated passage again. */
  inRepeat: boolean;
}

export interface Abc2midiCheck {
  ok: boolean;
  errors: string[];
  warnings: number;
  /** Every "Bar N has X time units while the time signature has Y", in and outside repeats. */
  barLength: BarLengthWarning[];
}

export function checkWithAbc2midi(exe: string, abc: string, dir: string, n: number): Abc2midiCheck {
  const src = path.join(dir, `t${n}.abc`);
  const out = path.join(dir, `t${n}.mid`);
  writeFileSync(src, abc.replace(/\n*$/, '\n'));
  const r = spawnSync(exe, [src, '-o', out], { encoding: 'utf8', timeout: 30_000 });
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n');
  const errors = lines.filter((l) => /^\s*Error\b/.test(l));
  const wrote = existsSync(out);
  if (r.status !== 0) errors.push(`exit code ${r.status ?? r.signal}`);
  if (!wrote) errors.push('no MIDI file written');
  rmSync(src, { force: true });
  rmSync(out, { force: true });
  const barLength: BarLengthWarning[] = [];
  for (const l of lines) {
    const m = /line-char (\d+)-(\d+)\s*:.*Bar (\d+) has [\d/]+ time units while the time signature has/.exec(l);
    if (m) barLength.push({ line: Number(m[1]), column: Number(m[2]), bar: Number(m[3]), inRepeat: /in repeat\s*$/.test(l) });
  }
  return { ok: errors.length === 0, errors, warnings: lines.filter((l) => /^\s*Warning\b/.test(l)).length, barLength };
}

/** Line (1-based) and column (0-based) where the last bar line of the tune text starts. */
export function lastBarLineAt(abc: string): { line: number; column: number } | null {
  const lines = abc.replace(/\n*$/, '').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const text = lines[i];
    if (/^[A-Za-z]:/.test(text) || text.startsWith('%')) continue;
    const runs = [...text.matchAll(/[:[\]|0-9]*\|[:[\]|0-9]*/g)];
    const last = runs.at(-1);
    if (last) return { line: i + 1, column: last.index! };
  }
  return null;
}

/**
 * The wrong-length bars of a tune: abc2midi's bar-length warnings except the pickup (bar 0) and the
 * last bar (at or after the last bar line), each bar once whether warned outside a repeat, inside
 * one ("in repeat", when the passage is played again), or both.
 */
export function wrongLengthBars(abc: string, warnings: BarLengthWarning[]): { bars: number; outsideRepeats: number } {
  const end = lastBarLineAt(abc);
  const isLast = (w: BarLengthWarning) => !!end && (w.line > end.line || (w.line === end.line && w.column >= end.column));
  const all = new Set<number>();
  const outside = new Set<number>();
  for (const w of warnings) {
    if (w.bar === 0 || isLast(w)) continue;
    all.add(w.bar);
    if (!w.inRepeat) outside.add(w.bar);
  }
  return { bars: all.size, outsideRepeats: outside.size };
}

// ---------------------------------------------------------------------------------------------
// Form: sections, ending, header

/**
 * Bars of each section in order. A section ends at a repeat sign, a double bar or a final bar; a
 * pickup counts as a bar (so an 8-bar strain with a pickup counts 9, its last bar being short), and
 * the bars of a second ending are not counted (they replace the first ending's).
 */
export function sectionsOf(abc: string): number[] {
  const text = normalizeAbc(abc);
  const sections: number[] = [];
  let bars = 0;
  let music = false;
  let secondEnding = false;
  const close = () => {
    if (bars > 0) sections.push(bars);
    bars = 0;
  };
  for (const t of tokenizeAbc(text)) {
    if (/^[A-Za-z]:/.test(t)) continue;
    if (!BAR.test(t)) {
      if (!NOT_MUSIC.test(t) && /[A-Ga-gzxZ]/.test(t)) music = true;
      continue;
    }
    if (music && !secondEnding) bars++;
    music = false;
    const startsSecond = /2/.test(t) && !/1/.test(t);
    const boundary = t.startsWith(':') || t.endsWith(':') || t.includes('||') || t.includes('|]') || t.startsWith('[|');
    if (startsSecond) {
      close();
      secondEnding = true;
    } else if (boundary) {
      if (secondEnding) {
        secondEnding = false;
        bars = 0;
      } else close();
    }
  }
  if (music && !secondEnding) bars++;
  close();
  return sections;
}

/** AABB-shaped: the first two sections are 7-9 bars each (8-bar strains, a pickup or a short last bar allowed). */
export function isAabb(sections: number[]): boolean {
  return sections.length >= 2 && sections.slice(0, 2).every((b) => b >= 7 && b <= 9);
}


/** Whether the last note (of the notes starting last, the last written) has the key's tonic pitch class. */
export function endsOnTonic(seq: NoteSequence): boolean | null {
  const key = seq.keySignatures[0];
  if (!key || !seq.notes.length) return null;
  let last = seq.notes[0];
  for (const n of seq.notes) if (n.start >= last.start) last = n;
  return ((last.pitch % 12) + 12) % 12 === key.tonic;
}

/** "C" -> 4/4, "C|" -> 2/2, spaces dropped. */
export function normalizeMeter(m: string): string {
  const t = m.replace(/\s+/g, '');
  return t === 'C' ? '4/4' : t === 'C|' ? '2/2' : t;
}

export interface TuneMeasures {
  hasMeter: boolean;
  hasKey: boolean;
  meter: string | null;
  key: string | null;
  mode: string | null;
  tonicEnding: boolean | null;
  sections: number[];
  aabb: boolean;
  bars: string[];
  sequence?: NoteSequence;
  abcjs: AbcjsCheck;
}

export function measureTune(abc: string): TuneMeasures {
  const text = normalizeAbc(abc);
  const body = text.split('\n');
  const field = (f: string) => body.find((l) => l.startsWith(`${f}:`))?.slice(2).trim() ?? null;
  const meter = field('M');
  const key = field('K');
  const a = checkWithAbcjs(abc);
  const sections = sectionsOf(abc);
  const mode = a.sequence?.keySignatures[0]?.mode;
  return {
    hasMeter: meter !== null && meter !== '' && !/^none$/i.test(meter),
    hasKey: key !== null && key !== '',
    meter: meter ? normalizeMeter(meter) : null,
    key: key ? normalizeKey(key) : null,
    mode: mode ? MODES[mode].family : null,
    tonicEnding: a.sequence ? endsOnTonic(a.sequence) : null,
    sections,
    aabb: isAabb(sections),
    bars: barsOf(abc),
    sequence: a.sequence,
    abcjs: a,
  };
}

/** Total-variation distance between two distributions given as counts (0 = same, 1 = disjoint). */
export function totalVariation(a: Map<string, number>, b: Map<string, number>): number {
  const na = [...a.values()].reduce((x, y) => x + y, 0) || 1;
  const nb = [...b.values()].reduce((x, y) => x + y, 0) || 1;
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d += Math.abs((a.get(k) ?? 0) / na - (b.get(k) ?? 0) / nb);
  return d / 2;
}

export function countsOf(xs: (string | null)[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) if (x !== null) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Held-out cross-entropy

export interface TuneScore {
  /** Sum of -ln p(target) over every predicted token. */
  nats: number;
  tokens: number;
  correct: number;
  /** The same sums for the tokens at positions 1..firstPositions of each tune and for the rest. */
  early: { nats: number; tokens: number };
  late: { nats: number; tokens: number };
}

const emptyScore = (): TuneScore => ({ nats: 0, tokens: 0, correct: 0, early: { nats: 0, tokens: 0 }, late: { nats: 0, tokens: 0 } });

/**
 * Cross-entropy of a step model on tunes (token ids, bos first, eos last).
 *
 * `state: 'fresh'` (default) starts every tune from the model's zero state, as sampling a new tune
 * does. `state: 'carried'` feeds the tunes one after another in `rows` streams without resetting,
 * as a stateful model is trained and validated: each tune but the first of its row starts from the
 * state the previous tune left (the first tune of each row is not counted).
 * `firstPositions` splits the figure into the first N predicted tokens of each tune and the rest.
 */
export function scoreTunes(step: StepModel, tunes: ArrayLike<number>[], opts: { state?: 'fresh' | 'carried'; rows?: number; batchSize?: number; firstPositions?: number } = {}): TuneScore {
  const V = step.vocabSize;
  const first = opts.firstPositions ?? 64;
  const score = emptyScore();
  const count = (probs: Float32Array, b: number, target: number, position: number) => {
    const nats = -Math.log(Math.max(probs[b * V + target], 1e-12));
    score.nats += nats;
    score.tokens++;
    const part = position < first ? score.early : score.late;
    part.nats += nats;
    part.tokens++;
    let best = 0;
    for (let v = 1; v < V; v++) if (probs[b * V + v] > probs[b * V + best]) best = v;
    if (best === target) score.correct++;
  };
  if ((opts.state ?? 'fresh') === 'fresh') {
    const B = opts.batchSize ?? 16;
    for (let start = 0; start < tunes.length; start += B) {
      const batch = tunes.slice(start, start + B);
      const longest = Math.max(...batch.map((t) => t.length));
      step.reset(batch.length);
      const feed = new Int32Array(batch.length);
      for (let t = 0; t < longest - 1; t++) {
        batch.forEach((tune, b) => (feed[b] = t < tune.length ? tune[t] : tune[tune.length - 1]));
        const probs = step.step(feed);
        batch.forEach((tune, b) => {
          if (t + 1 < tune.length) count(probs, b, tune[t + 1], t);
        });
      }
    }
    return score;
  }
  // Carried: row r holds tunes r, r + R, r + 2R, ... back to back.
  // Rows of at least 4 tunes, so that most tunes are counted.
  const R = Math.max(1, Math.min(opts.rows ?? 8, Math.floor(tunes.length / 4)));
  const rows = Array.from({ length: R }, (_, r) => tunes.filter((_, i) => i % R === r));
  const streams = rows.map((list) => {
    const ids: number[] = [];
    const position: number[] = [];
    const counted: boolean[] = [];
    list.forEach((tune, k) => {
      for (let j = 0; j < tune.length; j++) {
        ids.push(tune[j]);
        position.push(j - 1); // position of the prediction that has this token as target
        counted.push(k > 0 && j > 0);
      }
    });
    return { ids, position, counted };
  });
  const longest = Math.max(...streams.map((s) => s.ids.length));
  step.reset(R);
  const feed = new Int32Array(R);
  for (let t = 0; t < longest - 1; t++) {
    streams.forEach((s, b) => (feed[b] = t < s.ids.length ? s.ids[t] : s.ids[s.ids.length - 1]));
    const probs = step.step(feed);
    streams.forEach((s, b) => {
      if (t + 1 < s.ids.length && s.counted[t + 1]) count(probs, b, s.ids[t + 1], s.position[t + 1]);
    });
  }
  return score;
}
