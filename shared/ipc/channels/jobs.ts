/**
 * Long jobs as the studio runs them (training and generation): one record per job, in one of the
 * states of shared/jobs/machine.ts. The studio sends `job.state` at every change of state (and at
 * every checkpoint); `listJobs` answers with the jobs it knows, including training runs found on
 * disk, so a window opened later (or a studio restarted) shows the run as it is and can resume it
 * from its last checkpoint. Progress numbers and curves still stream as train.progress / train.epoch.
 */
import { z } from 'zod';
import { channel } from './define';
import { JOB_KINDS, JOB_STATES } from '../../jobs/machine';
import { ModelIdSchema, RunIdSchema } from '../schemas';
import { EpochRecordSchema } from './training';

export const JobStateSchema = z.enum(JOB_STATES);
export const JobKindSchema = z.enum(JOB_KINDS);

export const CheckpointSchema = z.object({ id: z.string().max(64), epoch: z.number().int().min(0), step: z.number().int().min(0), reasons: z.array(z.string().max(32)).max(8) });
export type CheckpointDto = z.infer<typeof CheckpointSchema>;

export const JobSchema = z.object({
  /** Stable across restarts: a training job is its model ("train:NAME"), a generation its run id. */
  id: z.string().min(1).max(200),
  kind: JobKindSchema,
  state: JobStateSchema,
  /** The engine run doing the work now (a resumed training job gets a new one); null when none. */
  runId: RunIdSchema.nullable(),
  modelId: ModelIdSchema.optional(),
  /** In words: why it stopped, what it made. */
  message: z.string().max(2000).nullable(),
  /** Where the job stands: the last progress known (live, or from the last checkpoint on disk). */
  progress: z
    .object({
      epoch: z.number().int().min(0),
      epochs: z.number().int().min(0),
      step: z.number().int().min(0),
      totalSteps: z.number().int().min(0),
    })
    .nullable(),
  /** Training: the checkpoints on disk, oldest first, each once (the newest 50). */
  checkpoints: z.array(CheckpointSchema).max(50),
  /** A stopped training job that can continue from a checkpoint. */
  resumable: z.boolean(),
  /** Per-epoch records (sent by listJobs; job.state events leave them out: train.epoch streams them). */
  history: z.array(EpochRecordSchema).max(10_000).optional(),
  updatedAt: z.string(),
});
export type JobDto = z.infer<typeof JobSchema>;

export const jobChannels = {
  listJobs: channel(
    'The long jobs the studio knows, newest first: live ones and, for training, the runs on disk (resumable after a restart)',
    z.object({}).strict(),
    z.array(JobSchema).max(100),
  ),
} as const;

export const jobEvents = {
  /** A job changed state (or, for training, saved a checkpoint). */
  'job.state': JobSchema,
} as const;
