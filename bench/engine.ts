/**
 * Engine benchmark: `npx tsx bench/engine.ts sample|train [--json] [--preset NAME]... [--seconds S]
 * [--backend wasm|cpu|...] [--threads N] [--no-baseline] [--no-torch]`. The same code runs as
 * `seedsong bench`; see electron/engine/fast/bench.ts for what is measured.
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../electron/engine/backend';
import { benchSample, benchTrain, formatRecord } from '../electron/engine/fast/bench';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    preset: { type: 'string', multiple: true },
    seconds: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    'no-baseline': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
  },
});
const what = positionals[0];
if (what !== 'sample' && what !== 'train') {
  console.error('usage: npx tsx bench/engine.ts sample|train [--json] [--preset NAME]... [--seconds S] [--backend NAME] [--threads N] [--no-baseline] [--no-torch]');
  process.exit(2);
}
const report = await initBackend({ force: values.backend as BackendName | undefined });
if (!values.json) console.log(`backend ${report.active}${report.simd !== undefined ? ` (simd ${report.simd}, threads ${report.threads})` : ''}`);
const opts = {
  presets: values.preset,
  seconds: values.seconds ? Number(values.seconds) : undefined,
  threads: values.threads ? Number(values.threads) : undefined,
  baseline: !values['no-baseline'],
  torch: !values['no-torch'],
  log: (line: string) => console.log(values.json ? line : formatRecord(JSON.parse(line))),
  signal: stopOnSignals(),
};

function stopOnSignals(): AbortSignal {
  const c = new AbortController();
  process.once('SIGINT', () => c.abort());
  process.once('SIGTERM', () => c.abort());
  return c.signal;
}
await (what === 'sample' ? benchSample(opts) : benchTrain(opts));
