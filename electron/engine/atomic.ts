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
