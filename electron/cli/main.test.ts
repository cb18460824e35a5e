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
    // A text prefix check let this one through (issue #18 item 7): it is a remote name, not loopback.
    [['serve', '--host', '127.0.0.1.example.com'], /^seedsong: --host 127.0.0.1.example.com is reachable from other machines; add --allow-remote/],
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

  it('exits 1 with one seedsong: line when no file of a corpus reads (corpus stats --json), and does not hang on odd files', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-cli-odd-'));
    try {
      fs.writeFileSync(path.join(dir, 'junk.abc'), 'not a tune at all\n');
      const args = [path.join(dir, 'junk.abc')];
      if (process.platform !== 'win32') {
        fs.symlinkSync('/dev/zero', path.join(dir, 'zero.abc'));
        args.push(path.join(dir, 'zero.abc'));
        if (spawnSync('mkfifo', [path.join(dir, 'pipe.abc')]).status === 0) args.push(path.join(dir, 'pipe.abc'));
        // A MIDI header that claims 65,535 tracks.
        fs.writeFileSync(path.join(dir, 'wide.mid'), Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, 0xff, 0xff, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 4, 0x00, 0xff, 0x2f, 0x00]));
        args.push(path.join(dir, 'wide.mid'));
      }
      const io = captureIo();
      expect(await main(['corpus', 'stats', ...args, '--json'], io)).toBe(1);
      expect(io.stderr).toHaveLength(1);
      expect(io.stderr[0]).toMatch(/^seedsong: no readable tune/);
      const report = JSON.parse(io.stdout[0]!);
      const messages = report.files.flatMap((f: { errors: { message: string }[] }) => f.errors.map((e) => e.message)).join('\n');
      if (process.platform !== 'win32') {
        expect(messages).toMatch(/zero\.abc: a character device, not a regular file/);
        expect(messages).toMatch(/declares 65535 tracks but the file holds 1 track chunk/);
        expect(messages).not.toMatch(/Cannot read properties/);
        const convert = captureIo();
        expect(await main(['convert', path.join(dir, 'zero.abc'), path.join(dir, 'out.mid')], convert)).toBe(1);
        expect(convert.stderr[0]).toMatch(/^seedsong: .*zero\.abc: a character device/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
