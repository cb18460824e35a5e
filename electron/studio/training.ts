/**
 * Training runs started from the studio: a corpus of the studio, a preset with changes, a new
 * model folder in the library. The engine process does the work; its progress becomes train.*
 * events with the run id. Each model's training is one job (JobBoard, shared/jobs/machine.ts):
 * started, paused, cancelled, resumed from its checkpoint as a new engine run, and after a restart
 * rebuilt from what the model folder holds (seedsong.json and checkpoints/), so it can be resumed.
 *
 * With `distributed` (torchrun), the engine process writes the job folder (corpus encoding and the
 * initial weights are engine work), then this service starts the PyTorch trainer under torchrun as
 * a child process (engine-torch/launch.ts), turns its progress lines into the same train.* events
 * and job states, and cancels it by signal (it stops after the batch with a checkpoint; resuming
 * starts from it, either way).
 */
import { EngineClient, type RunHandle } from './engine-client';
import { readMeta, type CheckpointInfo, type ModelCatalog, type ModelMeta } from '../node/catalog';
import { PRESETS, findPreset, type TrainSummary } from '../engine/protocol';
import { StudioError } from '@shared/ipc/result';
import type { Handlers } from '@shared/ipc/dispatch';
import type { PresetDto } from '@shared/ipc/channels/training';
import type { CheckpointDto, JobDto } from '@shared/ipc/channels/jobs';
import { plural } from '@shared/jobs/machine';
import type { EventBus } from './events';
import type { RunRegistry } from './runs';
import type { CorpusStore } from './corpora';
import { JobBoard, withCheckpoint } from './jobs';
import { toStudioError } from './engine';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchTorchrun, probeTorch, type TorchProbe, type TorchRun } from '../../engine-torch/launch';
import type { TorchJobRequest } from '../../engine-torch/job';
import type { DistributedDto, TrainingEnginesDto } from '@shared/ipc/channels/training';

type Overrides = { encoding?: PresetDto['encoding']; model?: Partial<PresetDto['model']>; training?: Partial<PresetDto['training']> };

export interface TrainingServiceOptions {
  client: EngineClient;
  library: ModelCatalog;
  corpora: CorpusStore;
  events: EventBus;
  runs: RunRegistry;
  /** The studio's jobs (createStudio passes its own; tests may leave it out). */
  jobs?: JobBoard;
  /** Milliseconds, for the time left as the wall clock sees it (tests pass a fake). */
  now?: () => number;
  /** How to look for PyTorch (default: probeTorch; tests may pass an answer). */
  probeTorch?: () => Promise<TorchProbe>;
  /** Environment of torchrun runs (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The time left and speed as the wall clock sees them. The engine times its batches only; on a
 * small model saving a checkpoint each epoch takes far longer than the batches, and its estimate
 * said "0 s left" with hundreds of epochs to go. Whichever is slower is the truth.
 */
export function wallClock(p: { step: number; totalSteps: number; etaSeconds: number; tokensPerSecond: number }, since: { ms: number; step: number }, nowMs: number): { etaSeconds: number; tokensPerSecond: number } {
  const done = p.step - since.step;
  const seconds = (nowMs - since.ms) / 1000;
  if (done < 1 || seconds <= 0) return { etaSeconds: p.etaSeconds, tokensPerSecond: p.tokensPerSecond };
  const eta = (seconds / done) * Math.max(0, p.totalSteps - p.step);
  if (eta <= p.etaSeconds) return { etaSeconds: p.etaSeconds, tokensPerSecond: p.tokensPerSecond };
  return { etaSeconds: eta, tokensPerSecond: p.etaSeconds > 0 ? (p.tokensPerSecond * p.etaSeconds) / eta : p.tokensPerSecond };
}

const jobId = (modelId: string) => `train:${modelId}`;
const checkpointDto = (c: CheckpointInfo): CheckpointDto => ({ id: c.id, epoch: c.epoch, step: c.step, reasons: c.reasons.slice(0, 8) });

const WHY = { completed: 'finished', 'early-stopping': 'stopped early (validation loss stopped improving)', steps: 'reached its step limit', cancelled: 'was cancelled' } as const;

function doneMessage(summary: Pick<TrainSummary, 'stopReason' | 'epochs' | 'bestValLoss'>): string {
  const best = summary.bestValLoss !== null ? `; best validation loss ${summary.bestValLoss.toFixed(3)}` : '';
  return `Training ${WHY[summary.stopReason]} after ${plural(summary.epochs, 'epoch')}${best}.`;
}

/** A run in progress: an engine run, or a torchrun run (which cannot pause). */
type ActiveRun = Pick<RunHandle<TrainSummary>, 'cancel'> & Partial<Pick<RunHandle<TrainSummary>, 'pause' | 'resume'>>;

type From = { epoch: number; epochs: number; checkpoints: CheckpointDto[]; history: ModelMeta['history'] };

export class TrainingService {
  private readonly active = new Map<string, ActiveRun>();
  private readonly jobs: JobBoard;
  private torch?: Promise<TorchProbe>;

  constructor(private readonly o: TrainingServiceOptions) {
    this.jobs = o.jobs ?? new JobBoard(o.events);
  }

  /** Whether torchrun runs are possible here (PyTorch found once; `refresh` looks again). */
  async engines(refresh = false): Promise<TrainingEnginesDto> {
    if (refresh || !this.torch) this.torch = (this.o.probeTorch ?? (() => probeTorch({ env: this.o.env })))();
    const p = await this.torch;
    return {
      torchrun: p.ok
        ? { available: true, python: p.python, torch: p.torch, cuda: p.cuda, gpus: p.gpus, cpus: p.cpus }
        : { available: false, cuda: false, gpus: 0, cpus: os.cpus().length, reason: p.reason, install: p.install },
    };
  }

  presets(): PresetDto[] {
    return PRESETS.map((p) => structuredClone({ name: p.name, description: p.description, encoding: p.encoding, model: p.model, training: p.training }) as PresetDto);
  }

  async start(request: { corpusId: string; preset: string; modelId: string; overrides: Overrides; maxSteps?: number; distributed?: DistributedDto }): Promise<{ runId: string; modelId: string }> {
    let epochs: number;
    try {
      epochs = request.overrides.training?.epochs ?? findPreset(request.preset).training.epochs;
    } catch (e) {
      throw toStudioError(e);
    }
    const files = this.o.corpora.filesDir(request.corpusId);
    if (!fs.readdirSync(files).length) throw new StudioError('bad_input', 'this corpus has no files yet: add .abc or .mid files first');
    const out = this.o.library.dirOf(request.modelId);
    if (fs.existsSync(out)) throw new StudioError('busy', `a model named "${request.modelId}" already exists; choose another name`);
    const from: From = { epoch: 0, epochs, checkpoints: [], history: [] };
    if (request.distributed) return this.runTorch(request.modelId, { preset: request.preset, overrides: request.overrides, corpus: [files], out, name: request.modelId }, request.distributed, { steps: request.maxSteps }, from);
    return this.run(request.modelId, { preset: request.preset, overrides: request.overrides, corpus: [files], out, name: request.modelId, maxSteps: request.maxSteps }, from);
  }

  /** Continues a model from its latest checkpoint: a new engine run of the same job. */
  async resume(request: { modelId: string; corpusId?: string; epochs?: number; distributed?: DistributedDto }): Promise<{ runId: string; modelId: string }> {
    const out = this.o.library.dirOf(request.modelId);
    if (!fs.existsSync(path.join(out, 'seedsong.json'))) throw new StudioError('not_found', `there is no model "${request.modelId}" in the library`);
    const meta = await readMeta(out).catch((e) => {
      throw toStudioError(e);
    });
    const checkpoints = (await this.o.library.checkpoints(request.modelId)).filter((c) => c.id !== 'best').map(checkpointDto);
    if (!checkpoints.length) throw new StudioError('not_found', `${request.modelId} has no checkpoint to resume from`);
    const corpus = request.corpusId ? [this.o.corpora.filesDir(request.corpusId)] : undefined;
    const epochs = request.epochs ?? meta.training?.epochs ?? 1;
    const from: From = { epoch: meta.history.length, epochs, checkpoints, history: meta.history };
    // Checkpoints are one format, so either way continues a run started either way.
    if (request.distributed) return this.runTorch(request.modelId, { resume: true, out, corpus }, request.distributed, { epochs: request.epochs }, from);
    return this.run(request.modelId, { resume: true, out, corpus, epochs: request.epochs }, from);
  }

  private refuseIfBusy(): void {
    if (this.active.size) {
      const [id] = this.active.keys();
      throw new StudioError('busy', `a training run (${id}) is already going; cancel or finish it first (one run at a time on this machine)`);
    }
  }

  /** Starts the model's job for a new run; false when it is already running. */
  private startJob(modelId: string, runId: string, from: From): boolean {
    const id = jobId(modelId);
    return !!this.jobs.apply(
      id,
      'start',
      { runId, message: null, progress: { epoch: from.epoch, epochs: from.epochs, step: 0, totalSteps: 0 }, checkpoints: from.checkpoints, resumable: from.checkpoints.length > 0, history: from.history },
      () => ({ id, kind: 'train', state: 'idle', runId: null, modelId, message: null, progress: null, checkpoints: [], resumable: false, history: [], updatedAt: '' }),
    );
  }

  private noteEpoch(id: string, record: ModelMeta['history'][number]): void {
    this.jobs.patch(id, { history: [...(this.jobs.get(id)?.history ?? []).filter((h) => h.epoch < record.epoch), record] });
  }

  private noteCheckpoint(id: string, modelId: string, c: CheckpointDto): void {
    const dir = this.o.library.dirOf(modelId);
    const checkpoints = withCheckpoint(this.jobs.get(id)?.checkpoints ?? [], c, (cid) => fs.existsSync(path.join(dir, 'checkpoints', cid)));
    this.jobs.patch(id, { checkpoints, resumable: true }, true);
  }

  private noteFailure(id: string, e: unknown): StudioError {
    const err = toStudioError(e);
    const hint = this.jobs.get(id)?.resumable ? ' Its last checkpoint is kept: Resume continues from it.' : '';
    if (err.code === 'cancelled') this.jobs.apply(id, 'cancelled', { runId: null, message: 'Training was cancelled.' });
    else this.jobs.apply(id, 'fail', { runId: null, message: `Training failed: ${err.message}.${hint}` });
    return err;
  }

  private noteDone(id: string, summary: Pick<TrainSummary, 'stopReason' | 'epochs' | 'bestValLoss'>): void {
    const job = this.jobs.get(id);
    const progress = job?.progress ? { ...job.progress, epoch: summary.epochs } : null;
    this.jobs.apply(id, summary.stopReason === 'cancelled' ? 'cancelled' : 'finish', { runId: null, progress, message: doneMessage(summary) });
  }

  private async run(modelId: string, request: Parameters<EngineClient['train']>[0], from: From): Promise<{ runId: string; modelId: string }> {
    const { events, runs, client } = this.o;
    this.refuseIfBusy();
    const id = jobId(modelId);
    const { runId, signal } = runs.start('train');
    const started = this.startJob(modelId, runId, from);
    if (!started) {

      runs.finish(runId);
      throw new StudioError('busy', `${modelId} is already training`);
    }
    const now = this.o.now ?? (() => performance.now());
    /** The first progress report: where the wall-clock speed is measured from. */
    let since: { ms: number; step: number } | undefined;
    // Cancel may come while the engine is still starting the run: remember it and pass it on.
    let handle: RunHandle<TrainSummary> | undefined;
    signal.addEventListener(
      'abort',
      () => {
        this.jobs.apply(id, 'cancel');
        handle?.cancel();
      },
      { once: true },
    );
    try {
      handle = await client.train(
        request,
        {
          onStart: (info) => {
            if (info.problems.length) this.jobs.patch(id, { message: info.problems[0] }, true);
            events.emit('train.started', { runId, modelId, parameters: info.parameters, batchesPerEpoch: info.batchesPerEpoch, problems: info.problems });
          },
          onProgress: (p) => {
            since ??= { ms: now(), step: p.step };
            this.jobs.patch(id, { progress: { epoch: p.epoch, epochs: p.epochs, step: p.step, totalSteps: p.totalSteps } });
            events.emit('train.progress', { runId, ...p, ...wallClock(p, since, now()) });
          },
          onEpoch: (record) => {
            this.noteEpoch(id, record);
            events.emit('train.epoch', { runId, record });
          },
          onCheckpoint: (c) => {
            this.noteCheckpoint(id, modelId, checkpointDto(c));
            events.emit('train.checkpoint', { runId, id: c.id, epoch: c.epoch, reasons: c.reasons });
          },
          onPaused: (paused) => this.jobs.apply(id, paused ? 'paused' : 'resume'),
        },
        runId,
      );
    } catch (e) {
      runs.finish(runId);
      const err = toStudioError(e);
      this.jobs.apply(id, 'fail', { runId: null, message: `Training could not start: ${err.message}` });
      throw err;
    }
    if (signal.aborted) handle.cancel();
    this.active.set(runId, handle);
    handle.result
      .then((summary) => {
        this.noteDone(id, summary);
        events.emit('train.done', { runId, modelId, stopReason: summary.stopReason, epochs: summary.epochs, bestValidationLoss: summary.bestValLoss });
      })
      .catch((e) => {
        const err = this.noteFailure(id, e);
        events.emit('run.failed', { runId, error: { code: err.code, message: err.message } });
      })
      .finally(() => {
        this.active.delete(runId);
        runs.finish(runId);
      });
    return { runId, modelId };
  }

  /**
   * A torchrun run: the engine process writes its job folder, then torchrun runs it here as a child
   * process (at the engine's low priority, so MIDI timing keeps the CPU it needs). It is the same
   * job as an engine run (start, progress, checkpoints, cancel, done), except that it cannot pause.
   */
  private async runTorch(modelId: string, job: TorchJobRequest, d: DistributedDto, extra: { epochs?: number; steps?: number }, from: From): Promise<{ runId: string; modelId: string }> {
    const { events, runs, client } = this.o;
    this.refuseIfBusy();
    const probe = await (this.torch ??= (this.o.probeTorch ?? (() => probeTorch({ env: this.o.env })))());
    if (!probe.ok) throw new StudioError('unsupported', `${probe.reason}. To train with torchrun, ${probe.install}; or train on this machine.`);
    if (d.device === 'cuda' && !probe.cuda) throw new StudioError('bad_input', `PyTorch ${probe.torch} sees no CUDA GPU on this machine: choose the CPU, or train on a machine with a GPU`);
    this.refuseIfBusy();
    const id = jobId(modelId);
    const { runId, signal } = runs.start('train');
    if (!this.startJob(modelId, runId, from)) {
      runs.finish(runId);
      throw new StudioError('busy', `${modelId} is already training`);
    }
    let run: TorchRun | undefined;
    let cancelled = false;
    this.active.set(runId, {
      cancel: () => {
        cancelled = true;
        this.jobs.apply(id, 'cancel');
        run?.cancel();
      },
    });
    signal.addEventListener('abort', () => this.active.get(runId)?.cancel(), { once: true });
    const work = async () => {
      const written = await client.torchJob(job);
      if (cancelled) throw new StudioError('cancelled', 'training cancelled before it started');
      run = launchTorchrun(
        { python: probe.python, launcher: written.launcher, entry: written.entry, nprocPerNode: d.nprocPerNode, device: d.device, epochs: extra.epochs, steps: extra.steps, nice: 10 },
        {
          onStart: (s) => {
            if (written.problems.length) this.jobs.patch(id, { message: written.problems[0] }, true);
            events.emit('train.started', {
              runId,
              modelId,
              parameters: s.parameters,
              batchesPerEpoch: s.batchesPerEpoch,
              problems: written.problems.slice(0, 50),
              distributed: { worldSize: s.worldSize, nodes: s.nodes, device: s.device, backend: s.backend, torch: s.torch, jobDir: written.jobDir },
            });
          },
          onProgress: (p) => {
            this.jobs.patch(id, { progress: { epoch: p.epoch, epochs: p.epochs, step: p.step, totalSteps: p.totalSteps } });
            events.emit('train.progress', {
              runId,
              epoch: p.epoch,
              epochs: p.epochs,
              batch: p.batch,
              batchesPerEpoch: p.batchesPerEpoch,
              step: p.step,
              totalSteps: p.totalSteps,
              loss: p.loss,
              accuracy: p.accuracy,
              tokensPerSecond: p.tokensPerSecond,
              etaSeconds: p.etaSeconds,
              tokensPerSecondPerProcess: p.tokensPerSecondPerProcess,
            });
          },
          onEpoch: ({ event: _, ...record }) => {
            this.noteEpoch(id, record);
            events.emit('train.epoch', { runId, record });
          },
          onCheckpoint: (c) => {
            this.noteCheckpoint(id, modelId, { id: c.id, epoch: c.epoch, step: c.step, reasons: c.reasons.slice(0, 8) });
            events.emit('train.checkpoint', { runId, id: c.id, epoch: c.epoch, reasons: c.reasons });
          },
        },
        { ...process.env, ...this.o.env },
      );
      if (cancelled) run.cancel();
      const done = await run.result;
      this.noteDone(id, done);
      events.emit('train.done', { runId, modelId, stopReason: done.stopReason, epochs: done.epochs, bestValidationLoss: done.bestValLoss });
    };
    void work()
      .catch((e) => {
        const err = this.noteFailure(id, e);
        events.emit('run.failed', { runId, error: { code: err.code, message: err.message } });
      })
      .finally(() => {
        this.active.delete(runId);
        runs.finish(runId);
      });
    return { runId, modelId };
  }

  /** Asks the run to pause after its current batch: `pausing` until the engine says it stopped. */
  pause(runId: string): boolean {
    const handle = this.active.get(runId);
    const job = this.jobs.byRun(runId);
    if (handle && !handle.pause) throw new StudioError('unsupported', 'a torchrun run cannot pause: Cancel stops it after the current batch with a checkpoint, and Resume continues from there');
    if (!handle?.pause || !job || !this.jobs.apply(job.id, 'pause')) return false;
    handle.pause();
    return true;
  }

  resumeRun(runId: string): boolean {
    const handle = this.active.get(runId);
    const job = this.jobs.byRun(runId);
    if (!handle?.resume || !job || !this.jobs.apply(job.id, 'resume')) return false;
    handle.resume();
    return true;
  }

  /**
   * Every model's training as a job, newest first: the live ones as they are, the others rebuilt
   * from their folder (a run the studio was stopped in the middle of can be resumed).
   */
  async list(): Promise<JobDto[]> {
    const out: JobDto[] = [];
    for (const model of await this.o.library.list()) {
      if (model.source !== 'trained') continue;
      const live = this.jobs.get(jobId(model.id));
      if (live) {
        out.push(live);
        continue;
      }
      try {
        out.push(fromDisk(model.id, await readMeta(model.dir), (await this.o.library.checkpoints(model.id)).filter((c) => c.id !== 'best').map(checkpointDto)));
      } catch {
        /* a model folder being written or damaged: not listed as a job */
      }
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
}

/** A training job as its model folder tells it, when no run of it is live in this studio. */
export function fromDisk(modelId: string, meta: ModelMeta, checkpoints: CheckpointDto[]): JobDto {
  const epochs = meta.history.length;
  const resumable = checkpoints.length > 0 && meta.model !== null && meta.training !== undefined;
  const last = checkpoints.at(-1);
  const from = last ? ` Resume continues from its checkpoint at epoch ${last.epoch}.` : '';
  const [state, message]: [JobDto['state'], string] =
    meta.status === 'complete'
      ? ['done', `Training finished after ${plural(epochs, 'epoch')}.`]
      : meta.status === 'cancelled'
        ? ['cancelled', `Training was cancelled after ${plural(epochs, 'epoch')}.`]
        : meta.status === 'failed'
          ? ['failed', `Training failed after ${plural(epochs, 'epoch')}.${from}`]
          : ['failed', `Training stopped after ${plural(epochs, 'epoch')} when the studio closed.${from}`];
  return {
    id: jobId(modelId),
    kind: 'train',
    state,
    runId: null,
    modelId,
    message,
    progress: { epoch: epochs, epochs: meta.training?.epochs ?? epochs, step: last?.step ?? 0, totalSteps: 0 },
    checkpoints: checkpoints.slice(-50),
    resumable,
    history: meta.history.slice(-10_000),
    updatedAt: meta.updatedAt,
  };
}

/**
 * The training channels, and `listJobs` (training runs from disk and this session, generations from
 * the job board). Without a training service (no engine in this build) they answer `unsupported`.
 */
export function setupTraining({ training, jobs }: { training: TrainingService | undefined; jobs: JobBoard }): Pick<Handlers, 'listPresets' | 'startTraining' | 'resumeTraining' | 'pauseRun' | 'resumeRun' | 'trainingEngines' | 'listJobs'> {
  const needTraining = (): TrainingService => {
    if (!training) throw new StudioError('unsupported', 'training needs the engine, which is not available in this build');
    return training;
  };
  return {
    listPresets: () => needTraining().presets(),
    startTraining: (request) => needTraining().start(request),
    resumeTraining: (request) => needTraining().resume(request),
    pauseRun: ({ runId }) => ({ paused: needTraining().pause(runId) }),
    resumeRun: ({ runId }) => ({ resumed: needTraining().resumeRun(runId) }),
    trainingEngines: ({ refresh }) => needTraining().engines(refresh),
    listJobs: async () => {
      const trained = training ? await training.list() : [];
      const generations = jobs.list().filter((j) => j.kind === 'generate');
      return [...trained, ...generations].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, 100);
    },
  };
}
