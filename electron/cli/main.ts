/**
 * `seedsong`: dispatch, --help, --version and error reporting. Bad arguments exit 2 with one
 * `seedsong: ...` line; expected failures exit 1 the same way; stacks only with SEEDSONG_DEBUG=1.
 */
import { CommandError, UsageError, type CliIo } from './command';
import { commands } from './commands/index';
import { APP_VERSION } from '../studio/version';

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Seedsong ${APP_VERSION}: train small models on folk tunes and MIDI melodies, seed them, hear and export takes.`,
    '',
    'Usage: seedsong <command> [options]      seedsong <command> --help for its options',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     this text',
    '  --version, -v  print the version',
  ].join('\n');
}

export function defaultIo(): CliIo {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    isTty: Boolean(process.stdout.isTTY),
    cwd: process.cwd(),
    env: process.env,
    interrupted: controller.signal,
  };
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return main([rest[0], '--help'], io);
    io.out(helpText());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(APP_VERSION);
    return 0;
  }
  const entry = commands.find((c) => c.name === first);
  if (!entry) {
    io.err(`seedsong: ${first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"`} (see seedsong --help)`);
    return 2;
  }
  try {
    const { command } = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`seedsong: ${oneLine(e.message)} (see seedsong ${first} --help)`);
      return 2;
    }
    if (io.env.SEEDSONG_DEBUG) io.err(String((e as Error)?.stack ?? e));
    if (e instanceof CommandError) {
      io.err(`seedsong: ${oneLine(e.message)}`);
      return 1;
    }
    io.err(`seedsong: ${oneLine((e as Error)?.message ?? String(e))}`);
    return 1;
  }
}
