/**
 * Compares our ABC reading (abcjs) with Debian's abc2midi for every tune of the ABC collections in
 * ../shared/corpora and prints the agreement rate per collection and the kinds of disagreement.
 *   npx tsx bench/abc-oracle.ts [corpora-dir] [--examples N] [--mode edited|unedited]
 * edited (default): abc2midi's copy without what the notation does not hold (R: swing, decorations,
 * P: order, implied repeat starts spelled out); unedited: the tunes as written, and we play them
 * as abc2midi would (P: order followed, hornpipes swung).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Abc2midi, classifyUnedited, compareFileWithAbc2midi, findAbc2midi, type ClassifiedTune } from '@shared/music/abc/abc2midi';

const args = process.argv.slice(2);
const exIdx = args.indexOf('--examples');
const examples = exIdx >= 0 ? Number(args.splice(exIdx, 2)[1]) : 3;
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args.splice(onlyIdx, 2)[1] : undefined;
const sampleIdx = args.indexOf('--sample');
const sample = sampleIdx >= 0 ? Number(args.splice(sampleIdx, 2)[1]) : 0;
const modeIdx = args.indexOf('--mode');
const mode = (modeIdx >= 0 ? args.splice(modeIdx, 2)[1] : 'edited') as 'edited' | 'unedited';
if (mode !== 'edited' && mode !== 'unedited') throw new Error('--mode is edited or unedited');
const root = args[0] ?? new URL('../../shared/corpora', import.meta.url).pathname;
const exe = findAbc2midi();
if (!exe) {
  console.log('abc2midi is not installed (apt-get install abcmidi); nothing to compare');
  process.exit(0);
}
if (!existsSync(root)) {
  console.log(`no corpora at ${root}; nothing to compare`);
  process.exit(0);
}
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));

const oracle = new Abc2midi(exe);
const t0 = performance.now();
let allTunes = 0;
let allSame = 0;
const allCauses = new Map<string, number>();
for (const coll of readdirSync(root).filter((d) => d.startsWith('abc_') && (!only || d.includes(only))).sort()) {
  const results: ClassifiedTune[] = [];
  // Ryan's Mammoth is one tune per file: batch the files' tunes together so abc2midi runs once per batch.
  for (const f of walk(join(root, coll))) {
    const pick = sample ? (i: number) => (i * 7919 + f.length) % Math.max(1, Math.round(100 / sample)) === 0 : undefined;
    const name = f.slice(root.length + 1);
    const text = readFileSync(f, 'utf8');
    results.push(...(mode === 'unedited' ? classifyUnedited(oracle, name, text, pick) : compareFileWithAbc2midi(oracle, name, text, pick)));
  }
  const same = results.filter((r) => r.kind === 'none').length;
  allTunes += results.length;
  allSame += same;
  const kinds = new Map<string, ClassifiedTune[]>();
  for (const r of results) if (r.kind !== 'none') kinds.set(r.cause ?? r.kind, [...(kinds.get(r.cause ?? r.kind) ?? []), r]);
  for (const [k, list] of kinds) allCauses.set(k, (allCauses.get(k) ?? 0) + list.length);
  console.log(`${coll.padEnd(22)} ${String(same).padStart(5)}/${String(results.length).padEnd(5)} identical  ${((100 * same) / Math.max(1, results.length)).toFixed(2)}%`);
  for (const [k, list] of kinds) {
    console.log(`    ${k}: ${list.length}`);
    for (const r of list.slice(0, examples)) console.log(`      ${r.file}:${r.line} X:${r.x} ${r.detail ?? ''}`);
  }
}
oracle.dispose();
console.log(`${mode === 'unedited' ? 'causes' : 'kinds'} of disagreement over all collections: ${[...allCauses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join('; ')}`);
console.log(`all ABC collections: ${allSame}/${allTunes} identical (${((100 * allSame) / Math.max(1, allTunes)).toFixed(2)}%) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
