import { describe, expect, it } from 'vitest';
import { tempoWarp } from './tempo-map';

describe('tempoWarp', () => {
  it('is the identity for one tempo', () => {
    const w = tempoWarp([{ time: 0, qpm: 96 }]);
    expect([w.qpm, w.changes, w.toPlayed(7.5), w.toWritten(7.5)]).toEqual([96, false, 7.5, 7.5]);
  });

  it('moves notes after a slowing to where the first tempo would play them, and the playhead back', () => {
    // 4 quarters at 120, then 60: the 6th quarter sounds 2 + 2*... seconds in.
    const w = tempoWarp([{ time: 0, qpm: 120 }, { time: 4, qpm: 60 }, { time: 8, qpm: 240 }]);
    expect(w.changes).toBe(true);
    expect(w.toPlayed(2)).toBe(2);
    expect(w.toPlayed(6)).toBe(4 + 2 * 2); // 2 quarters at half speed take 4 quarters of the first tempo
    expect(w.toPlayed(10)).toBe(4 + 8 + 1); // then twice as fast
    for (const q of [0, 1, 4, 5.5, 8, 9.25, 100]) expect(w.toWritten(w.toPlayed(q))).toBeCloseTo(q, 9);
  });

  it('a change at time 0 sets the first tempo; unsorted and broken entries are tolerated', () => {
    const w = tempoWarp([{ time: 4, qpm: 60 }, { time: 0, qpm: 120 }, { time: 2, qpm: -5 }]);
    expect(w.toPlayed(5)).toBe(6);
    expect(tempoWarp([], 90).qpm).toBe(90);
  });
});
