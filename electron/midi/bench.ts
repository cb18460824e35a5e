/**
 * The MIDI timing benchmark, shared by `seedsong bench midi` and bench/midi.ts.
 *
 * 1. Jitter: the real scheduler on the real event loop plays a dense take to a port that notes
 *    when each note-on arrives; lateness = arrival - the time the scheduler aimed for.
 * 2. Call-and-response latency: phrases played into a loopback keyboard; from the end of the pause
 *    to the first answering note-on leaving for the synth, with a stand-in model.
 * Both run while a CPU-heavy background load (a stand-in for a training run) is busy in other
 * processes; the load is pluggable so the studio can measure with a real training run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Note, NoteSequence } from '@shared/music/types';
import { CallAndResponse, DEFAULT_PAUSE_MS, type AnswerFn } from './call-and-response';
import { realClock, type Clock } from './clock';
import { LoopbackMidiSystem } from './loopback';
import { OutputBus } from './output';
import type { MidiOutput } from './port';
import { Scheduler } from './scheduler';
import { seedQuantizer } from './seed';
import { PlaybackThread, type SchedulerFactory } from './threaded';

export interface Summary {
  n: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /**
   * Linux: how long this thread was ready to run but waited for a core during the measurement
   * (from /proc schedstat). Large values mean the machine, not the scheduler, made notes late.
   */
  cpu_wait_ms?: number;
  /** Where the scheduler ran (jitter). */
  where?: string;
  /** Call-and-response: answers asked before the pause ended, and what went wrong (first few). */
  early_answers?: number;
  errors?: string[];
}

/** Nanoseconds the main thread has spent runnable but not running (Linux), else undefined. */
function runDelayNs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** Runs `fn` and adds the thread's CPU wait to its summary. */
async function withCpuWait(fn: () => Promise<Summary>): Promise<Summary> {
  const before = runDelayNs();
  const summary = await fn();
  const after = runDelayNs();
  if (before !== undefined && after !== undefined) summary.cpu_wait_ms = Math.round((after - before) / 1e4) / 100;
  return summary;
}

/** Linux pressure stall info: % of the last 10 s some task waited for a CPU (undefined elsewhere). */
export function cpuPressure(): number | undefined {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    p50_ms: round(q(0.5)),
    p99_ms: round(q(0.99)),
    max_ms: round(s.length ? s[s.length - 1] : NaN),
    mean_ms: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

// --- background load ---

export interface BackgroundLoad {
  /** For the report: "2 x matrix multiply (node)". */
  readonly description: string;
  start(): Promise<void>;
  /** Stops the load; resolves with what it managed (e.g. "61 MFLOP/s per process"). */
  stop(): Promise<string>;
}

/** Tight-loop 128x128 matrix multiplies, reporting how many it did each second on stdout. */
const MATRIX_SCRIPT = `
const n = 128, a = new Float64Array(n * n), b = new Float64Array(n * n), c = new Float64Array(n * n);
for (let i = 0; i < n * n; i++) { a[i] = Math.random(); b[i] = Math.random(); }
let count = 0, last = Date.now();
for (;;) {
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) { const x = a[i * n + k]; for (let j = 0; j < n; j++) c[i * n + j] += x * b[k * n + j]; }
  count++;
  const now = Date.now();
  if (now - last >= 1000) { process.stdout.write(count + '\\n'); count = 0; last = now; }
}`;

function spawnLoad(description: string, spawnOne: () => ChildProcess, procs: number, parseRate?: (lines: string[]) => string, nice = 0): BackgroundLoad {
  let children: ChildProcess[] = [];
  const output: string[][] = [];
  return {
    description,
    async start() {
      for (let i = 0; i < procs; i++) {
        const child = spawnOne();
        const lines: string[] = [];
        output.push(lines);
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
        child.on('error', () => {});
        // The studio should start its engine below the MIDI process's priority; --load-nice shows the effect.
        if (nice && child.pid !== undefined) setPriority(child.pid, nice);
        children.push(child);
      }
      // Let the processes get going before measuring.
      await new Promise((r) => setTimeout(r, 1000));
      const dead = children.filter((c) => c.exitCode !== null);
      if (dead.length) throw new Error(`the background load exited at once (code ${dead[0].exitCode})`);
    },
    async stop() {
      const exits = children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
      for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000))]);
      for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) c.kill('SIGKILL');
      children = [];
      return parseRate ? parseRate(output.flat()) : '';
    },
  };
}

/** `procs` child processes, each a tight loop of matrix multiplies (one core each). */
export function matrixLoad(procs = 1, nice = 0): BackgroundLoad {
  return spawnLoad(
    `${procs} x tight-loop 128x128 matrix multiply (child process${procs > 1 ? 'es' : ''}${nice ? `, nice ${nice}` : ''})`,
    () => spawn(process.execPath, ['-e', MATRIX_SCRIPT], { stdio: ['ignore', 'pipe', 'ignore'] }),
    procs,
    (lines) => {
      const per = lines.map(Number).filter((x) => x > 0);
      if (!per.length) return '';
      const mean = per.reduce((a, b) => a + b, 0) / per.length;
      return `${Math.round((mean * 2 * 128 ** 3) / 1e6)} MFLOP/s per process`;
    },
    nice,
  );
}

/** Any command as the load, e.g. a real training run: `seedsong train ...`. */
export function commandLoad(commandLine: string, nice = 0): BackgroundLoad {
  return spawnLoad(`command: ${commandLine}${nice ? ` (nice ${nice})` : ''}`, () => spawn(commandLine, { shell: true, stdio: ['ignore', 'ignore', 'ignore'] }), 1, undefined, nice);
}

export const noLoad: BackgroundLoad = { description: 'none', start: async () => {}, stop: async () => '' };

// --- jitter ---

export interface JitterOptions {
  seconds: number;
  /**
   * thread (default): the studio's way, the scheduler in the playback worker thread, send times
   * taken there; main: the scheduler on this thread's event loop.
   */
  where?: 'thread' | 'main';
  /** thread: try to raise the playback thread's priority, as the studio does (default true). */
  raisePriority?: boolean;
  /** thread: spin this long before each send (default: the playback thread's own, 1.5 ms). */
  spinMs?: number;
  clock?: Clock;
  /** For the real clock: how long before each send to stop sleeping on setTimeout. */
  approachMs?: number;
  qpm?: number;
  /** Notes per quarter note (4 = 16ths); every fourth step is a three-note chord. */
  density?: number;
}

/** A port that only notes when note-ons arrive, measured against the scheduler's target time. */
class MeasuringPort implements MidiOutput {
  readonly info = { name: 'bench', kind: 'output' as const, virtual: false };
  readonly lateness: number[] = [];
  constructor(private readonly clock: Clock) {}
  send(bytes: ArrayLike<number>, atMs?: number): void {
    const now = this.clock.now();
    if ((bytes[0] & 0xf0) === 0x90 && bytes[2] > 0 && atMs !== undefined) this.lateness.push(now - atMs);
  }
  onDisconnect() {
    return () => {};
  }
  close() {}
}

export function benchTake(seconds: number, qpm: number, density: number): NoteSequence {
  const notes: Note[] = [];
  const steps = Math.floor((seconds * qpm * density) / 60);
  for (let i = 0; i < steps; i++) {
    const start = i / density;
    const pitch = 60 + ((i * 7) % 24);
    notes.push({ pitch, start, end: start + 0.8 / density, velocity: 64 + (i % 48), voice: 0 });
    if (i % 4 === 0) {
      notes.push({ pitch: pitch - 12, start, end: start + 3 / density, velocity: 80, voice: 0 });
      notes.push({ pitch: pitch - 17, start, end: start + 3 / density, velocity: 80, voice: 0 });
    }
  }
  return { notes, tempos: [{ time: 0, qpm }], timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }], keySignatures: [], totalTime: steps / density };
}

export function measureJitter(options: JitterOptions): Promise<Summary> {
  if ((options.where ?? 'thread') === 'thread') return threadJitterRun(options);
  return withCpuWait(() => jitterRun(options));
}

/** The take played by the playback thread; lateness is measured in that thread, right after each send. */
async function threadJitterRun(options: JitterOptions): Promise<Summary> {
  const clock = options.clock ?? realClock({ approachMs: options.approachMs });
  const started = await PlaybackThread.start({ clock, approachMs: options.approachMs, spinMs: options.spinMs, raisePriority: options.raisePriority });
  if (!started.ok) throw new Error(`the playback thread did not start: ${started.reason}`);
  const { thread } = started;
  const bus = new OutputBus();
  const lateness: number[] = [];
  // 'none': the thread sends nowhere (as fast as an RtMidi send) and reports each send's times.
  const scheduler = thread.scheduler({ clock, bus, target: { kind: 'none' } });
  scheduler.onSent((e) => {
    if (e.kind === 'on') lateness.push(e.sentMs - e.targetMs);
  });
  scheduler.load(benchTake(options.seconds, options.qpm ?? 120, options.density ?? 4));
  let waitedNs: number | null = null;
  try {
    const before = await thread.runDelayNs();
    await new Promise<void>((resolve) => {
      scheduler.onEnd(() => resolve());
      scheduler.play();
    });
    const after = await thread.runDelayNs();
    if (before !== null && after !== null) waitedNs = after - before;
  } finally {
    scheduler.dispose();
    thread.dispose();
  }
  const summary = summarize(lateness);
  summary.where = `playback thread (${thread.priority})`;
  if (waitedNs !== null) summary.cpu_wait_ms = Math.round(waitedNs / 1e4) / 100;
  return summary;
}

async function jitterRun(options: JitterOptions): Promise<Summary> {
  const clock = options.clock ?? realClock({ approachMs: options.approachMs });
  const port = new MeasuringPort(clock);
  const bus = new OutputBus();
  bus.setPort(port);
  const scheduler = new Scheduler({ clock, bus });
  scheduler.load(benchTake(options.seconds, options.qpm ?? 120, options.density ?? 4));
  await new Promise<void>((resolve) => {
    scheduler.onEnd(() => resolve());
    scheduler.play();
  });
  scheduler.dispose();
  const summary = summarize(port.lateness);
  summary.where = 'main thread';
  return summary;
}

// --- call-and-response ---

/**
 * A stand-in for the default model: primes on the seed in one batched pass, then samples a note
 * every `stepMs` of CPU (the brief measured ~2.6 ms per batch-1 LSTM step in tfjs), yielding to
 * the event loop between notes as a model answering over IPC would.
 */
export function standInAnswer(options: { primeMs?: number; stepMs?: number; notes?: number } = {}): AnswerFn {
  const primeMs = options.primeMs ?? 8;
  const stepMs = options.stepMs ?? 2.6;
  const count = options.notes ?? 8;
  const burn = (ms: number) => {
    const end = performance.now() + ms;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    return x;
  };
  return async function* (seed, signal) {
    burn(primeMs);
    const last = seed.notes[seed.notes.length - 1];
    for (let i = 0; i < count && !signal.aborted; i++) {
      burn(stepMs);
      yield { pitch: (last?.pitch ?? 60) + ((i * 5) % 12), start: i * 0.5, end: i * 0.5 + 0.45, velocity: 90, voice: 0 };
      await new Promise((r) => setImmediate(r));
    }
  };
}

export interface CallResponseBenchOptions {
  trials: number;
  pauseMs?: number;
  answer?: AnswerFn;
  clock?: Clock;
  /** Where the answer plays (the studio: the playback thread's factory). */
  scheduler?: SchedulerFactory;
  /** As the studio: ask the model this long after the last key goes up. */
  speculateAfterMs?: number;
}

export function measureCallResponse(options: CallResponseBenchOptions): Promise<Summary> {
  return withCpuWait(() => callResponseRun(options));
}

async function callResponseRun(options: CallResponseBenchOptions): Promise<Summary> {
  const clock = options.clock ?? realClock();
  const system = new LoopbackMidiSystem(clock);
  system.addInput('Keys');
  system.addOutput('Synth');
  const bus = new OutputBus();
  bus.setPort(system.openOutput('Synth'));
  const latencies: number[] = [];
  const errors: string[] = [];
  let answered: (() => void) | undefined;
  const cr = new CallAndResponse({
    clock,
    bus,
    qpm: 120,
    pauseMs: options.pauseMs ?? DEFAULT_PAUSE_MS,
    answer: options.answer ?? standInAnswer(),
    scheduler: options.scheduler,
    speculateAfterMs: options.speculateAfterMs,
    // As the studio: the phrase is quantized with the music core before it seeds the model.
    quantize: seedQuantizer(),
    onLatency: (ms) => {
      latencies.push(ms);
      answered?.();
    },
    onError: (message) => errors.push(message),
  });
  const input = system.openInput('Keys');
  input.onMessage((b, t) => cr.feed(b, t));
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (let trial = 0; trial < options.trials; trial++) {
      const done = new Promise<void>((r) => (answered = r));
      // Eighth notes at 120 qpm, a D major arpeggio: something a musician would play to a folk model.
      for (const p of [62, 66, 69, 74]) {
        system.play('Keys', [0x90, p, 100]);
        await wait(230);
        system.play('Keys', [0x80, p, 0]);
        await wait(20);
      }
      await Promise.race([done, wait((options.pauseMs ?? DEFAULT_PAUSE_MS) + 2000)]);
      await wait(30); // a little of the answer plays; the next phrase interrupts it
    }
  } finally {
    cr.dispose();
    system.dispose();
  }
  const summary = summarize(latencies);
  if (errors.length) summary.errors = [...new Set(errors)].slice(0, 3);
  summary.early_answers = cr.earlyAnswers;
  return summary;
}
