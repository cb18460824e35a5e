/**
 * Every export leaves through here: the studio's saveFile first (Electron shows its save dialog
 * and writes the file), the browser's download when the studio answers `download` (serve mode,
 * where the bytes are not even sent). A refusal (read-only folder, disk full) comes back as the
 * studio's readable message and nothing is lost: the export can be run again.
 */
import type { StudioApi } from '@shared/ipc/api';
import { saveExport, type SaveKind } from '@shared/ipc/index';
import { download, type ExportFile } from './export';

export type SaveOutcome = { how: 'saved'; name: string } | { how: 'downloaded'; name: string } | { how: 'cancelled' };

export type SaveFn = (file: ExportFile, kind: SaveKind) => Promise<SaveOutcome>;

export class SaveError extends Error {}

export function makeSaver(api: StudioApi, mode: 'electron' | 'serve', browserDownload: (file: ExportFile) => void = download): SaveFn {
  return async (file, kind) => {
    const r = await saveExport(api, mode, { suggestedName: file.name, kind, bytes: file.bytes });
    if (!r.ok) throw new SaveError(`${file.name} was not saved: ${r.error.message}`);
    if (r.value.saved) return { how: 'saved', name: r.value.name };
    if (r.value.reason === 'cancelled') return { how: 'cancelled' };
    browserDownload(file);
    return { how: 'downloaded', name: file.name };
  };
}

/** The outcome in words for the panel. */
export function describeSave(outcome: SaveOutcome, size: number): string {
  const kb = size < 1024 ? `${size} B` : size < 1024 * 1024 ? `${(size / 1024).toFixed(1)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`;
  if (outcome.how === 'cancelled') return 'Export cancelled: nothing was written.';
  if (outcome.how === 'saved') return `Saved ${outcome.name} (${kb})`;
  return `Exported ${outcome.name} (${kb}) to your downloads`;
}
