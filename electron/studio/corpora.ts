/**
 * Corpora imported into the studio: <user data>/corpora/<id>/corpus.json + files/. Files arrive as
 * contents (never paths from the renderer); names are reduced to a safe base name. Stats come from
 * the music core's corpus loader, so they are the ones training will see.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadCorpus } from '../../shared/music/corpus/files';
import { isAbcFile, isMidiFile } from '../../shared/music/corpus/corpus';
import type { CorpusInfo } from '../../shared/ipc/channels/training';
import { StudioError } from '../../shared/ipc/result';
import { writeFileAtomic } from '../engine/atomic';

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

export class CorpusStore {
  readonly root: string;
  constructor(userDataDir: string) {
    this.root = path.join(userDataDir, 'corpora');
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

  /** Reads every file again with the music core and stores the stats and the first problems. */
  async refresh(id: string): Promise<CorpusInfo> {
    const dir = this.dirOf(id);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'corpus.json'), 'utf8')) as CorpusFile;
    const corpus = await loadCorpus([path.join(dir, 'files')]);
    const s = corpus.stats;
    meta.stats = { tunes: s.tunes, train: s.train, validation: s.validation, duplicates: s.duplicates, errors: s.errors, notes: s.notes, meters: s.meters, keys: s.keys, pitchRange: s.pitchRange };
    meta.problems = corpus.files
      .flatMap((f) => f.errors)
      .slice(0, MAX_PROBLEMS)
      .map((e) => ({ message: e.message, file: path.basename(e.file), tune: e.tune, line: e.line }));
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
