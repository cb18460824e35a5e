/**
 * The studio services, composed once. Electron's main process, `seedsong serve` and the CLI all
 * build a Studio with createStudio() and talk to it through `handlers` (one per contract channel).
 * Plain Node: no 'electron' import here or below.
 */
import type { Handlers } from '@shared/ipc/dispatch';
import type { SaveKind } from '@shared/ipc/channels/files';
import { realClock, type Clock, type OpenSystemResult } from '../midi/index';
import { EventBus } from './events';
import { RunRegistry, setupRuns } from './runs';
import { JobBoard } from './jobs';
import { Settings } from './settings';
import { CorpusStore, setupCorpora } from './corpora';
import { setupTraining, type TrainingService } from './training';
import { CallResponseService, setupCallAndResponse } from './call-response';
import { DevicesService, setupDevices } from './midi-service';
import { projectHandlers } from './project';
import { UploadStore } from './uploads';
import { WriteGuard } from './written';
import { OpenedFiles } from '@shared/ipc/opened-files';
import { setupApp } from './app';
import { setupModels } from './models';
import { setupGeneration } from './generation';
import { setupSaving } from './saving';
import type { ModelStore, StudioEngine } from './ports';
import { randomInt } from 'node:crypto';

export type { StudioEngine, ModelStore } from './ports';

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
  /** Generations running at once at most (default MAX_GENERATIONS in generation.ts); more are answered `busy`. */
  maxGenerations?: number;
}

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

/** Opening music files (a tune book's picker, a .mid's tracks and tempo map): parsed in the studio process, nothing kept on disk. */
function setupOpening(opened: OpenedFiles): Pick<Handlers, 'openFile' | 'openTune'> {
  return {
    openFile: ({ name, base64 }) => opened.open(name, base64),
    openTune: ({ fileId, tune, tracks }) => opened.tune(fileId, tune, tracks),
  };
}

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

  // Each feature registers its own channels; together they are the whole contract (checked by the type).
  const handlers: Handlers = {
    ...setupApp({ mode: options.mode, engine, devices }),
    ...setupModels({ models: options.models, uploads }),
    ...setupCorpora(corpora),
    ...setupTraining({ training, jobs }),
    ...setupGeneration({ engine, events, runs, jobs, random, maxGenerations: options.maxGenerations }),
    ...setupRuns(runs),
    ...setupDevices({ devices, callResponse }),
    ...setupCallAndResponse({ callResponse, engine }),
    saveProject: project.saveProject,
    loadProject: project.loadProject,
    ...setupSaving({ written, chooseSavePath: options.chooseSavePath }),
    ...setupOpening(new OpenedFiles()),
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
