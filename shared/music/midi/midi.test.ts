import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { readMidi } from './read';
import { writeMidi } from './write';
import { MusicError } from '../errors';
import type { NoteSequence } from '../types';

const SMF = '/work/shared/corpora/midi_smf_testcases';
const hasSmf = existsSync(SMF);
if (!hasSmf) console.log(`skipping MIDI test-case files: ${SMF} is absent`);

const seq: NoteSequence = {
  title: 'Round trip',
  notes: [
    { pitch: 62, start: 0, end: 0.5, velocity: 40, voice: 0 },
    { pitch: 66, start: 0.5, end: 1.25, velocity: 100, voice: 0 },
    { pitch: 50, start: 0, end: 2, velocity: 70, voice: 1 },
  ],
  tempos: [{ time: 0, qpm: 96 }, { time: 1, qpm: 140 }],
  timeSignatures: [{ time: 0, numerator: 6, denominator: 8 }],
  keySignatures: [{ time: 0, tonic: 2, mode: 'major', accidentals: 2 }],
  totalTime: 2,
};

describe('writeMidi / readMidi', () => {
  it('keeps notes, velocities, tempo map, meter, key and track names', () => {
    const back = readMidi(writeMidi(seq), { tracks: 'all' });
    expect(back.format).toBe(1);
    const s = back.sequence;
    expect(s.notes.map((n) => [n.pitch, n.start, n.end, n.velocity])).toEqual([
      [50, 0, 2, 70],
      [62, 0, 0.5, 40],
      [66, 0.5, 1.25, 100],
    ]);
    expect(s.tempos.map((t) => [t.time, Math.round(t.qpm)])).toEqual([[0, 96], [1, 140]]);
    expect(s.timeSignatures).toEqual([{ time: 0, numerator: 6, denominator: 8 }]);
    expect(s.keySignatures[0]).toMatchObject({ tonic: 2, accidentals: 2, mode: 'major' });
    expect(back.tracks.map((t) => t.name)).toEqual(['Round trip', 'Voice 1']);
    expect(back.melodyTrack).toBe(0); // the higher track
    expect(readMidi(writeMidi(seq)).sequence.notes.map((n) => n.pitch)).toEqual([62, 66]);
  });
  it('writes minor and flat keys as the MIDI key-signature event expects', () => {
    for (const [tonic, mode, accidentals] of [[9, 'minor', 0], [3, 'minor', -6], [6, 'major', 6], [5, 'major', -1]] as const) {
      const s = readMidi(writeMidi({ ...seq, keySignatures: [{ time: 0, tonic, mode, accidentals }] })).sequence;
      expect(s.keySignatures[0]).toMatchObject({ tonic, mode, accidentals });
    }
  });
  it('refuses junk with typed errors', () => {
    expect(() => readMidi(new Uint8Array())).toThrow(/empty/);
    expect(() => readMidi(new TextEncoder().encode('X:1\nK:C\nCDE|\n'), { file: 'a.mid' })).toThrow(/a\.mid: not a Standard MIDI File/);
    const bytes = writeMidi(seq);
    bytes[9] = 2;
    expect(() => readMidi(bytes)).toThrowError(expect.objectContaining({ code: 'midi-type-2' }));
  });
  it('refuses a meta event longer than its track before @tonejs/midi allocates for it', () => {
    const track = (events: number[]) => [0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, events.length, ...events];
    const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
    // A text meta event claiming 34 GB (five length bytes), then one claiming 100 bytes of 3.
    for (const meta of [[0x00, 0xff, 0x01, 0xfe, 0xfe, 0xfe, 0xfe, 0x09, 0x41], [0x00, 0xff, 0x01, 0x64, 0x41, 0x42, 0x43]]) {
      const t0 = performance.now();
      expect(() => readMidi(Uint8Array.from([...header, ...track([...meta, 0x00, 0xff, 0x2f, 0x00])]), { file: 'm.mid' })).toThrowError(expect.objectContaining({ code: 'midi-format', file: 'm.mid' }));
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    // Running status and a well-formed meta event still read.
    const ok = Uint8Array.from([...header, ...track([0x00, 0xff, 0x03, 0x01, 0x41, 0x00, 0x90, 60, 100, 0x60, 60, 0, 0x00, 0xff, 0x2f, 0x00])]);
    expect(readMidi(ok).sequence.notes.map((n) => n.pitch)).toEqual([60]);
  });
  it('refuses a header claiming more tracks than the file holds (65,535), with a typed error', () => {
    const bytes = writeMidi(seq);
    const tracks = (bytes[10]! << 8) | bytes[11]!;
    for (const claimed of [tracks + 1, 0xffff]) {
      bytes[10] = claimed >> 8;
      bytes[11] = claimed & 0xff;
      expect(() => readMidi(bytes, { file: 'wide.mid' })).toThrowError(expect.objectContaining({ code: 'midi-format', file: 'wide.mid', message: expect.stringMatching(new RegExp(`declares ${claimed} tracks but the file holds ${tracks}`)) }));
    }
  });
});

describe.skipIf(!hasSmf)('MIDI test-case files', () => {
  const read = (f: string) => readFileSync(`${SMF}/${f}`);
  it('reads type 0 and 1, running status and tempo changes', () => {
    expect(readMidi(read('jazz-soft/test-2-tracks-type-0.mid')).format).toBe(0);
    expect(readMidi(read('jazz-soft/test-2-tracks-type-1.mid'), { tracks: 'all' }).sequence.notes.length).toBeGreaterThan(0);
    expect(readMidi(read('music21/test08.mid')).sequence.notes.length).toBeGreaterThan(0);
    expect(readMidi(read('music21/test10.mid')).sequence.tempos.length).toBeGreaterThan(1);
  });
  it('says clearly what is wrong with broken files', () => {
    for (const f of ['test-2-tracks-type-2.mid', 'test-empty-file.mid', 'test-not-a-midi-file.mid']) {
      expect(() => readMidi(read(`jazz-soft/${f}`), { file: f })).toThrow(MusicError);
    }
    for (const f of ['test-corrupt-file-extra-byte.mid', 'test-corrupt-file-missing-byte.mid', 'test-non-midi-track.mid', 'test-track-length.mid', 'test-illegal-message-all.mid']) {
      try {
        readMidi(read(`jazz-soft/${f}`), { file: f });
      } catch (e) {
        expect(e).toBeInstanceOf(MusicError);
        expect((e as MusicError).message).toContain(f);
      }
    }
  });
});
