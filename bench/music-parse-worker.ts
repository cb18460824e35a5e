/** Worker for bench/music-parse.ts: parses and encodes a share of the ABC files. */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { parseAbc, buildEncoding, ENCODING_NAMES, type Tune } from '@shared/music/index';
import { primeAbcReader } from '@shared/music/abc/prime';

const { files, reader } = workerData as { files: string[]; reader?: 'auto' | 'abcjs' };
const t0 = performance.now();
// As loadCorpus's read-worker does before its first file (inside the measured time).
if (reader !== 'abcjs') primeAbcReader();
const tunes: Tune[] = [];
let errors = 0;
for (const file of files) {
  const r = parseAbc(readFileSync(file, 'utf8'), { file, reader });
  errors += r.errors.length;
  for (const t of r.tunes) tunes.push({ title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: t.index, line: t.line } });
}
const parseMs = performance.now() - t0;
const tokens: Record<string, number> = {};
const vocab: Record<string, string[]> = {};
for (const name of ENCODING_NAMES) {
  const enc = buildEncoding(name, tunes);
  let n = 0;
  for (const t of tunes) n += enc.encode(t).length;
  tokens[name] = n;
  vocab[name] = [...enc.tokens];
}
parentPort!.postMessage({ tunes: tunes.length, errors, tokens, vocab, parseMs, totalMs: performance.now() - t0 });
