/**
 * MIDI timing benchmark: `npx tsx bench/midi.ts [--json] [--seconds N] [--load-procs N] ...`
 * Same code and options as `seedsong bench midi` (electron/cli/commands/bench-midi.ts).
 */
import { command } from '../electron/cli/commands/bench-midi';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const code = await command.run(process.argv.slice(2), {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  isTty: Boolean(process.stdout.isTTY),
  cwd: process.cwd(),
  env: process.env,
  interrupted: controller.signal,
});
process.exit(code);
