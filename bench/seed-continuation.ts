/**
 * How many played seeds continue: played-style .mid seeds (real tunes from ../shared/corpora, and
 * the hand-written ones, performed by shared/music/testing/human.ts with no tempo or meter events:
 * a silence before the first note, pickups, held notes, legato overlaps, a few chords, 10-30 ms
 * jitter, tempo drift) go through the real CLI, `seedsong generate --seed-file s.mid`, one process
 * each: with the built-in default model (abc-token), and with `--encodings` also with a small model
 * of every other encoding trained here for a few steps (abc-char, melody-event, midi-event; its
 * quality does not matter, only whether the seed is understood and continued). Failures are split
 * into the vocabulary's and everything else; the transcription of each seed is also compared with
 * what was written. Then the time from the end of a recording to the first answering note: the
 * engine's seed path (transcribe, spell) and the sampler until the first note is streamed, in
 * process with the default model loaded (as the studio keeps it), median of the seeds.
 *
 *   npx tsx bench/seed-continuation.ts [--count N] [--encodings] [--keep DIR] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { splitAbcBook } from '@shared/music/abc/book';
import { parseAbc } from '@shared/music/abc/read';
import { readMidi } from '@shared/music/midi/read';
import { excerpt, handWritten } from '@shared/music/testing/excerpt';
import { performHuman, performanceMidi } from '@shared/music/testing/human';
import { recovery, type Written } from '@shared/music/testing/recovery';
import { spellingFor, transcribe } from '@shared/music/transcribe/index';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { runGeneration } from '../electron/engine/jobs';
import { RunControl } from '../electron/engine/control';

const { values } = parseArgs({ options: { count: { type: 'string' }, keep: { type: 'string' }, json: { type: 'boolean' }, encodings: { type: 'boolean' } } });
const count = Number(values.count ?? 30);
const dir = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(tmpdir(), 'seedsong-seeds-'));
mkdirSync(dir, { recursive: true });
const root = path.resolve(import.meta.dirname, '..');
const CORPORA = [path.resolve(root, '../shared/corpora'), path.resolve(root, '../../shared/corpora'), '/work/shared/corpora'].find((d) => existsSync(d));
const model = JSON.parse(readFileSync(path.join(root, 'resources/models/default/seedsong.json'), 'utf8'));
const spelling = spellingFor(model.encoding);

// Seeds: the six hand-written tunes, then real ones spread over the Irish and Nottingham collections.
const sources: { title: string; written: Written }[] = handWritten().map((w) => ({ title: w.title, written: w }));
const files = ['abc_cre_irish/CRE_clean.abc', 'abc_nottingham/ABC_cleaned/jigs.abc', 'abc_mit_6s191_irish/irish.abc', 'abc_nottingham/ABC_cleaned/reelsd-g.abc', 'abc_nottingham/ABC_cleaned/hpps.abc', 'abc_nottingham/ABC_cleaned/waltzes.abc'];
if (CORPORA) {
  const books = files.filter((f) => existsSync(path.join(CORPORA, f))).map((f) => splitAbcBook(readFileSync(path.join(CORPORA, f), 'utf8')).tunes);
  for (let i = 11; sources.length < count && i < 2000; i += 17) {
    for (const book of books) {
      if (sources.length >= count || i >= book.length) continue;
      const tune = parseAbc(book[i].text).tunes[0];
      const w = tune && excerpt(tune.abc, tune.sequence, { bars: 2 + (sources.length % 3) * 2 });
      if (w) sources.push({ title: tune.title ?? `tune ${i}`, written: w });
    }
  }
} else console.log('bench/seed-continuation: ../shared/corpora not found; hand-written seeds only');

const tempos = [70, 90, 110, 130, 150, 170];
type Outcome = 'continues' | 'vocabulary' | 'other';

// The seeds, written once as .mid files.
const seeds = sources.slice(0, count).map((s, n) => {
  const w = s.written;
  const qpm = tempos[n % tempos.length];
  const played = performHuman(w.sequence, { seed: 2000 + n, qpm, meter: w.meter, pickup: w.pickup, jitterMs: [10, 20, 30][n % 3], chords: 0.06 });
  const bytes = performanceMidi(played.performance);
  const file = path.join(dir, `${String(n + 1).padStart(2, '0')}-${s.title.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 28)}-${w.meter.numerator}-${w.meter.denominator}-q${qpm}.mid`);
  writeFileSync(file, bytes);
  return { file, bytes, written: w, performance: readMidi(bytes).sequence };
});

// The models: the default one, and with --encodings a small one per other encoding trained on the corpus.
const models: { name: string; encoding: string; dir?: string }[] = [{ name: 'default', encoding: model.encoding.name }];
if (values.encodings) {
  const corpus = CORPORA ? path.join(CORPORA, 'abc_nottingham/ABC_cleaned/jigs.abc') : undefined;
  const tunesFile = path.join(dir, 'corpus.abc');
  if (corpus && existsSync(corpus)) writeFileSync(tunesFile, splitAbcBook(readFileSync(corpus, 'utf8')).tunes.slice(0, 120).map((t) => t.text).join('\n'));
  else writeFileSync(tunesFile, handWritten().map((w, i) => `X:${i + 1}\nT:${w.title}\n`).join('\n') + '\n' + (await import('@shared/music/testing/excerpt')).HAND_WRITTEN.map((t) => t.abc).join('\n'));
  for (const [preset, encoding] of [['keras-stateful', 'abc-char'], ['melody-rnn', 'melody-event'], ['midi-event-lm', 'midi-event']]) {
    const out = path.join(dir, `model-${encoding}`);
    if (!existsSync(path.join(out, 'seedsong.json'))) {
      const run = spawnSync(process.execPath, [path.join(root, 'bin/seedsong.js'), 'train', '--preset', preset, '--corpus', tunesFile, '--out', out, '--units', '48', '--embedding', '16', '--seq', '32', '--batch', '8', '--steps', '20', '--patience', '0'], { encoding: 'utf8', env: { ...process.env, SEEDSONG_HOME: dir } });
      if (run.status !== 0) {
        console.log(`bench/seed-continuation: training the ${encoding} model failed: ${(run.stderr ?? '').trim().split('\n').pop()}`);
        continue;
      }
    }
    models.push({ name: `${preset} (trained here, 20 steps)`, encoding, dir: out });
  }
}

const results: { model: string; file: string; outcome: Outcome; message: string; transcribedRight: boolean; found: string }[] = [];
for (const m of models) {
  const modelSpelling = m.dir ? spellingFor(JSON.parse(readFileSync(path.join(m.dir, 'seedsong.json'), 'utf8')).encoding) : spelling;
  for (const seed of seeds) {
    const w = seed.written;
    const file = seed.file;
    // What the CLI transcribes, compared with what was written.
    const t = transcribe(seed.performance, { grid: modelSpelling.grid, meters: modelSpelling.meters, chords: modelSpelling.chords });
    const r = recovery(w, t);
    const transcribedRight = r.pitchesExact && r.onsetsRight === r.notes && (r.barsRight || r.barsCompatible) && r.pickupRight;
    const out = file.replace(/\.mid$/, `.${m.encoding}.abc`);
    const run = spawnSync(process.execPath, [path.join(root, 'bin/seedsong.js'), 'generate', ...(m.dir ? ['--model', m.dir] : []), '--seed-file', file, '--out', out, '--length', '120', '--force'], { encoding: 'utf8', env: { ...process.env, SEEDSONG_HOME: dir } });
    const lastErr = (run.stderr ?? '').trim().split('\n').filter((l) => !/^seedsong: take \d+:/.test(l)).pop() ?? '';
    const outcome: Outcome = run.status === 0 ? 'continues' : /vocabulary|cannot be encoded/.test(lastErr) ? 'vocabulary' : 'other';
    const found = `${t.meter.numerator}/${t.meter.denominator}, pickup ${t.pickup}, ${t.qpm} bpm`;
    results.push({ model: m.name, file: path.basename(file), outcome, message: outcome === 'continues' ? '' : lastErr, transcribedRight, found });
    if (values.json) console.log(JSON.stringify(results[results.length - 1]));
    else console.log(`${m.encoding} ${path.basename(file)}: ${outcome}${outcome === 'continues' ? '' : ` (${lastErr})`}; transcribed ${transcribedRight ? 'as written' : 'differently'} (${found}; written ${w.meter.numerator}/${w.meter.denominator}, pickup ${w.pickup})`);
  }
}
for (const m of models) {
  const mine = results.filter((r) => r.model === m.name);
  const by = (o: Outcome) => mine.filter((r) => r.outcome === o).length;
  console.log(`${m.encoding} (${m.name}): ${by('continues')} of ${mine.length} seeds continue; ${by('vocabulary')} refused by the vocabulary, ${by('other')} for other reasons; ${mine.filter((r) => r.transcribedRight).length} of ${mine.length} transcribed as written (pitches, onsets, bar lines, pickup)`);
}

// From the end of a recording to the first answering note, in process (the studio keeps its model loaded).
await initBackend();
await enableFastPath();
const defaultDir = path.join(root, 'resources/models/default');
await runGeneration({ model: defaultDir, seed: { kind: 'none' }, length: 8, rngSeed: 1 });
const waits: number[] = [];
for (const [n, seed] of seeds.entries()) {
  const started = performance.now();
  let first = -1;
  const control = new RunControl();
  await runGeneration({ model: defaultDir, seed: { kind: 'notes', notes: seed.performance.notes }, length: 200, count: 1, rngSeed: n }, { onNote: () => { if (first < 0) { first = performance.now() - started; control.cancel(); } } }, control);
  if (first >= 0) waits.push(first);
}
waits.sort((a, b) => a - b);
console.log(`recording stopped -> first answering note (default model loaded, seed path + sampling): median ${waits[waits.length >> 1]?.toFixed(0)} ms, max ${waits[waits.length - 1]?.toFixed(0)} ms over ${waits.length} seeds; seeds and takes in ${dir}`);
