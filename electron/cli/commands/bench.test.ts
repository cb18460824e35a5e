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

describe('seedsong bench and signals', () => {
  it('stops on SIGTERM between steps (it used to run on)', async () => {
    const { spawn } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const child = spawn(process.execPath, [resolve('bin/seedsong.js'), 'bench', 'train', '--preset', 'melody-rnn', '--no-torch', '--no-baseline', '--seconds', '600', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // wait until it measures (the orthogonal init line comes first, then the timed run starts)
    await new Promise<void>((done) => child.stdout.on('data', (d) => ((out += d), out.includes('"bench":"init"') && done())));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/interrupted/);
    expect(out).not.toMatch(/"bench":"train"/);
  }, 120_000);
});
