import { describe, expect, it } from 'vitest';
import { readMidi } from '../midi/read';
import { handWritten } from './excerpt';
import { performHuman, performanceMidi } from './human';

const jig = handWritten()[0];
const play = (seed: number, extra: Partial<Parameters<typeof performHuman>[1]> = {}) =>
  performHuman(jig.sequence, { seed, qpm: 120, meter: jig.meter, pickup: jig.pickup, ...extra });

/** Meta event types in the bytes of a Standard MIDI File (FF type len ...). */
function metaTypes(bytes: Uint8Array): Set<number> {
  const types = new Set<number>();
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && [0x51, 0x58, 0x59].includes(bytes[i + 1]) && bytes[i - 1] === 0x00) types.add(bytes[i + 1]);
  return types;
}

describe('performHuman: a written melody played as a person plays it', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(play(4).performance).toEqual(play(4).performance);
    expect(play(4).performance).not.toEqual(play(5).performance);
  });

  it('keeps every written note, in order, near its place: within the jitter and the drift', () => {
    const p = performHuman(jig.sequence, { seed: 9, qpm: 120, meter: jig.meter, pickup: jig.pickup, jitterMs: 20, drift: 0.03, graces: 0, ghosts: 0, chords: 0 });
    const notes = p.performance.notes;
    expect(notes.map((n) => n.pitch)).toEqual(jig.sequence.notes.map((n) => n.pitch));
    jig.sequence.notes.forEach((w, i) => {
      const seconds = notes[i].start / 2 - p.leadSeconds; // 120 qpm in the file: a quarter is 0.5 s
      const ideal = w.start / 2;
      // 3% drift over the phrase plus 20 ms of jitter.
      expect(Math.abs(seconds - ideal)).toBeLessThan(0.03 * ideal + 0.021);
    });
    expect(notes.some((n, i) => Math.abs(n.start / 2 - p.leadSeconds - jig.sequence.notes[i].start / 2) > 0.003)).toBe(true);
  });

  it('starts after a silence, holds the last note, overlaps some notes and stops some short', () => {
    const p = play(12, { graces: 0, ghosts: 0, chords: 0 });
    const notes = p.performance.notes;
    expect(notes[0].start / 2).toBeGreaterThanOrEqual(0.4 - 0.011);
    const last = notes[notes.length - 1];
    const written = jig.sequence.notes[jig.sequence.notes.length - 1];
    expect(last.end - last.start).toBeGreaterThanOrEqual(1.5 * (written.end - written.start) * 0.9);
    const overlaps = notes.slice(0, -1).filter((n, i) => n.end > notes[i + 1].start).length;
    const gaps = notes.slice(0, -1).filter((n, i) => n.end < notes[i + 1].start).length;
    expect(overlaps).toBeGreaterThan(3);
    expect(gaps).toBeGreaterThan(3);
  });

  it('accents downbeats: louder on average than the notes between beats', () => {
    const p = play(2, { graces: 0, ghosts: 0, chords: 0 });
    const down: number[] = [];
    const off: number[] = [];
    jig.sequence.notes.forEach((w, i) => {
      const x = (((w.start - jig.pickup) % 3) + 3) % 3;
      if (Math.abs(x) < 1e-9) down.push(p.performance.notes[i].velocity);
      else if (Math.abs(x - 1.5) > 1e-9) off.push(p.performance.notes[i].velocity);
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(down) - mean(off)).toBeGreaterThan(6);
  });

  it('adds graces, ghosts and chord notes when asked, and a key never sounds twice at once', () => {
    const p = play(21, { graces: 0.3, ghosts: 0.3, chords: 0.3 });
    const { graces, ghosts, chordNotes } = p.added;
    expect(graces + ghosts + chordNotes).toBeGreaterThan(5);
    expect(p.performance.notes.length).toBe(jig.sequence.notes.length + graces + ghosts + chordNotes);
    const byPitch = new Map<number, { start: number; end: number }[]>();
    for (const n of p.performance.notes) byPitch.set(n.pitch, [...(byPitch.get(n.pitch) ?? []), n]);
    for (const list of byPitch.values()) for (let i = 1; i < list.length; i++) expect(list[i].start).toBeGreaterThanOrEqual(list[i - 1].end);
    expect(p.performance.notes.some((n) => (n.end - n.start) / 2 < 0.04)).toBe(true); // ghosts are under 40 ms
  });

  it('writes a .mid with no tempo, meter or key events, read back at 120 qpm with the same notes', () => {
    const p = play(7);
    const bytes = performanceMidi(p.performance);
    expect(metaTypes(bytes).size).toBe(0);
    const back = readMidi(bytes).sequence;
    expect(back.timeSignatures).toEqual([]);
    expect(back.keySignatures).toEqual([]);
    expect(back.tempos).toEqual([{ time: 0, qpm: 120 }]);
    expect(back.notes.map((n) => [n.pitch, n.velocity])).toEqual(p.performance.notes.map((n) => [n.pitch, n.velocity]));
    back.notes.forEach((n, i) => expect(Math.abs(n.start - p.performance.notes[i].start)).toBeLessThan(1 / 480 + 1e-9));
  });
});
