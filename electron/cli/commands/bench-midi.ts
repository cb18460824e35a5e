/**
 * `seedsong bench midi`: how tightly notes leave for the synth while the machine is busy, and how
 * fast call-and-response answers. The same code runs from bench/midi.ts.
 */
import { availableParallelism as availableCores, loadavg } from 'node:os';
import { numberFlag, parseCommandArgs, UsageError, type CliCommand, type CliIo } from '../command';
import { commandLoad, cpuPressure, matrixLoad, measureCallResponse, measureJitter, noLoad, type BackgroundLoad, type Summary } from '../../midi/bench';

const TARGET = { jitterP99: 1, jitterMax: 3, callResponse: 50 };

const usage = `Usage: seedsong bench midi [--json] [--seconds N] [--trials N] [--load matrix|none] [--load-procs N] [--load-cmd "COMMAND"] [--load-nice N]

Measures, while a CPU-heavy load runs in other processes:
  jitter          note-on send time minus its target, playing a dense take (16ths and chords)
                  with the real scheduler on the real event loop (target p99 <= ${TARGET.jitterP99} ms, max <= ${TARGET.jitterMax} ms)
  call_response   end of the pause after a phrase -> first answering note-on, with a stand-in
                  model (prime 8 ms, 2.6 ms per note) (target <= ${TARGET.callResponse} ms)

Options:
  --json           one JSON object per line (metric, p50_ms, p99_ms, max_ms, n, load, pass)
  --seconds N      length of the jitter take (default 30)
  --trials N       call-and-response phrases (default 20)
  --load KIND      matrix (default): tight-loop matrix multiplies in child processes; none
  --load-procs N   how many load processes (default 1; 2 fills both cores of a 2-core machine)
  --load-cmd CMD   run CMD as the load instead (e.g. a real training run)
  --load-nice N    start the load at a lower priority (nice 0-19), as the studio should start its engine
  --approach-ms N  wake this long before each note and wait out the rest precisely (default 4)`;

export interface BenchMidiDeps {
  measureJitter: typeof measureJitter;
  measureCallResponse: typeof measureCallResponse;
  makeLoad: (kind: 'matrix' | 'none' | { command: string }, procs: number, nice: number) => BackgroundLoad;
}

const defaultDeps: BenchMidiDeps = {
  measureJitter,
  measureCallResponse,
  makeLoad: (kind, procs, nice) => (kind === 'none' ? noLoad : kind === 'matrix' ? matrixLoad(procs, nice) : commandLoad(kind.command, nice)),
};

function line(s: Summary): string {
  const wait = s.cpu_wait_ms !== undefined ? `, waited ${s.cpu_wait_ms.toFixed(0)} ms for a core` : '';
  return `p50 ${s.p50_ms.toFixed(3)} ms   p99 ${s.p99_ms.toFixed(3)} ms   max ${s.max_ms.toFixed(3)} ms   (n=${s.n}${wait})`;
}

export function makeBenchMidiCommand(deps: BenchMidiDeps = defaultDeps): CliCommand {
  return {
    name: 'bench-midi',
    summary: 'MIDI timing under load: note-on jitter and call-and-response latency: bench midi [--json]',
    usage,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseCommandArgs(
        argv,
        { json: { type: 'boolean' }, seconds: { type: 'string' }, trials: { type: 'string' }, load: { type: 'string' }, 'load-procs': { type: 'string' }, 'load-cmd': { type: 'string' }, 'load-nice': { type: 'string' }, 'approach-ms': { type: 'string' } },
        false,
      );
      const seconds = numberFlag('seconds', values.seconds, { min: 1, max: 3600 }) ?? 30;
      const trials = numberFlag('trials', values.trials, { min: 1, max: 1000, integer: true }) ?? 20;
      const procs = numberFlag('load-procs', values['load-procs'], { min: 1, max: 64, integer: true }) ?? 1;
      const nice = numberFlag('load-nice', values['load-nice'], { min: 0, max: 19, integer: true }) ?? 0;
      const approachMs = numberFlag('approach-ms', values['approach-ms'], { min: 0, max: 20 });
      const kind = values.load ?? 'matrix';
      if (kind !== 'matrix' && kind !== 'none') throw new UsageError(`--load expects "matrix" or "none", got "${kind}"`);
      const load = deps.makeLoad(values['load-cmd'] ? { command: values['load-cmd'] } : kind, procs, nice);
      const json = Boolean(values.json);
      if (!json) io.out(`Background load: ${load.description}`);
      await load.start();
      let jitter: Summary;
      let cr: Summary;
      let achieved = '';
      try {
        if (!json) io.out(`Playing a ${seconds} s take (16th notes and chords at 120 qpm)...`);
        jitter = await deps.measureJitter({ seconds, approachMs });
        if (!json) io.out(`Playing ${trials} phrases for call-and-response...`);
        cr = await deps.measureCallResponse({ trials });
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
        io.out(JSON.stringify({ bench: 'midi', metric: 'call_response', ...cr, target_max_ms: TARGET.callResponse, pass: crPass, load: loadText, machine, model: 'stand-in' }));
      } else {
        io.out(`Load achieved: ${achieved || 'n/a'}; machine: ${machine}`);
        io.out(`Note-on jitter (send - target):        ${line(jitter)}   ${jitterPass ? 'PASS' : 'MISS'} (p99 <= ${TARGET.jitterP99}, max <= ${TARGET.jitterMax})`);
        io.out(`Call-and-response (pause end -> note):  ${line(cr)}   ${crPass ? 'PASS' : 'MISS'} (<= ${TARGET.callResponse})`);
      }
      return 0;
    },
  };
}

export const command: CliCommand = makeBenchMidiCommand();
