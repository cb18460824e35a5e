/**
 * The project: the seed, the takes, the desk, the settings and the model reference, autosaved by
 * the studio under <user data>/projects/ and reopened on start. The renderer never names a file:
 * there is one autosave slot, resolved by the studio.
 */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, NoteSchema } from '../schemas';

const Notes = z.array(NoteSchema).max(50_000);
const Text = z.string().max(200_000);

export const ProjectTakeSchema = z.object({
  runId: z.string().max(64),
  variation: z.number().int().min(0),
  number: z.number().int().min(1),
  seedLabel: z.string().max(200),
  settings: z.string().max(200),
  kept: z.boolean(),
  abc: Text,
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
});

export const ProjectSchema = z.object({
  version: z.literal(1),
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
  takes: z.array(ProjectTakeSchema).max(100),
});
export type ProjectDto = z.infer<typeof ProjectSchema>;

export const projectChannels = {
  saveProject: channel('Autosave the open project (atomically, under the user-data folder)', z.object({ project: ProjectSchema }).strict(), z.object({ savedAt: z.string() })),
  loadProject: channel(
    'The autosaved project, if any; a damaged file is set aside and named in `problem`',
    z.object({}).strict(),
    z.object({ project: ProjectSchema.nullable(), savedAt: z.string().nullable(), problem: z.string().nullable() }),
  ),
} as const;
