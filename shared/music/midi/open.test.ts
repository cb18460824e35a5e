import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Midi } from './tonejs';
import { describeTempoMap, openMidi } from './open';

/** A band: a fiddle tune (high), a bass line with more notes, a drum track and a pedalled piano. */
function band(): Uint8Array {
  const midi = new Midi();
  midi.header.setTempo(100);
  midi.header.tempos.push({ ticks: midi.header.ppq * 8, bpm: 80 });
  midi.header.update();
  const fiddle = midi.addTrack();
  fiddle.name = 'Fiddle';
  fiddle.channel = 0;
  [74, 76, 78, 79, 81, 79, 78, 76].forEach((p, i) => fiddle.addNote({ midi: p, ticks: i * 240, durationTicks: 240 }));
  const bass = midi.addTrack();
  bass.name = 'Bass';
  bass.channel = 1;
  for (let i = 0; i < 12; i++) bass.addNote({ midi: 38 + (i % 3), ticks: i * 160, durationTicks: 160 });
  const drums = midi.addTrack();
  drums.name = 'Kit';
  drums.channel = 9;
  for (let i = 0; i < 16; i++) drums.addNote({ midi: 36, ticks: i * 120, durationTicks: 60 });
  const piano = midi.addTrack();
  piano.channel = 2;
  piano.instrument.number = 0;
  for (let i = 0; i < 4; i++) piano.addNote({ midi: 60 + i, ticks: i * 480, durationTicks: 480 });
  piano.addCC({ number: 64, value: 1, ticks: 0 });
  piano.addCC({ number: 64, value: 0, ticks: 900 });
  piano.addCC({ number: 64, value: 1, ticks: 960 });
  return midi.toArray();
}

describe('openMidi', () => {
  it('guesses the melody and says what was left out: other tracks, the drum channel', () => {
    const o = openMidi(band(), 'melody', 'band.mid');
    expect(o.tracks[o.melodyTrack].name).toBe('Fiddle');
    expect(o.chosen).toEqual([o.melodyTrack]);
    expect(o.sequence.notes.map((n) => n.pitch)).toEqual([74, 76, 78, 79, 81, 79, 78, 76]);
    expect(o.leftOut[0]).toMatch(/^2 other tracks: Bass \(12 notes, D2-E2\), track \d \(acoustic grand piano\) \(4 notes, C4-Eb4\)$/);
    expect(o.leftOut[1]).toBe('the drum channel (Kit, 16 notes): drums are not part of a tune');
    expect(o.leftOut.join(' ')).not.toMatch(/pedal/); // the fiddle has none
  });

  it('keeps the tempo map and says it in words', () => {
    const o = openMidi(band());
    expect(o.sequence.tempos.map((t) => [t.time, Math.round(t.qpm)])).toEqual([[0, 100], [8, 80]]);
    expect(o.tempo).toBe('tempo map: starts at 100 bpm, 1 change (80-100 bpm)');
    expect(describeTempoMap([{ time: 0, qpm: 96 }])).toBe('96 bpm throughout');
  });

  it('a chosen track: its notes and its pedalling; all tracks: merged, one voice each, drums still out', () => {
    const piano = openMidi(band(), 3);
    expect(piano.sequence.notes.map((n) => n.pitch)).toEqual([60, 61, 62, 63]);
    expect(piano.leftOut.some((l) => l === 'the sustain pedal (2 presses): notes sound only as long as they are held')).toBe(true);
    const all = openMidi(band(), 'all');
    expect(all.chosen).toEqual([0, 1, 3]);
    expect(new Set(all.sequence.notes.map((n) => n.voice))).toEqual(new Set([0, 1, 2]));
    expect(all.sequence.notes.length).toBe(8 + 12 + 4);
    expect(all.leftOut[0]).toMatch(/^the drum channel/);
    expect(() => openMidi(band(), 2)).toThrow(/Kit is the drum channel/);
    expect(() => openMidi(band(), 7)).toThrowError(expect.objectContaining({ code: 'midi-no-notes' }));
  });

  it('a piano piece from the shared corpora: right hand guessed, left hand and pedal named, the rubato tempo map kept', () => {
    const file = '/work/shared/corpora/midi_piano_midi_de/ty_maerz.mid';
    if (!fs.existsSync(file)) {
      console.log(`skipped: ${file} is not here`);
      return;
    }
    const o = openMidi(fs.readFileSync(file), 'melody', 'ty_maerz.mid');
    expect(o.tracks[o.melodyTrack].name).toBe('Piano right');
    expect(o.leftOut[0]).toMatch(/^the other track: Piano left \(285 notes/);
    expect(o.sequence.tempos.length).toBeGreaterThan(100);
    expect(o.tempo).toMatch(/^tempo map: starts at \d+ bpm, \d+ changes/);
  });
});
