/**
 * How many played seeds continue: played-style .mid seeds (real tunes from ../shared/corpora, and
 * the hand-written ones, performed by shared/music/testing/human.ts with no tempo or meter events)
 * go through the real CLI, `seedsong generate --seed-file s.mid` with the built-in default model
 * (no --model), one process each. Failures are split into the abc-token vocabulary's (expected
 * until the encoding is rebuilt) and everything else; the transcription of each seed is also
 * compared with what was written.
 *
 *   npx tsx bench/seed-continuation.ts [--count N] [--keep DIR] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { splitAbcBook } from '../shared/music/abc/book';
import { parseAbc } from '../shared/music/abc/read';
import { readMidi } from '../shared/music/midi/read';
import { excerpt, handWritten } from '../shared/music/testing/excerpt';
import { performHuman, performanceMidi } from '../shared/music/testing/human';
import { recovery, type Written } from '../shared/music/testing/recovery';
import { spellingFor, transcribe } from '../shared/music/transcribe/index';

const { values } = parseArgs({ options: { count: { type: 'string' }, keep: { type: 'string' }, json: { type: 'boolean' } } });
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
const results: { file: string; outcome: Outcome; message: string; transcribedRight: boolean; found: string }[] = [];
sources.slice(0, count).forEach((s, n) => {
  const w = s.written;
  const qpm = tempos[n % tempos.length];
  const played = performHuman(w.sequence, { seed: 2000 + n, qpm, meter: w.meter, pickup: w.pickup, jitterMs: [10, 20, 30][n % 3], chords: 0.06 });
  const bytes = performanceMidi(played.performance);
  const file = path.join(dir, `${String(n + 1).padStart(2, '0')}-${s.title.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 28)}-${w.meter.numerator}-${w.meter.denominator}-q${qpm}.mid`);
  writeFileSync(file, bytes);
  // What the CLI transcribes, compared with what was written.
  const t = transcribe(readMidi(bytes).sequence, { grid: spelling.grid, meters: spelling.meters, chords: spelling.chords });
  const r = recovery(w, t);
  const transcribedRight = r.pitchesExact && r.onsetsRight === r.notes && (r.barsRight || r.barsCompatible) && r.pickupRight;
  const run = spawnSync(process.execPath, [path.join(root, 'bin/seedsong.js'), 'generate', '--seed-file', file, '--out', file.replace(/\.mid$/, '.abc'), '--rng-seed', '1', '--force'], { encoding: 'utf8', env: { ...process.env, SEEDSONG_HOME: dir } });
  const lastErr = (run.stderr ?? '').trim().split('\n').pop() ?? '';
  const outcome: Outcome = run.status === 0 ? 'continues' : /is not in the abc-(token|char) vocabulary/.test(lastErr) ? 'vocabulary' : 'other';
  const found = `${t.meter.numerator}/${t.meter.denominator}, pickup ${t.pickup}, ${t.qpm} bpm`;
  results.push({ file: path.basename(file), outcome, message: outcome === 'continues' ? '' : lastErr, transcribedRight, found });
  if (values.json) console.log(JSON.stringify(results[results.length - 1]));
  else console.log(`${path.basename(file)}: ${outcome}${outcome === 'continues' ? '' : ` (${lastErr})`}; transcribed ${transcribedRight ? 'as written' : 'differently'} (${found}; written ${w.meter.numerator}/${w.meter.denominator}, pickup ${w.pickup})`);
});
const by = (o: Outcome) => results.filter((r) => r.outcome === o).length;
console.log(`${by('continues')} of ${results.length} seeds continue with the default model; ${by('vocabulary')} fail on the abc-token vocabulary, ${by('other')} for other reasons; ${results.filter((r) => r.transcribedRight).length} of ${results.length} transcribed as written (pitches, onsets, bar lines, pickup). Seeds and takes in ${dir}`);
