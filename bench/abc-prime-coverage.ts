/**
 * Which branches of the ABC reader the corpora take and the warm-up tunes (shared/music/abc/prime.ts)
 * do not. A parsing thread reads the warm-up tunes first so that V8 compiles each function once
 * with every branch it will meet; a branch the corpora take and the warm-up misses makes V8 throw
 * the compiled function away the first time a tune takes it. Uses V8's block coverage (inspector):
 * the warm-up is run and its counts taken, then every corpus tune is read and those counts taken.
 *   npx tsx bench/abc-prime-coverage.ts [corpora-dir] [--abcjs]
 * Prints, per file of shared/music (abcjs's parser too with --abcjs), each block the corpora run
 * and the warm-up does not: its offset in the code V8 ran (tsx's output), how often the corpora
 * ran it, and the code. Not a speed figure (coverage slows everything down).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseAbc } from '@shared/music/index';
import { primeAbcReader } from '@shared/music/abc/prime';

const args = process.argv.slice(2);
const withAbcjs = args.includes('--abcjs');
const root = args.find((a) => !a.startsWith('--')) ?? new URL('../../shared/corpora', import.meta.url).pathname;
if (!existsSync(root)) {
  console.log(`no corpora at ${root}; nothing to compare`);
  process.exit(0);
}
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
const files = readdirSync(root).filter((d) => d.startsWith('abc_')).sort().flatMap((d) => walk(join(root, d)));

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { ranges: Range[] }[];
}

const wanted = (url: string) => (/\/shared\/music\//.test(url) && !/\/encodings\//.test(url)) || (withAbcjs && /\/abcjs\/src\/parse\//.test(url));

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
// Counts start at zero for the warm-up: taking coverage resets them.
await session.post('Profiler.takePreciseCoverage');
primeAbcReader();
const warm = ((await session.post('Profiler.takePreciseCoverage')) as { result: ScriptCoverage[] }).result;
for (const f of files) parseAbc(readFileSync(f, 'utf8'), { file: f });
const corpus = ((await session.post('Profiler.takePreciseCoverage')) as { result: ScriptCoverage[] }).result;
await session.post('Debugger.enable');

/** The count of the innermost range at each offset of a script (-1: not covered by any range). */
function counts(functions: { ranges: Range[] }[], length: number): Int32Array {
  const out = new Int32Array(length).fill(-1);
  const ranges = functions.flatMap((f) => f.ranges).sort((a, b) => b.endOffset - b.startOffset - (a.endOffset - a.startOffset));
  for (const r of ranges) out.fill(r.count, r.startOffset, Math.min(r.endOffset, length));
  return out;
}

const warmByUrl = new Map(warm.map((s) => [s.url, s]));
let missed = 0;
for (const script of corpus.filter((s) => wanted(s.url)).sort((a, b) => a.url.localeCompare(b.url))) {
  const source = ((await session.post('Debugger.getScriptSource', { scriptId: script.scriptId })) as { scriptSource: string }).scriptSource;
  const ran = counts(script.functions, source.length);
  const primed = counts(warmByUrl.get(script.url)?.functions ?? [], source.length);
  const blocks: { at: number; end: number; count: number }[] = [];
  for (let i = 0; i < source.length; ) {
    if (ran[i] > 0 && !(primed[i] > 0)) {
      let j = i;
      while (j < source.length && ran[j] > 0 && !(primed[j] > 0)) j++;
      if (source.slice(i, j).trim()) blocks.push({ at: i, end: j, count: ran[i] });
      i = j;
    } else i++;
  }
  if (!blocks.length) continue;
  missed += blocks.length;
  console.log(`${script.url.replace(/^.*?\/(shared|node_modules)\//, '$1/')}: ${blocks.length} blocks`);
  for (const b of blocks) {
    const code = source.slice(b.at, b.end).replace(/\s+/g, ' ').trim();
    console.log(`  at ${String(b.at).padStart(6)}  x${String(b.count).padEnd(6)} ${code.length > 100 ? code.slice(0, 100) + '...' : code}`);
  }
}
console.log(`${missed} blocks the corpora run and the warm-up does not (${files.length} files)`);
session.disconnect();
