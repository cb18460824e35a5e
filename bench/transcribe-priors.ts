/**
 * Where the transcription's priors come from (shared/music/transcribe/track.ts and meter.ts): over
 * ABC collections of ../shared/corpora, how far apart onsets are (in quarter notes), where in the
 * quarter note they fall (12 positions), how often each meter occurs, and how long the pickups are.
 * Downbeats are taken from the velocities the ABC reader gives (105 on a bar's first beat).
 *
 *   npx tsx bench/transcribe-priors.ts [collection paths under ../shared/corpora...]
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAbc } from '@shared/music/abc/read';
import { monophonic } from '@shared/music/sequence';

const CORPORA = [path.resolve('../shared/corpora'), path.resolve('../../shared/corpora'), '/work/shared/corpora'].find((d) => existsSync(d));
if (!CORPORA) {
  console.log('bench/transcribe-priors: ../shared/corpora not found');
  process.exit(0);
}
const args = process.argv.slice(2);
const collections = args.length ? args : ['abc_mit_6s191_irish', 'abc_cre_irish', 'abc_nottingham/ABC_cleaned'];
const R = 12;
const intervals = new Map<number, number>();
const phase = new Array<number>(R).fill(0);
const meters = new Map<string, number>();
const pickups = new Map<string, Map<string, number>>();
let tunes = 0;
for (const c of collections) {
  const dir = path.join(CORPORA, c);
  const files = statSync(dir).isDirectory() ? readdirSync(dir).filter((f) => f.endsWith('.abc')).map((f) => path.join(dir, f)) : [dir];
  for (const file of files) {
    for (const t of parseAbc(readFileSync(file, 'utf8'), { file }).tunes) {
      const s = t.sequence;
      if (s.timeSignatures.length !== 1 || !s.notes.length) continue;
      const ts = s.timeSignatures[0];
      const meter = `${ts.numerator}/${ts.denominator}`;
      const bar = (ts.numerator * 4) / ts.denominator;
      const mono = monophonic(s).notes;
      if (mono.some((n) => Math.abs(n.start * R - Math.round(n.start * R)) > 1e-6)) continue;
      const down = mono.find((n) => n.velocity === 105);
      if (!down) continue;
      tunes++;
      meters.set(meter, (meters.get(meter) ?? 0) + 1);
      const pickup = ((((down.start - mono[0].start) % bar) + bar) % bar).toFixed(3);
      const pm = pickups.get(meter) ?? new Map<string, number>();
      pm.set(pickup, (pm.get(pickup) ?? 0) + 1);
      pickups.set(meter, pm);
      for (let i = 0; i + 1 < mono.length; i++) {
        const d = Math.round((mono[i + 1].start - mono[i].start) * R);
        intervals.set(d, (intervals.get(d) ?? 0) + 1);
      }
      for (const n of mono) phase[Math.round(n.start * R) % R]++;
    }
  }
}
const share = (m: Map<number | string, number>) => {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${typeof k === 'number' ? +(k / R).toFixed(3) : k}: ${((100 * v) / total).toFixed(1)}%`);
};
console.log(`tunes: ${tunes} (${collections.join(', ')})`);
console.log(`meters: ${share(meters).join(', ')}`);
console.log(`intervals between onsets (quarter notes): ${share(intervals).slice(0, 14).join(', ')}`);
const pt = phase.reduce((a, b) => a + b, 0);
console.log(`onsets by position in the quarter (twelfths): ${phase.map((x, k) => `${k}: ${((100 * x) / pt).toFixed(2)}%`).join(', ')}`);
for (const [m, pm] of [...pickups].sort((a, b) => (meters.get(b[0]) ?? 0) - (meters.get(a[0]) ?? 0)).slice(0, 6)) console.log(`pickups in ${m} (quarter notes): ${share(pm).slice(0, 5).join(', ')}`);
