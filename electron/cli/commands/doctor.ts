import { UsageError, parseCommandArgs, type CliCommand } from '../command';
import { describeBackend, defaultWasmDir, BACKEND_ORDER, type BackendName } from '../../engine/backend';
import { measureStep } from '../../engine/doctor';
import { bootEngine } from '../../engine/boot';

const usage = `Usage: seedsong doctor [--json] [--backend NAME]

Says which compute backend the engine uses and why the others are not used, with a quick speed
check (one LSTM sampling step).`;

export const command: CliCommand = {
  name: 'doctor',
  summary: 'which compute backend is active, and why the others are not',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, backend: { type: 'string' } });
    if (positionals.length) throw new UsageError(`doctor takes no positional arguments (got "${positionals[0]}")`);
    if (values.backend !== undefined && !BACKEND_ORDER.includes(values.backend as BackendName)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
    let report, fast;
    try {
      ({ backend: report, fastPath: fast } = await bootEngine({ backend: values.backend as BackendName | undefined, env: io.env }));
    } catch (e) {
      if (values.json) io.out(JSON.stringify({ ok: false, error: (e as Error).message }));
      else io.err(`seedsong: ${(e as Error).message}`);
      return 1;
    }
    const step = await measureStep();
    const info = { ok: true, node: process.version, platform: `${process.platform}-${process.arch}`, wasmDir: defaultWasmDir() ?? null, ...report, fastPath: fast, lstmStepMs: step };
    if (values.json) io.out(JSON.stringify(info));
    else {
      io.out(`node ${info.node} on ${info.platform}`);
      for (const line of describeBackend(report)) io.out(line);
      io.out(`fast path: ${fast.enabled ? 'on' : 'off'} (${fast.reason})`);
      io.out(`speed: one sampling step of a 2x256 LSTM takes ${step.toFixed(2)} ms (batch 1)`);
    }
    return 0;
  },
};

