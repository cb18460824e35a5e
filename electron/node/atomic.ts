/**
 * Atomic writes: a reader (or a crash) sees either the old file or the new one, never half of one.
 * Write to a temporary name in the same folder, fsync, rename over the target, fsync the folder.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

function tmpName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; some platforms (Windows) refuse to open folders.
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    /* best effort */
  } finally {
    await h?.close();
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  const h = await fs.open(tmp, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * Builds a whole folder under a temporary name and renames it into place. If the target exists it
 * is replaced: moved aside first, then removed once the new folder is in place.
 */
export async function writeDirAtomic(target: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const tmp = tmpName(target);
  await fs.mkdir(tmp);
  try {
    await fill(tmp);
    for (const f of await fs.readdir(tmp)) {
      const h = await fs.open(path.join(tmp, f), 'r');
      try {
        await h.sync();
      } catch {
        /* folders inside: fine */
      } finally {
        await h.close();
      }
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let aside: string | undefined;
  try {
    await fs.rename(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    aside = tmpName(target) + '.old';
    await fs.rename(target, aside);
    await fs.rename(tmp, target);
  }
  await fsyncDir(parent);
  if (aside) await fs.rm(aside, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Leftovers of interrupted writes

/** The temporary names above: `.<target>.<pid>.<8 hex>.tmp`, and `.tmp.old` for a set-aside folder. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp(\.old)?$/;
/** ModelCatalog.delete moves a model aside under this name before removing it. */
const DELETING_NAME = /^\.deleting-.+-[0-9a-f]{6}$/;

export interface CleanReport {
  /** Paths removed (temporary files and folders of writes that will never finish). */
  removed: string[];
  /** Targets put back from a set-aside copy (a kill between the two renames of writeDirAtomic). */
  restored: string[];
}

export interface CleanOptions {
  /** Folder levels to look into below the root (library / model / checkpoints / checkpoint). */
  depth?: number;
  /** A temporary file older than this is stale even if a process with its writer's pid runs. */
  staleMs?: number;
  /** For tests: whether a writer pid still runs. */
  isAlive?: (pid: number) => boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what interrupted atomic writes left behind under `root`: only names this module makes
 * (never a user's file), and only when their writer is gone (its pid no longer runs) or the file is
 * older than `staleMs` (default one hour: a pid can be reused). A write in flight in this or another
 * live process is left alone. When a folder was set aside (`.old`) and the kill came before the new
 * one took its place, the target is put back first: the complete new folder if it is there, else
 * the old one. Assumes one machine: a library shared over a network with another machine's writer
 * could lose that writer's in-flight temporary file.
 */
export async function cleanStaleTemps(root: string, opts: CleanOptions = {}): Promise<CleanReport> {
  const report: CleanReport = { removed: [], restored: [] };
  const alive = opts.isAlive ?? pidAlive;
  const staleMs = opts.staleMs ?? 60 * 60 * 1000;
  const now = Date.now();
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const stale: { name: string; target: string; pid: number; old: boolean }[] = [];
    for (const e of entries) {
      const m = TEMP_NAME.exec(e.name);
      if (m) {
        const pid = Number(m[2]);
        let old = false;
        if (alive(pid)) {
          const st = await fs.stat(path.join(dir, e.name)).catch(() => null);
          old = !!st && now - st.mtimeMs > staleMs;
          if (!old) continue;
        }
        stale.push({ name: e.name, target: m[1], pid, old: !!m[3] });
      } else if (depth === 0 && DELETING_NAME.test(e.name) && e.isDirectory()) {
        await fs.rm(path.join(dir, e.name), { recursive: true, force: true });
        report.removed.push(path.join(dir, e.name));
      } else if (e.isDirectory() && !e.name.startsWith('.') && depth < (opts.depth ?? 3)) {
        await visit(path.join(dir, e.name), depth + 1);
      }
    }
    // A set-aside folder whose target is missing: the write died between its two renames.
    for (const aside of stale.filter((s) => s.old)) {
      if (names.has(aside.target)) continue;
      const fresh = stale.find((s) => !s.old && s.target === aside.target && s.pid === aside.pid);
      const from = fresh ?? aside;
      try {
        await fs.rename(path.join(dir, from.name), path.join(dir, aside.target));
        names.add(aside.target);
        report.restored.push(path.join(dir, aside.target));
        stale.splice(stale.indexOf(from), 1);
      } catch {
        /* leave it for the removal below */
      }
    }
    for (const s of stale) {
      await fs.rm(path.join(dir, s.name), { recursive: true, force: true });
      report.removed.push(path.join(dir, s.name));
    }
  };
  await visit(root, 0);
  if (report.removed.length || report.restored.length) await fsyncDir(root);
  return report;
}
