import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../testing/io';
import { CommandError, UsageError } from '../command';
import { command } from './convert';
import { parseAbc, readMidi } from '../../../shared/music/index';

let dir: string;
const BOOK = `X:1\nT:First\nM:6/8\nL:1/8\nK:D\n|:DFA dAF:|\n\nX:5\nT:Fifth\nM:3/4\nL:1/4\nQ:1/4=90\nK:Ador\nA B c|e2 d|]\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seedsong-convert-'));
  writeFileSync(join(dir, 'book.abc'), BOOK);
  writeFileSync(join(dir, 'junk.mid'), 'nope');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seedsong convert', () => {
  it('ABC -> MIDI -> ABC keeps the notes, tempo, meter and key of the chosen tune', async () => {
    const io = captureIo({ cwd: dir });
    expect(await command.run(['book.abc', 'fifth.mid', '--tune', '5'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/fifth\.mid: 5 notes \(Fifth\)/);
    const midi = readMidi(readFileSync(join(dir, 'fifth.mid')));
    expect(midi.sequence.notes.map((n) => n.pitch)).toEqual([69, 71, 72, 76, 74]);
    expect(Math.round(midi.sequence.tempos[0].qpm)).toBe(90);
    expect(midi.sequence.timeSignatures[0]).toMatchObject({ numerator: 3, denominator: 4 });
    expect(await command.run(['fifth.mid', 'back.abc'], captureIo({ cwd: dir }))).toBe(0);
    const text = readFileSync(join(dir, 'back.abc'), 'utf8');
    expect(text).toMatch(/^M:3\/4$/m);
    expect(text).toMatch(/^Q:1\/4=90$/m);
    expect(parseAbc(text).tunes[0].sequence.notes.map((n) => [n.pitch, n.start, n.end])).toEqual(midi.sequence.notes.map((n) => [n.pitch, n.start, n.end]));
  });
  it('replaces a file it wrote, never one it did not write unless --force', async () => {
    expect(await command.run(['book.abc', 'again.mid'], captureIo({ cwd: dir }))).toBe(0);
    expect(await command.run(['book.abc', 'again.mid', '--tune', '5'], captureIo({ cwd: dir }))).toBe(0);
    writeFileSync(join(dir, 'mine.abc'), 'X:1\nT:my own tune\nK:G\nGABc|\n');
    await expect(command.run(['book.abc', 'mine.abc'], captureIo({ cwd: dir }))).rejects.toThrow(/mine\.abc exists and was not written by Seedsong.*--force/);
    expect(readFileSync(join(dir, 'mine.abc'), 'utf8')).toMatch(/my own tune/);
    expect(await command.run(['book.abc', 'mine.abc', '--force'], captureIo({ cwd: dir }))).toBe(0);
    expect(readFileSync(join(dir, 'mine.abc'), 'utf8')).toMatch(/T:First/);
  });
  it('expands repeats of the first tune by default', async () => {
    expect(await command.run(['book.abc', 'first.mid'], captureIo({ cwd: dir }))).toBe(0);
    expect(readMidi(readFileSync(join(dir, 'first.mid'))).sequence.notes).toHaveLength(12);
  });
  it('says what is wrong, without a stack trace', async () => {
    await expect(command.run(['book.abc', 'x.mid', '--tune', '9'], captureIo({ cwd: dir }))).rejects.toThrow(/no readable tune with X:9 \(it has X:1, X:5\)/);
    await expect(command.run(['junk.mid', 'x.abc'], captureIo({ cwd: dir }))).rejects.toThrow(CommandError);
    await expect(command.run(['missing.abc', 'x.mid'], captureIo({ cwd: dir }))).rejects.toThrow(/missing\.abc: cannot be read/);
    await expect(command.run(['book.abc'], captureIo({ cwd: dir }))).rejects.toThrow(UsageError);
    await expect(command.run(['book.abc', 'out.wav'], captureIo({ cwd: dir }))).rejects.toThrow(/expected a \.abc or \.mid/);
    await expect(command.run(['book.abc', 'x.mid', '--track', '1'], captureIo({ cwd: dir }))).rejects.toThrow(UsageError);
    expect(existsSync(join(dir, 'x.mid'))).toBe(false);
  });
});
