/** The model library. */
import { z } from 'zod';
import { channel } from './define';
import { ModelIdSchema, ModelSummarySchema, NewModelNameSchema } from '../schemas';

export const modelChannels = {
  listModels: channel('Every model in the library, the built-in default first', z.object({}).strict(), z.array(ModelSummarySchema)),
  renameModel: channel('Rename a model of the library (built-in models cannot be renamed)', z.object({ modelId: ModelIdSchema, to: NewModelNameSchema }).strict(), ModelSummarySchema),
  deleteModel: channel('Delete a model of the library (built-in models cannot be deleted)', z.object({ modelId: ModelIdSchema }).strict(), z.object({})),
  duplicateModel: channel(
    'Copy a model (built-in ones too) into the library under a new name, e.g. to fine-tune it',
    z.object({ modelId: ModelIdSchema, to: NewModelNameSchema }).strict(),
    ModelSummarySchema,
  ),
} as const;
