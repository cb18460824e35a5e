/** What the window asks first: the app, the engine's backend and the MIDI status; and the engine's memory. */
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError } from '@shared/ipc/result';
import type { BackendInfo } from '@shared/ipc/schemas';
import { APP_NAME, APP_VERSION } from './version';
import type { DevicesService } from './midi-service';
import type { StudioEngine } from './ports';

const NO_ENGINE: BackendInfo = {
  status: 'failed',
  active: null,
  candidates: [],
  message: 'the engine is not available in this build',
};

export function setupApp({ mode, engine, devices }: { mode: 'electron' | 'serve'; engine: StudioEngine | undefined; devices: DevicesService }): Pick<Handlers, 'appInfo' | 'engineMemory'> {
  return {
    appInfo: () => ({
      name: APP_NAME,
      version: APP_VERSION,
      mode,
      platform: `${process.platform}-${process.arch}`,
      backend: engine?.status() ?? NO_ENGINE,
      midi: devices.status(),
    }),
    engineMemory: async () => {
      if (!engine?.memory) throw new StudioError('unsupported', 'the engine is not available in this build');
      return engine.memory();
    },
  };
}
