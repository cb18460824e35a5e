/**
 * Every worker thread entry of the app, by name, with its source file (from the repository root).
 * electron.vite.config.ts builds each one to `out/main/<name>.js` from this list, and
 * `startWorker` (start.ts) finds it there, so a worker added here is built and found by the same
 * name. Pure data: the build config imports it.
 */
export const WORKER_ENTRIES = {
  /** MIDI playback's timing thread (electron/midi/threaded.ts). */
  'player-worker': 'electron/midi/player-worker.ts',
  /** The corpus reader's parsing threads (shared/music/corpus/files.ts). */
  'read-worker': 'shared/music/corpus/read-worker.ts',
} as const;

export type WorkerName = keyof typeof WORKER_ENTRIES;
