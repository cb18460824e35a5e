/**
 * The project: the seed, the takes, the desk, the settings and the model reference, autosaved by
 * the studio under <user data>/projects/ and reopened on start. The renderer never names a file:
 * there is one autosave slot, resolved by the studio.
 *
 * Version 2 stores each seed once (`seeds`; a take names its seed by index) where version 1 copied
 * the seed's notes into every take; version 1 projects are migrated when read (readProject). The
 * project travels to the studio as JSON text in parts of at most PROJECT_PART_CHARS characters
 * (saveProject {saveId, part, parts, text}), so a project larger than one WebSocket frame saves.
 */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, NoteSchema, type NoteDto } from '../schemas';

const Notes = z.array(NoteSchema).max(50_000);
const Text = z.string().max(200_000);

const ProjectTakeFields = {
  runId: z.string().max(64),
  variation: z.number().int().min(0),
  number: z.number().int().min(1),
  seedLabel: z.string().max(200),
  settings: z.string().max(200),
  kept: z.boolean(),
  abc: Text,
  /** The typed seed at the start of `abc`, kept as written (optional: older projects have none). */
  seedChars: z.number().int().min(0).max(200_000).optional(),
  notes: Notes,
  seedNotes: Notes,
  warnings: z.array(z.string().max(500)).max(20),
  edited: z.object({ notes: Notes, abc: Text, title: z.string().max(200).optional() }).optional(),
  // What the take is (issue #16); optional so that projects saved before still open.
  title: z.string().max(200).optional(),
  model: z.object({ id: ModelIdSchema.nullable(), name: z.string().max(200) }).optional(),
  sampling: z
    .object({ temperature: z.number(), topK: z.number().int(), topP: z.number(), length: z.number().int(), count: z.number().int(), rngSeed: z.number().int().min(0).max(2 ** 32 - 1).nullable() })
    .optional(),
  source: z.enum(['none', 'abc', 'selection', 'file', 'keyboard']).optional(),
};

/** Version 1: every take carried its own copy of the seed's notes. */
export const ProjectTakeV1Schema = z.object(ProjectTakeFields);
const { seedNotes: _seedNotes, ...takeFieldsWithoutSeed } = ProjectTakeFields;
/** Version 2: a take names its seed by index into the project's `seeds`. */
export const ProjectTakeSchema = z.object({ ...takeFieldsWithoutSeed, seed: z.number().int().min(0).max(99) });

const projectFields = {
  modelId: ModelIdSchema.optional(),
  sampling: z.object({
    temperature: z.number(),
    topK: z.number().int(),
    topP: z.number(),
    length: z.number().int(),
    count: z.number().int(),
    rngSeed: z.number().int().nullable(),
  }),
  seed: z.object({
    source: z.enum(['none', 'abc', 'selection', 'file', 'keyboard']),
    abc: Text,
    keyboard: Notes.nullable(),
  }),
  desk: z.object({
    title: z.string().max(200),
    qpm: z.number().min(20).max(400),
    meter: z.object({ numerator: z.number().int().min(1).max(32), denominator: z.number().int().min(1).max(64) }),
    key: z.object({ tonic: z.number().int().min(0).max(11), mode: z.string().max(16), accidentals: z.number().int().min(-7).max(7) }).nullable(),
    seedEnd: z.number().min(0),
    notes: Notes,
    selectedTake: z.number().int().min(0).nullable(),
    grid: z.number().min(0).max(64),
  }),
};

export const ProjectV1Schema = z.object({ version: z.literal(1), ...projectFields, takes: z.array(ProjectTakeV1Schema).max(100) });
export type ProjectV1Dto = z.infer<typeof ProjectV1Schema>;

export const ProjectSchema = z
  .object({ version: z.literal(2), ...projectFields, seeds: z.array(Notes).max(100), takes: z.array(ProjectTakeSchema).max(100) })
  .superRefine((p, ctx) => {
    p.takes.forEach((t, i) => {
      if (t.seed >= p.seeds.length) ctx.addIssue({ code: 'custom', path: ['takes', i, 'seed'], message: `take ${i + 1} names seed ${t.seed}, but the project has ${p.seeds.length}` });
    });
  });
export type ProjectDto = z.infer<typeof ProjectSchema>;
export type ProjectTakeDto = z.infer<typeof ProjectTakeSchema>;

/**
 * Gives each distinct seed one index: the same array (the common case: takes of one Generate share
 * it) or the same notes. Used by the renderer's snapshot and by the version 1 migration.
 */
export function collectSeeds<T extends { seedNotes: readonly NoteDto[] }>(takes: readonly T[]): { seeds: NoteDto[][]; indices: number[] } {
  const seeds: NoteDto[][] = [];
  const byArray = new Map<readonly NoteDto[], number>();
  const byContent = new Map<string, number>();
  const indices = takes.map((t) => {
    const known = byArray.get(t.seedNotes);
    if (known !== undefined) return known;
    const key = t.seedNotes.map((n) => `${n.pitch},${n.start},${n.end},${n.velocity},${n.voice}`).join(';');
    let index = byContent.get(key);
    if (index === undefined) {
      index = seeds.length;
      seeds.push(t.seedNotes.map(({ pitch, start, end, velocity, voice }) => ({ pitch, start, end, velocity, voice })));
      byContent.set(key, index);
    }
    byArray.set(t.seedNotes, index);
    return index;
  });
  return { seeds, indices };
}

export function migrateProjectV1(p: ProjectV1Dto): ProjectDto {
  const { seeds, indices } = collectSeeds(p.takes);
  return {
    ...p,
    version: 2,
    seeds,
    takes: p.takes.map(({ seedNotes: _notes, ...t }, i) => ({ ...t, seed: indices[i]! })),
  };
}

/**
 * Reads a project of any version (the autosave, or a file from Export project): version 2 as it is,
 * version 1 migrated. The message names the first problem and where it is.
 */
export function readProject(data: unknown): { ok: true; project: ProjectDto; migratedFrom: number | null } | { ok: false; message: string } {
  const version = typeof data === 'object' && data !== null ? (data as { version?: unknown }).version : undefined;
  const issue = (e: z.ZodError) => {
    const first = e.issues[0];
    return first ? `${first.path.join('.') || 'the project'}: ${first.message}` : 'unexpected content';
  };
  if (version === 1) {
    const v1 = ProjectV1Schema.safeParse(data);
    return v1.success ? { ok: true, project: migrateProjectV1(v1.data), migratedFrom: 1 } : { ok: false, message: issue(v1.error) };
  }
  if (version !== 2) return { ok: false, message: `version: expected 1 or 2, got ${JSON.stringify(version)?.slice(0, 20) ?? 'nothing'}` };
  const v2 = ProjectSchema.safeParse(data);
  return v2.success ? { ok: true, project: v2.data, migratedFrom: null } : { ok: false, message: issue(v2.error) };
}

/** Characters of project JSON per saveProject part: even at 3 bytes a character, well under a frame. */
export const PROJECT_PART_CHARS = 1_000_000;
/** Parts of one save at most (32 million characters of JSON). */
export const MAX_PROJECT_PARTS = 32;

/** The project's JSON text cut into saveProject parts. */
export function projectParts(project: ProjectDto, partChars = PROJECT_PART_CHARS): string[] {
  const text = JSON.stringify(project);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += partChars) parts.push(text.slice(i, i + partChars));
  return parts.length ? parts : [''];
}

export const SaveIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'save id: 1-64 letters, digits, _ or -');

export const projectChannels = {
  saveProject: channel(
    'Autosave the open project (atomically, under the user-data folder), sent as its JSON text in parts: savedAt is null until the last part has arrived',
    z
      .object({
        saveId: SaveIdSchema,
        part: z.number().int().min(0).max(MAX_PROJECT_PARTS - 1),
        parts: z.number().int().min(1).max(MAX_PROJECT_PARTS),
        text: z.string().max(PROJECT_PART_CHARS),
      })
      .strict()
      .refine((r) => r.part < r.parts, { message: 'part must be less than parts', path: ['part'] }),
    z.object({ savedAt: z.string().nullable() }),
  ),
  loadProject: channel(
    'The autosaved project, if any; a damaged file is set aside and named in `problem`',
    z.object({}).strict(),
    z.object({ project: ProjectSchema.nullable(), savedAt: z.string().nullable(), problem: z.string().nullable() }),
  ),
} as const;
