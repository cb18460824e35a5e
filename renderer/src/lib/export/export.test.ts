import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseAbc, readMidi, type NoteSequence } from '@shared/music/index';
import { concatenate, exportAbc, exportMidi, exportWav, slug } from './export';

const seq = (pitches: number[], title: string): NoteSequence => ({
  title,
  notes: pitches.map((pitch, i) => ({ pitch, start: i * 0.5, end: i * 0.5 + 0.5, velocity: 70 + i, voice: 0 })),
  tempos: [{ time: 0, qpm: 100 }],
  timeSignatures: [{ time: 0, numerator: 6, denominator: 8 }],
  keySignatures: [{ time: 0, tonic: 2, mode: 'major', accidentals: 2 }],
  totalTime: pitches.length * 0.5,
});

describe('export', () => {
  const a = { title: 'Take 1', sequence: seq([62, 64, 66, 67, 69, 71], 'Take 1') };
  const b = { title: 'Take 2', sequence: seq([74, 73, 71], 'Take 2') };

  it('writes ABC that reads back to the same notes, one tune per take', () => {
    const file = exportAbc([a, b], 'jig');
    expect(file.name).toBe('jig.abc');
    const read = parseAbc(new TextDecoder().decode(file.bytes));
    expect(read.tunes).toHaveLength(2);
    expect(read.tunes[0].sequence.notes.map((n) => n.pitch)).toEqual([62, 64, 66, 67, 69, 71]);
    expect(read.tunes[1].title).toBe('Take 2');
    expect(read.tunes[0].sequence.timeSignatures[0]).toMatchObject({ numerator: 6, denominator: 8 });
  });

  it('writes MIDI with tempo, meter and velocities; several takes become tracks', () => {
    const one = readMidi(exportMidi([a], 'x').bytes);
    expect(one.sequence.notes.map((n) => [n.pitch, n.velocity])).toEqual(a.sequence.notes.map((n) => [n.pitch, n.velocity]));
    expect(one.sequence.tempos[0].qpm).toBeCloseTo(100, 3);
    expect(one.sequence.timeSignatures[0]).toMatchObject({ numerator: 6, denominator: 8 });
    const two = readMidi(exportMidi([a, b], 'x').bytes, { tracks: 'all' });
    expect(two.tracks.filter((t) => t.noteCount > 0)).toHaveLength(2);
  });

  it('places takes one after another with a bar of rest', () => {
    const joined = concatenate([a, b]);
    expect(joined.notes).toHaveLength(9);
    // take 1 ends at 3 quarters = one 6/8 bar; take 2 starts a bar later
    expect(joined.notes[6].start).toBe(6);
  });

  it('names files safely', () => {
    expect(slug('The Kesh / Jig (take 3)')).toBe('the-kesh-jig-take-3');
    expect(slug('***')).toBe('seedsong');
  });

  const SF = path.resolve(__dirname, '../../../../resources/soundfonts/FluidR3Mono_GM.sf3');
  it.skipIf(!fs.existsSync(SF))('renders a .wav through the SoundFont', async () => {
    const sf = fs.readFileSync(SF);
    const file = await exportWav([b], 'x', sf.buffer.slice(sf.byteOffset, sf.byteOffset + sf.byteLength), { sampleRate: 22_050, tail: 0.2 });
    expect(file.name).toBe('x.wav');
    const view = new DataView(file.bytes.buffer, file.bytes.byteOffset);
    expect(view.getUint32(24, true)).toBe(22_050); // sample rate in the fmt chunk
    // 1.5 quarters at 100 qpm = 0.9 s, plus 0.2 s tail, 16-bit stereo
    expect(file.bytes.length).toBeGreaterThan(1.0 * 22_050 * 4);
  }, 60_000);
});
