/**
 * Corpus loading from the file system (Node only: node:fs). Files, folders (recursively) and globs
 * (*, **, ?, {a,b}) of .abc and .mid files. Each file is read, parsed and forgotten before the next:
 * the corpus keeps metadata, and tunes() reads the files again, so 10,000 tunes never sit in
 * memory twice (or at all, unless the caller keeps them).
 */
import { readdir, stat } from 'node:fs/promises';
import { DEFAULT_MAX_FILE_BYTES, readRegularFile, statLossy } from './regular-file';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerEntry as namedWorkerEntry } from '../../worker/start';
import type { Encoding, EncodingName, Tune } from '../encodings/index';
import type { Note } from '../types';
import { CorpusBuilder, isAbcFile, isMidiFile, readTunes, summarizeTunes, type FileSummary, type CorpusEntry, type CorpusFileReport, type CorpusOptions, type CorpusStats, type Split } from './corpus';

export interface LoadCorpusOptions extends CorpusOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
  /** Files larger than this are reported, not read (default 20 MB). */
  maxFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, file: string) => void;
  /**
   * Worker threads that parse files while this thread keeps the books (abcjs is most of the
   * time). Default: parseThreads() when the corpus has at least PARALLEL_BYTES of files, else 0
   * (the calling thread parses; workers cost ~0.3 s to start).
   */
  workers?: number;
}

/** Below this much file data, starting workers costs more than it saves. */
export const PARALLEL_BYTES = 1_000_000;
/**
 * Young generation of a parsing thread. Reading a tune allocates about 300 KB that dies at once
 * (abcjs's parse tree); V8's default nursery (16 MB semi-spaces) makes that ~600 scavenges for the
 * folk corpora, a fifth of the reading time. 192 MB (64 MB semi-spaces) cuts them to ~160: 10-20%
 * faster reading (bench/music-parse.ts), for memory that is given back when the worker ends.
 */
export const PARSE_YOUNG_GENERATION_MB = 192;

/**
 * How many threads parse a large corpus: one on machines with fewer than 4 cores, else two. A
 * parsing thread keeps more than one core busy for its first thousands of tunes (V8's optimizing
 * compiler runs beside it, compiling the reader, the player and the encoders for that thread; the
 * warm-up tunes of abc/prime.ts cut that by half, the rest is paid again by every thread), so on 2
 * cores a second thread costs ~3.5 cpu-s per 10,000 tunes more (bench/music-parse.ts, 2026-12-04:
 * 10.2 cpu-s with one, 13.7 with two) for a wall time that the other core's load decides, and it
 * would take the core the studio plays on.
 */
export function parseThreads(): number {
  return availableParallelism() >= 4 ? 2 : 1;
}

export interface Corpus {
  files: CorpusFileReport[];
  stats: CorpusStats;
  /** Kept tunes, in file order, with their split. */
  entries: CorpusEntry[];
  /** Encodings learned while loading (those named in options.encodings). */
  encodings: Partial<Record<EncodingName, Encoding>>;
  /** Reads the kept tunes again, file by file: 'train', 'validation' or 'all' (default). */
  tunes(split?: Split | 'all'): AsyncGenerator<Tune & { split: Split }>;
}

const GLOB = /[*?[{]/;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        re += '(?:' + glob.slice(i + 1, close).split(',').map((p) => p.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|') + ')';
        i = close;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$', 'i');
}

async function walk(dir: string, out: string[], signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  const items = await readdir(dir, { withFileTypes: true });
  items.sort((a, b) => a.name.localeCompare(b.name));
  for (const it of items) {
    if (it.name.startsWith('.')) continue;
    const p = join(dir, it.name);
    if (it.isDirectory()) await walk(p, out, signal);
    else if (it.isFile()) out.push(p);
  }
}

/** Expands files, folders and globs into a sorted list of .abc and MIDI files. */
export async function expandCorpusPaths(paths: string[], cwd = process.cwd(), signal?: AbortSignal): Promise<{ files: string[]; problems: CorpusFileReport[] }> {
  const found = new Set<string>();
  const problems: CorpusFileReport[] = [];
  const wanted = (f: string) => isAbcFile(f) || isMidiFile(f);
  for (const raw of paths) {
    const p = isAbsolute(raw) ? raw : resolve(cwd, raw);
    if (GLOB.test(raw)) {
      const parts = p.split(sep);
      const firstGlob = parts.findIndex((x) => GLOB.test(x));
      const base = parts.slice(0, firstGlob).join(sep) || sep;
      const re = globToRegExp(parts.slice(firstGlob).join('/'));
      const all: string[] = [];
      try {
        await walk(base, all, signal);
      } catch {
        problems.push({ file: raw, tunes: 0, duplicates: 0, errors: [{ code: 'io', message: `${raw}: the folder ${base} cannot be read`, file: raw }] });
        continue;
      }
      const matched = all.filter((f) => re.test(relative(base, f).split(sep).join('/')) && wanted(f));
      if (!matched.length) problems.push({ file: raw, tunes: 0, duplicates: 0, errors: [{ code: 'io', message: `${raw}: no .abc or .mid file matches`, file: raw }] });
      matched.forEach((f) => found.add(f));
      continue;
    }
    let st;
    try {
      st = await statLossy(p);
    } catch {
      problems.push({ file: raw, tunes: 0, duplicates: 0, errors: [{ code: 'io', message: `${raw}: no such file or folder`, file: raw }] });
      continue;
    }
    if (st.isDirectory()) {
      const all: string[] = [];
      await walk(p, all, signal);
      all.filter(wanted).forEach((f) => found.add(f));
    } else if (wanted(p)) found.add(p);
    else problems.push({ file: raw, tunes: 0, duplicates: 0, errors: [{ code: 'io', message: `${raw}: not an .abc or .mid file`, file: raw }] });
  }
  return { files: [...found].sort(), problems };
}

/** Reads and parses one corpus file; never throws (problems come back as errors). */
export async function readOne(file: string, opts: LoadCorpusOptions): Promise<ReturnType<typeof readTunes>> {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let bytes: Buffer;
  try {
    // Regular files only: a FIFO or a link to /dev/zero would block or never end.
    bytes = await readRegularFile(file, { maxBytes: max });
  } catch (e) {
    return { tunes: [], errors: [{ code: 'io', message: (e as Error).message, file }] };
  }
  try {
    return readTunes(file, isMidiFile(file) ? new Uint8Array(bytes) : bytes.toString('utf8'), opts);
  } catch (e) {
    return { tunes: [], errors: [{ code: 'io', message: `${file}: cannot be read (${(e as Error).message})`, file }] };
  }
}

async function defaultWorkers(files: string[]): Promise<number> {
  if (files.length < 2 || !workerEntry()) return 0;
  let bytes = 0;
  for (const f of files) {
    bytes += await stat(f).then((s) => s.size, () => 0);
    if (bytes >= PARALLEL_BYTES) return parseThreads();
  }
  return 0;
}

function startReader(entry: string, workerOpts: LoadCorpusOptions): Worker {
  return startWorker({ file: entry }, { workerData: workerOpts, resourceLimits: { maxYoungGenerationSizeMb: PARSE_YOUNG_GENERATION_MB } });
}

const workerEntry = () => namedWorkerEntry('read-worker');

/**
 * Hands the files to up to `n` parsing workers (read-worker.ts), one file at a time per worker:
 * `request` is the message for file i, and each answer goes to `receive` as it comes. Resolves
 * when every file is answered, on abort, or as soon as a worker cannot start, fails or exits early:
 * the caller reads what is missing itself.
 */
async function inWorkers<A>(files: string[], n: number, entry: string, workerOpts: LoadCorpusOptions, signal: AbortSignal | undefined, request: (index: number, file: string) => object, receive: (answer: A) => void): Promise<void> {
  const pool: Worker[] = [];
  let next = 0; // next file to hand out
  let answered = 0;
  await new Promise<void>((finish) => {
    let settled = false;
    const stop = () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      for (const w of pool) void w.terminate();
      finish();
    };
    signal?.addEventListener('abort', stop);
    const send = (w: Worker) => {
      if (next < files.length && !signal?.aborted) {
        w.postMessage(request(next, files[next]));
        next++;
      }
    };
    for (let k = 0; k < Math.min(n, files.length); k++) {
      let w: Worker;
      try {
        w = startReader(entry, workerOpts);
      } catch {
        break;
      }
      pool.push(w);
      w.on('message', (m: A) => {
        receive(m);
        if (++answered === files.length) stop();
        else send(w);
      });
      w.on('error', stop);
      w.on('exit', () => {
        if (!settled && answered < files.length) stop();
      });
      send(w);
    }
    if (pool.length === 0) stop();
  });
}

/**
 * Parses the files in `n` worker threads and hands the results to `add` in file order. Returns how
 * many files were added: if a worker cannot start or dies, the caller reads the rest itself.
 */
async function readInWorkers(files: string[], n: number, opts: LoadCorpusOptions, add: (r: ReturnType<typeof readTunes>) => void): Promise<number> {
  const entry = workerEntry();
  if (!entry) return 0;
  const workerOpts: LoadCorpusOptions = { abc: opts.abc, midiTracks: opts.midiTracks, maxFileBytes: opts.maxFileBytes };
  const results = new Map<number, ReturnType<typeof readTunes>>();
  let added = 0;
  await inWorkers<{ index: number; result: ReturnType<typeof readTunes>; packed: Float64Array[] }>(
    files,
    n,
    entry,
    workerOpts,
    opts.signal,
    (index, file) => ({ index, file }),
    (m) => {
      m.result.tunes.forEach((t, i) => (t.sequence.notes = unpackNotes(m.packed[i])));
      results.set(m.index, m.result);
      while (results.has(added)) {
        add(results.get(added)!);
        results.delete(added);
        added++;
      }
    },
  );
  return added;
}

/**
 * Reads and parses files in worker threads, always (even one small file: a 1 MB file is seconds of
 * parsing, and the calling thread may be a server or a MIDI scheduler), and returns each file's
 * summary (the facts the corpus stats need, see CorpusBuilder.addSummary), in file order. Only where
 * no worker can start (a bundle without read-worker.js) does the calling thread parse, and it says so
 * through `onFallback`.
 */
export async function summarizeFiles(files: string[], opts: { threads?: number; maxFileBytes?: number; signal?: AbortSignal; onFallback?: (why: string) => void } = {}): Promise<FileSummary[]> {
  const out: FileSummary[] = new Array(files.length);
  if (!files.length) return out;
  const entry = workerEntry();
  const n = Math.max(1, Math.min(opts.threads ?? parseThreads(), files.length));
  if (entry) await inWorkers<{ index: number; summary: FileSummary }>(files, n, entry, { maxFileBytes: opts.maxFileBytes }, opts.signal, (index, file) => ({ index, file, summary: true }), (m) => (out[m.index] = m.summary));
  const missing = files.map((_, i) => i).filter((i) => !out[i]);
  if (missing.length && !opts.signal?.aborted) {
    opts.onFallback?.(entry ? 'a parsing worker stopped' : 'no parsing worker in this build');
    for (const i of missing) out[i] = summarizeTunes(files[i]!, await readOne(files[i]!, { maxFileBytes: opts.maxFileBytes }));
  }
  return out;
}

/** Notes as one Float64Array (pitch, start, end, velocity, voice per note), for postMessage. */
export function packNotes(notes: Note[]): Float64Array {
  const a = new Float64Array(notes.length * 5);
  notes.forEach((n, i) => a.set([n.pitch, n.start, n.end, n.velocity, n.voice], i * 5));
  return a;
}

function unpackNotes(a: Float64Array): Note[] {
  const notes: Note[] = new Array(a.length / 5);
  for (let i = 0, j = 0; j < a.length; i++, j += 5) notes[i] = { pitch: a[j], start: a[j + 1], end: a[j + 2], velocity: a[j + 3], voice: a[j + 4] };
  return notes;
}

export async function loadCorpus(paths: string[], opts: LoadCorpusOptions = {}): Promise<Corpus> {
  const { files, problems } = await expandCorpusPaths(paths, opts.cwd, opts.signal);
  const builder = new CorpusBuilder(opts);
  let done = 0;
  // Results are added in file order whatever order the workers finish in, so the corpus (which
  // duplicate is kept, the entries' order) is the same as on one thread.
  const add = (result: ReturnType<typeof readTunes>) => {
    builder.add(files[done], result);
    done++;
    opts.onProgress?.(done, files.length, files[done - 1]);
  };
  const workers = opts.workers ?? (await defaultWorkers(files));
  if (workers > 0 && files.length > 1) done = await readInWorkers(files, workers, opts, add);
  for (let i = done; i < files.length; i++) {
    if (opts.signal?.aborted) break;
    add(await readOne(files[i], opts));
  }
  const reports = [...problems, ...builder.files];
  const stats = builder.finish();
  stats.files = files.length;
  stats.errors += problems.length;
  const entries = builder.entries;
  const kept = new Map<string, Map<number, Split>>();
  for (const e of entries) {
    let m = kept.get(e.file);
    if (!m) kept.set(e.file, (m = new Map()));
    m.set(e.index, e.split);
  }
  return {
    files: reports,
    stats,
    entries,
    encodings: builder.encodings(),
    async *tunes(split: Split | 'all' = 'all') {
      for (const [file, indices] of kept) {
        if (opts.signal?.aborted) return;
        const r = await readOne(file, opts);
        for (const t of r.tunes) {
          const s = indices.get(t.source.index);
          if (s && (split === 'all' || s === split)) yield { ...t, split: s };
        }
      }
    },
  };
}
