/** The model library. */
import { z } from 'zod';
import { channel } from './define';
import { ModelSummarySchema } from '../schemas';

export const modelChannels = {
  listModels: channel('Every model in the library, the built-in default first', z.object({}).strict(), z.array(ModelSummarySchema)),
} as const;
