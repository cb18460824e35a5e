/**
 * The project autosave: one slot, <user data>/projects/autosave.json, written atomically (temp
 * file, fsync, rename) so that a crash mid-write keeps the previous project. A file that does not
 * read is set aside (never deleted) and the studio starts empty, saying so.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ProjectSchema } from '../../shared/ipc/channels/project';
import type { Handlers } from '../../shared/ipc/dispatch';
import { writeFileAtomic } from '../engine/atomic';

export function projectFile(userDataDir: string): string {
  return path.join(userDataDir, 'projects', 'autosave.json');
}

export function projectHandlers(userDataDir: string): Pick<Handlers, 'saveProject' | 'loadProject'> {
  const file = projectFile(userDataDir);
  // Saves are serialized: a slow disk never lets an older project overwrite a newer one.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    saveProject: ({ project }) => {
      const savedAt = new Date().toISOString();
      const write = queue.then(async () => {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await writeFileAtomic(file, JSON.stringify({ savedAt, project }));
      });
      queue = write.catch(() => undefined);
      return write.then(() => ({ savedAt }));
    },
    loadProject: async () => {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        return { project: null, savedAt: null, problem: null };
      }
      try {
        const raw = JSON.parse(text) as { savedAt?: unknown; project?: unknown };
        const parsed = ProjectSchema.safeParse(raw.project);
        if (!parsed.success) throw new Error(parsed.error.issues[0] ? `${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}` : 'not a project');
        return { project: parsed.data, savedAt: typeof raw.savedAt === 'string' ? raw.savedAt : null, problem: null };
      } catch (e) {
        const aside = `${file}.damaged-${Date.now()}`;
        await fs.rename(file, aside).catch(() => undefined);
        return { project: null, savedAt: null, problem: `The autosaved project did not read (${(e as Error).message}); it was kept as ${path.basename(aside)} and the studio started empty.` };
      }
    },
  };
}
