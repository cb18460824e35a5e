/**
 * `seedsong bench sample|train|midi`: engine figures (electron/engine/fast/bench.ts, also run by
 * bench/engine.ts) and the MIDI timing bench (./bench-midi). Prints one JSON object per line with
 * --json. Measures only: the exit code is 0 whatever the figures are.
 */
import { numberFlag, parseCommandArgs, UsageError, CommandError, type CliCommand } from '../command';

const usage = `Usage: seedsong bench sample|train [--json] [--preset NAME]... [--seconds N] [--backend NAME] [--threads N] [--no-baseline] [--no-torch]
       seedsong bench midi [options]   (see seedsong bench midi --help)

  sample   ms per sampled token (median, p99) at batch 1 and for 4 and 8 variations in one pass,
           with the fast kernels and with plain tfjs on the active backend (GPT: key/value cache)
  train    training tokens/s and peak RSS (batch and sequence length of the preset), fast
           kernels on all and on 1 thread, and plain tfjs ("before")
  midi     note timing under load and call-and-response latency

When python3 with torch is importable and bench/peers/ is found from the working directory, the
same model runs in PyTorch side by side (bench/peers/torch_lstm.py, torch_gpt.py; training at 1
and 2 threads, its best is the reference) and the ratio is printed. Every row names the BLAS
PyTorch loaded (torch_blas); on the reference BLAS there is no ratio, and the reason says why.
SIGINT or SIGTERM stops the bench between steps.

Options:
  --json           one JSON object per line
  --preset NAME    a preset (repeatable, or "all"); default melody-rnn, abc-token-lstm,
                   mit-char-abc and abc-token-gpt for sample, melody-rnn, mit-char-abc and
                   abc-token-gpt for train
  --seconds N      length of each timed training run (default 6)
  --backend NAME   force the tfjs backend (wasm, cpu, ...)
  --threads N      training threads for the fast kernels (default: 1 and all)
  --no-baseline    skip the plain-tfjs figures (slow for training)
  --no-torch       skip the PyTorch peer`;

export const command: CliCommand = {
  name: 'bench',
  summary: 'measure sampling and training speed (sample|train) or MIDI timing (midi)',
  usage,
  async run(argv, io) {
    const what = argv[0];
    if (what === 'midi') {
      let mod: { command?: CliCommand };
      try {
        mod = await import('./bench-midi');
      } catch (e) {
        throw new CommandError(`bench midi is not available in this build (electron/cli/commands/bench-midi.ts did not load: ${(e as Error).message})`);
      }
      if (!mod.command) throw new CommandError('bench midi is not available: ./bench-midi exports no command');
      return mod.command.run(argv.slice(1), io);
    }
    if (what !== 'sample' && what !== 'train') throw new UsageError(`bench expects sample, train or midi${what ? `, got "${what}"` : ''}`);
    const { values, positionals } = parseCommandArgs(
      argv.slice(1),
      {
        json: { type: 'boolean' },
        preset: { type: 'string', multiple: true },
        seconds: { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        'no-baseline': { type: 'boolean' },
        'no-torch': { type: 'boolean' },
      },
      true,
    );
    if (positionals.length) throw new UsageError(`bench ${what} takes no positional arguments (got "${positionals[0]}")`);
    const seconds = numberFlag('seconds', values.seconds, { min: 0.5, max: 600 });
    const threads = numberFlag('threads', values.threads, { min: 1, max: 64, integer: true });
    const { initBackend, BACKEND_ORDER } = await import('../../engine/backend');
    if (values.backend !== undefined && !BACKEND_ORDER.includes(values.backend as never)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
    const { benchSample, benchTrain, formatRecord, benchPresets, BenchInterrupted } = await import('../../engine/fast/bench');
    const known = benchPresets().map((p) => p.name);
    for (const p of values.preset ?? []) if (p !== 'all' && !known.includes(p)) throw new UsageError(`unknown preset "${p}"; expected one of ${known.join(', ')} or all`);
    const report = await initBackend({ force: values.backend as never });
    if (!values.json) io.out(`backend ${report.active}${report.simd !== undefined ? ` (simd ${report.simd}, threads ${report.threads})` : ''}`);
    const opts = {
      presets: values.preset,
      seconds,
      threads,
      baseline: !values['no-baseline'],
      torch: !values['no-torch'],
      peersDir: (await import('node:path')).resolve(io.cwd, 'bench/peers'),
      signal: io.interrupted,
      log: (line: string) => io.out(values.json ? line : formatRecord(JSON.parse(line))),
    };
    try {
      await (what === 'sample' ? benchSample(opts) : benchTrain(opts));
    } catch (e) {
      if (e instanceof BenchInterrupted) throw new CommandError('interrupted');
      throw e;
    }
    return 0;
  },
};
