/**
 * The shape of a `seedsong` subcommand. Each command lives in its own file under commands/ and is
 * listed once in commands/index.ts; main.ts does the dispatch, --help and error reporting.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stdout is a terminal (progress bars), false for pipes and --json consumers. */
  isTty: boolean;
  /** Current working directory for resolving relative paths. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user presses Ctrl+C; commands that run long should stop cleanly on it. */
  interrupted: AbortSignal;
  /** Draws an RNG seed (0 .. 2^32-1) where a command needs a fresh one; tests pass a fixed one. */
  random?: () => number;
}

export interface CliCommand {
  /** e.g. 'serve', or 'corpus' for a command with its own sub-subcommands. */
  name: string;
  /** One line for `seedsong --help`. */
  summary: string;
  /** Full usage text for `seedsong NAME --help`. */
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad arguments (exit 2). */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Bad arguments: printed as one `seedsong: ...` line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure (bad file, missing model...): one `seedsong: ...` line, exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** node:util parseArgs, with its errors turned into UsageError. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** Parses a numeric flag, rejecting junk like "12abc" that Number() would let through as NaN later. */
export function numberFlag(name: string, value: string | undefined, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${value}"`);
  if (opts.integer && !Number.isInteger(n)) throw new UsageError(`--${name} expects a whole number, got "${value}"`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be at least ${opts.min}, got ${value}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name} must be at most ${opts.max}, got ${value}`);
  return n;
}
