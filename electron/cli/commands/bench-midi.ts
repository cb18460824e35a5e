/**
 * `seedsong bench midi`: how tightly notes leave for the synth while a model trains, and how fast
 * call-and-response answers with the default model. The same code runs from bench/midi.ts.
 *
 * The load is by default a real training run in an engine process started the way the studio
 * starts it (child process, nice 10); playback runs in the playback thread as in the studio, and
 * the call-and-response answer comes from the default model through a real engine process.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { availableParallelism as availableCores, loadavg, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { numberFlag, parseCommandArgs, UsageError, type CliCommand, type CliIo } from '../command';
import { commandLoad, cpuPressure, matrixLoad, measureCallResponse, measureJitter, noLoad, type BackgroundLoad, type Summary } from '../../midi/bench';
import { realClock, type AnswerFn } from '../../midi/index';
import { PlaybackThread, type SchedulerFactory } from '../../midi/threaded';
import { EngineClient, forkEngine, type RunHandle, type SpawnEngine } from '../../studio/engine-client';
import type { TrainSummary } from '../../engine/jobs';
import { ModelCatalog } from '../../node/catalog';
import { createStudioEngine } from '../../studio/engine';
import { EARLY_ASK_MS, streamAnswer, warmUp } from '../../studio/call-response';
import { engineEntry } from '../../studio/compose';
import { resourcesDir } from '../../studio/paths';

const TARGET = { jitterP99: 1, jitterMax: 3, callResponse: 50 };
const SHARED_CORPUS = '/work/shared/corpora/abc_mit_6s191_irish';
const ENGINE_NICE = 10;
// A fixed RNG seed: every answer of the bench is the same work.
const SAMPLING = { temperature: 1, topK: 0, topP: 1, length: 256, count: 1, rngSeed: 1 };

const usage = `Usage: seedsong bench midi [--json] [--seconds N] [--trials N] [--load train|matrix|none] [--train-corpus PATH]
                          [--load-procs N] [--load-cmd "COMMAND"] [--load-nice N] [--model default|stand-in]
                          [--where thread|main] [--answer-engine own|shared]

Measures, while a model trains in an engine process (or another load runs):
  jitter          note-on send time minus its target, playing a dense take (16ths and chords at
                  120 qpm) with the real scheduler in the playback thread, as the studio plays
                  (target p99 <= ${TARGET.jitterP99} ms, max <= ${TARGET.jitterMax} ms)
  call_response   end of the pause after a phrase -> first answering note-on sent, with the
                  default model in a real engine process, as the studio answers (target <= ${TARGET.callResponse} ms)

Options:
  --json             one JSON object per line (metric, p50_ms, p99_ms, max_ms, n, load, pass)
  --seconds N        length of the jitter take (default 30)
  --trials N         call-and-response phrases (default 20)
  --load KIND        train (default): a real training run (abc-token 2x256 LSTM, like the default
                     model) in an engine process at nice ${ENGINE_NICE}, as the studio starts it;
                     matrix: tight-loop matrix multiplies in child processes; none
  --train-corpus P   .abc file or folder for --load train (default ${SHARED_CORPUS})
  --load-procs N     matrix load processes (default 1; 2 fills both cores of a 2-core machine);
                     implies --load matrix
  --load-cmd CMD     run CMD as the load instead
  --load-nice N      priority of the matrix or command load (nice 0-19, default 0)
  --model M          default (the built-in model through an engine process) or stand-in (a CPU
                     burn: prime 8 ms, 2.6 ms per note)
  --where W          thread (default): the scheduler in the playback thread; main: on this thread
  --answer-engine E  own (default): the answers come from their own engine process; shared: from
                     the engine that is training (one engine, as in the studio today)
  --normal-priority  leave the playback thread at normal priority (by default it asks for nice -10,
                     which Linux grants to root or with RLIMIT_NICE; the figure says which it got)
  --engine-session S same (default): engine processes in this session at nice ${ENGINE_NICE}, as the studio
                     starts them; own: each in its own session whose autogroup nice is ${ENGINE_NICE}
  --no-early         ask the model only when the pause is over (the studio asks ${EARLY_ASK_MS} ms after the
                     last key goes up, so the answer is ready when the pause ends)
  --spin-ms N        the playback thread spins this long before each note (default 1.5)
  --approach-ms N    wake this long before each note and wait out the rest precisely
                     (default 10 in the playback thread, 4 on the main thread)`;

export type LoadKind = 'train' | 'matrix' | 'none' | { command: string } | { train: string };

export interface BenchMidiDeps {
  measureJitter: typeof measureJitter;
  measureCallResponse: typeof measureCallResponse;
  makeLoad: (kind: LoadKind, procs: number, nice: number) => BackgroundLoad;
  /** The answering model for call-and-response: the default model through an engine process. */
  makeAnswer?: (model: 'default' | 'stand-in', shared: EngineClient | undefined) => Promise<{ answer?: AnswerFn; description: string; close(): Promise<void> }>;
}

/** A training load that also lends its engine (for --answer-engine shared). */
interface TrainingLoad extends BackgroundLoad {
  readonly client: EngineClient | undefined;
}

const niceSpawn =
  (spawn: SpawnEngine, nice: number): SpawnEngine =>
  (env) => {
    const child = spawn(env);
    try {
      if (child.pid && nice) setPriority(child.pid, nice);
    } catch {
      /* not allowed here: normal priority */
    }
    return child;
  };

/**
 * The engine in its own session: Linux with autogroup scheduling (the default on desktops) shares
 * the CPU between sessions first and applies nice only inside one, so an engine at nice 10 in the
 * studio's session still takes the studio's share. In its own session with the session's nice at
 * `nice`, it only gets what the studio leaves. (What the studio could do; compare with
 * --engine-session own.)
 */
function ownSessionSpawn(entry: string, nice: number): SpawnEngine {
  return (env) => {
    const child = fork(entry, [], { env, execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: 'inherit', serialization: 'json', detached: true });
    if (child.pid) {
      try {
        fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(nice));
      } catch {
        /* no autogroup here */
      }
      try {
        setPriority(child.pid, nice);
      } catch {
        /* normal priority */
      }
    }
    return {
      pid: child.pid,
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (h) => child.on('message', (m) => h(m as never)),
      onExit: (h) => child.on('exit', (code, signal) => h(code, signal)),
      kill: () => child.kill('SIGKILL'),
    };
  };
}

let engineSpawn = (nice: number): SpawnEngine => niceSpawn(forkEngine(engineEntry()), nice);

/**
 * A real training run: the engine process the studio uses, training an abc-token 2x256 LSTM (the
 * default model's recipe) on a folk corpus until stopped.
 */
export function trainingLoad(corpus: string, nice = ENGINE_NICE): TrainingLoad {
  let client: EngineClient | undefined;
  let run: RunHandle<TrainSummary> | undefined;
  let out = '';
  let firstStep = 0;
  let lastStep = 0;
  let firstAt = 0;
  let lastAt = 0;
  let tokensPerSecond = 0;
  return {
    description: `training abc-token 2x256 LSTM on ${path.basename(corpus)} in an engine process (nice ${nice})`,
    get client() {
      return client;
    },
    async start() {
      if (!fs.existsSync(corpus)) throw new UsageError(`the training corpus ${corpus} does not exist; give one with --train-corpus, or use --load matrix`);
      client = new EngineClient({ spawn: engineSpawn(nice) });
      await client.start();
      out = fs.mkdtempSync(path.join(tmpdir(), 'seedsong-bench-train-'));
      let started: () => void = () => {};
      const running = new Promise<void>((r) => (started = r));
      run = await client.train(
        { preset: 'abc-token-lstm', overrides: { model: { embeddingSize: 128, units: [256, 256], dropout: 0.2 }, training: { epochs: 1000, patience: 0 } }, corpus: [corpus], out },
        {
          onProgress: (p) => {
            const now = performance.now();
            if (!firstAt) {
              firstAt = now;
              firstStep = p.step;
              started();
            }
            lastAt = now;
            lastStep = p.step;
            tokensPerSecond = p.tokensPerSecond;
          },
        },
      );
      run.result.catch(() => {});
      // Measure only once batches are really being trained (corpus read, model built).
      await Promise.race([running, run.result.then(() => Promise.reject(new Error('training ended before it started'))), new Promise((_, no) => setTimeout(() => no(new Error('training did not start within 120 s')), 120_000))]);
    },
    async stop() {
      run?.cancel();
      await Promise.race([run?.result.catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
      await client?.dispose();
      if (out) fs.rmSync(out, { recursive: true, force: true });
      const seconds = (lastAt - firstAt) / 1000;
      return seconds > 0 ? `${((lastStep - firstStep) / seconds).toFixed(2)} batches/s, ${Math.round(tokensPerSecond)} tokens/s` : 'no progress reported';
    },
  };
}

async function defaultMakeAnswer(model: 'default' | 'stand-in', shared: EngineClient | undefined): Promise<{ answer?: AnswerFn; description: string; close(): Promise<void> }> {
  if (model === 'stand-in') return { description: 'stand-in (prime 8 ms, 2.6 ms per note)', close: async () => {} };
  const own = shared ? undefined : new EngineClient({ spawn: engineSpawn(ENGINE_NICE) });
  const client = shared ?? own!;
  await client.start();
  const library = new ModelCatalog(fs.mkdtempSync(path.join(tmpdir(), 'seedsong-bench-models-')));
  const engine = createStudioEngine({ client, library, builtInDir: path.join(resourcesDir(), 'models') });
  // As the studio does when call-and-response is switched on.
  warmUp(engine, undefined, SAMPLING);
  await new Promise((r) => setTimeout(r, 1500));
  return {
    answer: (seed, signal) => streamAnswer(engine, seed, SAMPLING, undefined, signal),
    description: `default model (${shared ? 'the training engine process' : `its own engine process, nice ${ENGINE_NICE}`})`,
    close: async () => {
      await own?.dispose();
      fs.rmSync(library.root, { recursive: true, force: true });
    },
  };
}

const defaultDeps: BenchMidiDeps = {
  measureJitter,
  measureCallResponse,
  makeLoad: (kind, procs, nice) =>
    kind === 'none' ? noLoad : kind === 'matrix' ? matrixLoad(procs, nice) : kind === 'train' ? trainingLoad(SHARED_CORPUS) : 'train' in kind ? trainingLoad(kind.train) : commandLoad(kind.command, nice),
  makeAnswer: defaultMakeAnswer,
};

function line(s: Summary): string {
  const wait = s.cpu_wait_ms !== undefined ? `, waited ${s.cpu_wait_ms.toFixed(0)} ms for a core` : '';
  return `p50 ${s.p50_ms.toFixed(3)} ms   p99 ${s.p99_ms.toFixed(3)} ms   max ${s.max_ms.toFixed(3)} ms   (n=${s.n}${wait})`;
}

export function makeBenchMidiCommand(deps: BenchMidiDeps = defaultDeps): CliCommand {
  return {
    name: 'bench-midi',
    summary: 'MIDI timing while a model trains: note-on jitter and call-and-response latency: bench midi [--json]',
    usage,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseCommandArgs(
        argv,
        {
          json: { type: 'boolean' },
          seconds: { type: 'string' },
          trials: { type: 'string' },
          load: { type: 'string' },
          'train-corpus': { type: 'string' },
          'load-procs': { type: 'string' },
          'load-cmd': { type: 'string' },
          'load-nice': { type: 'string' },
          'approach-ms': { type: 'string' },
          model: { type: 'string' },
          where: { type: 'string' },
          'answer-engine': { type: 'string' },
          'normal-priority': { type: 'boolean' },
          'spin-ms': { type: 'string' },
          'no-early': { type: 'boolean' },
          'engine-session': { type: 'string' },
        },
        false,
      );
      const seconds = numberFlag('seconds', values.seconds, { min: 1, max: 3600 }) ?? 30;
      const trials = numberFlag('trials', values.trials, { min: 1, max: 1000, integer: true }) ?? 20;
      const procs = numberFlag('load-procs', values['load-procs'], { min: 1, max: 64, integer: true }) ?? 1;
      const nice = numberFlag('load-nice', values['load-nice'], { min: 0, max: 19, integer: true }) ?? 0;
      const approachMs = numberFlag('approach-ms', values['approach-ms'], { min: 0, max: 20 });
      const spinMs = numberFlag('spin-ms', values['spin-ms'], { min: 0, max: 10 });
      const kind = values.load ?? (values['load-procs'] !== undefined ? 'matrix' : 'train');
      if (kind !== 'matrix' && kind !== 'none' && kind !== 'train') throw new UsageError(`--load expects "train", "matrix" or "none", got "${kind}"`);
      const model = values.model ?? 'default';
      if (model !== 'default' && model !== 'stand-in') throw new UsageError(`--model expects "default" or "stand-in", got "${model}"`);
      const where = values.where ?? 'thread';
      if (where !== 'thread' && where !== 'main') throw new UsageError(`--where expects "thread" or "main", got "${where}"`);
      const answerEngine = values['answer-engine'] ?? 'own';
      if (answerEngine !== 'own' && answerEngine !== 'shared') throw new UsageError(`--answer-engine expects "own" or "shared", got "${answerEngine}"`);
      const session = values['engine-session'] ?? 'same';
      if (session !== 'same' && session !== 'own') throw new UsageError(`--engine-session expects "same" or "own", got "${session}"`);
      engineSpawn = session === 'own' ? (n) => ownSessionSpawn(engineEntry(), n) : (n) => niceSpawn(forkEngine(engineEntry()), n);
      const loadKind: LoadKind = values['load-cmd'] ? { command: values['load-cmd'] } : kind === 'train' && values['train-corpus'] ? { train: values['train-corpus'] } : kind;
      const load = deps.makeLoad(loadKind, procs, nice);
      const json = Boolean(values.json);
      if (!json) io.out(`Background load: ${load.description}`);
      await load.start();
      let jitter: Summary;
      let cr: Summary;
      let achieved = '';
      let answerText = 'stand-in';
      let thread: PlaybackThread | undefined;
      try {
        if (!json) io.out(`Playing a ${seconds} s take (16th notes and chords at 120 qpm) in the ${where === 'thread' ? 'playback thread' : 'main thread'}...`);
        jitter = await deps.measureJitter({ seconds, approachMs, where, raisePriority: !values['normal-priority'], spinMs });
        const shared = answerEngine === 'shared' ? (load as Partial<TrainingLoad>).client : undefined;
        const made = deps.makeAnswer ? await deps.makeAnswer(model, shared) : { description: 'stand-in', close: async () => {} };
        answerText = made.description;
        let scheduler: SchedulerFactory | undefined;
        if (where === 'thread' && deps.makeAnswer) {
          const started = await PlaybackThread.start({ clock: realClock(), raisePriority: !values['normal-priority'] });
          if (started.ok) {
            thread = started.thread;
            scheduler = thread.factory();
          }
        }
        try {
          if (!json) io.out(`Playing ${trials} phrases for call-and-response (${answerText})...`);
          cr = await deps.measureCallResponse({ trials, answer: made.answer, scheduler, speculateAfterMs: values['no-early'] ? undefined : EARLY_ASK_MS });
        } finally {
          thread?.dispose();
          await made.close();
        }
      } finally {
        achieved = await load.stop();
      }
      const jitterPass = jitter.p99_ms <= TARGET.jitterP99 && jitter.max_ms <= TARGET.jitterMax;
      const crPass = cr.max_ms <= TARGET.callResponse;
      const loadText = load.description + (achieved ? ` (${achieved})` : '');
      // Other programs compete for the cores too; the 1-minute load average says how much.
      const pressure = cpuPressure();
      const machine = `load average ${loadavg()[0].toFixed(2)} on ${availableCores()} cores` + (pressure !== undefined ? `, CPU pressure ${pressure}% (tasks waiting for a core)` : '');
      if (json) {
        io.out(JSON.stringify({ bench: 'midi', metric: 'jitter', ...jitter, target_p99_ms: TARGET.jitterP99, target_max_ms: TARGET.jitterMax, pass: jitterPass, load: loadText, machine, seconds }));
        io.out(JSON.stringify({ bench: 'midi', metric: 'call_response', ...cr, target_max_ms: TARGET.callResponse, pass: crPass, load: loadText, machine, model: answerText }));
      } else {
        io.out(`Load achieved: ${achieved || 'n/a'}; machine: ${machine}`);
        io.out(`Note-on jitter (send - target):        ${line(jitter)}   ${jitterPass ? 'PASS' : 'MISS'} (p99 <= ${TARGET.jitterP99}, max <= ${TARGET.jitterMax})`);
        io.out(`Call-and-response (pause end -> note):  ${line(cr)}   ${crPass ? 'PASS' : 'MISS'} (<= ${TARGET.callResponse}; ${answerText})`);
      }
      return 0;
    },
  };
}

export const command: CliCommand = makeBenchMidiCommand();
