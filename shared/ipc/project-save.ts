/**
 * Sends a project to the studio's autosave in parts (saveProject {saveId, part, parts, text}), so a
 * project larger than one WebSocket frame (4 MiB) saves too. Used by the renderer over either
 * transport; pure, so tests drive it against the real handlers.
 */
import { projectParts, MAX_PROJECT_PARTS, type ProjectDto } from './channels/project';
import { fail, type Result } from './result';

export type SavePart = (request: { saveId: string; part: number; parts: number; text: string }) => Promise<Result<{ savedAt: string | null }>>;

let counter = 0;

export async function saveProjectInParts(send: SavePart, project: ProjectDto, partChars?: number): Promise<Result<{ savedAt: string }>> {
  const parts = projectParts(project, partChars);
  if (parts.length > MAX_PROJECT_PARTS) {
    return fail('invalid_request', `the project is too large to autosave (${parts.length} parts of JSON; the limit is ${MAX_PROJECT_PARTS}): delete some takes`);
  }
  const saveId = `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  for (let part = 0; part < parts.length; part++) {
    const r = await send({ saveId, part, parts: parts.length, text: parts[part]! });
    if (!r.ok) return r;
    if (part === parts.length - 1) {
      if (r.value.savedAt === null) return fail('internal', 'the studio did not confirm the saved project');
      return { ok: true, value: { savedAt: r.value.savedAt } };
    }
  }
  return fail('internal', 'no part was sent');
}
