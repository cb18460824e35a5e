/**
 * The soak: for N minutes the engine process trains while takes are generated and played, over
 * and over. Generation runs both through the engine process (the studio's path) and in this
 * process through the same engine code; tf.memory() is read in both (the engine's through its
 * 'memory' message). Each take is played in real time through the scheduler to a loopback synth.
 * Reported: takes, notes played, hung notes, late notes, generation latency, and memory at the
 * start and end of the run (this process's heap and RSS, the engine's RSS, tf tensors).
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopbackMidiSystem, OutputBus, Scheduler, realClock, soundingNotes } from '../../electron/midi/index';
import type { NoteSequence } from '@shared/music/types';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface MemorySample {
  atS: number;
  heapMb: number;
  rssMb: number;
  engineRssMb: number | null;
  tensors: number;
  tfBytesMb: number;
  /** The engine process's own tf.memory() and heap (its 'memory' message). */
  engineTensors: number | null;
  engineTensorMb: number | null;
  engineHeapMb: number | null;
}

export interface SoakResult {
  minutes: number;
  /** Training runs started (a new one resumes the last whenever one ends). */
  trainingRuns: number;
  trainingSteps: number;
  trainingEpochs: number;
  checkpoints: number;
  engineTakes: number;
  localTakes: number;
  notesPlayed: number;
  hungNotes: number;
  lateNotes: number;
  generateP50Ms: number;
  generateP99Ms: number;
  errors: string[];
  samples: MemorySample[];
  /** Growth between the first and last quarter of the run (after warm-up). */
  heapGrowthMb: number;
  engineRssGrowthMb: number | null;
  tensorGrowth: number;
  /** Lowest engine tensor count of the last quarter minus that of the first (training holds some between steps). */
  engineTensorGrowth: number | null;
  engineHeapGrowthMb: number | null;
  skipped?: string;
}

function engineRss(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function growth(samples: MemorySample[], key: keyof MemorySample): number | null {
  const values = samples.map((s) => s[key]).filter((v): v is number => typeof v === 'number');
  if (values.length < 4) return null;
  const q = Math.max(1, Math.floor(values.length / 4));
  return avg(values.slice(-q)) - avg(values.slice(1, 1 + q));
}

/** Growth of the lowest value per quarter: transient tensors inside a training step do not count. */
function minGrowth(samples: MemorySample[], key: keyof MemorySample): number | null {
  const values = samples.map((s) => s[key]).filter((v): v is number => typeof v === 'number');
  if (values.length < 4) return null;
  const q = Math.max(1, Math.floor(values.length / 4));
  return Math.min(...values.slice(-q)) - Math.min(...values.slice(1, 1 + q));
}

async function play(seq: NoteSequence, qpm: number): Promise<{ hung: number; late: number; notes: number }> {
  const clock = realClock();
  const sys = new LoopbackMidiSystem(clock);
  sys.addOutput('synth');
  const bus = new OutputBus();
  bus.setPort(sys.openOutput('synth'));
  const scheduler = new Scheduler({ clock, bus, qpm });
  const ended = new Promise<void>((resolve) => scheduler.onEnd(() => resolve()));
  scheduler.load({ ...seq, tempos: [{ time: 0, qpm }] });
  scheduler.play();
  const lengthMs = (seq.totalTime * 60000) / qpm;
  await Promise.race([ended, new Promise((r) => setTimeout(r, lengthMs + 3000))]);
  scheduler.stop();
  const hung = soundingNotes(sys.sent('synth'), { honourAllNotesOff: false }).length;
  const late = scheduler.lateNotes;
  scheduler.dispose();
  sys.dispose();
  return { hung, late, notes: seq.notes.length };
}

export async function soak(opts: { minutes: number; sampleEveryS?: number; log?: (line: string) => void }): Promise<SoakResult> {
  const res: SoakResult = { minutes: opts.minutes, trainingRuns: 0, trainingSteps: 0, trainingEpochs: 0, checkpoints: 0, engineTakes: 0, localTakes: 0, notesPlayed: 0, hungNotes: 0, lateNotes: 0, generateP50Ms: 0, generateP99Ms: 0, errors: [], samples: [], heapGrowthMb: 0, engineRssGrowthMb: null, tensorGrowth: 0, engineTensorGrowth: null, engineHeapGrowthMb: null };
  let client: import('../../electron/studio/engine-client').EngineClient | undefined;
  let jobs: typeof import('../../electron/engine/jobs') | undefined;
  try {
    const { EngineClient, forkEngine } = await import('../../electron/studio/engine-client');
    const { TINY, writeTinyCorpus } = await import('../../electron/engine/testing/fixtures');
    jobs = await import('../../electron/engine/jobs');
    const { initBackend } = await import('../../electron/engine/backend');
    await initBackend();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-soak-'));
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'model');
    client = new EngineClient({ spawn: forkEngine(path.resolve(here, '../../electron/engine/process.ts'), { stdio: 'pipe' }) });
    await client.start();
    let firstCheckpoint!: () => void;
    const haveModel = new Promise<void>((r) => (firstCheckpoint = r));
    // No early stopping, and a new run resuming the last one whenever one ends: training goes on
    // for the whole soak (the tiny corpus would otherwise stop improving within a minute).
    const overrides = { ...TINY, training: { ...TINY.training, epochs: 1_000_000, checkpointEverySteps: 20, patience: 0 } };
    let training: Awaited<ReturnType<typeof client.train>> | undefined;
    let soaking = true;
    const startTraining = async (resume: boolean): Promise<void> => {
      if (!soaking) return;
      res.trainingRuns++;
      const request = resume ? { out, resume: true, epochs: 1_000_000 } : { preset: 'abc-token-lstm', corpus: [corpus], out, overrides };
      const run = await client!.train(request as never, {
        onProgress: (p) => (res.trainingSteps = Math.max(res.trainingSteps, p.step)),
        onEpoch: (e) => (res.trainingEpochs = Math.max(res.trainingEpochs, e.epoch)),
        onCheckpoint: () => {
          res.checkpoints++;
          firstCheckpoint();
        },
      });
      training = run;
      run.result.then(
        () => void startTraining(true),
        (e) => {
          if (soaking) res.errors.push(`training: ${(e as Error).message}`);
        },
      );
    };
    await startTraining(false);
    await Promise.race([haveModel, new Promise((_, rej) => setTimeout(() => rej(new Error('no checkpoint within 60 s')), 60_000))]);

    const started = performance.now();
    const endAt = started + opts.minutes * 60_000;
    const sampleEvery = (opts.sampleEveryS ?? Math.max(5, opts.minutes * 6)) * 1000;
    const sample = async () => {
      const mu = process.memoryUsage();
      const tm = tf.memory();
      const em = await client!.memory().catch(() => null);
      res.samples.push({
        atS: (performance.now() - started) / 1000,
        heapMb: mu.heapUsed / 1e6,
        rssMb: mu.rss / 1e6,
        engineRssMb: em ? em.rss / 1e6 : engineRss(client!.status().pid),
        tensors: tm.numTensors,
        tfBytesMb: tm.numBytes / 1e6,
        engineTensors: em?.tensors ?? null,
        engineTensorMb: em ? em.tensorBytes / 1e6 : null,
        engineHeapMb: em ? em.heapUsed / 1e6 : null,
      });
    };
    await sample();
    const sampler = setInterval(() => void sample(), sampleEvery);
    const latencies: number[] = [];
    let i = 0;
    while (performance.now() < endAt) {
      i++;
      const t0 = performance.now();
      try {
        // Alternate: the engine process (the studio's path), then this process (tf.memory visible).
        const takes = i % 2 ? await client.generate({ model: out, count: 1, length: 96, rngSeed: i }) : await jobs.runGeneration({ model: out, count: 1, length: 96, rngSeed: i });
        latencies.push(performance.now() - t0);
        if (i % 2) res.engineTakes++;
        else res.localTakes++;
        const seq = takes[0]?.sequence;
        if (seq && seq.notes.length) {
          const p = await play(seq, 360);
          res.notesPlayed += p.notes;
          res.hungNotes += p.hung;
          res.lateNotes += p.late;
        }
      } catch (e) {
        if (res.errors.length < 20) res.errors.push(`take ${i}: ${(e as Error).message.split('\n')[0]}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    clearInterval(sampler);
    jobs.releaseModelCache();
    await sample();
    soaking = false;
    const last = training as Awaited<ReturnType<typeof client.train>> | undefined;
    last?.cancel();
    await last?.result.catch(() => {});
    latencies.sort((a, b) => a - b);
    res.generateP50Ms = latencies[Math.floor(latencies.length / 2)] ?? 0;
    res.generateP99Ms = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
    res.heapGrowthMb = growth(res.samples.slice(0, -1), 'heapMb') ?? 0;
    res.engineRssGrowthMb = growth(res.samples.slice(0, -1), 'engineRssMb');
    res.engineHeapGrowthMb = growth(res.samples.slice(0, -1), 'engineHeapMb');
    res.engineTensorGrowth = minGrowth(res.samples.slice(0, -1), 'engineTensors');
    res.tensorGrowth = res.samples.length > 2 ? res.samples[res.samples.length - 2].tensors - res.samples[1].tensors : 0;
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    res.skipped = `the engine is not ready for the soak: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    jobs?.releaseModelCache();
    await client?.dispose();
  }
  return res;
}
