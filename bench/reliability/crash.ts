/**
 * Crash safety. Two parts:
 *  - killWriters: a process writing checkpoints and models through the engine's library is killed
 *    (SIGKILL) at random moments, over and over; after every kill every model in the library must
 *    still be listed and load, and every checkpoint must load.
 *  - killTraining: the real engine process trains and is killed at random moments; after every
 *    kill the model and its last checkpoint load, and at the end training resumes to completion.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLibrary, listCheckpoints, loadCheckpoint, loadModel } from '../../electron/engine/library';
import { rng } from './mutate';

const here = path.dirname(fileURLToPath(import.meta.url));
const WRITER = path.join(here, 'crash-writer.ts');

export interface CrashResult {
  kills: number;
  /** Kills after which a model was missing from the list or failed to load. */
  modelsLost: number;
  modelLoadFailures: number;
  checkpointsChecked: number;
  checkpointLoadFailures: number;
  /** Writes the killed writers reported finishing (each life finishes at least one before its kill). */
  writes: number;
  /** Temporary files and set-aside folders left behind by interrupted writes (harmless, but litter). */
  leftovers: number;
  failures: string[];
  seconds: number;
}

function runTsx(args: string[], onLine?: (line: string) => void): { done: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine?.(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code) process.stderr.write(err.slice(-2000));
      resolve(code);
    }),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

function leftovers(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.endsWith('.tmp') || e.name.endsWith('.old') || /\.tmp\.old$/.test(e.name)) n++;
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return n;
}

async function checkLibrary(root: string, expected: number, res: CrashResult, when: string): Promise<void> {
  const lib = new ModelLibrary(root);
  const models = await lib.list();
  if (models.length !== expected) {
    res.modelsLost++;
    res.failures.push(`${when}: ${models.length} of ${expected} models listed (${fs.readdirSync(root).join(', ')})`);
  }
  for (const m of models) {
    try {
      (await loadModel(m.dir)).model.dispose();
    } catch (e) {
      res.modelLoadFailures++;
      res.failures.push(`${when}: model ${m.id}: ${(e as Error).message}`);
    }
    for (const ck of await listCheckpoints(m.dir)) {
      res.checkpointsChecked++;
      try {
        (await loadCheckpoint(ck.dir)).model.dispose();
      } catch (e) {
        res.checkpointLoadFailures++;
        res.failures.push(`${when}: checkpoint ${m.id}/${ck.id}: ${(e as Error).message}`);
      }
    }
  }
}

export async function killWriters(opts: { kills: number; runSeed?: number; maxDelayMs?: number }): Promise<CrashResult> {
  await tf.setBackend('cpu');
  const started = performance.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-crash-'));
  const res: CrashResult = { kills: 0, modelsLost: 0, modelLoadFailures: 0, checkpointsChecked: 0, checkpointLoadFailures: 0, writes: 0, leftovers: 0, failures: [], seconds: 0 };
  const init = runTsx([WRITER, 'init', root]);
  if ((await init.done) !== 0) throw new Error('crash test: could not create the library');
  const expected = (await new ModelLibrary(root).list()).length;
  const r = rng(opts.runSeed ?? 3);
  for (let k = 0; k < opts.kills; k++) {
    // Wait for state, not time: the kill's random delay starts once this life has finished one write,
    // so under any load every kill lands in a writer that is really writing (a slow start-up is not a kill).
    let wrote!: () => void;
    const hasWritten = new Promise<void>((resolve) => (wrote = resolve));
    const child = runTsx([WRITER, 'write', root, String(k + 1)], (line) => {
      if (!line.startsWith('wrote ')) return;
      res.writes++;
      wrote();
    });
    const exited = child.done.then(() => 'exited' as const);
    if ((await Promise.race([hasWritten.then(() => 'writing' as const), exited])) === 'exited') throw new Error('crash test: the writer exited before writing');
    await new Promise((resolve) => setTimeout(resolve, 5 + r() * (opts.maxDelayMs ?? 400)));
    child.kill();
    await child.done;
    res.kills++;
    await checkLibrary(root, expected, res, `after kill ${k + 1}`);
  }
  res.leftovers = leftovers(root);
  res.seconds = (performance.now() - started) / 1000;
  fs.rmSync(root, { recursive: true, force: true });
  return res;
}

export interface TrainingCrashResult {
  kills: number;
  checkpointsSeen: number;
  loadFailures: number;
  resumed: boolean;
  finalEpochs?: number;
  failures: string[];
  seconds: number;
  skipped?: string;
}

/** The real engine process, killed while it trains (and writes checkpoints every step). */
export async function killTraining(opts: { kills: number; runSeed?: number }): Promise<TrainingCrashResult> {
  const started = performance.now();
  const res: TrainingCrashResult = { kills: 0, checkpointsSeen: 0, loadFailures: 0, resumed: false, failures: [], seconds: 0 };
  let client: import('../../electron/studio/engine-client').EngineClient | undefined;
  try {
    const { EngineClient, forkEngine } = await import('../../electron/studio/engine-client');
    const { TINY, writeTinyCorpus } = await import('../../electron/engine/testing/fixtures');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-crash-train-'));
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'model');
    const entry = path.resolve(here, '../../electron/engine/process.ts');
    client = new EngineClient({ spawn: forkEngine(entry, { stdio: 'pipe' }) });
    await client.start();
    const r = rng(opts.runSeed ?? 9);
    // No early stopping: on the tiny corpus the validation loss stops improving within a few dozen
    // epochs, and a run that stopped early has nothing left to resume.
    const overrides = { ...TINY, training: { ...TINY.training, epochs: 10_000, checkpointEverySteps: 1, patience: 0 } };
    for (let k = 0; k < opts.kills; k++) {
      const request = k === 0 ? { preset: 'abc-token-lstm', corpus: [corpus], out, overrides } : { out, resume: true, epochs: 10_000 };
      let checkpoints = 0;
      const target = 1 + Math.floor(r() * 4);
      const run = await client.train(request as never, {
        onCheckpoint: () => {
          // Kill a random time after the n-th checkpoint: often in the middle of the next write.
          if (++checkpoints === target) setTimeout(() => client!.kill(), r() * 150);
        },
      });
      await run.result.catch(() => {});
      res.kills++;
      await client.start();
      try {
        (await loadModel(out)).model.dispose();
        const cks = await listCheckpoints(out);
        res.checkpointsSeen += cks.length;
        if (cks.length) (await loadCheckpoint(cks[cks.length - 1].dir)).model.dispose();
      } catch (e) {
        res.loadFailures++;
        res.failures.push(`after kill ${k + 1}: ${(e as Error).message}`);
      }
    }
    const cks = await listCheckpoints(out);
    const last = cks.length ? (await loadCheckpoint(cks[cks.length - 1].dir)) : undefined;
    last?.model.dispose();
    const epochs = (last?.info.epoch ?? 0) + 1;
    const summary = await (await client.train({ out, resume: true, epochs } as never, {})).result;
    res.resumed = summary.epochs === epochs;
    res.finalEpochs = summary.epochs;
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    res.skipped = `the engine could not run this test: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await client?.dispose();
  }
  res.seconds = (performance.now() - started) / 1000;
  return res;
}
