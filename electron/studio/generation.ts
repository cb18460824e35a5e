/**
 * Generate: a run per request, its notes streamed as `take.note`, its takes as `take.done`, its
 * states on the job board; a fresh RNG seed unless the request locks one; a few at once at most;
 * stopped when the caller's connection or window goes away.
 */
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError, type ErrorCode } from '@shared/ipc/result';
import type { EventBus } from './events';
import type { RunRegistry } from './runs';
import type { JobBoard } from './jobs';
import type { StudioEngine } from './ports';

/** Each generation holds a model's state and its takes in the engine: a few at once is plenty. */
export const MAX_GENERATIONS = 4;

export interface GenerationParts {
  engine: StudioEngine | undefined;
  events: EventBus;
  runs: RunRegistry;
  jobs: JobBoard;
  /** Draws an RNG seed (0 .. 2^32-1) for a request that has none. */
  random: () => number;
  maxGenerations?: number;
}

export function setupGeneration({ engine, events, runs, jobs, random, maxGenerations = MAX_GENERATIONS }: GenerationParts): Pick<Handlers, 'generate'> {
  let runningGenerations = 0;
  return {
    generate: async (request, ctx) => {
      if (!engine) throw new StudioError('unsupported', 'Generate needs the engine, which is not available in this build.');
      if (ctx.signal?.aborted) throw new StudioError('cancelled', 'the connection that asked for this generation has closed');
      if (runningGenerations >= maxGenerations) {
        throw new StudioError('busy', `${runningGenerations} generations are already running (the limit is ${maxGenerations}); wait for one to finish or stop one`);
      }
      runningGenerations++;
      // A fresh seed for every run unless the request brings one (a locked seed).
      const rngSeed = request.sampling.rngSeed ?? random();
      const { runId, signal } = runs.start('take');
      jobs.apply(runId, 'start', {}, () => ({ id: runId, kind: 'generate', state: 'idle', runId, modelId: request.modelId, message: null, progress: null, checkpoints: [], resumable: false, updatedAt: '' }));
      signal.addEventListener('abort', () => jobs.apply(runId, 'cancel'), { once: true });
      // Nobody will see this run's notes once its connection has closed: stop it.
      const stopWithCaller = () => runs.cancel(runId);
      ctx.signal?.addEventListener('abort', stopWithCaller, { once: true });
      const failed = (error: { code: ErrorCode; message: string }) => {
        events.emit('run.failed', { runId, error });
        jobs.apply(runId, error.code === 'cancelled' ? 'cancelled' : 'fail', { runId: null, message: error.code === 'cancelled' ? 'Generation stopped.' : error.message });
      };
      // The run continues after this call returns: its notes and result arrive as events.
      void engine
        .generate({ ...request, sampling: { ...request.sampling, rngSeed } }, (variation, note) => events.emit('take.note', { runId, variation, note }), signal)
        .then((takes) => {
          if (signal.aborted) return failed({ code: 'cancelled', message: 'generation cancelled' });
          events.emit('take.done', { runId, takes });
          jobs.apply(runId, 'finish', { runId: null, message: `${takes.length} take${takes.length === 1 ? '' : 's'}` });
        })
        .catch((e: unknown) =>
          failed(
            e instanceof StudioError
              ? { code: e.code, message: e.message }
              : signal.aborted
                ? { code: 'cancelled', message: 'generation cancelled' }
                : { code: 'engine_failed', message: (e as Error)?.message ?? String(e) },
          ),
        )
        .finally(() => {
          runningGenerations--;
          ctx.signal?.removeEventListener('abort', stopWithCaller);
          runs.finish(runId);
        });
      return { runId, rngSeed };
    },
  };
}
