/** A CliIo that records what a command prints, for tests of any subcommand. */
import type { CliIo } from '../command';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Commands remember files they wrote under SEEDSONG_HOME: tests keep that out of the real home.
let home: string | undefined;
const testHome = () => (home ??= mkdtempSync(join(tmpdir(), 'seedsong-cli-home-')));

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
    env: { SEEDSONG_HOME: testHome() },
    interrupted: controller.signal,
    abort: () => controller.abort(),
    ...overrides,
  };
}
