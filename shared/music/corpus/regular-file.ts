/**
 * Reading a file the user named (Node only): regular files only, with a size limit. A FIFO, a
 * device or a link to /dev/zero is refused at once with a typed error instead of blocking or
 * reading without end. The file is opened first (non-blocking, so a FIFO cannot hang the open) and
 * checked through its handle, so what is checked is what is read.
 *
 * A file name that is not valid UTF-8 reaches us with U+FFFD in place of its bad bytes (Node decodes
 * command lines and folder listings that way); such a name is matched against the folder's raw
 * names, so the file still opens.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';

export type FileRefusal = 'not-found' | 'not-regular' | 'too-large' | 'unreadable';

export class FileRefused extends Error {
  constructor(
    readonly reason: FileRefusal,
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'FileRefused';
  }
}

/** 20 MB: far more than any tune or corpus file (the largest ABC book we know is 3 MB). */
export const DEFAULT_MAX_FILE_BYTES = 20_000_000;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The raw name in `file`'s folder whose lossy UTF-8 decoding is `file`'s name, if there is one. */
async function rawNameFor(file: string): Promise<Buffer | null> {
  if (!file.includes('\uFFFD')) return null;
  const dir = path.dirname(file);
  const wanted = path.basename(file);
  let names: Buffer[];
  try {
    names = await fs.readdir(dir, { encoding: 'buffer' });
  } catch {
    return null;
  }
  const match = names.find((n) => n.toString('utf8') === wanted);
  return match ? Buffer.concat([Buffer.from(dir + path.sep, 'utf8'), match]) : null;
}

/** fs.stat, falling back to the raw bytes of a name that is not valid UTF-8 (see rawNameFor). */
export async function statLossy(file: string): Promise<Stats> {
  try {
    return await fs.stat(file);
  } catch (e) {
    const raw = (e as NodeJS.ErrnoException).code === 'ENOENT' ? await rawNameFor(file) : null;
    if (!raw) throw e;
    return fs.stat(raw);
  }
}

/** Opens a path, falling back to the raw bytes of a name that is not valid UTF-8. */
async function openRead(file: string): Promise<fs.FileHandle> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
  try {
    return await fs.open(file, flags);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const raw = await rawNameFor(file);
    if (!raw) throw e;
    return fs.open(raw, flags);
  }
}

/**
 * The bytes of a regular file of at most maxBytes. `display` is how messages name the file (the
 * name the user gave, never our absolute path if they gave a relative one).
 */
export async function readRegularFile(file: string, opts: { maxBytes?: number; display?: string } = {}): Promise<Buffer> {
  const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const shown = opts.display ?? file;
  let h: fs.FileHandle;
  try {
    h = await openRead(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileRefused('not-found', `${shown}: cannot be read (no such file)`, shown);
    if (code === 'ENXIO') throw new FileRefused('not-regular', `${shown}: not a regular file (a socket or device); only files can be read`, shown);
    throw new FileRefused('unreadable', `${shown}: cannot be read (${code ?? (e as Error).message})`, shown);
  }
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new FileRefused('not-regular', `${shown}: ${kindOf(st)}, not a regular file; only files can be read`, shown);
    if (st.size > max) throw new FileRefused('too-large', `${shown}: ${st.size} bytes is more than the ${max} bytes a file may have here`, shown);
    // Read at most max + 1 bytes: a file that grows while we read cannot make us read without end.
    const buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        if (n > max) throw new FileRefused('too-large', `${shown}: more than the ${max} bytes a file may have here`, shown);
        break;
      }
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof FileRefused) throw e;
    throw new FileRefused('unreadable', `${shown}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, shown);
  } finally {
    await h.close().catch(() => undefined);
  }
}
