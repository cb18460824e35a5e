/**
 * Staged uploads: the files of a folder the renderer sends in chunks (a model to import), kept
 * under <user data>/uploads/<uploadId>/ until they are used or abandoned. Paths come from the
 * contract's RelativePathSchema and are resolved again here, so nothing is written outside the
 * upload's own folder whatever the payload says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '@shared/ipc/result';
import { MAX_UPLOAD_BYTES } from '@shared/ipc/channels/files';

/** An upload nobody finished (window closed mid-import, crash) is removed after this long. */
const STALE_MS = 60 * 60 * 1000;

export class UploadStore {
  readonly root: string;
  private readonly sizes = new Map<string, number>();

  constructor(userDataDir: string) {
    this.root = path.join(userDataDir, 'uploads');
  }

  /** Removes uploads left by an earlier session. Never throws: the studio must start anyway. */
  sweep(now = Date.now()): number {
    let removed = 0;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return 0;
    }
    for (const name of names) {
      const dir = path.join(this.root, name);
      try {
        if (now - fs.statSync(dir).mtimeMs > STALE_MS) {
          fs.rmSync(dir, { recursive: true, force: true });
          removed++;
        }
      } catch {
        /* gone already, or not ours to judge */
      }
    }
    return removed;
  }

  dirOf(uploadId: string): string {
    const dir = path.resolve(this.root, uploadId);
    if (path.dirname(dir) !== path.resolve(this.root)) throw new StudioError('invalid_request', `bad upload id "${uploadId}"`);
    return dir;
  }

  async stage(uploadId: string, relative: string, base64: string, append: boolean): Promise<number> {
    const dir = this.dirOf(uploadId);
    const file = path.resolve(dir, relative);
    if (!file.startsWith(dir + path.sep)) throw new StudioError('invalid_request', `"${relative}" is not a path inside the upload`);
    const bytes = Buffer.from(base64, 'base64');
    const total = (this.sizes.get(uploadId) ?? 0) + bytes.length;
    if (total > MAX_UPLOAD_BYTES) {
      await this.discard(uploadId);
      throw new StudioError('bad_input', `the upload is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB; it was discarded`);
    }
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      if (append) {
        await fs.promises.appendFile(file, bytes);
      } else {
        await fs.promises.writeFile(file, bytes);
      }
    } catch (e) {
      throw new StudioError('io_error', `could not store ${relative} of the upload: ${(e as Error).message}`);
    }
    this.sizes.set(uploadId, total);
    return (await fs.promises.stat(file)).size;
  }

  /** The upload's folder, which must exist (something was staged). */
  async folder(uploadId: string): Promise<string> {
    const dir = this.dirOf(uploadId);
    try {
      await fs.promises.access(dir);
    } catch {
      throw new StudioError('not_found', `nothing was uploaded under ${uploadId} (or the upload was discarded)`);
    }
    return dir;
  }

  /**
   * The folder of the upload that holds model.json: the upload itself, or the one sub-folder that
   * does (people choose the folder above the model as often as the model's own).
   */
  async modelFolder(uploadId: string): Promise<string> {
    const root = await this.folder(uploadId);
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isFile() && e.name.toLowerCase() === 'model.json') found.push(dir);
        else if (e.isDirectory() && depth < 4) walk(path.join(dir, e.name), depth + 1);
      }
    };
    walk(root, 0);
    // A Seedsong model folder (e.g. trained by torchrun on a cluster) also holds the model.json
    // of each checkpoint and of its job's initial weights: the one at the top is the model.
    if (found.includes(root)) return root;
    if (found.length === 0) throw new StudioError('bad_input', 'the folder has no model.json: choose the folder written by tensorflowjs_converter (model.json and its .bin weight files)');
    if (found.length > 1) {
      throw new StudioError('bad_input', `the folder holds ${found.length} models (${found.map((f) => path.relative(root, f) || '.').join(', ')}); choose one of them`);
    }
    return found[0]!;
  }

  async discard(uploadId: string): Promise<void> {
    this.sizes.delete(uploadId);
    await fs.promises.rm(this.dirOf(uploadId), { recursive: true, force: true });
  }
}
