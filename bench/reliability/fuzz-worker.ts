/**
 * Worker thread of the importer fuzz. Runs cases [from, to) and reports a tally; before each case
 * it writes (index, start time) into shared memory so the parent can see a case that hangs and
 * terminate the thread (a hung parser cannot report anything itself).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { judge, makeCase, type Kind } from './fuzz-case';

export interface WorkerInit {
  kind: Kind;
  runSeed: number;
  seeds: (string | Uint8Array)[];
  names: string[];
  heartbeat: SharedArrayBuffer;
  slowMs: number;
}

export interface Tally {
  cases: number;
  accepted: number;
  partial: number;
  rejected: number;
  codes: Record<string, number>;
  ops: Record<string, number>;
  /** Index and message of every case that broke a promise (crash, untyped rejection, bad output). */
  failures: { index: number; outcome: string; message: string }[];
  slow: { index: number; ms: number }[];
  maxMs: number;
  /** Milliseconds per case, for percentiles (bounded: one entry per case). */
  durations: number[];
}

export function emptyTally(): Tally {
  return { cases: 0, accepted: 0, partial: 0, rejected: 0, codes: {}, ops: {}, failures: [], slow: [], maxMs: 0, durations: [] };
}

if (parentPort) {
  const init = workerData as WorkerInit;
  const beat = new Float64Array(init.heartbeat);
  parentPort.on('message', (job: { from: number; to: number }) => {
    const t = emptyTally();
    for (let i = job.from; i < job.to; i++) {
      const c = makeCase(init.kind, init.runSeed, i, init.seeds, init.names);
      beat[0] = i;
      beat[1] = Date.now();
      const t0 = performance.now();
      const v = judge(c);
      const ms = performance.now() - t0;
      beat[1] = 0;
      t.cases++;
      t.durations.push(ms);
      if (ms > t.maxMs) t.maxMs = ms;
      if (ms > init.slowMs) t.slow.push({ index: i, ms });
      for (const op of c.ops) t.ops[op] = (t.ops[op] ?? 0) + 1;
      if (v.outcome === 'accepted') t.accepted++;
      else if (v.outcome === 'partial' || v.outcome === 'rejected') {
        if (v.outcome === 'partial') t.partial++;
        else t.rejected++;
        for (const code of v.codes) t.codes[code] = (t.codes[code] ?? 0) + 1;
      } else t.failures.push({ index: i, outcome: v.outcome, message: v.message });
    }
    parentPort!.postMessage({ done: job.to, tally: t });
  });
}
