import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Midi } from './tonejs';
import { barAtOrBefore, describeTempoMap, openMidi } from './open';

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

describe('a track that enters late (a fugue voice at bar 35)', () => {
  /** Two voices in 3/4 with a tempo change at bar 20: the first from bar 1, the second from beat 2 of bar 35. */
  function fugue(): Uint8Array {
    const midi = new Midi();
    const ppq = midi.header.ppq;
    midi.header.setTempo(90);
    midi.header.tempos.push({ ticks: ppq * 3 * 19, bpm: 72 });
    midi.header.timeSignatures.push({ ticks: 0, timeSignature: [3, 4] });
    midi.header.update();
    const one = midi.addTrack();
    one.name = 'Voice 1';
    for (let i = 0; i < 120; i++) one.addNote({ midi: 72 + (i % 5), ticks: i * ppq, durationTicks: ppq });
    const two = midi.addTrack();
    two.name = 'Voice 2';
    for (let i = 0; i < 10; i++) two.addNote({ midi: 60 + (i % 4), ticks: (34 * 3 + 1 + i) * ppq, durationTicks: ppq });
    return midi.toArray();
  }
  it('opens at the bar line before its first note, whole bars only, and says so', () => {
    const o = openMidi(fugue(), 1, 'fugue.mid');
    expect(o.sequence.notes[0].start).toBe(1); // beat 2 of what is now bar 1
    expect(o.sequence.notes.length).toBe(10);
    expect(o.sequence.tempos.map((t) => [t.time, Math.round(t.qpm)])).toEqual([[0, 72]]);
    expect(o.sequence.timeSignatures).toEqual([{ time: 0, numerator: 3, denominator: 4 }]);
    expect(o.leftOut).toContain('the 34 bars of rests before the first note: the tune starts at bar 35');
    expect(o.tracks[1].firstNote).toBe(103);
    // The first voice starts at once: nothing cut, nothing said; all merged start with it.
    expect(openMidi(fugue(), 0).leftOut.join(' ')).not.toMatch(/rests/);
    expect(openMidi(fugue(), 'all').sequence.notes[0].start).toBe(0);
  });
  it('finds the bar line across meter changes', () => {
    const meters = [{ time: 0, numerator: 4, denominator: 4 }, { time: 8, numerator: 6, denominator: 8 }];
    expect(barAtOrBefore(3.5, meters)).toEqual({ start: 0, bar: 1 });
    expect(barAtOrBefore(8, meters)).toEqual({ start: 8, bar: 3 });
    expect(barAtOrBefore(12.9, meters)).toEqual({ start: 11, bar: 4 });
    expect(barAtOrBefore(5, [])).toEqual({ start: 4, bar: 2 });
  });
});
