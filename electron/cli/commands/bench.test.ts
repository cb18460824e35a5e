import { describe, expect, it } from 'vitest';
import { UsageError, type CliIo } from '../command';
import { command } from './bench';

function io(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), isTty: false, cwd: process.cwd(), env: process.env, interrupted: new AbortController().signal };
}

describe('seedsong bench', () => {
  it('rejects unknown subcommands, presets and flags before measuring anything', async () => {
    await expect(command.run([], io())).rejects.toThrow(UsageError);
    await expect(command.run(['fly'], io())).rejects.toThrow(/sample, train or midi/);
    await expect(command.run(['sample', '--preset', 'no-such-preset'], io())).rejects.toThrow(/unknown preset/);
    await expect(command.run(['train', '--seconds', 'soon'], io())).rejects.toThrow(/--seconds expects a number/);
    await expect(command.run(['train', '--threads', '0'], io())).rejects.toThrow(/at least 1/);
    await expect(command.run(['sample', 'extra'], io())).rejects.toThrow(/positional/);
  });

  it('hands `bench midi` to the MIDI bench command', async () => {
    await expect(command.run(['midi', '--no-such-flag'], io())).rejects.toThrow(UsageError);
  });
});
