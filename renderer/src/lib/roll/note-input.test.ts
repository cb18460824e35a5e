import { describe, expect, it } from 'vitest';
import { enterNote, inputStart, letterClass, nearestPitch, neighbour, LENGTH_DIGITS } from './note-input';
import { toRollNotes } from './notes';

const D_MAJOR = { time: 0, tonic: 2, mode: 'major' as const, accidentals: 2 };
const F_MAJOR = { time: 0, tonic: 5, mode: 'major' as const, accidentals: -1 };
const tune = () => toRollNotes([62, 64, 66, 69].map((pitch, i) => ({ pitch, start: i * 0.5, end: i * 0.5 + 0.5, velocity: 80, voice: 0 })), false);

describe('note input', () => {
  it('spells letters in the key', () => {
    expect(letterClass('f', D_MAJOR)).toBe(6);
    expect(letterClass('c', D_MAJOR)).toBe(1);
    expect(letterClass('g', D_MAJOR)).toBe(7);
    expect(letterClass('b', F_MAJOR)).toBe(10);
    expect(letterClass('e', F_MAJOR)).toBe(4);
    expect(letterClass('c', undefined)).toBe(0);
    expect(letterClass('b', { accidentals: 7 })).toBe(0); // C-sharp major: B sharp
  });

  it('takes the octave nearest the note before (ties down), or just above it for a chord note', () => {
    expect(nearestPitch(1, 69)).toBe(73);
    expect(nearestPitch(9, 62)).toBe(57);
    expect(nearestPitch(6, 60)).toBe(54); // a tritone either way: down
    expect(nearestPitch(2, 62)).toBe(62);
    expect(nearestPitch(2, 62, true)).toBe(74);
    expect(nearestPitch(6, 62, true)).toBe(66);
  });

  it('starts after the selection, else at the playhead, else after the last note', () => {
    const notes = tune();
    expect(inputStart(notes, new Set([notes[1].id]), 0)).toBe(1);
    expect(inputStart(notes, new Set(), 3)).toBe(3);
    expect(inputStart(notes, new Set(), 0)).toBe(2);
  });

  it('enters notes one after another with the chosen length, and chords on the last one', () => {
    let notes = tune();
    let sel = new Set<number>();
    let cursor = 2;
    for (const letter of ['c', 'd', 'e'] as const) {
      const r = enterNote(notes, sel, { letter, cursor, length: LENGTH_DIGITS[5], key: D_MAJOR });
      ({ notes, cursor } = r);
      sel = new Set([r.id]);
    }
    expect(notes.slice(4).map((n) => [n.pitch, n.start, n.end])).toEqual([
      [73, 2, 3],
      [74, 3, 4],
      [76, 4, 5],
    ]);
    expect(cursor).toBe(5);
    const chord = enterNote(notes, sel, { letter: 'g', cursor, length: 1, key: D_MAJOR, chord: true });
    expect(chord.cursor).toBe(5);
    expect(chord.notes.find((n) => n.id === chord.id)).toMatchObject({ pitch: 79, start: 4, end: 5 });
    // Nothing before the cursor: around F4.
    expect(enterNote([], new Set(), { letter: 'c', cursor: 0, length: 0.5 }).notes[0]).toMatchObject({ pitch: 60, start: 0, end: 0.5 });
  });

  it('picks the next and previous note in time order', () => {
    const notes = tune();
    expect(neighbour(notes, new Set([notes[1].id]), 0, 1)?.pitch).toBe(66);
    expect(neighbour(notes, new Set([notes[1].id]), 0, -1)?.pitch).toBe(62);
    expect(neighbour(notes, new Set([notes[0].id]), 0, -1)).toBeUndefined();
    expect(neighbour(notes, new Set(), 0.75, 1)?.pitch).toBe(66);
    expect(neighbour(notes, new Set(), 0.75, -1)?.pitch).toBe(64);
    expect(neighbour(notes, new Set(), 9, 1)).toBeUndefined();
  });
});
