/**
 * Parse + encode all ABC corpora: tunes per second for reading (abcjs + our conversion) and for each
 * encoding. Target (issue #20): 10,000 tunes in <= 6 s on 2 cores.
 *   npx tsx bench/music-parse.ts [corpora-dir] [--json] [--workers N] [--runs N]
 * The files are shared among N worker threads (default: as many as loadCorpus uses, with its
 * young-generation size; each learns the abc vocabularies of its share and the
 * merged vocabulary size is printed). The whole measurement is repeated --runs times (default 3)
 * and the median is the result: these shared cores vary by 20% from one minute to the next.
 * --workers 0 measures one thread, once, with the time of each encoding.
 * --reader abcjs reads every tune with abcjs (as before the quick reader), --reader both measures
 * abcjs and then the default (quick reader where it covers the tune) in the same run, run by run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

import { parseAbc, buildEncoding, ENCODING_NAMES, type Tune } from '@shared/music/index';
import { PARSE_YOUNG_GENERATION_MB, parseThreads } from '@shared/music/corpus/files';
import { primeAbcReader } from '@shared/music/abc/prime';

const args = process.argv.slice(2);
const json = args.includes('--json');
const wIdx = args.indexOf('--workers');
const workers = wIdx >= 0 ? Number(args.splice(wIdx, 2)[1]) : parseThreads();
const qIdx = args.indexOf('--reader');
const readerArg = qIdx >= 0 ? args.splice(qIdx, 2)[1] : 'auto';
if (!['auto', 'abcjs', 'both'].includes(readerArg)) {
  console.error('--reader: expected auto, abcjs or both');
  process.exit(2);
}
const readers: ('auto' | 'abcjs')[] = readerArg === 'both' ? ['abcjs', 'auto'] : [readerArg as 'auto' | 'abcjs'];
const rIdx = args.indexOf('--runs');
const runs = Math.max(1, rIdx >= 0 ? Number(args.splice(rIdx, 2)[1]) || 1 : 3);
const root = args.find((a) => !a.startsWith('--')) ?? new URL('../../shared/corpora', import.meta.url).pathname;
if (!existsSync(root)) {
  console.log(`no corpora at ${root}; nothing to measure`);
  process.exit(0);
}
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
const files = readdirSync(root).filter((d) => d.startsWith('abc_')).sort().flatMap((d) => walk(join(root, d)));

if (workers > 0) {
  // Files are dealt round-robin by size so that the shares take about the same time.
  const shares: string[][] = Array.from({ length: workers }, () => []);
  const load = new Array<number>(workers).fill(0);
  for (const f of files.map((f) => ({ f, size: statSync(f).size })).sort((a, b) => b.size - a.size)) {
    const i = load.indexOf(Math.min(...load));
    shares[i].push(f.f);
    load[i] += f.size;
  }
  const measure = async (reader: 'auto' | 'abcjs') => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage(); // process-wide: covers every worker thread
    const results = await Promise.all(
      shares.map(
        (share) =>
          new Promise<{ tunes: number; errors: number; tokens: Record<string, number>; vocab: Record<string, string[]> }>((ok, fail) => {
            // Workers do not inherit tsx's loader: register it inside the worker before importing the .ts file.
            const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
            const entry = JSON.stringify(new URL('./music-parse-worker.ts', import.meta.url).href);
            const w = new Worker(`import(${api}).then((m) => { m.register(); return import(${entry}); })`, { eval: true, workerData: { files: share, reader }, resourceLimits: { maxYoungGenerationSizeMb: PARSE_YOUNG_GENERATION_MB } });
            w.once('message', ok);
            w.once('error', fail);
          }),
      ),
    );
    const wall = performance.now() - t0;
    const cpuUsed = process.cpuUsage(cpu0);
    return { results, wall, cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6, load: loadavg()[0] };
  };
  const byReader = new Map<string, Awaited<ReturnType<typeof measure>>[]>(readers.map((r) => [r, []]));
  for (let r = 0; r < runs; r++)
    for (const reader of readers) {
      const m = await measure(reader);
      byReader.get(reader)!.push(m);
      const n = m.results.reduce((a, x) => a + x.tunes, 0);
      if (!json) console.log(`run ${r + 1}/${runs}${readers.length > 1 ? ` (reader ${reader})` : ''}: ${n} tunes in ${(m.wall / 1000).toFixed(2)} s wall: 10,000 tunes in ${((m.wall / n) * 10).toFixed(2)} s (cpu ${m.cpuSeconds.toFixed(1)} s: ${((m.cpuSeconds / n) * 10000).toFixed(2)} cpu-s per 10,000; load ${m.load.toFixed(1)})`);
    }
  if (readers.length > 1 && !json) {
    const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [a, q] = readers.map((r) => byReader.get(r)!);
    const n = a[0].results.reduce((s, x) => s + x.tunes, 0);
    console.log(`side by side, median of ${runs} runs each (10,000 tunes): abcjs ${((med(a.map((m) => m.wall)) / n) * 10).toFixed(2)} s wall, ${((med(a.map((m) => m.cpuSeconds)) / n) * 10000).toFixed(2)} cpu-s; quick reader ${((med(q.map((m) => m.wall)) / n) * 10).toFixed(2)} s wall, ${((med(q.map((m) => m.cpuSeconds)) / n) * 10000).toFixed(2)} cpu-s`);
  }
  const all = byReader.get(readers[readers.length - 1])!;
  const { results, wall, cpuSeconds } = all.slice().sort((a, b) => a.wall - b.wall)[Math.floor(all.length / 2)];
  const tunes = results.reduce((a, r) => a + r.tunes, 0);
  const vocab = Object.fromEntries(ENCODING_NAMES.map((n) => [n, new Set(results.flatMap((r) => r.vocab[n])).size]));
  const tokens = Object.fromEntries(ENCODING_NAMES.map((n) => [n, results.reduce((a, r) => a + r.tokens[n], 0)]));
  const out = { files: files.length, tunes, workers, runs, youngGenerationMb: PARSE_YOUNG_GENERATION_MB, runsSecondsFor10kTunes: all.map((m) => +((m.wall / tunes) * 10).toFixed(2)), wallSeconds: +(wall / 1000).toFixed(2), cpuSeconds: +cpuSeconds.toFixed(2), tunesPerSecond: Math.round((tunes * 1000) / wall), secondsFor10kTunes: +((wall / tunes) * 10).toFixed(2), cpuSecondsPer10kTunes: +((cpuSeconds / tunes) * 10000).toFixed(2), tokens, vocabulary: vocab };
  if (json) console.log(JSON.stringify(out));
  else {
    console.log(`${tunes} tunes in ${files.length} files, parse + all four encodings on ${workers} worker threads (${cpus().length} cpus), median of ${runs} runs`);
    console.log(`wall ${out.wallSeconds} s, cpu ${out.cpuSeconds} s over all threads: ${out.tunesPerSecond} tunes/s; 10,000 tunes took ${out.secondsFor10kTunes} s wall, ${out.cpuSecondsPer10kTunes} cpu-seconds (target: 6 s)`);
    console.log(`load average after the last run: ${loadavg()[0].toFixed(1)} (other processes share these cores)`);
    for (const n of ENCODING_NAMES) console.log(`  ${n.padEnd(13)} ${tokens[n]} tokens, vocabulary ${vocab[n]}`);
  }
  process.exit(0);
}

const texts = files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
const c0 = process.cpuUsage();

const t0 = performance.now();
// As a parsing worker does before its first file (inside the measured time).
if (readers[readers.length - 1] === 'auto') primeAbcReader();
const tunes: Tune[] = [];
let errors = 0;
for (const { file, text } of texts) {
  const r = parseAbc(text, { file, reader: readers[readers.length - 1] });
  errors += r.errors.length;
  for (const t of r.tunes) tunes.push({ title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: t.index, line: t.line } });
}
const parseMs = performance.now() - t0;
const parseCpu = process.cpuUsage(c0);

const encodeMs: Record<string, number> = {};
const encodeCpu: Record<string, number> = {}; // process CPU seconds: this thread and V8's GC helpers
const tokens: Record<string, number> = {};
for (const name of ENCODING_NAMES) {
  const a = performance.now();
  const c = process.cpuUsage();
  const enc = buildEncoding(name, tunes);
  let n = 0;
  for (const t of tunes) n += enc.encode(t).length;
  encodeMs[name] = performance.now() - a;
  const cu = process.cpuUsage(c);
  encodeCpu[name] = (cu.user + cu.system) / 1e6;
  tokens[name] = n;
}
const encodeTotal = Object.values(encodeMs).reduce((a, b) => a + b, 0);
const perSec = (ms: number) => Math.round((tunes.length * 1000) / ms);
const result = {
  files: files.length,
  tunes: tunes.length,
  unreadable: errors,
  cpus: cpus().length,
  parse: { seconds: +(parseMs / 1000).toFixed(2), cpuSeconds: +((parseCpu.user + parseCpu.system) / 1e6).toFixed(2), tunesPerSecond: perSec(parseMs) },
  encode: Object.fromEntries(ENCODING_NAMES.map((n) => [n, { seconds: +(encodeMs[n] / 1000).toFixed(2), cpuSeconds: +encodeCpu[n].toFixed(2), tunesPerSecond: perSec(encodeMs[n]), tokens: tokens[n] }])),
  encodeAll: { seconds: +(Object.values(encodeMs).reduce((a, b) => a + b, 0) / 1000).toFixed(2), cpuSeconds: +Object.values(encodeCpu).reduce((a, b) => a + b, 0).toFixed(2) },
  parseAndAllEncodings: { seconds: +((parseMs + encodeTotal) / 1000).toFixed(2), tunesPerSecond: perSec(parseMs + encodeTotal) },
  secondsFor10kTunes: +(((parseMs + encodeTotal) / tunes.length) * 10).toFixed(2),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`${result.tunes} tunes in ${result.files} files (${errors} unreadable), one thread of ${result.cpus} cpus`);
  console.log(`parse (abcjs + NoteSequence): ${result.parse.seconds} s (cpu ${result.parse.cpuSeconds} s), ${result.parse.tunesPerSecond} tunes/s`);
  for (const n of ENCODING_NAMES) console.log(`encode ${n.padEnd(13)} ${result.encode[n].seconds} s (cpu ${result.encode[n].cpuSeconds} s), ${result.encode[n].tunesPerSecond} tunes/s, ${tokens[n]} tokens (vocabulary learned in the same time)`);
  console.log(`all four encodings: ${result.encodeAll.seconds} s (cpu ${result.encodeAll.cpuSeconds} s)`);
  console.log(`parse + all four encodings: ${result.parseAndAllEncodings.tunesPerSecond} tunes/s; 10,000 tunes would take ${result.secondsFor10kTunes} s`);
  console.log(`load average while measuring: ${loadavg()[0].toFixed(1)} (other processes share these cores)`);
}
