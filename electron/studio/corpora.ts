/**
 * Corpora imported into the studio: <user data>/corpora/<id>/corpus.json + files/. Files arrive as
 * contents (never paths from the renderer); names are reduced to a safe base name. Stats come from
 * the music core's corpus reader, so they are the ones training will see.
 *
 * Files are parsed in worker threads, never on this (the server's, the MIDI scheduler's) thread, and
 * only once: each file's summary is kept in summaries.json (by name, size and modification time), so
 * adding a file parses that file, not the corpus again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { summarizeFiles } from '@shared/music/corpus/files';
import { CorpusBuilder, isAbcFile, isMidiFile, type FileSummary } from '@shared/music/corpus/corpus';
import type { CorpusInfo } from '@shared/ipc/channels/training';
import { StudioError } from '@shared/ipc/result';
import type { Handlers } from '@shared/ipc/dispatch';
import { writeFileAtomic } from '../node/atomic';

interface CorpusFile {
  name: string;
  createdAt: string;
  stats: CorpusInfo['stats'];
  problems: CorpusInfo['problems'];
}

const MAX_PROBLEMS = 50;

export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^\.+/, '').slice(0, 120);
  if (!cleaned || (!isAbcFile(cleaned) && !isMidiFile(cleaned))) {
    throw new StudioError('bad_input', `"${base.slice(0, 100)}" is not an .abc or .mid file; a corpus takes ABC (.abc) and MIDI (.mid, .midi) files`);
  }
  return cleaned;
}

interface SummaryCache {
  version: 1;
  files: Record<string, { size: number; mtimeMs: number; summary: FileSummary }>;
}

export interface CorpusStoreOptions {
  /** Parses files into summaries (default: summarizeFiles, in worker threads); tests count its calls. */
  summarize?: (files: string[]) => Promise<FileSummary[]>;
}

export class CorpusStore {
  readonly root: string;
  private readonly summarize: (files: string[]) => Promise<FileSummary[]>;
  /** One refresh at a time per corpus: two quick adds never parse the same new file twice. */
  private readonly refreshing = new Map<string, Promise<unknown>>();
  constructor(userDataDir: string, options: CorpusStoreOptions = {}) {
    this.root = path.join(userDataDir, 'corpora');
    this.summarize =
      options.summarize ??
      ((files) => summarizeFiles(files, { onFallback: (why) => console.warn(`seedsong: corpus files parsed on the main thread (${why})`) }));
  }

  dirOf(id: string): string {
    const dir = path.join(this.root, id);
    if (!/^[a-z0-9-]{1,64}$/.test(id) || !fs.existsSync(path.join(dir, 'corpus.json'))) throw new StudioError('not_found', `there is no corpus "${id}"`);
    return dir;
  }

  filesDir(id: string): string {
    return path.join(this.dirOf(id), 'files');
  }

  private read(id: string): CorpusInfo {
    const dir = this.dirOf(id);
    let meta: CorpusFile;
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'corpus.json'), 'utf8'));
    } catch (e) {
      throw new StudioError('io_error', `corpus "${id}": corpus.json is damaged (${(e as Error).message})`);
    }
    const files = fs.existsSync(path.join(dir, 'files')) ? fs.readdirSync(path.join(dir, 'files')).filter((f) => !f.startsWith('.')).sort() : [];
    return { id, name: meta.name, createdAt: meta.createdAt, files, stats: meta.stats ?? null, problems: meta.problems ?? [] };
  }

  list(): CorpusInfo[] {
    let ids: string[];
    try {
      ids = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    const out: CorpusInfo[] = [];
    for (const id of ids.sort()) {
      try {
        out.push(this.read(id));
      } catch {
        /* not a corpus folder */
      }
    }
    return out;
  }

  async create(name: string): Promise<CorpusInfo> {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'corpus';
    const id = `${slug}-${randomBytes(3).toString('hex')}`;
    const dir = path.join(this.root, id);
    fs.mkdirSync(path.join(dir, 'files'), { recursive: true });
    const meta: CorpusFile = { name, createdAt: new Date().toISOString(), stats: null, problems: [] };
    await writeFileAtomic(path.join(dir, 'corpus.json'), JSON.stringify(meta, null, 2));
    return this.read(id);
  }

  /** Adds files (names checked first: a bad one rejects the whole call, nothing half-added), then re-reads the stats. */
  async add(id: string, files: { name: string; base64: string }[]): Promise<CorpusInfo> {
    const dir = this.dirOf(id);
    const named = files.map((f) => ({ name: safeFileName(f.name), data: Buffer.from(f.base64, 'base64') }));
    const existing = new Set(fs.readdirSync(path.join(dir, 'files')));
    for (const f of named) {
      let name = f.name;
      for (let i = 2; existing.has(name); i++) name = f.name.replace(/(\.[^.]+)$/, ` (${i})$1`);
      existing.add(name);
      await writeFileAtomic(path.join(dir, 'files', name), f.data);
    }
    return this.refresh(id);
  }

  /**
   * Brings the stats up to date: parses (in workers) the files that are new or changed since their
   * summary was kept, then adds up every file's summary in name order.
   */
  async refresh(id: string): Promise<CorpusInfo> {
    const previous = this.refreshing.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.refreshNow(id));
    this.refreshing.set(id, run);
    try {
      return await run;
    } finally {
      if (this.refreshing.get(id) === run) this.refreshing.delete(id);
    }
  }

  private async refreshNow(id: string): Promise<CorpusInfo> {
    const dir = this.dirOf(id);
    const filesDir = path.join(dir, 'files');
    const cacheFile = path.join(dir, 'summaries.json');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'corpus.json'), 'utf8')) as CorpusFile;
    let cache: SummaryCache = { version: 1, files: {} };
    try {
      const read = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as SummaryCache;
      if (read?.version === 1 && read.files && typeof read.files === 'object') cache = read;
    } catch {
      /* no summaries yet, or a damaged file: every file is parsed again */
    }
    const names = fs.readdirSync(filesDir).filter((f) => !f.startsWith('.') && (isAbcFile(f) || isMidiFile(f))).sort();
    const fresh: SummaryCache = { version: 1, files: {} };
    const toParse: string[] = [];
    for (const name of names) {
      let st: fs.Stats;
      try {
        st = fs.statSync(path.join(filesDir, name));
      } catch {
        continue;
      }
      const known = cache.files[name];
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) fresh.files[name] = known;
      else {
        toParse.push(name);
        fresh.files[name] = { size: st.size, mtimeMs: st.mtimeMs, summary: { file: name, tunes: [], errors: [] } };
      }
    }
    if (toParse.length) {
      const summaries = await this.summarize(toParse.map((n) => path.join(filesDir, n)));
      toParse.forEach((name, i) => {
        const s = summaries[i]!;
        // Kept by name: the folder's absolute path is neither stored nor shown.
        const hide = (m: string) => m.split(filesDir + path.sep).join('');
        fresh.files[name]!.summary = { file: name, tunes: s.tunes, errors: s.errors.map((e) => ({ ...e, file: name, message: hide(e.message) })) };
      });
    }
    const builder = new CorpusBuilder({});
    for (const name of names) if (fresh.files[name]) builder.addSummary(fresh.files[name]!.summary);
    const s = builder.finish();
    meta.stats = { tunes: s.tunes, train: s.train, validation: s.validation, duplicates: s.duplicates, errors: s.errors, notes: s.notes, meters: s.meters, keys: s.keys, pitchRange: s.pitchRange };
    meta.problems = builder.files
      .flatMap((f) => f.errors)
      .slice(0, MAX_PROBLEMS)
      .map((e) => ({ message: e.message, file: path.basename(e.file), tune: e.tune, line: e.line }));
    await writeFileAtomic(cacheFile, JSON.stringify(fresh));
    await writeFileAtomic(path.join(dir, 'corpus.json'), JSON.stringify(meta, null, 2));
    return this.read(id);
  }

  delete(id: string): void {
    const dir = this.dirOf(id);
    const aside = path.join(this.root, `.deleting-${id}`);
    fs.renameSync(dir, aside);
    fs.rmSync(aside, { recursive: true, force: true });
  }
}

/** The corpora channels. */
export function setupCorpora(corpora: CorpusStore): Pick<Handlers, 'listCorpora' | 'createCorpus' | 'addCorpusFiles' | 'deleteCorpus'> {
  return {
    listCorpora: () => corpora.list(),
    createCorpus: ({ name }) => corpora.create(name),
    addCorpusFiles: ({ corpusId, files }) => corpora.add(corpusId, files),
    deleteCorpus: ({ corpusId }) => {
      corpora.delete(corpusId);
      return {};
    },
  };
}
