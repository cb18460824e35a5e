import { describe, expect, it } from 'vitest';
import type { Note } from '../music/types';
import { Transport, listSource, metronomeClicks, type TransportEvent } from './transport';

const note = (pitch: number, start: number, end: number): Note => ({ pitch, start, end, velocity: 90, voice: 0 });

/** Drives a transport with a fake time: fills the look-ahead and drains everything due by `until`. */
function drive(t: Transport, now: number, until = t.horizonMs(now)): string[] {
  t.fill(t.horizonMs(now));
  const out: string[] = [];
  let e: TransportEvent | undefined;
  while ((e = t.next(until))) out.push(`${e.kind}${e.click ? ' click' : ''} ${e.pitch} @${Math.round(t.msOf(e.tau))}`);
  return out;
}

describe('Transport', () => {
  it('times notes from one anchor at the tempo, preroll first', () => {
    const t = new Transport({ qpm: 120, lookAheadMs: 100, prerollMs: 5 });
    t.load(listSource([note(60, 0, 1), note(62, 1, 2)]));
    t.play(1000);
    expect(drive(t, 1000)).toEqual(['on 60 @1005']);
    expect(drive(t, 1450)).toEqual(['off 60 @1505', 'on 62 @1505']);
    expect(t.position(1255)).toBeCloseTo(0.5, 9);
    expect(t.position(1003)).toBe(0); // still in preroll
    expect(t.isOver(2004)).toBe(false);
    expect(drive(t, 2000)).toEqual(['off 62 @2005']);
    expect(t.isOver(2004)).toBe(false);
    expect(t.isOver(2005)).toBe(true);
  });

  it('drains only what falls in the window it is asked for', () => {
    const t = new Transport({ lookAheadMs: 600, prerollMs: 0 });
    t.load(listSource([note(60, 0, 1), note(62, 1, 2)]));
    t.play(0);
    t.fill(t.horizonMs(0));
    expect(t.next(0)?.kind).toBe('on');
    expect(t.next(0)).toBeUndefined();
    expect(t.nextMs()).toBe(500);
  });

  it('chases a note already sounding where Play starts: it sounds from there for the rest of its length', () => {
    const t = new Transport({ qpm: 60, lookAheadMs: 10_000, prerollMs: 0 });
    t.load(listSource([note(55, 0, 4), note(60, 0, 1), note(62, 1, 2)]));
    t.play(0, 1.5);
    expect(drive(t, 0)).toEqual(['on 55 @0', 'on 62 @0', 'off 62 @500', 'off 55 @2500']);
  });

  it('chases at a seek and at every return of a loop, cut at the loop end', () => {
    const t = new Transport({ qpm: 60, lookAheadMs: 3600, prerollMs: 0 });
    // 50 is tied into the loop (starts before it); 52 starts in the loop and runs past its end.
    t.load(listSource([note(50, 0, 2), note(52, 1.5, 4)]));
    t.setLoop({ start: 1, end: 2 });
    t.play(0, 1);
    expect(drive(t, 0)).toEqual([
      'on 50 @0', 'on 52 @500', 'off 50 @1000', 'off 52 @1000',
      'on 50 @1000', 'on 52 @1500', 'off 50 @2000', 'off 52 @2000',
      'on 50 @2000', 'on 52 @2500', 'off 50 @3000', 'off 52 @3000',
      'on 50 @3000', 'on 52 @3500',
    ]);
    t.seek(3600, 1.75);
    expect(drive(t, 3600).slice(0, 2)).toEqual(['on 50 @3600', 'on 52 @3600']);
  });

  it('does not chase a note that ends exactly at the start point', () => {
    const t = new Transport({ qpm: 60, lookAheadMs: 5000, prerollMs: 0 });
    t.load(listSource([note(60, 0, 1), note(62, 1, 2)]));
    t.play(0, 1);
    expect(drive(t, 0)).toEqual(['on 62 @0', 'off 62 @1000']);
  });

  it('reports the playhead through loop wraps, and keeps it where it stopped', () => {
    const t = new Transport({ qpm: 120, prerollMs: 0 });
    t.load(listSource([note(60, 0, 8)]));
    t.setLoop({ start: 1, end: 3 });
    t.play(0);
    drive(t, 0);
    expect(t.position(500)).toBeCloseTo(1);
    for (let now = 0; now <= 1750; now += 25) drive(t, now);
    expect(t.position(1750)).toBeCloseTo(1.5); // beat 3.5 unrolled
    t.stop(1750);
    expect(t.playing).toBe(false);
    expect(t.position(99_999)).toBeCloseTo(1.5);
  });

  it('a copy that pulls nothing predicts the same playhead, and adopts the timeline it is sent', () => {
    const real = new Transport({ qpm: 120, prerollMs: 0 });
    const copy = new Transport({ qpm: 120, prerollMs: 0 });
    real.load(listSource([note(60, 0, 8)]));
    for (const t of [real, copy]) {
      t.setLoop({ start: 1, end: 3 });
      t.play(0, 0.5);
    }
    for (let now = 0; now <= 3000; now += 25) {
      drive(real, now);
      expect(copy.position(now)).toBeCloseTo(real.position(now), 9);
    }
    // A late note moved the real timeline: the copy follows once told.
    real.appended([], 3000);
    const moved = real.timeline();
    moved.anchorMs += 40;
    copy.adopt(moved, 0);
    expect(copy.position(3100)).toBeCloseTo(real.position(3060), 9);
  });

  it('re-times what is queued when the tempo changes, from now', () => {
    const t = new Transport({ qpm: 120, lookAheadMs: 10_000, prerollMs: 0 });
    t.load(listSource([note(60, 0, 1), note(62, 1, 2), note(64, 2, 3)]));
    t.play(0);
    t.fill(t.horizonMs(0));
    const ons: number[] = [];
    let e: TransportEvent | undefined;
    while ((e = t.next(750))) if (e.kind === 'on') ons.push(t.msOf(e.tau));
    t.setTempo(750, 60); // at beat 1.5
    while ((e = t.next(1e9))) if (e.kind === 'on') ons.push(t.msOf(e.tau));
    expect(ons).toEqual([0, 500, 1250]);
    expect(t.setTempo(0, -1)).toBe(false);
  });

  it('a late note of a growing take sounds at once and moves the rest later', () => {
    const t = new Transport({ qpm: 120, lookAheadMs: 100, prerollMs: 5 });
    const notes: Note[] = [note(60, 0, 0.5)];
    const source = { notes, finished: false, endBeat: 0.5 };
    t.load(source);
    t.play(0);
    drive(t, 0);
    drive(t, 400); // pulled to beat ~1, past where the next note will be
    const late = note(62, 0.5, 1);
    notes.push(late);
    t.appended([late], 400);
    expect(t.lateNotes).toBe(1);
    expect(drive(t, 400, 1e9)).toContain('on 62 @405');
  });

  it('merges metronome clicks (not chased), accented on the downbeat', () => {
    expect(metronomeClicks(6, 1.5, 3).map((c) => [c.start, c.pitch])).toEqual([[0, 76], [1.5, 77], [3, 76], [4.5, 77]]);
    const t = new Transport({ qpm: 60, lookAheadMs: 10_000, prerollMs: 0 });
    t.load(listSource([note(60, 0, 2)]));
    t.setMetronome(metronomeClicks(2, 1, 4));
    t.play(0, 0.05); // inside the first click: it is not heard late
    expect(drive(t, 0).filter((s) => s.startsWith('on'))).toEqual(['on 60 @0', 'on click 77 @950']);
  });

  it('ends a finished piece after its final rest, and never while looping', () => {
    const t = new Transport({ qpm: 120, lookAheadMs: 10_000, prerollMs: 0 });
    t.load(listSource([note(60, 0, 1)], 2));
    t.play(0);
    drive(t, 0);
    expect(t.pulledToEnd).toBe(true);
    expect(t.isOver(999)).toBe(false);
    expect(t.isOver(1000)).toBe(true);
    t.setLoop({ start: 0, end: 1 });
    t.seek(0, 0);
    drive(t, 5000);
    expect(t.isOver(5000)).toBe(false);
  });
});
