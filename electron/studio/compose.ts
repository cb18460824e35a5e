/**
 * Builds the studio with its real parts for serve mode and the CLI (Electron's main composes the
 * same parts with a utilityProcess, see electron/main). Kept apart from index.ts so tests can build
 * a Studio with fakes without starting processes or opening MIDI hardware.
 */
import os from 'node:os';
import path from 'node:path';
import { createStudio, type Studio, type StudioOptions } from './index';
import { openSystemMidi } from '../midi/index';
import { EngineClient, forkEngine, type SpawnEngine } from './engine-client';
import { ModelCatalog } from '../node/catalog';
import { createStudioEngine } from './engine';
import { TrainingService } from './training';
import { appRoot, resourcesDir } from './paths';

/** The engine process entry for serve and the CLI: the TypeScript source, run through tsx. */
export const engineEntry = (): string => path.join(appRoot(), 'electron', 'engine', 'process.ts');

export interface ComposeOptions extends Pick<StudioOptions, 'mode' | 'userDataDir' | 'chooseSavePath'> {
  /** How to start the engine process (Electron passes a utilityProcess spawner). */
  spawnEngine?: SpawnEngine;
  /** Folder of built-in models (default: resources/models). */
  builtInModelsDir?: string;
}

/**
 * The engine runs at a lower CPU priority: when training keeps both cores busy, the studio's MIDI
 * scheduler (in this process) still gets the CPU on time (the MIDI bench measured 4 ms time
 * slices otherwise).
 */
export function lowPriority(spawn: SpawnEngine): SpawnEngine {
  return (env) => {
    const child = spawn(env);
    try {
      if (child.pid) os.setPriority(child.pid, 10);
    } catch {
      /* not allowed here: run at normal priority */
    }
    return child;
  };
}

export async function composeStudio(options: ComposeOptions): Promise<Studio> {
  const client = new EngineClient({ spawn: lowPriority(options.spawnEngine ?? forkEngine(engineEntry())) });
  const library = new ModelCatalog(path.join(options.userDataDir, 'models'));
  const engine = createStudioEngine({ client, library, builtInDir: options.builtInModelsDir ?? path.join(resourcesDir(), 'models') });
  // Start the engine (and load its backend) in the background, so the first Generate is quick;
  // failures show up in the engine status, not here.
  client.start().catch(() => {});
  return createStudio({
    mode: options.mode,
    userDataDir: options.userDataDir,
    engine,
    models: engine,
    training: (parts) => new TrainingService({ client, library, ...parts }),
    openMidi: () => openSystemMidi(),
    chooseSavePath: options.chooseSavePath,
  });
}
