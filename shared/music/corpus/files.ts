/**
 * Corpus loading from the file system (Node only: node:fs). Files, folders (recursively) and globs
 * (*, **, ?, {a,b}) of .abc and .mid files. Each file is read, parsed and forgotten before the next:
 * the corpus keeps metadata, and tunes() reads the files again, so 10,000 tunes never sit in
 * memory twice (or at all, unless the caller keeps them).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Encoding, EncodingName, Tune } from '../encodings/index';
import { CorpusBuilder, isAbcFile, isMidiFile, readTunes, type CorpusEntry, type CorpusFileReport, type CorpusOptions, type CorpusStats, type Split } from './corpus';

export interface LoadCorpusOptions extends CorpusOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
  /** Files larger than this are reported, not read (default 20 MB). */
  maxFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, file: string) => void;
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
      st = await stat(p);
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

async function readOne(file: string, opts: LoadCorpusOptions) {
  const max = opts.maxFileBytes ?? 20_000_000;
  try {
    const st = await stat(file);
    if (st.size > max) return { tunes: [], errors: [{ code: 'io', message: `${file}: ${st.size} bytes is more than the ${max} bytes a corpus file may have`, file }] };
    const bytes = await readFile(file);
    return readTunes(file, isMidiFile(file) ? new Uint8Array(bytes) : bytes.toString('utf8'), opts);
  } catch (e) {
    return { tunes: [], errors: [{ code: 'io', message: `${file}: cannot be read (${(e as Error).message})`, file }] };
  }
}

export async function loadCorpus(paths: string[], opts: LoadCorpusOptions = {}): Promise<Corpus> {
  const { files, problems } = await expandCorpusPaths(paths, opts.cwd, opts.signal);
  const builder = new CorpusBuilder(opts);
  for (let i = 0; i < files.length; i++) {
    if (opts.signal?.aborted) break;
    builder.add(files[i], await readOne(files[i], opts));
    opts.onProgress?.(i + 1, files.length, files[i]);
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
