import { describe, expect, it } from 'vitest';
import { NoteStream, NoteStreamError } from './stream';
import { note, sequence } from './testing';

describe('NoteStream', () => {
  it('keeps notes sorted by start as they arrive, and tracks where the music ends', () => {
    const s = new NoteStream();
    const seen: number[] = [];
    s.onAppend((ns) => seen.push(...ns.map((n) => n.pitch)));
    s.append([note(60, 0, 1), note(64, 2, 3)]);
    s.append(note(62, 1, 4));
    expect(s.notes.map((n) => n.pitch)).toEqual([60, 62, 64]);
    expect(s.endBeat).toBe(4);
    expect(seen).toEqual([60, 64, 62]);
    s.end(6);
    expect(s.finished).toBe(true);
    expect(s.endBeat).toBe(6);
    expect(() => s.append(note(70, 7, 8))).toThrow(NoteStreamError);
  });

  it('rejects a malformed note with a message that says which one and what was expected', () => {
    const s = new NoteStream();
    s.append(note(60, 0, 1));
    expect(() => s.append(note(61, 2, 2))).toThrow('note 1: expected pitch 0-127, start >= 0 and end > start (in quarter notes), got pitch 61, start 2, end 2, velocity 100');
    expect(() => NoteStream.fromSequence(sequence([note(128, 0, 1)]))).toThrow(/note 0: expected pitch 0-127/);
    expect(() => s.append({ ...note(60, 0, 1), start: Number.NaN })).toThrow(NoteStreamError);
    expect(() => s.append([note(62, 1, 2), note(63, 3, 1)])).toThrow(/note 2:/);
    expect(s.notes).toHaveLength(1);
  });
});
