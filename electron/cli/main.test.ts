import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { main } from './main';
import { captureIo } from './testing/io';
import { commands } from './commands/index';
import { APP_VERSION } from '../studio/version';

describe('seedsong CLI', () => {
  it('prints help listing every command', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const c of commands) expect(io.stdout.join('\n')).toContain(c.name);
  });

  it('prints the version', async () => {
    const io = captureIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout).toEqual([APP_VERSION]);
  });

  it('every command has usage text reachable with --help', async () => {
    for (const c of commands) {
      const io = captureIo();
      expect(await main([c.name, '--help'], io), c.name).toBe(0);
      expect(io.stdout.join('\n')).toMatch(/Usage: seedsong/);
    }
  });

  it.each([
    [['frobnicate'], /^seedsong: unknown command "frobnicate"/],
    [['--frobnicate'], /^seedsong: unknown option "--frobnicate"/],
    [['serve', '--port', 'abc'], /^seedsong: --port expects a number, got "abc"/],
    [['serve', '--port', '70000'], /^seedsong: --port must be at most 65535/],
    [['serve', '--nope'], /^seedsong: Unknown option '--nope'/],
    [['serve', 'extra'], /^seedsong: serve takes no positional arguments/],
    [['serve', '--host', '0.0.0.0'], /^seedsong: --host 0.0.0.0 is reachable from other machines; add --allow-remote/],
  ])('bad arguments %j: exit 2 with one seedsong: line', async (argv, message) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(message);
    expect(io.stderr[0]).not.toContain('\n');
  });

  it('bad arguments through the real bin: exit 2, one line, no stack trace', () => {
    const bin = path.resolve(__dirname, '../../bin/seedsong.js');
    const run = spawnSync(process.execPath, [bin, 'serve', '--port', 'x'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^seedsong: /);
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
