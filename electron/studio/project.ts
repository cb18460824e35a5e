/**
 * The project autosave: one slot, <user data>/projects/autosave.json, written atomically (temp
 * file, fsync, rename) so that a crash mid-write keeps the previous project. A file that does not
 * read is set aside (never deleted) and the studio starts empty, saying so.
 *
 * The project arrives as JSON text in parts (saveProject {saveId, part, parts, text}) and is checked
 * whole once the last part is in. The file is {format: 2, savedAt, project} with a version 2
 * project; a version 1 file is migrated when read. Temp files a crash left behind are removed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MAX_PROJECT_PARTS, PROJECT_PART_CHARS, readProject } from '@shared/ipc/channels/project';
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError } from '@shared/ipc/result';
import { writeFileAtomic } from '../node/atomic';

export function projectFile(userDataDir: string): string {
  return path.join(userDataDir, 'projects', 'autosave.json');
}

/** Saves being assembled at once (a second tab, a save that was cut off): older ones are dropped. */
const MAX_OPEN_SAVES = 2;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `.autosave.json.<pid>.<hex>.tmp` files whose writer is gone (writeFileAtomic's temp names):
 * a crash between write and rename leaves one behind, each as large as a project.
 */
export async function sweepProjectTemps(userDataDir: string): Promise<string[]> {
  const dir = path.dirname(projectFile(userDataDir));
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^\.autosave\.json\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

export function projectHandlers(userDataDir: string): Pick<Handlers, 'saveProject' | 'loadProject'> & { sweep(): Promise<string[]> } {
  const file = projectFile(userDataDir);
  // Saves are serialized: a slow disk never lets an older project overwrite a newer one.
  let queue: Promise<unknown> = Promise.resolve();
  const open = new Map<string, { parts: number; texts: (string | undefined)[]; received: number }>();
  return {
    sweep: () => sweepProjectTemps(userDataDir),
    saveProject: async ({ saveId, part, parts, text }) => {
      let save = open.get(saveId);
      if (!save) {
        while (open.size >= MAX_OPEN_SAVES) open.delete(open.keys().next().value!);
        save = { parts, texts: new Array<string | undefined>(parts), received: 0 };
        open.set(saveId, save);
      }
      if (save.parts !== parts) {
        open.delete(saveId);
        throw new StudioError('invalid_request', `saveProject ${saveId}: part ${part + 1} says ${parts} parts, earlier parts said ${save.parts}`);
      }
      if (save.texts[part] === undefined) save.received++;
      save.texts[part] = text;
      if (save.received < parts) return { savedAt: null };
      open.delete(saveId);
      let data: unknown;
      try {
        data = JSON.parse(save.texts.join(''));
      } catch (e) {
        throw new StudioError('invalid_request', `the project is not JSON (${(e as Error).message.slice(0, 200)})`);
      }
      const read = readProject(data);
      if (!read.ok) throw new StudioError('invalid_request', `the project did not validate: ${read.message}`);
      const savedAt = new Date().toISOString();
      const write = queue.then(async () => {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, JSON.stringify({ format: 2, savedAt, project: read.project }));
      });
      queue = write.catch(() => undefined);
      try {
        await write;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StudioError('io_error', `the project could not be written to the user-data folder (${code ?? (e as Error).message})`);
      }
      return { savedAt };
    },
    loadProject: async () => {
      await sweepProjectTemps(userDataDir);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        return { project: null, savedAt: null, problem: null };
      }
      try {
        const raw = JSON.parse(text) as { savedAt?: unknown; project?: unknown };
        const read = readProject(raw.project);
        if (!read.ok) throw new Error(read.message);
        return { project: read.project, savedAt: typeof raw.savedAt === 'string' ? raw.savedAt : null, problem: null };
      } catch (e) {
        const aside = `${file}.damaged-${Date.now()}`;
        await fs.rename(file, aside).catch(() => undefined);
        return { project: null, savedAt: null, problem: `The autosaved project did not read (${(e as Error).message}); it was kept as ${path.basename(aside)} and the studio started empty.` };
      }
    },
  };
}

export { MAX_PROJECT_PARTS, PROJECT_PART_CHARS };
