/**
 * The importer fuzz: N mutated .abc or .mid files through parseAbc / readMidi on worker threads.
 * A case running longer than `hangMs` counts as a hang; one running longer than `killMs` has its
 * thread terminated (the case is counted as a hang, its input saved) and the run goes on. A thread
 * that dies (uncaught error, out of memory) counts as a crash. Failing inputs are written to
 * `reproDir` so they can be replayed: `npx tsx bench/reliability/run.ts --replay FILE`.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { emptyTally, type Tally, type WorkerInit } from './fuzz-worker';
import { makeCase, type Kind } from './fuzz-case';
import type { Seeds } from './seeds';

export interface FuzzOptions {
  kind: Kind;
  count: number;
  seeds: Seeds;
  runSeed?: number;
  workers?: number;
  hangMs?: number;
  killMs?: number;
  batch?: number;
  reproDir?: string;
  /** Stop handing out cases after this long (the result says how many ran). */
  budgetMs?: number;
  /** Memory cap per worker thread: a file that makes the reader balloon kills its thread. */
  workerHeapMb?: number;
}

export interface FuzzResult {
  kind: Kind;
  cases: number;
  accepted: number;
  partial: number;
  rejected: number;
  crashes: number;
  untyped: number;
  badOutput: number;
  hangs: number;
  killed: number;
  seconds: number;
  /** The budget ran out before `count` cases. */
  stoppedEarly: boolean;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  codes: Record<string, number>;
  failures: { index: number; outcome: string; message: string; repro?: string }[];
}

/**
 * A worker thread running a .ts module. Node 20 does not pass `--import tsx` on to worker threads,
 * so the thread registers tsx itself before importing the module.
 */
export function tsWorker(module: URL, options: WorkerOptions): Worker {
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function fuzzImporters(o: FuzzOptions): Promise<FuzzResult> {
  const runSeed = o.runSeed ?? 1;
  const hangMs = o.hangMs ?? 2000;
  const killMs = o.killMs ?? 2500;
  const batch = o.batch ?? 100;
  const nWorkers = Math.max(1, o.workers ?? 2);
  const seeds = o.kind === 'abc' ? o.seeds.abc.map((s) => s.text) : o.seeds.mid.map((s) => s.data);
  const names = o.kind === 'abc' ? o.seeds.abc.map((s) => s.name) : o.seeds.mid.map((s) => s.name);
  const total = emptyTally();
  const failures: FuzzResult['failures'] = [];
  let killed = 0;
  const started = performance.now();

  const queue: { from: number; to: number }[] = [];
  for (let from = 0; from < o.count; from += batch) queue.push({ from, to: Math.min(o.count, from + batch) });

  const saveRepro = (index: number): string | undefined => {
    if (!o.reproDir) return undefined;
    fs.mkdirSync(o.reproDir, { recursive: true });
    const c = makeCase(o.kind, runSeed, index, seeds, names);
    const file = path.join(o.reproDir, `${o.kind}-seed${runSeed}-${index}.${o.kind}`);
    fs.writeFileSync(file, c.data);
    fs.writeFileSync(file + '.txt', `seed file: ${c.seedName}\nmutations: ${c.ops.join(', ')}\n`);
    return file;
  };

  const merge = (t: Tally) => {
    total.cases += t.cases;
    total.accepted += t.accepted;
    total.partial += t.partial;
    total.rejected += t.rejected;
    for (const [k, v] of Object.entries(t.codes)) total.codes[k] = (total.codes[k] ?? 0) + v;
    total.slow.push(...t.slow);
    for (const d of t.durations) total.durations.push(d);
    total.maxMs = Math.max(total.maxMs, t.maxMs);
    for (const f of t.failures) failures.push({ ...f, repro: failures.length < 50 ? saveRepro(f.index) : undefined });
  };

  let setupError: Error | undefined;
  let stoppedEarly = false;
  await new Promise<void>((resolve) => {
    let running = 0;
    const spawn = () => {
      const job = queue.shift();
      if (!job) {
        if (running === 0) resolve();
        return;
      }
      running++;
      const heartbeat = new SharedArrayBuffer(16);
      const beat = new Float64Array(heartbeat);
      const init: WorkerInit = { kind: o.kind, runSeed, seeds, names, heartbeat, slowMs: hangMs };
      const worker = tsWorker(new URL('./fuzz-worker.ts', import.meta.url), {
        workerData: init,
        resourceLimits: { maxOldGenerationSizeMb: o.workerHeapMb ?? 768 },
      });
      let ranACase = false;
      let current = job;
      let finished = false;
      // The thread's tally for its batch died with it: run the batch again without the bad case.
      const requeueAround = (index: number) => {
        if (index + 1 < current.to) queue.unshift({ from: index + 1, to: current.to });
        if (current.from < index) queue.unshift({ from: current.from, to: index });
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        clearInterval(watch);
        running--;
        void worker.terminate();
        spawn();
      };
      // A case that never returns: note it, kill the thread, carry on after it.
      const watch = setInterval(() => {
        if (beat[1] > 0 && Date.now() - beat[1] > killMs) {
          const index = beat[0];
          killed++;
          total.cases++;
          total.slow.push({ index, ms: Date.now() - beat[1] });
          failures.push({ index, outcome: 'hang', message: `still running after ${killMs} ms: thread terminated`, repro: saveRepro(index) });
          requeueAround(index);
          finish();
        }
      }, 100);
      worker.on('message', (m: { done: number; tally: Tally }) => {
        ranACase = true;
        merge(m.tally);
        if (o.budgetMs !== undefined && performance.now() - started > o.budgetMs && queue.length) {
          stoppedEarly = true;
          queue.length = 0;
        }
        const next = queue.shift();
        if (next) {
          current = next;
          worker.postMessage(next);
        } else finish();
      });
      worker.on('error', (e) => {
        if (!ranACase && beat[1] === 0) {
          // Died before its first case: the harness is broken, not the importer.
          setupError ??= new Error(`the fuzz worker could not start: ${e?.message ?? e}`);
          queue.length = 0;
          finish();
          return;
        }
        // The thread died inside a case (uncaught error, out of memory): a crash of that case.
        const index = beat[1] > 0 ? beat[0] : current.from;
        total.cases++;
        failures.push({ index, outcome: 'crash', message: `worker died: ${String(e?.message ?? e).slice(0, 300)}`, repro: saveRepro(index) });
        requeueAround(index);
        finish();
      });
      worker.on('exit', (code) => {
        if (!finished && code !== 0 && beat[1] > 0) {
          const index = beat[0];
          total.cases++;
          failures.push({ index, outcome: 'crash', message: `worker exited with code ${code}`, repro: saveRepro(index) });
          requeueAround(index);
        }
        finish();
      });
      worker.postMessage(current);
    };
    for (let k = 0; k < nWorkers; k++) spawn();
  });

  if (setupError) throw setupError;
  const sorted = total.durations.sort((a, b) => a - b);
  const count = (outcome: string) => failures.filter((f) => f.outcome === outcome).length;
  return {
    kind: o.kind,
    cases: total.cases,
    accepted: total.accepted,
    partial: total.partial,
    rejected: total.rejected,
    crashes: count('crash'),
    untyped: count('untyped'),
    badOutput: count('bad-output'),
    hangs: total.slow.length,
    killed,
    seconds: (performance.now() - started) / 1000,
    stoppedEarly,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: Math.max(total.maxMs, ...total.slow.map((s) => s.ms)),
    codes: total.codes,
    failures,
  };
}
