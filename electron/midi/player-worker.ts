/**
 * The playback thread's entry (a worker_threads Worker started by PlaybackThread.start). It owns
 * the timing loop: real Schedulers on the real clock, whose futex waits block only this thread.
 * Hardware outputs are opened here by name through the RtMidi adapter (@julusian/midi is a
 * Node-API addon, so it loads in a worker); everything else goes back to the main thread.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { spawnSync } from 'node:child_process';
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
/** ...and spins the last 1.5 ms, so a slow wake-up from that sleep still leaves it on a core in time (~1% CPU at 8 notes/s). */
const SPIN_MS = 1.5;
const data = (workerData ?? {}) as { approachMs?: number; spinMs?: number };
const approachMs = Number(data.approachMs ?? APPROACH_MS);
const spinMs = Number(data.spinMs ?? SPIN_MS);

const host = new PlayerHost({
  clock: realClock({ approachMs, spinMs }),
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

/**
 * Where the OS allows it, this thread (only this one: Linux sets priorities per thread) runs above
 * normal priority, as audio software does for its timing threads, so a busy machine hands it a core
 * first. Ordinary users usually may not (RLIMIT_NICE 0): then it stays at normal priority.
 */
const RAISED_NICE = -10;
const RT_PRIORITY = 10;
function raisePriority(): string {
  if ((workerData as { raisePriority?: boolean } | null)?.raisePriority === false) return 'normal (not asked to raise it)';
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 'normal (no per-thread priority on this system)';
  }
  // First choice: the real-time FIFO class, as JACK and PipeWire give their audio threads. A
  // raised nice value still shares the core in slices of a few ms with a training run; a FIFO
  // thread gets it on wake-up. Needs RLIMIT_RTPRIO (or root); the kernel still keeps 5% of
  // every second for everything else, and this thread sleeps between messages.
  if (process.platform === 'linux') {
    const r = spawnSync('chrt', ['--fifo', '--pid', String(RT_PRIORITY), String(tid)], { stdio: 'ignore', timeout: 2000 });
    if (r.status === 0) return `real-time (SCHED_FIFO ${RT_PRIORITY})`;
  }
  try {
    setPriority(tid, RAISED_NICE);
    return `nice ${RAISED_NICE}`;
  } catch (e) {
    return `normal (raising it was refused: ${(e as Error).message})`;
  }
}

port.postMessage({ t: 'ready', timeOrigin: performance.timeOrigin, priority: raisePriority() });
