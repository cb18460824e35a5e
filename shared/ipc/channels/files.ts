/**
 * Files that cross the boundary: a model folder the user imports, and exports the user saves.
 *
 * The renderer never names a path on disk. An import is uploaded in parts (stageFile, one
 * relative path per file, the bytes in base64 chunks small enough for one WebSocket frame) and
 * then turned into a model (importModel). A save hands the bytes to the studio, which asks the
 * user where to put them (Electron's save dialog) or answers `download` (serve mode: the browser
 * downloads them; shared/ipc/files.ts does not even send the bytes there).
 */
import { z } from 'zod';
import { channel } from './define';
import { ModelSummarySchema, NewModelNameSchema } from '../schemas';

export const UploadIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'upload id: 8-64 letters, digits, _ or -');

/**
 * A path inside the folder being uploaded ("model.json", "shards/group1-shard1of2.bin"): relative,
 * no "..", no drive letters, no hidden segments, plain characters only.
 */
export const RelativePathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9 _.()+-]+(\/[A-Za-z0-9 _.()+-]+){0,3}$/, 'a relative path of plain names (letters, digits, space _ . ( ) + -), at most 4 levels')
  .refine((p) => p.split('/').every((s) => s !== '.' && s !== '..' && !s.startsWith('.')), 'no ".", ".." or hidden names in the path');

/** Base64 characters per stageFile call: 1.5 MB of bytes, well inside one 4 MiB frame. */
export const STAGE_CHUNK_BASE64 = 2_000_000;
/** All files of one upload together. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** The bytes of one save (Electron's IPC carries them; serve mode never sends them). */
export const MAX_SAVE_BASE64 = 96_000_000;

export const SaveKindSchema = z.enum(['mid', 'abc', 'wav', 'project', 'csv']);
export type SaveKind = z.infer<typeof SaveKindSchema>;

export const SaveResultSchema = z.discriminatedUnion('saved', [
  z.object({ saved: z.literal(true), name: z.string() }),
  z.object({ saved: z.literal(false), reason: z.enum(['cancelled', 'download']) }),
]);
export type SaveResult = z.infer<typeof SaveResultSchema>;

export const filesChannels = {
  stageFile: channel(
    'Upload one chunk of one file of a folder being imported (append: false starts the file)',
    z
      .object({
        uploadId: UploadIdSchema,
        path: RelativePathSchema,
        base64: z.string().max(STAGE_CHUNK_BASE64),
        append: z.boolean().default(false),
      })
      .strict(),
    z.object({ bytes: z.number().int().min(0) }),
  ),
  importModel: channel(
    'Turn an uploaded Keras / TensorFlow.js model folder (model.json + weight shards + optional vocabulary) into a library model',
    z.object({ uploadId: UploadIdSchema, name: NewModelNameSchema }).strict(),
    ModelSummarySchema,
  ),
  saveFile: channel(
    'Save exported bytes where the user chooses (Electron save dialog); in serve mode answers `download`',
    z
      .object({
        suggestedName: z.string().min(1).max(120),
        kind: SaveKindSchema,
        base64: z.string().max(MAX_SAVE_BASE64),
      })
      .strict(),
    SaveResultSchema,
  ),
} as const;
