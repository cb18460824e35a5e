/**
 * Corpora and training runs. Corpus files travel as their contents (the renderer reads dropped or
 * picked files), never as paths; the studio keeps them under <user data>/corpora/<id>/.
 */
import { z } from 'zod';
import { channel } from './define';
import { EncodingNameSchema, ModelIdSchema, NewModelNameSchema, RunIdSchema } from '../schemas';

export const CorpusIdSchema = z.string().regex(/^[a-z0-9-]{1,64}$/, 'corpus id: lowercase letters, digits and -');

const ModelSpecSchema = z.object({
  architecture: z.enum(['lstm', 'gru', 'gpt']),
  embeddingSize: z.number().int().min(1).max(4096),
  units: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
  dropout: z.number().min(0).lt(1),
  recurrentDropout: z.number().min(0).lt(1),
  layers: z.number().int().min(0).max(48),
  heads: z.number().int().min(0).max(64),
  contextLength: z.number().int().min(0).max(4096),
});

const TrainingConfigSchema = z.object({
  seqLength: z.number().int().min(2).max(4096),
  batchSize: z.number().int().min(1).max(4096),
  stride: z.number().int().min(1).max(4096).optional(),
  epochs: z.number().int().min(1).max(10_000),
  optimizer: z.enum(['adam', 'rmsprop']),
  learningRate: z.number().gt(0).max(1),
  lrDecay: z.number().gt(0).max(1),
  warmupSteps: z.number().int().min(0).max(1_000_000),
  clipNorm: z.number().min(0).max(1000),
  /** Decoupled (AdamW) weight decay of matrices; optional, 0 = none. */
  weightDecay: z.number().min(0).lt(1).optional(),
  loss: z.enum(['all', 'last']),
  patience: z.number().int().min(0).max(1000),
  checkpointEveryEpochs: z.number().int().min(1).max(10_000),
  checkpointEverySteps: z.number().int().min(0).max(10_000_000),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
});

/** Train with the PyTorch trainer under torchrun (engine-torch/) instead of on the engine process. */
export const DistributedSchema = z
  .object({
    launcher: z.literal('torchrun'),
    /** Processes on this machine (one per GPU, or CPU processes sharing the batch). */
    nprocPerNode: z.number().int().min(1).max(64),
    device: z.enum(['cpu', 'cuda']).optional(),
  })
  .strict();
export type DistributedDto = z.infer<typeof DistributedSchema>;

/** Whether torchrun training is possible here: `python3 -c 'import torch'` and what it offers, or why not. */
export const TrainingEnginesSchema = z.object({
  torchrun: z.object({
    available: z.boolean(),
    python: z.string().optional(),
    torch: z.string().optional(),
    cuda: z.boolean(),
    gpus: z.number().int(),
    cpus: z.number().int(),
    /** Why it is not available, and what to install. */
    reason: z.string().optional(),
    install: z.string().optional(),
  }),
});
export type TrainingEnginesDto = z.infer<typeof TrainingEnginesSchema>;

export const PresetSchema = z.object({
  name: z.string(),
  description: z.string(),
  encoding: EncodingNameSchema,
  model: ModelSpecSchema,
  training: TrainingConfigSchema,
});
export type PresetDto = z.infer<typeof PresetSchema>;

export const CorpusErrorSchema = z.object({ message: z.string(), file: z.string(), tune: z.number().optional(), line: z.number().optional() });

export const CorpusInfoSchema = z.object({
  id: CorpusIdSchema,
  name: z.string(),
  createdAt: z.string(),
  files: z.array(z.string()),
  stats: z
    .object({
      tunes: z.number().int(),
      train: z.number().int(),
      validation: z.number().int(),
      duplicates: z.number().int(),
      errors: z.number().int(),
      notes: z.number().int(),
      meters: z.record(z.string(), z.number()),
      keys: z.record(z.string(), z.number()),
      pitchRange: z.object({ min: z.number(), max: z.number() }).nullable(),
    })
    .nullable(),
  /** The first problems found while reading (file, tune, line, what was expected). */
  problems: z.array(CorpusErrorSchema),
});
export type CorpusInfo = z.infer<typeof CorpusInfoSchema>;

const UploadSchema = z.object({
  name: z.string().min(1).max(255),
  /** The file's bytes, base64. */
  base64: z.string().max(3_000_000),
});

export const EpochRecordSchema = z.object({
  epoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  val_loss: z.number().nullable(),
  val_accuracy: z.number().nullable(),
  learning_rate: z.number(),
  seconds: z.number(),
});
export type EpochRecordDto = z.infer<typeof EpochRecordSchema>;

export const trainingChannels = {
  listPresets: channel('The training recipes, each with where it comes from', z.object({}).strict(), z.array(PresetSchema)),
  listCorpora: channel('The corpora imported into the studio', z.object({}).strict(), z.array(CorpusInfoSchema)),
  createCorpus: channel('A new, empty corpus', z.object({ name: z.string().min(1).max(100) }).strict(), CorpusInfoSchema),
  addCorpusFiles: channel(
    'Add .abc / .mid files (their contents) to a corpus; answers with the new stats and problems',
    z.object({ corpusId: CorpusIdSchema, files: z.array(UploadSchema).min(1).max(64) }).strict(),
    CorpusInfoSchema,
  ),
  deleteCorpus: channel('Delete a corpus (not the models trained on it)', z.object({ corpusId: CorpusIdSchema }).strict(), z.object({})),
  startTraining: channel(
    'Train a new model on a corpus from a preset with changes; progress streams as train.* events',
    z
      .object({
        corpusId: CorpusIdSchema,
        preset: z.string().min(1).max(64),
        modelId: NewModelNameSchema,
        overrides: z
          .object({ encoding: EncodingNameSchema.optional(), model: ModelSpecSchema.partial().optional(), training: TrainingConfigSchema.partial().optional() })
          .strict()
          .default({}),
        maxSteps: z.number().int().min(1).optional(),
        distributed: DistributedSchema.optional(),
      })
      .strict(),
    z.object({ runId: RunIdSchema, modelId: ModelIdSchema }),
  ),
  resumeTraining: channel(
    'Continue a model from its latest checkpoint (optionally on another corpus: fine-tuning) up to a number of epochs',
    z.object({ modelId: ModelIdSchema, corpusId: CorpusIdSchema.optional(), epochs: z.number().int().min(1).max(10_000).optional(), distributed: DistributedSchema.optional() }).strict(),
    z.object({ runId: RunIdSchema, modelId: ModelIdSchema }),
  ),
  trainingEngines: channel(
    'Where a run can train besides this engine: torchrun, if a Python with PyTorch is installed (checked once; refresh checks again)',
    z.object({ refresh: z.boolean().optional() }).strict(),
    TrainingEnginesSchema,
  ),
  pauseRun: channel('Pause a training run after the current batch', z.object({ runId: RunIdSchema }).strict(), z.object({ paused: z.boolean() })),
  resumeRun: channel('Resume a paused training run', z.object({ runId: RunIdSchema }).strict(), z.object({ resumed: z.boolean() })),
  trainingLog: channel(
    'A model training history: per-epoch records and the CSV log (epoch, loss, accuracy, val_loss, val_accuracy)',
    z.object({ modelId: ModelIdSchema }).strict(),
    z.object({ history: z.array(EpochRecordSchema), csv: z.string() }),
  ),
} as const;

export const trainingEvents = {
  'train.started': z.object({
    runId: RunIdSchema,
    modelId: ModelIdSchema,
    parameters: z.number(),
    batchesPerEpoch: z.number(),
    problems: z.array(z.string()),
    /** A torchrun run: its processes, machines, device and PyTorch version. */
    distributed: z.object({ worldSize: z.number().int(), nodes: z.number().int(), device: z.string(), backend: z.string(), torch: z.string(), jobDir: z.string() }).optional(),
  }),
  'train.progress': z.object({
    runId: RunIdSchema,
    epoch: z.number(),
    epochs: z.number(),
    batch: z.number(),
    batchesPerEpoch: z.number(),
    step: z.number(),
    totalSteps: z.number(),
    loss: z.number(),
    accuracy: z.number(),
    tokensPerSecond: z.number(),
    etaSeconds: z.number(),
    /** torchrun runs: tokens/s of each process (tokensPerSecond is all of them together). */
    tokensPerSecondPerProcess: z.number().optional(),
  }),
  'train.epoch': z.object({ runId: RunIdSchema, record: EpochRecordSchema }),
  'train.checkpoint': z.object({ runId: RunIdSchema, id: z.string(), epoch: z.number(), reasons: z.array(z.string()) }),
  'train.done': z.object({
    runId: RunIdSchema,
    modelId: ModelIdSchema,
    stopReason: z.enum(['completed', 'early-stopping', 'steps', 'cancelled']),
    epochs: z.number(),
    bestValidationLoss: z.number().nullable(),
  }),
} as const;
