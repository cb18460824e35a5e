/** `saveFile`: an export written where the musician chose in the save dialog, or a browser download in serve mode. */
import path from 'node:path';
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError } from '@shared/ipc/result';
import type { SaveKind } from '@shared/ipc/channels/files';
import type { WriteGuard } from './written';

export function setupSaving({ written, chooseSavePath }: { written: WriteGuard; chooseSavePath?: (suggestedName: string, kind: SaveKind) => Promise<string | null> }): Pick<Handlers, 'saveFile'> {
  return {
    saveFile: async ({ suggestedName, kind, base64 }) => {
      if (!chooseSavePath) return { saved: false as const, reason: 'download' as const };
      const target = await chooseSavePath(suggestedName, kind);
      if (!target) return { saved: false as const, reason: 'cancelled' as const };
      try {
        // The dialog asked before replacing an existing file: that is the user's permission.
        await written.write(target, Buffer.from(base64, 'base64'), { force: true });
      } catch (e) {
        throw new StudioError('io_error', `could not save ${target}: ${(e as Error).message}. Nothing was lost: the take is still in the studio; try another folder.`);
      }
      return { saved: true as const, name: path.basename(target) };
    },
  };
}
