/** A CliIo that records what a command prints, for tests of any subcommand. */
import type { CliIo } from '../command';

export function captureIo(overrides: Partial<CliIo> = {}): CliIo & { stdout: string[]; stderr: string[]; abort(): void } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const controller = new AbortController();
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    isTty: false,
    cwd: process.cwd(),
    env: {},
    interrupted: controller.signal,
    abort: () => controller.abort(),
    ...overrides,
  };
}
