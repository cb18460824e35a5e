/**
 * Fixed-output check for speed work on the ABC reader, the performance and the encodings: reads
 * every tune of the ABC corpora, encodes it with every encoding (abc-token in both spellings, chord
 * symbols kept and dropped) and hashes what comes out per tune: everything parseAbc returns
 * (NoteSequence, tune form, warnings, title, text, errors) and the token ids with their encode
 * reports. A second reading with other options (every voice, grace notes kept, hornpipes swung,
 * P: ignored, accidentals per octave) covers the other paths of the performance.
 *   npx tsx bench/music-parse-check.ts [corpora-dir] --write digest.json   (before a change)
 *   npx tsx bench/music-parse-check.ts [corpora-dir] --expect digest.json  (after: exits 1 if any tune differs)
 * Prints one hash per collection and the first tunes that differ (--show N, default 5).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { loadavg } from 'node:os';
import { parseAbc, buildEncoding, emptyEncodeReport, type AbcReadOptions, type Encoding, type Tune } from '@shared/music/index';
import { impliedRepeatStarts } from '@shared/music/abc/read';
import { primeAbcReader } from '@shared/music/abc/prime';

const args = process.argv.slice(2);
const take = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const writePath = take('--write');
const expectPath = take('--expect');
const show = Number(take('--show') ?? 5);
const root = args.find((a) => !a.startsWith('--')) ?? new URL('../../shared/corpora', import.meta.url).pathname;
if (!existsSync(root)) {
  console.log(`no corpora at ${root}; nothing to check`);
  process.exit(0);
}
const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
const hash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 16);

const OTHER: AbcReadOptions = { voices: 'all', graces: 'keep', swing: true, parts: false, accidentals: 'octave' };
const t0 = performance.now();
// As a corpus-reading worker does: the warm-up must not change what any tune reads as.
primeAbcReader();
const digest: Record<string, string> = {}; // "file#index" (or "file!errors") -> hash
const byCollection: Record<string, string[]> = {};
const tunes: { key: string; tune: Tune }[] = [];
for (const dir of readdirSync(root).filter((d) => d.startsWith('abc_')).sort()) {
  for (const file of walk(join(root, dir))) {
    const name = relative(root, file);
    const text = readFileSync(file, 'utf8');
    const a = parseAbc(text, { file: name });
    const b = parseAbc(text, { file: name, ...OTHER });
    const bySeq = new Map(b.tunes.map((t) => [t.index, t]));
    for (const t of a.tunes) {
      const key = `${name}#${t.index}`;
      const other = bySeq.get(t.index);
      digest[key] = hash(JSON.stringify({ ...t, implied: impliedRepeatStarts(t) }) + '\u0000' + JSON.stringify(other ? { s: other.sequence, f: other.form, w: other.warnings } : null));
      tunes.push({ key, tune: { title: t.title, abc: t.abc, sequence: t.sequence, source: { file: name, index: t.index, line: t.line } } });
    }
    digest[`${name}!errors`] = hash(JSON.stringify([a.errors.map((e) => [e.code, e.message, e.file, e.line]), b.errors.map((e) => [e.code, e.message, e.file, e.line])]));
  }
}
const readSeconds = (performance.now() - t0) / 1000;
// Encodings learned over every tune (as a model is), then each tune encoded with a report and without.
const encodings: [string, Encoding][] = [
  ['abc-char', buildEncoding('abc-char', tunes.map((t) => t.tune))],
  ['abc-token1', buildEncoding('abc-token', tunes.map((t) => t.tune), { version: 1 })],
  ['abc-token2', buildEncoding('abc-token', tunes.map((t) => t.tune), { version: 2 })],
  ['abc-token2chords', buildEncoding('abc-token', tunes.map((t) => t.tune), { version: 2, chords: 'keep' })],
  ['melody-event', buildEncoding('melody-event', [])],
  ['midi-event', buildEncoding('midi-event', [])],
];
for (const [n, enc] of encodings) digest[`vocabulary ${n}`] = hash(JSON.stringify(enc.tokens));
for (const { key, tune } of tunes) {
  const parts: string[] = [digest[key]];
  for (const [, enc] of encodings) {
    const report = emptyEncodeReport();
    let plain: string;
    try {
      plain = enc.encode(tune).join(',');
    } catch (e) {
      plain = `throws ${(e as Error).message}`;
    }
    parts.push(plain, enc.encode(tune, report).join(','), JSON.stringify(report));
  }
  digest[key] = hash(parts.join('\u0000'));
}
for (const [key, h] of Object.entries(digest)) (byCollection[key.split('/')[0].split(' ')[0]] ??= []).push(h);
const seconds = (performance.now() - t0) / 1000;
console.log(`${tunes.length} tunes read twice and encoded ${encodings.length} ways in ${seconds.toFixed(1)} s (reading ${readSeconds.toFixed(1)} s; load ${loadavg()[0].toFixed(1)})`);
for (const [c, hs] of Object.entries(byCollection)) console.log(`  ${c.padEnd(22)} ${String(hs.length).padStart(6)} entries  ${hash(hs.join(''))}`);
console.log(`all: ${hash(Object.entries(digest).map(([k, v]) => k + v).join('\n'))}`);
if (writePath) {
  writeFileSync(writePath, JSON.stringify(digest));
  console.log(`digest written to ${writePath}`);
}
if (expectPath) {
  const before = JSON.parse(readFileSync(expectPath, 'utf8')) as Record<string, string>;
  const keys = new Set([...Object.keys(before), ...Object.keys(digest)]);
  const differ = [...keys].filter((k) => before[k] !== digest[k]);
  console.log(`${differ.length} of ${keys.size} entries differ from ${expectPath}${differ.length ? ': ' + differ.slice(0, show).join(', ') : ''}`);
  process.exit(differ.length ? 1 : 0);
}
