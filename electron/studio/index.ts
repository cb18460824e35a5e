/**
 * The studio services, composed once. Electron's main process, `seedsong serve` and the CLI all
 * build a Studio with createStudio() and talk to it through `handlers` (one per contract channel).
 * Plain Node: no 'electron' import here or below.
 */
import os from 'node:os';
import path from 'node:path';
import type { Handlers } from '../../shared/ipc/dispatch';
import { StudioError, type ErrorCode } from '../../shared/ipc/result';
import type { BackendInfo, MidiStatus, ModelSummary, Seed, Sampling, Take, NoteDto } from '../../shared/ipc/schemas';
import type { EpochRecordDto } from '../../shared/ipc/channels/training';
import type { EngineMemoryDto } from '../../shared/ipc/channels/app';
import { CorpusStore } from './corpora';
import type { TrainingService } from './training';
import { CallResponseService } from './call-response';
import { EventBus } from './events';
import { RunRegistry } from './runs';
import { APP_NAME, APP_VERSION } from './version';
import { Settings } from './settings';
import { DevicesService } from './devices';
import { projectHandlers } from './project';
import { realClock, type Clock, type OpenSystemResult } from '../midi/index';
import { UploadStore } from './uploads';
import { WriteGuard } from './written';
import type { SaveKind } from '../../shared/ipc/channels/files';
import { JobBoard } from './jobs';
import { randomInt } from 'node:crypto';

/** What the studio needs from the engine process (implemented by electron/engine's client). */
export interface StudioEngine {
  status(): BackendInfo;
  onStatus(listener: (info: BackendInfo) => void): () => void;
  generate(
    request: { modelId?: string; seed: Seed; sampling: Sampling & { rngSeed: number }; constraints?: { key?: string; meter?: string }; tuneConstraints?: boolean },
    onNote: (variation: number, note: NoteDto) => void,
    signal: AbortSignal,
  ): Promise<Take[]>;
  /** The engine process's memory (tf.memory() and process figures). */
  memory?(): Promise<EngineMemoryDto>;
  dispose(): Promise<void>;
}

/** The model library as the studio sees it. */
export interface ModelStore {
  list(): Promise<ModelSummary[]>;
  rename(modelId: string, to: string): Promise<ModelSummary>;
  delete(modelId: string): Promise<void>;
  duplicate(modelId: string, to: string): Promise<ModelSummary>;
  trainingLog(modelId: string): Promise<{ history: EpochRecordDto[]; csv: string }>;
  /** Converts a Keras / TensorFlow.js model folder (already on disk) into the library model `name`. */
  import(folder: string, name: string): Promise<ModelSummary>;
}

export interface StudioOptions {
  mode: 'electron' | 'serve';
  /** Where models, projects and settings live (Electron's userData, or ~/.seedsong for serve/CLI). */
  userDataDir: string;
  engine?: StudioEngine;
  models?: ModelStore;
  /** Builds the training service once the studio's event bus, run registry and jobs exist. */
  training?: (parts: { events: EventBus; runs: RunRegistry; corpora: CorpusStore; jobs: JobBoard }) => TrainingService;
  /**
   * Draws an RNG seed for a generation whose request has none (another client, call-and-response):
   * 0 .. 2^32-1. Tests pass a fixed sequence.
   */
  random?: () => number;
  /** Opens the OS's MIDI system (RtMidi via electron/midi); tests pass a loopback or a refusal. */
  openMidi: () => Promise<OpenSystemResult>;
  /** Time for MIDI scheduling and recording; tests pass a FakeClock. */
  clock?: Clock;
  /** How often to look for plugged and unplugged MIDI devices. */
  midiPollMs?: number;
  /**
   * Asks the user where to save an export (Electron's save dialog, which itself asks before
   * replacing a file: that answer is the user's permission). Absent in serve mode: the browser
   * downloads exports instead.
   */
  chooseSavePath?: (suggestedName: string, kind: SaveKind) => Promise<string | null>;
  /** Generations running at once at most (default MAX_GENERATIONS); more are answered `busy`. */
  maxGenerations?: number;
}

/** Each generation holds a model's state and its takes in the engine: a few at once is plenty. */
export const MAX_GENERATIONS = 4;

export interface Studio {
  readonly handlers: Handlers;
  readonly events: EventBus;
  readonly userDataDir: string;
  readonly devices: DevicesService;
  readonly settings: Settings;
  readonly corpora: CorpusStore;
  readonly written: WriteGuard;
  dispose(): Promise<void>;
}

/** For tests and tools that want no MIDI hardware: the studio's own ports only. */
export const noMidiHardware = async (): Promise<OpenSystemResult> => ({ ok: false, reason: 'MIDI hardware is not used here' });

export { defaultUserDataDir } from './paths';

const NO_ENGINE: BackendInfo = {
  status: 'failed',
  active: null,
  candidates: [],
  message: 'the engine is not available in this build',
};

export async function createStudio(options: StudioOptions): Promise<Studio> {
  const events = new EventBus();
  const runs = new RunRegistry();
  const jobs = new JobBoard(events);
  const random = options.random ?? (() => randomInt(0, 2 ** 32));
  const settings = new Settings(options.userDataDir);
  const { engine } = options;
  const unsubscribeEngine = engine?.onStatus((info) => events.emit('engine.status', info));
  const devices = new DevicesService({
    clock: options.clock ?? realClock(),
    events,
    runs,
    settings,
    openHardware: options.openMidi,
    pollMs: options.midiPollMs,
  });
  await devices.start();
  const corpora = new CorpusStore(options.userDataDir);
  const training = options.training?.({ events, runs, corpora, jobs });
  const callResponse = new CallResponseService(devices, engine, events, random);
  const uploads = new UploadStore(options.userDataDir);
  uploads.sweep();
  const written = new WriteGuard(options.userDataDir);
  const project = projectHandlers(options.userDataDir);
  await project.sweep();

  const needModels = (): ModelStore => {
    if (!options.models) throw new StudioError('unsupported', 'the model library is not available in this build');
    return options.models;
  };
  const needTraining = (): TrainingService => {
    if (!training) throw new StudioError('unsupported', 'training needs the engine, which is not available in this build');
    return training;
  };

  const midiStatus = (): MidiStatus => devices.status();
  const maxGenerations = options.maxGenerations ?? MAX_GENERATIONS;
  let runningGenerations = 0;

  const handlers: Handlers = {
    appInfo: () => ({
      name: APP_NAME,
      version: APP_VERSION,
      mode: options.mode,
      platform: `${process.platform}-${process.arch}`,
      backend: engine?.status() ?? NO_ENGINE,
      midi: midiStatus(),
    }),

    engineMemory: async () => {
      if (!engine?.memory) throw new StudioError('unsupported', 'the engine is not available in this build');
      return engine.memory();
    },

    listModels: async () => (options.models ? options.models.list() : []),
    renameModel: ({ modelId, to }) => needModels().rename(modelId, to),
    deleteModel: async ({ modelId }) => {
      await needModels().delete(modelId);
      return {};
    },
    duplicateModel: ({ modelId, to }) => needModels().duplicate(modelId, to),
    trainingLog: ({ modelId }) => needModels().trainingLog(modelId),

    listPresets: () => needTraining().presets(),
    listCorpora: () => corpora.list(),
    createCorpus: ({ name }) => corpora.create(name),
    addCorpusFiles: ({ corpusId, files }) => corpora.add(corpusId, files),
    deleteCorpus: ({ corpusId }) => {
      corpora.delete(corpusId);
      return {};
    },
    startTraining: (request) => needTraining().start(request),
    resumeTraining: (request) => needTraining().resume(request),
    pauseRun: ({ runId }) => ({ paused: needTraining().pause(runId) }),
    resumeRun: ({ runId }) => ({ resumed: needTraining().resumeRun(runId) }),
    trainingEngines: ({ refresh }) => needTraining().engines(refresh),

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

    listJobs: async () => {
      const trained = training ? await training.list() : [];
      const generations = jobs.list().filter((j) => j.kind === 'generate');
      return [...trained, ...generations].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, 100);
    },

    cancelRun: ({ runId }) => ({ cancelled: runs.cancel(runId) }),

    devices: () => devices.state(),
    chooseDevices: (request) => devices.choose(request),
    playKeys: ({ bytes }) => {
      devices.playKeys(bytes);
      return {};
    },
    startRecording: (request) => ({ runId: devices.startRecording(request) }),
    stopRecording: ({ runId }) => ({ stopped: devices.stopRecording(runId) }),
    play: (request) => ({ runId: devices.play(request) }),
    stopPlayback: () => ({ stopped: devices.stopPlayback() }),
    panic: () => {
      callResponse.stop();
      devices.panic();
      return {};
    },

    saveProject: project.saveProject,
    loadProject: project.loadProject,

    stageFile: async ({ uploadId, path: relative, base64, append }) => ({ bytes: await uploads.stage(uploadId, relative, base64, append) }),
    importModel: async ({ uploadId, name }) => {
      const store = needModels();
      try {
        return await store.import(await uploads.modelFolder(uploadId), name);
      } finally {
        await uploads.discard(uploadId);
      }
    },
    saveFile: async ({ suggestedName, kind, base64 }) => {
      if (!options.chooseSavePath) return { saved: false as const, reason: 'download' as const };
      const target = await options.chooseSavePath(suggestedName, kind);
      if (!target) return { saved: false as const, reason: 'cancelled' as const };
      try {
        // The dialog asked before replacing an existing file: that is the user's permission.
        await written.write(target, Buffer.from(base64, 'base64'), { force: true });
      } catch (e) {
        throw new StudioError('io_error', `could not save ${target}: ${(e as Error).message}. Nothing was lost: the take is still in the studio; try another folder.`);
      }
      return { saved: true as const, name: path.basename(target) };
    },

    setCallAndResponse: (request) => {
      if (request.enabled && !engine) throw new StudioError('unsupported', 'call-and-response needs the engine, which is not available in this build');
      return { enabled: callResponse.set(request) };
    },
  };

  return {
    handlers,
    events,
    settings,
    devices,
    corpora,
    written,
    userDataDir: options.userDataDir,
    async dispose() {
      runs.cancelAll();
      callResponse.stop();
      devices.dispose();
      unsubscribeEngine?.();
      await engine?.dispose();
      await settings.flush();
    },
  };
}
