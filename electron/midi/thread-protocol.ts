/**
 * Messages between the studio's thread and the playback thread (a worker_threads Worker that
 * owns the timing loop). Plain structured-clone data only. Times are each thread's own
 * performance.now(); the main side converts with the difference of the two timeOrigins.
 */
import type { Note } from '@shared/music/types';
import type { TransportTimeline } from '@shared/transport/transport';
import type { SchedulerEnd, SentEvent } from './scheduler';

/**
 * Where a scheduler's messages go from the playback thread:
 * - forward: posted back to the main thread, which sends them through its OutputBus voice
 *   (loopback ports, the built-in synth: objects that live on the main thread);
 * - rtmidi: the thread opens the same hardware port by name and sends at the exact time itself;
 *   copies come back so the main thread's panic knows what is sounding;
 * - none: nowhere (the benchmark, which only needs the send times).
 */
export type PortTarget = { kind: 'forward' } | { kind: 'rtmidi'; name: string } | { kind: 'none' };

export interface SchedulerSetup {
  channel: number;
  program?: number;
  qpm: number;
  lookAheadMs?: number;
  intervalMs?: number;
  prerollMs?: number;
}

export type ToThread =
  | { t: 'create'; id: number; setup: SchedulerSetup; target: PortTarget; latencyMs: number }
  | { t: 'target'; id: number; target: PortTarget }
  | { t: 'load'; id: number; notes: Note[]; qpm?: number; ended: boolean; totalTime?: number }
  | { t: 'append'; id: number; notes: Note[] }
  | { t: 'end'; id: number; totalTime?: number }
  | { t: 'play'; id: number; epoch: number; fromBeat: number; latencyMs: number }
  | { t: 'stop'; id: number; epoch: number }
  | { t: 'seek'; id: number; epoch: number; beat: number; latencyMs: number }
  | { t: 'tempo'; id: number; qpm: number }
  | { t: 'loop'; id: number; region: { start: number; end: number } | null }
  | { t: 'metronome'; id: number; clicks: Note[] | null }
  | { t: 'voice'; id: number; channel: number; program?: number }
  | { t: 'sendProgram'; id: number }
  | { t: 'dispose'; id: number }
  | { t: 'panic' }
  /** How long the playback thread has waited for a core so far (Linux schedstat), for benches. */
  | { t: 'probe'; id: number };

export type FromThread =
  | { t: 'ready'; timeOrigin: number; priority?: string }
  /** A message for the synth: `delivered` when the thread already sent it (rtmidi), else main sends it. */
  | { t: 'out'; id: number; epoch: number; bytes: number[]; atMs?: number; delivered: boolean }
  | { t: 'sent'; id: number; epoch: number; event: SentEvent }
  | { t: 'ended'; id: number; epoch: number; why: SchedulerEnd }
  /** Where the thread's transport stands (`timeline`, in the thread's time), `beat` sounding at `atMs`. */
  | { t: 'state'; id: number; epoch: number; playing: boolean; beat: number; atMs: number; qpm: number; lateNotes: number; timeline: TransportTimeline }
  | { t: 'notice'; message: string }
  | { t: 'probe'; id: number; runDelayNs: number | null };
