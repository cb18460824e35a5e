/**
 * The playback thread's entry (a worker_threads Worker started by PlaybackThread.start). It owns
 * the timing loop: real Schedulers on the real clock, whose futex waits block only this thread.
 * Hardware outputs are opened here by name through the RtMidi adapter (@julusian/midi is a
 * Node-API addon, so it loads in a worker); everything else goes back to the main thread.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { realClock } from './clock';
import { PlayerHost } from './player-host';
import type { MidiSystem } from './port';
import type { ToThread } from './thread-protocol';

const port = parentPort;
if (!port) throw new Error('player-worker.ts runs as a worker thread (PlaybackThread.start)');

let system: Promise<MidiSystem> | undefined;
/**
 * This thread may block: it waits out the last APPROACH_MS before each message in a futex sleep
 * (precise) rather than trusting setTimeout, which wakes late when the machine is busy.
 */
const APPROACH_MS = 10;
const approachMs = Number((workerData as { approachMs?: number } | null)?.approachMs ?? APPROACH_MS);

const host = new PlayerHost({
  clock: realClock({ approachMs }),
  runDelayNs: () => {
    try {
      return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/)[1]);
    } catch {
      return null;
    }
  },
  post: (m) => port.postMessage(m),
  openDirect: async (name) => {
    system ??= import('./rtmidi').then(async ({ openRtMidi }) => {
      const r = await openRtMidi();
      if (!r.ok) throw new Error(r.reason);
      return r.system;
    });
    return (await system).openOutput(name);
  },
});
port.on('message', (m: ToThread) => host.handle(m));
port.postMessage({ t: 'ready', timeOrigin: performance.timeOrigin });
