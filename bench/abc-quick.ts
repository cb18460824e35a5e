/**
 * The quick ABC reader (shared/music/abc/quick.ts) against abcjs on every tune of the ABC corpora:
 * each tune is read both ways and everything parseAbc returns is compared (notes, form, warnings,
 * title, normalized text, implied repeat starts, errors). Prints the tunes the quick reader covers
 * per collection, the tunes that differ (must be 0; the first few are shown) and the time of each.
 *   npx tsx bench/abc-quick.ts [corpora-dir] [--show N]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { inheritedHeader, splitAbcBook } from '@shared/music/abc/book';
import { impliedRepeatStarts, parseAbcTune, type AbcTune } from '@shared/music/abc/read';

const args = process.argv.slice(2);
const sIdx = args.indexOf('--show');
const show = sIdx >= 0 ? Number(args.splice(sIdx, 2)[1]) : 5;
const root = args.find((a) => !a.startsWith('--')) ?? new URL('../../shared/corpora', import.meta.url).pathname;
if (!existsSync(root)) {
  console.log(`no corpora at ${root}; nothing to compare`);
  process.exit(0);
}
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));

const view = (t: AbcTune) => JSON.stringify({ ...t, implied: impliedRepeatStarts(t) });
let total = 0;
let covered = 0;
let differ = 0;
let quickMs = 0;
let abcjsMs = 0;
const shown: string[] = [];
for (const dir of readdirSync(root).filter((d) => d.startsWith('abc_')).sort()) {
  let n = 0;
  let c = 0;
  for (const file of walk(join(root, dir))) {
    const book = splitAbcBook(readFileSync(file, 'utf8'));
    const header = inheritedHeader(book.header);
    for (const t of book.tunes) {
      n++;
      let a: string;
      let q: string | null;
      const t0 = performance.now();
      try {
        a = view(parseAbcTune(t, header, { file, reader: 'abcjs' }));
      } catch (e) {
        a = `error: ${(e as Error).message}`;
      }
      const t1 = performance.now();
      try {
        q = view(parseAbcTune(t, header, { file, reader: 'quick' }));
      } catch (e) {
        q = (e as Error).message.includes('quick reader does not cover') ? null : `error: ${(e as Error).message}`;
      }
      const t2 = performance.now();
      if (q === null) continue;
      c++;
      abcjsMs += t1 - t0;
      quickMs += t2 - t1;
      if (q !== a) {
        differ++;
        if (shown.length < show) {
          let k = 0;
          while (k < a.length && a[k] === q[k]) k++;
          shown.push(`${file} tune ${t.index} (X:${t.x}, line ${t.line}): abcjs ...${a.slice(Math.max(0, k - 80), k + 120)}\n    quick ...${q.slice(Math.max(0, k - 80), k + 120)}`);
        }
      }
    }
  }
  total += n;
  covered += c;
  console.log(`${dir.padEnd(22)} ${c}/${n} tunes read by the quick reader`);
}
console.log(`all: ${covered}/${total} tunes (${((covered / total) * 100).toFixed(1)}%) read by the quick reader; ${differ} differ from abcjs`);
console.log(`on the covered tunes: abcjs path ${(abcjsMs / 1000).toFixed(2)} s, quick path ${(quickMs / 1000).toFixed(2)} s (whole parseAbcTune, load ${loadavg()[0].toFixed(1)})`);
for (const s of shown) console.log(s);
process.exit(differ ? 1 : 0);
