import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../testing/io';
import { CommandError, UsageError } from '../command';
import { command } from './corpus';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seedsong-corpus-cli-'));
  const tunes = Array.from({ length: 12 }, (_, i) => `X:${i + 1}\nT:T${i}\nM:${i % 2 ? '6/8' : '4/4'}\nL:1/8\nK:${i % 3 ? 'G' : 'Dmix'}\n${'ABcd'.slice(i % 4)}${'efga'.slice(i % 3)}|${'gfed'.slice(i % 2)}|]\n`);
  tunes.push(tunes[0].replace('X:1', 'X:99'));
  writeFileSync(join(dir, 'a.abc'), tunes.join('\n') + '\nX:100\nT:empty\nK:C\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seedsong corpus stats', () => {
  it('prints a summary with tokens per encoding and the problems with their lines', async () => {
    const io = captureIo({ cwd: dir });
    expect(await command.run(['stats', '.'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/files: 1 {3}tunes: 12 \(train \d+, validation \d+\) {3}duplicates removed: 1 {3}unreadable: 1/);
    expect(io.stdout.join('\n')).toMatch(/meters: 4\/4 6, 6\/8 6/);
    expect(io.stdout.join('\n')).toMatch(/melody-event +\d+ tokens, vocabulary 132/);
    expect(io.stderr.join('\n')).toMatch(/a\.abc:\d+, tune 14: /);
  });
  it('prints JSON with --json', async () => {
    const io = captureIo({ cwd: dir });
    expect(await command.run(['stats', join(dir, '*.abc'), '--json', '--encodings', 'abc-token', '--validation', '0.5', '--seed', '3'], io)).toBe(0);
    const r = JSON.parse(io.stdout[0]);
    expect(r.stats.tunes).toBe(12);
    expect(Object.keys(r.stats.tokens)).toEqual(['abc-token']);
    expect(r.files[0].errors[0]).toMatchObject({ code: 'abc-no-notes', tune: 13 });
  });
  it('rejects bad arguments and empty corpora clearly', async () => {
    await expect(command.run([], captureIo())).rejects.toThrow(UsageError);
    await expect(command.run(['stats'], captureIo())).rejects.toThrow(UsageError);
    await expect(command.run(['stats', '.', '--encodings', 'abc-char,nope'], captureIo({ cwd: dir }))).rejects.toThrow(/unknown nope/);
    await expect(command.run(['stats', 'nothing-here'], captureIo({ cwd: dir }))).rejects.toThrow(CommandError);
  });
});
