/**
 * The encoding half of bench/music-parse.ts, alone: learn every encoding's vocabulary from all ABC
 * corpus tunes and encode each tune (as the bench and the engine's encodeCorpus do), --runs times,
 * with wall and CPU seconds per encoding. Parsing takes ~10 s, so the parsed tunes can be kept in
 * a JSON file (--cache FILE: written when absent, read when present; JSON keeps every number).
 *   npx tsx bench/music-encode.ts [corpora-dir] [--runs N] [--cache /tmp/tunes.json] [--json]
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseAbc, buildEncoding, ENCODING_NAMES, type Tune } from '@shared/music/index';

const args = process.argv.slice(2);
const take = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const runs = Math.max(1, Number(take('--runs') ?? 3) || 1);
const cache = take('--cache');
const json = args.includes('--json');
const root = args.find((a) => !a.startsWith('--')) ?? new URL('../../shared/corpora', import.meta.url).pathname;

let tunes: Tune[];
if (cache && existsSync(cache)) tunes = JSON.parse(readFileSync(cache, 'utf8')) as Tune[];
else {
  if (!existsSync(root)) {
    console.log(`no corpora at ${root}; nothing to measure`);
    process.exit(0);
  }
  const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
  const files = readdirSync(root).filter((d) => d.startsWith('abc_')).sort().flatMap((d) => walk(join(root, d)));
  tunes = [];
  for (const file of files) for (const t of parseAbc(readFileSync(file, 'utf8'), { file }).tunes) tunes.push({ title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: t.index, line: t.line } });
  if (cache) writeFileSync(cache, JSON.stringify(tunes));
}

const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const all: Record<string, { wall: number; cpu: number }[]> = Object.fromEntries(ENCODING_NAMES.map((n) => [n, []]));
const tokens: Record<string, number> = {};
for (let r = 0; r < runs; r++) {
  for (const name of ENCODING_NAMES) {
    const c0 = process.cpuUsage();
    const a = performance.now();
    const enc = buildEncoding(name, tunes);
    let n = 0;
    for (const t of tunes) n += enc.encode(t).length;
    all[name].push({ wall: (performance.now() - a) / 1000, cpu: cpuS(process.cpuUsage(c0)) });
    tokens[name] = n;
  }
}
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = Object.fromEntries(ENCODING_NAMES.map((n) => [n, { wall: +med(all[n].map((x) => x.wall)).toFixed(3), cpu: +med(all[n].map((x) => x.cpu)).toFixed(3), tokens: tokens[n] }]));
const wall = ENCODING_NAMES.reduce((s, n) => s + out[n].wall, 0);
const cpu = ENCODING_NAMES.reduce((s, n) => s + out[n].cpu, 0);
if (json) console.log(JSON.stringify({ tunes: tunes.length, runs, encodings: out, wall: +wall.toFixed(3), cpu: +cpu.toFixed(3) }));
else {
  console.log(`${tunes.length} tunes; learn + encode, median of ${runs} runs (process CPU includes GC threads)`);
  for (const n of ENCODING_NAMES) console.log(`  ${n.padEnd(13)} ${out[n].wall.toFixed(3)} s wall, ${out[n].cpu.toFixed(3)} cpu-s, ${out[n].tokens} tokens`);
  console.log(`  all four      ${wall.toFixed(3)} s wall, ${cpu.toFixed(3)} cpu-s; load ${loadavg()[0].toFixed(1)}`);
}
