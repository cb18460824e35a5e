/**
 * Child process of the importer fuzz. Runs cases [from, to) and reports a tally; before each case
 * it tells the parent which case starts, so the parent can name a case that hangs (and kill the
 * process) or that takes the whole process down. A process, not a thread: some inputs make V8
 * abort outright ("Fatal JavaScript invalid size error"), which would end every thread with it.
 */
import { judge, makeCase, type Kind } from './fuzz-case';
import { loadSeeds, type SeedOptions } from './seeds';

export interface WorkerInit {
  kind: Kind;
  runSeed: number;
  slowMs: number;
  seedOptions: SeedOptions;
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

if (process.send && process.env.SEEDSONG_FUZZ_WORKER) {
  const init = JSON.parse(process.env.SEEDSONG_FUZZ_WORKER) as WorkerInit;
  // The same seeds as the parent (loadSeeds is deterministic), so cases match by index.
  const all = loadSeeds(init.seedOptions);
  const seeds = init.kind === 'abc' ? all.abc.map((s) => s.text) : all.mid.map((s) => s.data);
  const names = init.kind === 'abc' ? all.abc.map((s) => s.name) : all.mid.map((s) => s.name);
  process.on('message', (job: { from: number; to: number }) => {
    const t = emptyTally();
    for (let i = job.from; i < job.to; i++) {
      const c = makeCase(init.kind, init.runSeed, i, seeds, names);
      process.send!({ start: i });
      const t0 = performance.now();
      const v = judge(c);
      const ms = performance.now() - t0;
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
    process.send!({ done: job.to, tally: t });
  });
  process.send({ ready: true });
}
