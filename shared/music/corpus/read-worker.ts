/**
 * A worker_threads worker of loadCorpus (files.ts): reads and parses the files it is sent, one at a
 * time, and posts the tunes back. Started only where this file exists beside files.ts (tsx: CLI,
 * serve, tests); a bundle without it loads on the calling thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packNotes, readOne } from './files';
import type { LoadCorpusOptions } from './files';
import { summarizeTunes } from './corpus';
import { primeAbcReader } from '../abc/prime';

const opts = (workerData ?? {}) as LoadCorpusOptions;
// Before the first file: V8 then compiles the reader once, not again at each new kind of tune (prime.ts).
primeAbcReader(opts.abc);
parentPort?.on('message', async (m: { index: number; file: string; summary?: boolean }) => {
  const result = await readOne(m.file, opts);
  // The studio's corpus stats need only a few facts per tune (summarizeFiles): the notes stay here.
  if (m.summary) return parentPort!.postMessage({ index: m.index, summary: summarizeTunes(m.file, result) });
  // Cloning millions of note objects costs more than parsing them: notes travel packed.
  const packed = result.tunes.map((t) => packNotes(t.sequence.notes));
  const tunes = result.tunes.map((t) => ({ ...t, sequence: { ...t.sequence, notes: [] } }));
  parentPort!.postMessage({ index: m.index, result: { ...result, tunes }, packed }, packed.map((p) => p.buffer as ArrayBuffer));
});
