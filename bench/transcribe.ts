/**
 * Recovery rates of the transcription (shared/music/transcribe): written melodies are played by the
 * seeded human of shared/music/testing/human.ts (tempo drift, onset jitter, legato, velocities,
 * a silence, a held last note, graces, ghosts, chords), written as .mid bytes without tempo or
 * meter events, read back and transcribed; the result is compared with what was written.
 * One line per group: by collection, by tempo, by jitter; and the time per transcription.
 *
 *   npx tsx bench/transcribe.ts [--tunes N] [--json]
 *
 * The hand-written tunes always run; real tunes come from ../shared/corpora when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { splitAbcBook } from '@shared/music/abc/book';
import { parseAbc } from '@shared/music/abc/read';
import { readMidi } from '@shared/music/midi/read';
import { excerpt, handWritten } from '@shared/music/testing/excerpt';
import { performHuman, performanceMidi } from '@shared/music/testing/human';
import { rng } from '@shared/music/testing/mutate';
import { recovery, type Recovery, type Written } from '@shared/music/testing/recovery';
import { transcribe } from '@shared/music/transcribe/index';

const { values } = parseArgs({ options: { tunes: { type: 'string' }, json: { type: 'boolean' } } });
const perCollection = Number(values.tunes ?? 40);
const CORPORA = [path.resolve('../shared/corpora'), path.resolve('../../shared/corpora'), '/work/shared/corpora'].find((d) => existsSync(d));
const COLLECTIONS: [string, string][] = [
  ['Irish (CRE)', 'abc_cre_irish/CRE_clean.abc'],
  ['Irish (MIT 6.S191)', 'abc_mit_6s191_irish/irish.abc'],
  ['Nottingham jigs', 'abc_nottingham/ABC_cleaned/jigs.abc'],
  ['Nottingham reels', 'abc_nottingham/ABC_cleaned/reelsa-c.abc'],
  ['Nottingham hornpipes', 'abc_nottingham/ABC_cleaned/hpps.abc'],
  ['Nottingham waltzes', 'abc_nottingham/ABC_cleaned/waltzes.abc'],
];
const TEMPOS = [60, 90, 120, 150, 180];
const JITTERS = [10, 20, 30];

const groups: { name: string; written: Written[] }[] = [{ name: 'hand-written (6 tunes)', written: handWritten() }];
if (CORPORA) {
  for (const [name, file] of COLLECTIONS) {
    const full = path.join(CORPORA, file);
    if (!existsSync(full)) continue;
    const book = splitAbcBook(readFileSync(full, 'utf8'));
    const written: Written[] = [];
    for (let i = 1; i < book.tunes.length && written.length < perCollection; i += 5) {
      const tune = parseAbc(book.tunes[i].text, { file }).tunes[0];
      const w = tune && excerpt(tune.abc, tune.sequence);
      if (w) written.push(w);
    }
    groups.push({ name: `${name} (${written.length} tunes)`, written });
  }
} else console.log('bench/transcribe: ../shared/corpora not found; hand-written tunes only');

interface Row {
  group: string;
  runs: number;
  pitchesExact: number;
  onsets: number;
  onsetsAtLevel: number;
  lengths: number;
  meter: number;
  bars: number;
  pickup: number;
}
const rows = new Map<string, Recovery[]>();
const add = (key: string, r: Recovery) => rows.set(key, [...(rows.get(key) ?? []), r]);
const times: number[] = [];
let seed = 1;
for (const g of groups) {
  for (const w of g.written) {
    for (const qpm of TEMPOS) {
      for (const jitterMs of JITTERS) {
        const played = performHuman(w.sequence, { seed: seed++, qpm, meter: w.meter, pickup: w.pickup, jitterMs });
        const input = readMidi(performanceMidi(played.performance)).sequence;
        const t0 = performance.now();
        const t = transcribe(input, { grid: { stepsPerQuarter: 4, triplets: true } });
        times.push(performance.now() - t0);
        const r = recovery(w, t);
        add(g.name, r);
        if (g.name.startsWith('hand') || g.name.startsWith('Irish')) {
          add(`${qpm} bpm (hand-written and Irish)`, r);
          add(`jitter +-${jitterMs} ms (hand-written and Irish)`, r);
        }
      }
    }
  }
}

function summarize(group: string, rs: Recovery[]): Row {
  const notes = rs.reduce((s, r) => s + r.notes, 0);
  const pct = (x: number, of: number) => Math.round((1000 * x) / Math.max(1, of)) / 10;
  return {
    group,
    runs: rs.length,
    pitchesExact: pct(rs.filter((r) => r.pitchesExact).length, rs.length),
    onsets: pct(rs.reduce((s, r) => s + r.onsetsRight, 0), notes),
    onsetsAtLevel: pct(rs.reduce((s, r) => s + r.onsetsRightAtLevel, 0), notes),
    lengths: pct(rs.reduce((s, r) => s + r.lengthsRight, 0), notes - rs.length),
    meter: pct(rs.filter((r) => r.meterRight).length, rs.length),
    bars: pct(rs.filter((r) => r.barsRight || r.barsCompatible).length, rs.length),
    pickup: pct(rs.filter((r) => r.pickupRight).length, rs.length),
  };
}

const keys = [...rows.keys()];
const byTempo = keys.filter((k) => k.includes('bpm')).sort((a, b) => parseInt(a) - parseInt(b));
const byJitter = keys.filter((k) => k.startsWith('jitter')).sort((a, b) => parseInt(a.slice(9)) - parseInt(b.slice(9)));
const collections = keys.filter((k) => !byTempo.includes(k) && !byJitter.includes(k));
const all: Recovery[] = collections.flatMap((k) => rows.get(k)!);
const table = [...[...collections, ...byTempo, ...byJitter].map((k) => summarize(k, rows.get(k)!)), summarize('all', all)];
times.sort((a, b) => a - b);
if (values.json) {
  for (const row of table) console.log(JSON.stringify(row));
  console.log(JSON.stringify({ transcriptions: times.length, medianMs: times[times.length >> 1], p95Ms: times[Math.floor(times.length * 0.95)] }));
} else {
  console.log('| group | performances | pitches exact | onsets | onsets at the chosen note value | lengths | meter | bar lines right or compatible | pickup |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of table) console.log(`| ${r.group} | ${r.runs} | ${r.pitchesExact}% | ${r.onsets}% | ${r.onsetsAtLevel}% | ${r.lengths}% | ${r.meter}% | ${r.bars}% | ${r.pickup}% |`);
  console.log(`time per transcription: median ${times[times.length >> 1].toFixed(1)} ms, p95 ${times[Math.floor(times.length * 0.95)].toFixed(1)} ms (${times.length} transcriptions)`);
}
