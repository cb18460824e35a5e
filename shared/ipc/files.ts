/**
 * The renderer's side of file transfers, over any StudioApi (preload bridge or WebSocket):
 * uploading a model folder in frame-sized chunks, and saving exported bytes (or learning that the
 * browser must download them). Plain TypeScript: no DOM here; the caller reads the files and does
 * the download.
 */
import type { StudioApi } from './api';
import type { ModelSummary } from './schemas';
import type { Result } from './result';
import { fail } from './result';
import { MAX_UPLOAD_BYTES, STAGE_CHUNK_BASE64, type SaveKind, type SaveResult } from './channels/files';

export interface FolderFile {
  /** Relative to the chosen folder, "/"-separated (e.g. a File's webkitRelativePath minus the folder). */
  path: string;
  bytes: Uint8Array;
}

/** Bytes per chunk: the largest multiple of 3 whose base64 fits STAGE_CHUNK_BASE64. */
const CHUNK_BYTES = Math.floor(STAGE_CHUNK_BASE64 / 4) * 3;

export function toBase64(bytes: Uint8Array): string {
  // btoa is in browsers and in Node >= 16; build the binary string in slices to bound the stack.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function newUploadId(): string {
  const rnd = new Uint8Array(12);
  globalThis.crypto.getRandomValues(rnd);
  return 'up-' + Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Drops the chosen folder's own name from webkitRelativePath ("mymodel/model.json" -> "model.json"). */
export function relativeToFolder(webkitRelativePath: string): string {
  const parts = webkitRelativePath.split(/[\\/]/).filter(Boolean);
  return parts.length > 1 ? parts.slice(1).join('/') : parts.join('/');
}

/**
 * Uploads the files of a converted model folder and imports it as `name`. Files other than JSON
 * and weight shards are skipped (a folder often holds the Python side too).
 */
export async function importModelFolder(
  api: StudioApi,
  name: string,
  files: FolderFile[],
  onProgress?: (sentBytes: number, totalBytes: number) => void,
): Promise<Result<ModelSummary>> {
  let wanted = files.filter((f) => /\.(json|bin)$/i.test(f.path));
  // A Seedsong model folder: only the model itself, not its checkpoints (each with the optimizer
  // state, twice the weights) nor a torchrun job's initial weights.
  if (wanted.some((f) => /^model\.json$/i.test(f.path))) wanted = wanted.filter((f) => !/^(checkpoints|torch-job)\//.test(f.path));
  if (!wanted.some((f) => /(^|\/)model\.json$/i.test(f.path))) {
    return fail('bad_input', 'the folder has no model.json: choose the folder written by tensorflowjs_converter (model.json and its .bin weight files)');
  }
  const total = wanted.reduce((s, f) => s + f.bytes.length, 0);
  if (total > MAX_UPLOAD_BYTES) return fail('bad_input', `the model is ${(total / 1e6).toFixed(0)} MB; the limit is ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
  const uploadId = newUploadId();
  let sent = 0;
  for (const f of wanted) {
    let offset = 0;
    do {
      const chunk = f.bytes.subarray(offset, offset + CHUNK_BYTES);
      const r = await api.stageFile({ uploadId, path: f.path, base64: toBase64(chunk), append: offset > 0 });
      if (!r.ok) return r;
      offset += chunk.length;
      sent += chunk.length;
      onProgress?.(sent, total);
    } while (offset < f.bytes.length);
  }
  return api.importModel({ uploadId, name });
}

/**
 * Saves exported bytes through the studio (Electron: a save dialog) or answers `download` without
 * sending anything when the studio runs as `seedsong serve` (the browser downloads them instead;
 * sending would only copy megabytes of audio over the socket for nothing).
 */
export async function saveExport(
  api: StudioApi,
  mode: 'electron' | 'serve',
  file: { suggestedName: string; kind: SaveKind; bytes: Uint8Array },
): Promise<Result<SaveResult>> {
  if (mode === 'serve') return { ok: true, value: { saved: false, reason: 'download' } };
  return api.saveFile({ suggestedName: file.suggestedName, kind: file.kind, base64: toBase64(file.bytes) });
}
