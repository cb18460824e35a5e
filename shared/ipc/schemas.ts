/**
 * Entity schemas shared by several channels. Limits here are the studio's real limits, so that a
 * malformed or hostile payload is rejected at the boundary before any service sees it.
 */
import { z } from 'zod';

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'run id: 1-64 letters, digits, _ or -');
/**
 * A model of the library (`name`) or a built-in one (`builtin.name`). A name never starts with "."
 * (".", ".." and hidden folders would name the library's parent, or its temporary folders).
 */
export const ModelIdSchema = z
  .string()
  .regex(/^(builtin\.)?[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/, 'model id: 1-128 letters, digits, . _ or -, not starting with "."')
  .refine((id) => !id.startsWith('builtin.') || /^[A-Za-z0-9_-]/.test(id.slice('builtin.'.length)), 'model id: a built-in model\'s name follows "builtin." and does not start with "."');
/** The name of a new model (train, duplicate, rename, import): a model id that is not a built-in one. */
export const NewModelNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/, 'model name: 1-128 letters, digits, . _ or -, not starting with "."')
  .refine((n) => !n.startsWith('builtin.'), 'model name: "builtin." is reserved for the models shipped with Seedsong');

export const NoteSchema = z.object({
  pitch: z.number().int().min(0).max(127),
  start: z.number().min(0).max(1e6),
  end: z.number().min(0).max(1e6),
  velocity: z.number().int().min(1).max(127),
  voice: z.number().int().min(0).max(64),
}).refine((n) => n.end > n.start, { message: 'a note must end after it starts' });
export type NoteDto = z.infer<typeof NoteSchema>;

/** A note as the contract carries it (velocity kept within 1..127). */
export function toNoteDto(n: { pitch: number; start: number; end: number; velocity: number; voice: number }): NoteDto {
  return { pitch: n.pitch, start: n.start, end: n.end, velocity: Math.max(1, Math.min(127, Math.round(n.velocity))), voice: n.voice };
}

export const BackendNameSchema = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendNameSchema>;

export const BackendInfoSchema = z.object({
  status: z.enum(['starting', 'ready', 'failed']),
  /** The backend the engine runs on, null until it has started. */
  active: BackendNameSchema.nullable(),
  /** Every backend in order of preference, with the reason it is not used. */
  candidates: z.array(z.object({ name: BackendNameSchema, available: z.boolean(), reason: z.string().optional() })),
  message: z.string().optional(),
});
export type BackendInfo = z.infer<typeof BackendInfoSchema>;

export const MidiStatusSchema = z.object({
  available: z.boolean(),
  /** In a musician's words: what works and what does not. */
  message: z.string(),
});
export type MidiStatus = z.infer<typeof MidiStatusSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['electron', 'serve']),
  platform: z.string(),
  backend: BackendInfoSchema,
  midi: MidiStatusSchema,
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const EncodingNameSchema = z.enum(['abc-char', 'abc-token', 'melody-event', 'midi-event']);

export const ModelSummarySchema = z.object({
  id: ModelIdSchema,
  name: z.string(),
  encoding: EncodingNameSchema,
  architecture: z.string(),
  builtIn: z.boolean(),
  createdAt: z.string(),
  parameters: z.number().int().nonnegative().optional(),
  validationLoss: z.number().optional(),
});
export type ModelSummary = z.infer<typeof ModelSummarySchema>;

export const SeedSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('abc'), text: z.string().max(200_000) }),
  z.object({ kind: z.literal('notes'), notes: z.array(NoteSchema).max(20_000) }),
]);
export type Seed = z.infer<typeof SeedSchema>;

export const SamplingSchema = z.object({
  temperature: z.number().min(0.05).max(5).default(1),
  topK: z.number().int().min(0).max(100_000).default(0),
  topP: z.number().gt(0).max(1).default(1),
  /** Maximum number of tokens to sample per variation. */
  length: z.number().int().min(1).max(8192).default(512),
  /** Number of variations sampled together. */
  count: z.number().int().min(1).max(16).default(1),
  /** Fixed RNG seed: the same seed, model and settings give the same take. */
  rngSeed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
});
export type Sampling = z.infer<typeof SamplingSchema>;

export const TakeSchema = z.object({
  variation: z.number().int().min(0),
  abc: z.string(),
  /** When `abc` starts with a typed seed as the musician wrote it: its length in characters (kept as written, e.g. by beaming). */
  seedChars: z.number().int().min(0).optional(),
  notes: z.array(NoteSchema),
  warnings: z.array(z.string()),
});
export type Take = z.infer<typeof TakeSchema>;
