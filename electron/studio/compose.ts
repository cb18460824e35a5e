/**
 * Builds the studio with its real parts for serve mode and the CLI (Electron's main has its own
 * composition with utilityProcess, see electron/main). Kept apart from index.ts so tests can build
 * a Studio with fakes without starting processes or opening MIDI hardware.
 */
import { createStudio, type Studio, type StudioOptions } from './index';
import { openSystemMidi } from '../midi/index';

export async function composeStudio(options: Pick<StudioOptions, 'mode' | 'userDataDir'>): Promise<Studio> {
  return createStudio({ ...options, openMidi: () => openSystemMidi() });
}
