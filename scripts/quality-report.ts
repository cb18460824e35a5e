/**
 * Quality report for an ABC model (the default model's README quotes it):
 *
 *   npx tsx scripts/quality-report.ts [--model DIR] [--count 100] [--temperature 1] [--rng-seed 1]
 *                                     [--length 1024] [--corpus PATH...] [--real-seed 1] [--out FILE.abc]
 *                                     [--no-grammar] [--no-constraints | --constraints LIST] [--json]
 *
 * Samples --count takes with no seed and draws a seeded sample of --count real tunes from the
 * held-out tunes (the model's own validation split: encodeCorpus with the model's seed and
 * validation fraction, tunes it never trained on), and measures both with the same code
 * (electron/engine/quality.ts), side by side:
 *  - wrong-length bars: abc2midi's bar-length warnings outside the pickup and the last bar, in and
 *    outside repeats (each bar once); also the count outside repeats only, as earlier reports gave;
 *  - tonic endings (last note = the key's tonic), AABB shape (first two sections 7-9 bars each),
 *    M: and K: present, mode shares (minor, major, ...), the A minor and D major shares;
 *  - copying: the longest run of consecutive bars identical to a training tune;
 *  - pitch range, notes and bars per tune, in-key ratio, abcjs/abc2midi parse rates;
 *  - key and meter distributions: total-variation distance to the training tunes';
 * Takes are sampled as the studio and `seedsong generate` sample them: with the ABC grammar and
 * the tune constraints (shared/music/constraints: bar-fill, sections, tonic-ending) on, unless
 * --no-grammar / --no-constraints (or --constraints bar-fill,sections) say otherwise; the report
 * names what was on.
 * and the model's held-out cross-entropy on all held-out tunes, each from a fresh state (nats per
 * token and per note). The targets are issue 19's.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { encodeCorpus, loadTunes } from '../electron/engine/corpus';
import { loadModelCached, runGeneration } from '../electron/engine/jobs';
import { createStepModel } from '../electron/engine/step';
import { Rng } from '../electron/engine/rng';
import { BarIndex, barsOf, checkWithAbc2midi, countsOf, figuresOf, measureTune, scoreTunes, totalVariation, wrongLengthBars } from '../electron/engine/quality';
import { Abc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi } from '@shared/music/abc/abc2midi';
import { parseAbc } from '@shared/music/abc/read';
import { TUNE_CONSTRAINTS, TUNE_CONSTRAINT_TEXT, type TuneConstraintName } from '@shared/music/constraints/index';

export { BarIndex, barsOf, checkWithAbc2midi, normalizeKey, scaleOf } from '../electron/engine/quality';

export const DEFAULT_MODEL = path.resolve(import.meta.dirname, '../resources/models/default');

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
  /** Share of tunes abc2midi plays as Seedsong does (same notes; ornaments, swing, chord attack and P: orders neutralized). */
  abc2midiSameNotes: number | null;
  /** Share of tunes with a wrong-length bar (pickup and last bar aside, in or outside repeats). */
  tunesWithWrongLengthBars: number | null;
  wrongLengthBars: number | null;
  /** The same counted outside repeats only (what earlier reports gave). */
  wrongLengthBarsOutsideRepeats: number | null;
  tunesWithWrongLengthBarsOutsideRepeats: number | null;
  tonicEndings: number;
  aabb: number;
  meterPresent: number;
  keyPresent: number;
  modes: Record<string, number>;
  aMinor: number;
  dMajor: number;
  copiedBars: { median: number; max: number; shareAtMost4: number };
  keyTv: number;
  meterTv: number;
  notes: Distribution;
  bars: Distribution;
  pitchRange: Distribution;
  inKey: Distribution;
  problemKinds: Record<string, number>;
}

function kindOf(failure: string): string {
  const [, tool = '', rest = ''] = /^[^:]*: (\w+): (.*)$/s.exec(failure) ?? [];
  const message = rest.replace(/^Error in line-char [\d-]+ ?: ?/, '').replace(/^column \d+: /, '').split(/: |\n/)[0].trim();
  return `${tool}: ${message.slice(0, 60)}`;
}

function summarize(texts: string[], index: BarIndex, corpusKeys: Map<string, number>, corpusMeters: Map<string, number>, abc2midi: string | null, dir: string, tag: string): { summary: SetSummary; failures: string[] } {
  const n = texts.length;
  const failures: string[] = [];
  const measures = texts.map((abc) => measureTune(abc));
  const copied = measures.map((m) => index.longestCopiedRun(m.bars));
  let midiClean = 0;
  let wrongBars = 0;
  let wrongOutside = 0;
  let tunesWrong = 0;
  let tunesWrongOutside = 0;
  measures.forEach((m, i) => {
    if (!m.abcjs.ok) failures.push(`${tag} ${i + 1}: abcjs: ${m.abcjs.error ?? m.abcjs.warnings[0]}`);
    if (!abc2midi) return;
    const r = checkWithAbc2midi(abc2midi, texts[i], dir, i);
    if (r.ok) midiClean++;
    else failures.push(`${tag} ${i + 1}: abc2midi: ${r.errors[0]}`);
    const w = wrongLengthBars(texts[i], r.barLength);
    wrongBars += w.bars;
    wrongOutside += w.outsideRepeats;
    if (w.bars) tunesWrong++;
    if (w.outsideRepeats) tunesWrongOutside++;
  });
  // What another player hears: abc2midi's notes against Seedsong's, the text as exported.
  let sameNotes: number | null = null;
  if (abc2midi) {
    const oracle = new Abc2midi(abc2midi);
    try {
      const theirs = oracle.melodies(texts.map((t) => neutralizeForAbc2midi(t)));
      sameNotes = 0;
      texts.forEach((t, i) => {
        const ours = parseAbc(t, { file: `${tag} ${i + 1}` }).tunes[0]?.sequence;
        const verdict = ours && theirs[i] ? compareMelodies(ours, theirs[i]!) : null;
        if (verdict?.kind === 'none') sameNotes!++;
        else failures.push(`${tag} ${i + 1}: abc2midi: plays other notes than Seedsong (${verdict ? `${verdict.kind}: ${verdict.detail}` : 'no reading'})`);
      });
    } finally {
      oracle.dispose();
    }
  }
  const share = (f: (m: (typeof measures)[number]) => boolean) => measures.filter(f).length / n;
  const modes = countsOf(measures.map((m) => m.mode));
  const figures = measures.flatMap((m) => (m.sequence ? [figuresOf(m.sequence, m.bars.length)] : []));
  return {
    failures,
    summary: {
      tunes: n,
      abcjsClean: share((m) => m.abcjs.ok),
      abc2midiClean: abc2midi ? midiClean / n : null,
      abc2midiSameNotes: sameNotes === null ? null : sameNotes / n,
      tunesWithWrongLengthBars: abc2midi ? tunesWrong / n : null,
      wrongLengthBars: abc2midi ? wrongBars : null,
      wrongLengthBarsOutsideRepeats: abc2midi ? wrongOutside : null,
      tunesWithWrongLengthBarsOutsideRepeats: abc2midi ? tunesWrongOutside / n : null,
      tonicEndings: share((m) => m.tonicEnding === true),
      aabb: share((m) => m.aabb),
      meterPresent: share((m) => m.hasMeter),
      keyPresent: share((m) => m.hasKey),
      modes: Object.fromEntries([...modes].map(([k, v]) => [k, v / n])),
      aMinor: share((m) => m.key === 'Am'),
      dMajor: share((m) => m.key === 'D'),
      copiedBars: { median: quantile(copied, 0.5), max: Math.max(...copied), shareAtMost4: copied.filter((c) => c <= 4).length / n },
      keyTv: totalVariation(countsOf(measures.map((m) => m.key)), corpusKeys),
      meterTv: totalVariation(countsOf(measures.map((m) => m.meter)), corpusMeters),
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
      'no-constraints': { type: 'boolean', default: false },
      constraints: { type: 'string' },
      'real-seed': { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npx tsx scripts/quality-report.ts [--model DIR] [--count 100] [--temperature 1] [--rng-seed 1] [--length 1024] [--corpus PATH...] [--real-seed 1] [--out FILE.abc] [--no-grammar] [--no-constraints | --constraints bar-fill,sections,tonic-ending] [--json]');
    return 0;
  }
  let constraints: TuneConstraintName[] = values['no-constraints'] ? [] : [...TUNE_CONSTRAINTS];
  if (values.constraints !== undefined) {
    const names = values.constraints.split(',').map((n) => n.trim()).filter(Boolean);
    const unknown = names.find((n) => !TUNE_CONSTRAINTS.includes(n as TuneConstraintName));
    if (unknown || values['no-constraints']) {
      console.error(unknown ? `quality-report: --constraints: "${unknown}" is not one of ${TUNE_CONSTRAINTS.join(', ')}` : 'quality-report: give --constraints or --no-constraints, not both');
      return 2;
    }
    constraints = names as TuneConstraintName[];
  }
  const modelDir = path.resolve(values.model ?? DEFAULT_MODEL);
  const count = Number(values.count);
  const temperature = Number(values.temperature);
  const rngSeed = Number(values['rng-seed']);
  const length = Number(values.length);
  const realSeed = Number(values['real-seed']);
  for (const [name, v] of Object.entries({ count, temperature, 'rng-seed': rngSeed, length, 'real-seed': realSeed })) {
    if (!Number.isFinite(v) || v < 0) {
      console.error(`quality-report: --${name} expects a number >= 0`);
      return 2;
    }
  }

  const backend = await initBackend();
  await enableFastPath();
  const { model, encoding, meta } = await loadModelCached(modelDir);
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
  // The engine's split: the model's seed and validation fraction, the model's own vocabulary.
  const validationFraction = meta.corpus?.validationFraction;
  const split = encodeCorpus(await loadTunes(corpusPaths, { seed: meta.training?.seed, validationFraction }), corpusPaths, { encoding });
  if (meta.corpus && split.summary.validationTunes !== meta.corpus.validationTunes) {
    console.error(`quality-report: warning: the split has ${split.summary.validationTunes} held-out tunes, the model recorded ${meta.corpus.validationTunes} (another corpus edit or reader version?)`);
  }
  if (!split.tunes.validation.length) {
    console.error('quality-report: the model has no held-out tunes (trained with --validation 0?); nothing to compare with');
    return 2;
  }
  const index = new BarIndex();
  for (const t of split.tunes.train) index.add(barsOf(t.abc ?? ''));
  const train = split.tunes.train.map((t) => measureTune(t.abc ?? ''));
  const corpusKeys = countsOf(train.map((m) => m.key));
  const corpusMeters = countsOf(train.map((m) => m.meter));

  const started = performance.now();
  // The studio samples with the ABC grammar on (abc-grammar.ts); --no-grammar shows the bare model.
  const takes = await runGeneration({ model: modelDir, count, temperature, rngSeed, length, grammar: !values['no-grammar'], tuneConstraints: constraints });
  const seconds = (performance.now() - started) / 1000;
  const generated = takes.map((t) => t.abc);
  if (values.out) writeFileSync(values.out, generated.map((a, i) => a.trimEnd().replace(/^X:.*$/m, `X:${i + 1}`)).join('\n\n') + '\n');

  // A seeded sample of real tunes, as many as takes, from the held-out tunes.
  const order = Int32Array.from(split.tunes.validation.keys());
  new Rng(realSeed).shuffle(order);
  const real = Array.from(order.subarray(0, Math.min(count, order.length)), (i) => split.tunes.validation[i].abc ?? '');

  const abc2midi = findAbc2midi();
  const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-quality-'));
  let gen;
  let val;
  try {
    gen = summarize(generated, index, corpusKeys, corpusMeters, abc2midi, dir, 'take');
    val = summarize(real, index, corpusKeys, corpusMeters, abc2midi, dir, 'real tune');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ended = takes.filter((t) => t.stop === 'eos').length / takes.length;
  const fallbacks = takes.reduce((n, t) => n + (t.constraints?.fallbacks ?? 0), 0);
  const takesWithFallbacks = takes.filter((t) => (t.constraints?.fallbacks ?? 0) > 0).length;

  // Held-out cross-entropy: every held-out tune, each from a fresh state, every token predicted.
  const step = createStepModel(model, { window: meta.model?.architecture === 'gpt' ? meta.training?.seqLength : undefined });
  const score = (() => {
    try {
      return scoreTunes(step, split.data.validation, { state: 'fresh' });
    } finally {
      step.dispose();
    }
  })();
  const heldOutNotes = split.tunes.validation.reduce((n, t) => n + t.sequence.notes.length, 0);
  const heldOut = { tunes: split.data.validation.length, tokens: score.tokens, notes: heldOutNotes, perToken: score.nats / score.tokens, perNote: heldOutNotes ? score.nats / heldOutNotes : null };

  const report = {
    model: modelDir,
    encoding: encoding.name,
    backend: backend.active,
    corpus: corpusPaths,
    trainTunes: split.tunes.train.length,
    heldOutTunes: split.tunes.validation.length,
    settings: { count, temperature, rngSeed, length, grammar: !values['no-grammar'], realSeed, constraints: [...(values['no-grammar'] ? [] : [constraints.includes('bar-fill') ? 'abc-grammar (structure)' : 'abc-grammar (structure, and its own bar clock for abc-token)']), ...constraints] },
    sampleSeconds: Math.round(seconds * 10) / 10,
    endedByModel: ended,
    constraintFallbacks: { steps: fallbacks, takes: takesWithFallbacks },
    heldOut,
    takes: gen.summary,
    real: val.summary,
    abc2midi: abc2midi ?? 'not installed',
    failures: gen.failures.slice(0, 20),
  };
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(0)}%`);
  const d = (x: Distribution) => `median ${x.median}, p10 ${x.p10}, p90 ${x.p90}`;
  const g = gen.summary;
  const v = val.summary;
  const modes = [...new Set([...Object.keys(g.modes), ...Object.keys(v.modes)])].sort();
  const rows: [string, string, string, string][] = [
    ['tunes with a wrong-length bar (abc2midi, pickup and last bar aside, in or outside repeats)', pct(g.tunesWithWrongLengthBars), pct(v.tunesWithWrongLengthBars), '<= 15%'],
    ['  wrong-length bars, all / outside repeats only', `${g.wrongLengthBars ?? 'n/a'} / ${g.wrongLengthBarsOutsideRepeats ?? 'n/a'}`, `${v.wrongLengthBars ?? 'n/a'} / ${v.wrongLengthBarsOutsideRepeats ?? 'n/a'}`, ''],
    ['last note is the key\'s tonic', pct(g.tonicEndings), pct(v.tonicEndings), '>= 60%'],
    ['first two sections 7-9 bars each (AABB shape)', pct(g.aabb), pct(v.aabb), '>= 50%'],
    ['M: present', pct(g.meterPresent), pct(v.meterPresent), '100%'],
    ['K: present', pct(g.keyPresent), pct(v.keyPresent), '100%'],
    ['A minor share / D major share', `${pct(g.aMinor)} / ${pct(g.dMajor)}`, `${pct(v.aMinor)} / ${pct(v.dMajor)}`, ''],
    ['modes (' + modes.join(', ') + ')', modes.map((m) => pct(g.modes[m] ?? 0)).join(', '), modes.map((m) => pct(v.modes[m] ?? 0)).join(', '), ''],
    ['longest run of bars copied from a training tune: median / max / <= 4 bars', `${g.copiedBars.median} / ${g.copiedBars.max} / ${pct(g.copiedBars.shareAtMost4)}`, `${v.copiedBars.median} / ${v.copiedBars.max} / ${pct(v.copiedBars.shareAtMost4)}`, 'max <= 4'],
    ['key distribution, total-variation distance to the training tunes', g.keyTv.toFixed(3), v.keyTv.toFixed(3), '<= 0.25'],
    ['meter distribution, total-variation distance to the training tunes', g.meterTv.toFixed(3), v.meterTv.toFixed(3), '<= 0.25'],
    ['pitch range (semitones)', d(g.pitchRange), d(v.pitchRange), ''],
    ['notes per tune', d(g.notes), d(v.notes), ''],
    ['bars per tune', d(g.bars), d(v.bars), ''],
    ['in-key ratio (mean)', String(g.inKey.mean), String(v.inKey.mean), ''],
    ['parse clean: abcjs / abc2midi', `${pct(g.abcjsClean)} / ${pct(g.abc2midiClean)}`, `${pct(v.abcjsClean)} / ${pct(v.abc2midiClean)}`, ''],
    ['abc2midi plays the notes Seedsong plays (the text as exported)', pct(g.abc2midiSameNotes), pct(v.abc2midiSameNotes), '100%'],
  ];
  const lines = [
    `model: ${modelDir} (${encoding.name}, ${backend.active})`,
    `split: ${report.trainTunes} training tunes, ${report.heldOutTunes} held-out tunes (seed ${meta.training?.seed ?? 1}, validation fraction ${validationFraction ?? 'default 0.1'})`,
    `takes: ${count} at temperature ${temperature}, rng seed ${rngSeed}, constraints: ${report.settings.constraints.join(', ') || 'none'}, in ${report.sampleSeconds} s; ended by the model: ${pct(ended)}`,
    ...constraints.map((n) => `  ${n}: ${TUNE_CONSTRAINT_TEXT[n]}`),
    ...(constraints.length ? [`  steps where the constraints could not be met (sampled as the grammar left them): ${fallbacks}, in ${takesWithFallbacks} of ${takes.length} takes`] : []),
    `real tunes: ${real.length} held-out tunes drawn with seed ${realSeed}`,
    `held-out cross-entropy (${heldOut.tunes} tunes, fresh state each): ${heldOut.perToken.toFixed(3)} nats/token, ${heldOut.perNote === null ? 'n/a' : heldOut.perNote.toFixed(3)} nats/note (target <= 2.0 nats/note)`,
    '',
    '| measure | takes | real tunes | target |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `problems, takes: ${JSON.stringify(g.problemKinds)}`,
    `problems, real tunes: ${JSON.stringify(v.problemKinds)}`,
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
