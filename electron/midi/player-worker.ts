/**
 * The playback thread's entry (a worker_threads Worker started by PlaybackThread.start). It owns
 * the timing loop: real Schedulers on the real clock, whose futex waits block only this thread.
 * Hardware outputs are opened here by name through the RtMidi adapter (@julusian/midi is a
 * Node-API addon, so it loads in a worker); everything else goes back to the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { realClock } from './clock';
import { PlayerHost } from './player-host';
import type { MidiSystem } from './port';
import type { ToThread } from './thread-protocol';

const port = parentPort;
if (!port) throw new Error('player-worker.ts runs as a worker thread (PlaybackThread.start)');

let system: Promise<MidiSystem> | undefined;
const host = new PlayerHost({
  clock: realClock(),
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
