/**
 * The importer fuzz: N mutated .abc or .mid files through parseAbc / readMidi in worker processes.
 * A case running longer than `hangMs` counts as a hang; one running longer than `killMs` has its
 * process killed (the case is counted as a hang, its input saved) and the run goes on. A process
 * that dies (V8 abort, out of memory, uncaught error) counts as a crash. Failing inputs are written
 * to `reproDir` so they can be replayed: `npx tsx bench/reliability/run.ts --replay FILE`.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyTally, type Tally, type WorkerInit } from './fuzz-worker';
import { makeCase, type Kind } from './fuzz-case';
import { loadSeeds, type SeedOptions } from './seeds';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fuzz-worker.ts');

export interface FuzzOptions {
  kind: Kind;
  count: number;
  /** Which seed files (the worker processes load the same ones). */
  seedOptions?: SeedOptions;
  runSeed?: number;
  workers?: number;
  hangMs?: number;
  killMs?: number;
  batch?: number;
  reproDir?: string;
  /** Stop handing out cases after this long (the result says how many ran). */
  budgetMs?: number;
  /** Heap cap per worker process: a file that makes the reader balloon kills its process. */
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
  const all = loadSeeds(o.seedOptions);
  const seeds = o.kind === 'abc' ? all.abc.map((s) => s.text) : all.mid.map((s) => s.data);
  const names = o.kind === 'abc' ? all.abc.map((s) => s.name) : all.mid.map((s) => s.name);
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
      const init: WorkerInit = { kind: o.kind, runSeed, slowMs: hangMs, seedOptions: o.seedOptions ?? {} };
      const child = fork(WORKER, [], {
        execArgv: ['--import', 'tsx', `--max-old-space-size=${o.workerHeapMb ?? 768}`],
        env: { ...process.env, SEEDSONG_FUZZ_WORKER: JSON.stringify(init) },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      let current = job;
      let caseIndex = -1;
      let caseStart = 0;
      let ranACase = false;
      let finished = false;
      let killedForHang = false;
      // The process's tally for its batch died with it: run the batch again without the bad case.
      const requeueAround = (index: number) => {
        if (index + 1 < current.to) queue.unshift({ from: index + 1, to: current.to });
        if (current.from < index) queue.unshift({ from: current.from, to: index });
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        clearInterval(watch);
        running--;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        spawn();
      };
      // A case that never returns: note it, kill the process, carry on after it.
      const watch = setInterval(() => {
        if (caseStart > 0 && Date.now() - caseStart > killMs && !killedForHang) {
          killedForHang = true;
          killed++;
          total.cases++;
          total.slow.push({ index: caseIndex, ms: Date.now() - caseStart });
          failures.push({ index: caseIndex, outcome: 'hang', message: `still running after ${killMs} ms: process killed`, repro: saveRepro(caseIndex) });
          requeueAround(caseIndex);
          finish();
        }
      }, 100);
      child.on('message', (m: { ready?: true; start?: number; done?: number; tally?: Tally }) => {
        if (m.ready) child.send(current);
        else if (m.start !== undefined) {
          caseIndex = m.start;
          caseStart = Date.now();
        } else if (m.tally) {
          ranACase = true;
          caseStart = 0;
          merge(m.tally);
          if (o.budgetMs !== undefined && performance.now() - started > o.budgetMs && queue.length) {
            stoppedEarly = true;
            queue.length = 0;
          }
          const next = queue.shift();
          if (next) {
            current = next;
            child.send(next);
          } else finish();
        }
      });
      child.on('exit', (code, signal) => {
        if (finished) return;
        if (caseStart === 0 && !ranACase) {
          // Died before its first case: the harness is broken, not the importer.
          setupError ??= new Error(`the fuzz worker could not start (exit ${code ?? signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
          queue.length = 0;
          finish();
          return;
        }
        // The process died inside a case (V8 abort, out of memory, uncaught error): a crash.
        const why = stderr.match(/Fatal[^\n]*|FATAL ERROR[^\n]*|RangeError[^\n]*|Error[^\n]*/)?.[0] ?? '';
        total.cases++;
        failures.push({ index: caseIndex, outcome: 'crash', message: `worker process died (${signal ?? `exit ${code}`}) ${why}`.trim(), repro: saveRepro(caseIndex) });
        requeueAround(caseIndex);
        finish();
      });
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
