import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAbc } from '@shared/music/abc/read';
import { handWritten } from '@shared/music/testing/excerpt';
import { performHuman, performanceMidi } from '@shared/music/testing/human';
import { defaultModelDir } from '../studio/paths';
import { UsageError } from './command';
import { command as generate } from './commands/generate';
import { parseGridFlag, parseMeterFlag, parsePickupFlag, transcribeSeedFile } from './seed-file';
import { captureIo } from './testing/io';

const encoding = JSON.parse(readFileSync(path.join(defaultModelDir(), 'seedsong.json'), 'utf8')).encoding as { name: string; tokens: string[] };

function playedReel(seed = 3): Uint8Array {
  const reel = handWritten()[1]; // two eighths before the first downbeat
  return performanceMidi(performHuman(reel.sequence, { seed, qpm: 110, meter: reel.meter, pickup: reel.pickup, jitterMs: 15 }).performance);
}

describe('seed flags', () => {
  it('reads meters, grids and pickups as a musician writes them', () => {
    expect(parseMeterFlag('6/8')).toEqual({ numerator: 6, denominator: 8 });
    expect(parseMeterFlag('C')).toEqual({ numerator: 4, denominator: 4 });
    expect(parseMeterFlag('C|')).toEqual({ numerator: 2, denominator: 2 });
    expect(parseGridFlag('16')).toEqual({ stepsPerQuarter: 4, triplets: false });
    expect(parseGridFlag('1/8')).toEqual({ stepsPerQuarter: 2, triplets: false });
    expect(parseGridFlag('16t')).toEqual({ stepsPerQuarter: 4, triplets: true });
    expect(parsePickupFlag('1/8')).toBe(0.5);
    expect(parsePickupFlag('3/8')).toBe(1.5);
    expect(parsePickupFlag('0')).toBe(0);
    expect(() => parseMeterFlag('6/7')).toThrow(UsageError);
    expect(() => parseGridFlag('12')).toThrow(/--seed-grid expects the shortest note as 8, 16 or 32/);
    expect(() => parsePickupFlag('an eighth')).toThrow(/--seed-pickup expects a length like 1\/8/);
  });
});

describe('transcribeSeedFile', () => {
  it('gives an abc-token model ABC with the pickup as a short first bar, on the lengths its vocabulary has', () => {
    const r = transcribeSeedFile(playedReel(), 'reel.mid', encoding, {});
    expect(r.kind).toBe('abc');
    if (r.kind !== 'abc') return;
    expect(r.transcription.pickup).toBe(1);
    const body = r.text.split('\n')[r.text.split('\n').findIndex((l) => l.startsWith('K:')) + 1];
    expect(body.startsWith('FA|')).toBe(true);
    const tune = parseAbc(r.text).tunes[0];
    expect(tune.sequence.notes.map((n) => n.pitch)).toEqual(handWritten()[1].sequence.notes.map((n) => n.pitch));
  });

  it('event models get the notes from the first one on; flags override what is found', () => {
    const r = transcribeSeedFile(playedReel(), 'reel.mid', { name: 'melody-event', tokens: [] }, { meter: '2/4', pickup: '1/4', grid: '8' });
    expect(r.kind).toBe('sequence');
    expect(r.transcription.meter).toEqual({ numerator: 2, denominator: 4 });
    expect(r.transcription.pickup).toBe(1);
    expect(r.transcription.grid.stepsPerQuarter).toBe(2);
    if (r.kind === 'sequence') expect(r.sequence.notes[0].start).toBe(0);
  });

  it('a file that is not MIDI, or has no notes, is a MusicError naming the file', () => {
    expect(() => transcribeSeedFile(new TextEncoder().encode('not midi'), 'x.mid', encoding, {})).toThrow(/x\.mid: not a Standard MIDI File/);
    const silent = performanceMidi({ notes: [], tempos: [], timeSignatures: [], keySignatures: [], totalTime: 0 });
    expect(() => transcribeSeedFile(silent, 'empty.mid', encoding, {})).toThrow(/empty\.mid: the seed has no notes/);
  });
});

describe('seedsong generate --seed-file x.mid with the default model', () => {
  it('transcribes the played seed, says what it found, and continues it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-seed-'));
    writeFileSync(path.join(dir, 'reel.mid'), playedReel());
    const io = captureIo({ cwd: dir });
    expect(await generate.run(['--seed-file', 'reel.mid', '--out', 'take.abc', '--length', '80', '--rng-seed', '2'], io)).toBe(0);
    expect(io.stdout).toContain('seed: pickup found: a pickup of a quarter before the first downbeat');
    expect(io.stdout.some((l) => /^seed: tempo found: 1(0[6-9]|1[0-4]) bpm/.test(l))).toBe(true);
    const take = readFileSync(path.join(dir, 'take.abc'), 'utf8');
    expect(take).toMatch(/^M:4\/4$/m);
    // The take starts with the seed's own notes.
    const notes = parseAbc(take).tunes[0].sequence.notes.map((n) => n.pitch);
    expect(notes.slice(0, 10)).toEqual(handWritten()[1].sequence.notes.slice(0, 10).map((n) => n.pitch));
  });

  it('refuses seed flags without a .mid seed', async () => {
    await expect(generate.run(['--out', 'x.abc', '--seed-meter', '6/8'], captureIo())).rejects.toThrow(/need a --seed-file \.mid/);
    await expect(generate.run(['--out', 'x.abc', '--seed-abc', 'X:1\\nK:D\\nDFA|', '--seed-grid', '16'], captureIo())).rejects.toThrow(/need a --seed-file \.mid/);
  });
});
