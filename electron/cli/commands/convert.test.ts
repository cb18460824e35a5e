import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../testing/io';
import { CommandError, UsageError } from '../command';
import { command } from './convert';
import { parseAbc, readMidi } from '@shared/music/index';

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
  it('ABC -> ABC keeps the notation (issue #14): pickup, bar lines, repeats, endings, chord symbols, titles, header fields', async () => {
    writeFileSync(join(dir, 'jig.abc'), 'X:7\nT:Banish Misfortune\nC:trad\nR:jig\nM:6/8\nL:1/8\nK:Dmix\nd/e/|:"D"f2d cAG|"C"c2B cAG|1 "D"A2d def:|2 A3 A2|]\n');
    expect(await command.run(['jig.abc', 'jig-out.abc'], captureIo({ cwd: dir }))).toBe(0);
    const out = readFileSync(join(dir, 'jig-out.abc'), 'utf8');
    expect(out).toMatch(/^X:7\nT:Banish Misfortune\nC:trad\nR:jig\nM:6\/8\nL:1\/8\nK:Dmix\n/);
    expect(out).toMatch(/^d\/e\/\|: ?"D"f2d cAG\| ?"C"c2B cAG\|\[1 ?"D"A2d def:\|/m);
    expect(out).toMatch(/\[2 ?A3 A2\|\]/);
    const a = parseAbc(readFileSync(join(dir, 'jig.abc'), 'utf8')).tunes[0];
    const b = parseAbc(out).tunes[0];
    expect(b.sequence.notes.map((n) => [n.pitch, n.start, n.end])).toEqual(a.sequence.notes.map((n) => [n.pitch, n.start, n.end]));
    expect(b.form.pickup).toBe(0.5);
    // --expand writes the performance out: no repeats, the pickup kept.
    expect(await command.run(['jig.abc', 'jig-played.abc', '--expand'], captureIo({ cwd: dir }))).toBe(0);
    const played = readFileSync(join(dir, 'jig-played.abc'), 'utf8');
    expect(played).not.toMatch(/:\||\|:|\[1/);
    expect(played).toMatch(/^d\/e\/\|/m);
    expect(parseAbc(played).tunes[0].sequence.notes.map((n) => [n.pitch, n.start, n.end])).toEqual(a.sequence.notes.map((n) => [n.pitch, n.start, n.end]));
  });
  it('MIDI -> ABC bars from the meter with its pickup and folds exact repeats; --meter and --pickup choose', async () => {
    writeFileSync(join(dir, 'pick.abc'), 'X:1\nT:Pick\nM:3/4\nL:1/4\nK:D\nA|:dfa|afd|dfa|a2A:|\n');
    expect(await command.run(['pick.abc', 'pick.mid'], captureIo({ cwd: dir }))).toBe(0);
    expect(await command.run(['pick.mid', 'pick-back.abc'], captureIo({ cwd: dir }))).toBe(0);
    const back = readFileSync(join(dir, 'pick-back.abc'), 'utf8');
    // The MIDI file starts at its first note; the pickup is the quarter before the first bar line.
    expect(back).toMatch(/^A2\|:/m);
    expect(back).toMatch(/:\|/);
    const tune = parseAbc(back).tunes[0];
    expect(tune.form.pickup).toBe(1);
    expect(tune.sequence.notes.map((n) => n.pitch)).toEqual(readMidi(readFileSync(join(dir, 'pick.mid'))).sequence.notes.map((n) => n.pitch));
    expect(await command.run(['pick.mid', 'pick-68.abc', '--meter', '6/8', '--pickup', '0', '--no-repeats'], captureIo({ cwd: dir }))).toBe(0);
    const m68 = readFileSync(join(dir, 'pick-68.abc'), 'utf8');
    expect(m68).toMatch(/^M:6\/8$/m);
    expect(m68).not.toMatch(/:\|/);
    await expect(command.run(['pick.mid', 'x.abc', '--meter', '6/0'], captureIo({ cwd: dir }))).rejects.toThrow(UsageError);
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
