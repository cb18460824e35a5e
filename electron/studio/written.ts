/**
 * WriteGuard: Seedsong overwrites a file only if Seedsong wrote it (and nobody changed it since),
 * or when the user said so (a save dialog's own "Replace?" answer, or `--force` on the command
 * line). What we wrote is remembered as path -> size and SHA-256 of the content in
 * <user data>/written.json, so a take.mid the user re-generates is replaced without a question,
 * while their own song.mid of the same name is not.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../node/atomic';

interface Entry {
  size: number;
  sha256: string;
  at: string;
}

/** Older entries are dropped beyond this many: the file is a memory of recent writes, not an archive. */
const MAX_ENTRIES = 2000;

export class OverwriteRefused extends Error {
  override name = 'OverwriteRefused';
  constructor(readonly file: string) {
    super(`${file} exists and was not written by Seedsong (or was changed since); not overwriting it. Choose another name, or say that it may be replaced (--force on the command line).`);
  }
}

const digest = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

export class WriteGuard {
  private readonly registry: string;
  private entries: Record<string, Entry> | null = null;

  constructor(userDataDir: string) {
    this.registry = path.join(userDataDir, 'written.json');
  }

  private load(): Record<string, Entry> {
    if (this.entries) return this.entries;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.registry, 'utf8')) as unknown;
      this.entries = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, Entry>) : {};
    } catch {
      // Missing or damaged: then we remember nothing, which only means asking more often.
      this.entries = {};
    }
    return this.entries;
  }

  /** May `file` be replaced without asking? True when it does not exist or is exactly what we wrote. */
  mayReplace(file: string): boolean {
    const abs = path.resolve(file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      return true;
    }
    if (!stat.isFile()) return false;
    const e = this.load()[abs];
    if (!e || e.size !== stat.size) return false;
    try {
      return digest(fs.readFileSync(abs)) === e.sha256;
    } catch {
      return false;
    }
  }

  /**
   * Writes atomically after the check; `force` is the user's explicit permission.
   * Throws OverwriteRefused without touching the file otherwise.
   */
  async write(file: string, data: string | Uint8Array, opts: { force?: boolean } = {}): Promise<void> {
    const abs = path.resolve(file);
    if (!opts.force && !this.mayReplace(abs)) throw new OverwriteRefused(file);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await writeFileAtomic(abs, bytes);
    await this.remember(abs, bytes);
  }

  private async remember(abs: string, bytes: Uint8Array): Promise<void> {
    // Re-read first: another Seedsong process (CLI beside the studio) may have written meanwhile.
    this.entries = null;
    const entries = this.load();
    entries[abs] = { size: bytes.length, sha256: digest(bytes), at: new Date().toISOString() };
    const names = Object.keys(entries);
    if (names.length > MAX_ENTRIES) {
      names.sort((a, b) => entries[a]!.at.localeCompare(entries[b]!.at));
      for (const n of names.slice(0, names.length - MAX_ENTRIES)) delete entries[n];
    }
    try {
      await fs.promises.mkdir(path.dirname(this.registry), { recursive: true });
      await writeFileAtomic(this.registry, JSON.stringify(entries));
    } catch {
      /* the file itself is written; forgetting it only means asking next time */
    }
  }
}
