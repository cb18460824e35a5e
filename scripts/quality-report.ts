/**
 * Quality report for an ABC model (the default model's README quotes it):
 *
 *   npx tsx scripts/quality-report.ts [--model DIR] [--count 100] [--temperature 1] [--rng-seed 1]
 *                                     [--length 1024] [--corpus PATH...] [--out FILE.abc] [--no-grammar] [--json]
 *
 * Samples --count tunes with no seed, then measures
 *  - how many parse cleanly with abcjs (the music core's parseAbc: no error and no abcjs warning)
 *    and with abc2midi (exit code 0, no "Error" line, a .mid written);
 *  - abc2midi's warnings about bars of the wrong length for the meter (outside repeats);
 *  - the longest run of consecutive bars copied from the training tunes (median, max, share <= 4);
 *  - pitch range, in-key ratio and length (notes, bars) against the validation tunes.
 * The training/validation split is the engine's own (encodeCorpus with the model's seed), so the
 * validation tunes are exactly the ones the model never trained on. The same figures are given for
 * those validation tunes, as the baseline a human-written tune reaches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { encodeCorpus, loadTunes } from '../electron/engine/corpus';
import { loadModelCached, runGeneration } from '../electron/engine/jobs';
import { parseAbc } from '../shared/music/abc/read';
import { normalizeAbc } from '../shared/music/abc/book';
import { tokenizeAbc } from '../shared/music/encodings/abc-text';
import { findAbc2midi } from '../shared/music/abc/abc2midi';
import type { NoteSequence } from '../shared/music/types';

export const DEFAULT_MODEL = path.resolve(import.meta.dirname, '../resources/models/default');

// ---------------------------------------------------------------------------------------------
// Per-tune measures (exported for reuse in tests)

/** Bar lines, repeats and first/second endings as the abc-token tokenizer cuts them. */
const BAR = /^(?:::|:*\|[\]|]?:*(?:\[?\d+(?:[,-]\d+)*)?|\[\|:*|\[\d+(?:[,-]\d+)*)$/;
/** What is not the music of a bar: chord symbols, decorations (also ~ and the letter ones), slurs, inline fields. */
const NOT_MUSIC = /^(?:"|!|\+|\[[A-Za-z]:|[~.HLMOPSTuv()]$)/;

const MODES: [RegExp, string][] = [
  [/^(?:maj|ion)/, ''],
  [/^(?:m$|min|aeo)/, 'm'],
  [/^dor/, 'dor'],
  [/^mix/, 'mix'],
  [/^lyd/, 'lyd'],
  [/^phr/, 'phr'],
  [/^loc/, 'loc'],
];

/** "D Major" and "D", "A Dorian" and "ADor" are the same key (the two corpora spell them differently). */
export function normalizeKey(k: string): string {
  const m = /^\s*([A-G][#b]?)\s*([A-Za-z]*)/.exec(k);
  if (!m) return k.trim();
  const mode = m[2].toLowerCase();
  return m[1] + (MODES.find(([re]) => re.test(mode))?.[1] ?? mode);
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

export interface Abc2midiCheck {
  ok: boolean;
  errors: string[];
  warnings: number;
  /** abc2midi's "Bar N has X time units while the time signature has Y", outside repeats (they repeat the same bar). */
  barLengthWarnings: number;
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
  const barLengthWarnings = lines.filter((l) => /time units while the time signature/.test(l) && !/in repeat/.test(l)).length;
  return { ok: errors.length === 0, errors, warnings: lines.filter((l) => /^\s*Warning\b/.test(l)).length, barLengthWarnings };
}

// ---------------------------------------------------------------------------------------------
// Summaries

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export interface Distribution {
  p10: number;
  median: number;
  p90: number;
  mean: number;
}

function dist(xs: number[]): Distribution {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { p10: round(quantile(xs, 0.1)), median: round(quantile(xs, 0.5)), p90: round(quantile(xs, 0.9)), mean: round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) };
}

interface SetSummary {
  tunes: number;
  abcjsClean: number;
  abc2midiClean: number | null;
  bothClean: number | null;
  copiedBars: { median: number; max: number; shareAtMost4: number };
  /** Share of all bars that occur somewhere in the training tunes (a bar alone, not a run). */
  barsSeenInTraining: number;
  /** abc2midi's bar-length warnings (outside repeats) in all tunes, and the share of tunes with any. */
  wrongLengthBars: number | null;
  tunesWithWrongLengthBars: number | null;
  notes: Distribution;
  bars: Distribution;
  pitchRange: Distribution;
  inKey: Distribution;
  /** The first problem of each failing tune, without its position, counted. */
  problemKinds: Record<string, number>;
}

function kindOf(failure: string): string {
  // "take 3: abc2midi: Error in line-char 4-52 : Guitar chord ..." -> "abc2midi: Guitar chord ..."
  const [, tool = '', rest = ''] = /^[^:]*: (\w+): (.*)$/s.exec(failure) ?? [];
  const message = rest.replace(/^Error in line-char [\d-]+ ?: ?/, '').replace(/^column \d+: /, '').split(/: |\n/)[0].trim();
  return `${tool}: ${message.slice(0, 60)}`;
}

function summarize(texts: string[], index: BarIndex, abc2midi: string | null, dir: string, tag: string): { summary: SetSummary; failures: string[] } {
  const figures: TuneFigures[] = [];
  const copied: number[] = [];
  let barsTotal = 0;
  let barsSeen = 0;
  let abcjsClean = 0;
  let midiClean = 0;
  let both = 0;
  let wrongBars = 0;
  let tunesWrong = 0;
  const failures: string[] = [];
  texts.forEach((abc, i) => {
    const a = checkWithAbcjs(abc);
    const bars = barsOf(abc);
    if (a.ok) abcjsClean++;
    else failures.push(`${tag} ${i + 1}: abcjs: ${a.error ?? a.warnings[0]}`);
    if (a.sequence) figures.push(figuresOf(a.sequence, bars.length));
    copied.push(index.longestCopiedRun(bars));
    barsTotal += bars.length;
    barsSeen += bars.filter((b) => index.longestCopiedRun([b]) > 0).length;
    if (abc2midi) {
      const m = checkWithAbc2midi(abc2midi, abc, dir, i);
      if (m.ok) midiClean++;
      else failures.push(`${tag} ${i + 1}: abc2midi: ${m.errors[0]}`);
      wrongBars += m.barLengthWarnings;
      if (m.barLengthWarnings) tunesWrong++;
      if (m.ok && a.ok) both++;
    }
  });
  const n = texts.length;
  return {
    failures,
    summary: {
      tunes: n,
      abcjsClean: abcjsClean / n,
      abc2midiClean: abc2midi ? midiClean / n : null,
      bothClean: abc2midi ? both / n : null,
      copiedBars: { median: quantile(copied, 0.5), max: Math.max(...copied), shareAtMost4: copied.filter((c) => c <= 4).length / n },
      barsSeenInTraining: barsSeen / Math.max(1, barsTotal),
      wrongLengthBars: abc2midi ? wrongBars : null,
      tunesWithWrongLengthBars: abc2midi ? tunesWrong / n : null,
      notes: dist(figures.map((f) => f.notes)),
      bars: dist(figures.map((f) => f.bars)),
      pitchRange: dist(figures.map((f) => f.range)),
      inKey: dist(figures.map((f) => f.inKey)),
      problemKinds: failures.reduce<Record<string, number>>((acc, f) => ((acc[kindOf(f)] = (acc[kindOf(f)] ?? 0) + 1), acc), {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      count: { type: 'string', default: '100' },
      temperature: { type: 'string', default: '1' },
      'rng-seed': { type: 'string', default: '1' },
      length: { type: 'string', default: '1024' },
      corpus: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-grammar': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npx tsx scripts/quality-report.ts [--model DIR] [--count 100] [--temperature 1] [--rng-seed 1] [--length 1024] [--corpus PATH...] [--out FILE.abc] [--no-grammar] [--json]');
    return 0;
  }
  const modelDir = path.resolve(values.model ?? DEFAULT_MODEL);
  const count = Number(values.count);
  const temperature = Number(values.temperature);
  const rngSeed = Number(values['rng-seed']);
  const length = Number(values.length);
  for (const [name, v] of Object.entries({ count, temperature, 'rng-seed': rngSeed, length })) {
    if (!Number.isFinite(v) || v < 0) {
      console.error(`quality-report: --${name} expects a number >= 0`);
      return 2;
    }
  }

  const backend = await initBackend();
  await enableFastPath();
  const { encoding, meta } = await loadModelCached(modelDir);
  if (!encoding.name.startsWith('abc')) {
    console.error(`quality-report: ${modelDir} uses ${encoding.name}; this report is for ABC models`);
    return 2;
  }
  const corpusPaths = values.corpus?.length ? values.corpus.map((p) => path.resolve(p)) : meta.corpus?.paths;
  if (!corpusPaths?.length) {
    console.error(`quality-report: ${modelDir}/seedsong.json names no corpus; give --corpus PATH...`);
    return 2;
  }
  for (const p of corpusPaths) {
    if (!existsSync(p)) {
      console.error(`quality-report: the training corpus ${p} is not on this machine; give --corpus PATH...`);
      return 2;
    }
  }
  // The engine's split: same seed and default fraction as `seedsong train`, the model's own vocabulary.
  const split = encodeCorpus(await loadTunes(corpusPaths, { seed: meta.training?.seed }), corpusPaths, { encoding });
  if (meta.corpus && split.summary.validationTunes !== meta.corpus.validationTunes) {
    console.error(`quality-report: warning: the split has ${split.summary.validationTunes} validation tunes, the model recorded ${meta.corpus.validationTunes} (another --validation fraction?)`);
  }
  const index = new BarIndex();
  for (const t of split.tunes.train) index.add(barsOf(t.abc ?? ''));

  const started = performance.now();
  // The studio samples with the ABC grammar on (abc-grammar.ts); --no-grammar shows the bare model.
  const takes = await runGeneration({ model: modelDir, count, temperature, rngSeed, length, grammar: !values['no-grammar'] });
  const seconds = (performance.now() - started) / 1000;
  const generated = takes.map((t) => t.abc);
  if (values.out) writeFileSync(values.out, generated.map((a, i) => a.trimEnd().replace(/^X:.*$/m, `X:${i + 1}`)).join('\n\n') + '\n');

  const abc2midi = findAbc2midi();
  const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-quality-'));
  let gen;
  let val;
  try {
    gen = summarize(generated, index, abc2midi, dir, 'take');
    val = summarize(split.tunes.validation.map((t) => t.abc ?? ''), index, abc2midi, dir, 'validation tune');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ended = takes.filter((t) => t.stop === 'eos').length / takes.length;
  const perNote = (() => {
    const vl = meta.metrics.bestValLoss;
    const notes = split.tunes.validation.reduce((n, t) => n + t.sequence.notes.length, 0);
    const tokens = split.data.validation.reduce((n, t) => n + t.length - 1, 0);
    return vl != null && notes ? (vl * tokens) / notes : null;
  })();

  const report = {
    model: modelDir,
    encoding: encoding.name,
    backend: backend.active,
    corpus: corpusPaths,
    trainTunes: split.tunes.train.length,
    validationTunes: split.tunes.validation.length,
    settings: { count, temperature, rngSeed, length, grammar: !values['no-grammar'] },
    sampleSeconds: Math.round(seconds * 10) / 10,
    endedByModel: ended,
    bestValLossPerToken: meta.metrics.bestValLoss ?? null,
    bestValLossPerNote: perNote,
    generated: gen.summary,
    validation: val.summary,
    abc2midi: abc2midi ?? 'not installed',
    failures: gen.failures.slice(0, 20),
  };
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const d = (x: Distribution) => `median ${x.median}, p10 ${x.p10}, p90 ${x.p90}, mean ${x.mean}`;
  const g = gen.summary;
  const v = val.summary;
  const lines = [
    `model: ${modelDir} (${encoding.name}, ${backend.active})`,
    `split: ${report.trainTunes} training tunes, ${report.validationTunes} validation tunes (seed ${meta.training?.seed ?? 1})`,
    `sampled: ${count} tunes at temperature ${temperature}, rng seed ${rngSeed}, grammar ${values['no-grammar'] ? 'off' : 'on'}, in ${report.sampleSeconds} s; ended by the model: ${pct(ended)}`,
    `validation loss: ${perNote === null ? 'n/a' : `${report.bestValLossPerToken?.toFixed(4)} nats/token, ${perNote.toFixed(4)} nats/note`}`,
    `parse clean, abcjs: generated ${pct(g.abcjsClean)}, validation ${pct(v.abcjsClean)}`,
    `parse clean, abc2midi: generated ${pct(g.abc2midiClean)}, validation ${pct(v.abc2midiClean)}${abc2midi ? '' : ' (abc2midi not installed)'}`,
    `parse clean, both: generated ${pct(g.bothClean)}, validation ${pct(v.bothClean)}`,
    `longest run of bars copied from the training tunes: generated median ${g.copiedBars.median}, max ${g.copiedBars.max}, <= 4 bars in ${pct(g.copiedBars.shareAtMost4)}; validation median ${v.copiedBars.median}, max ${v.copiedBars.max}, <= 4 bars in ${pct(v.copiedBars.shareAtMost4)}`,
    `bars that occur somewhere in the training tunes: generated ${pct(g.barsSeenInTraining)}, validation ${pct(v.barsSeenInTraining)}`,
    `bars of the wrong length (abc2midi warnings, outside repeats): generated ${g.wrongLengthBars ?? 'n/a'}, in ${pct(g.tunesWithWrongLengthBars)} of tunes; validation ${v.wrongLengthBars ?? 'n/a'} in ${v.tunes} tunes, in ${pct(v.tunesWithWrongLengthBars)} of tunes`,
    `notes per tune: generated ${d(g.notes)}; validation ${d(v.notes)}`,
    `bars per tune: generated ${d(g.bars)}; validation ${d(v.bars)}`,
    `pitch range (semitones): generated ${d(g.pitchRange)}; validation ${d(v.pitchRange)}`,
    `in-key ratio: generated ${d(g.inKey)}; validation ${d(v.inKey)}`,
    `problems, generated: ${JSON.stringify(g.problemKinds)}`,
    `problems, validation: ${JSON.stringify(v.problemKinds)}`,
    ...gen.failures.slice(0, 10).map((f) => `failure: ${f}`),
  ];
  for (const l of lines) console.log(l);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(`quality-report: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
