import { describe, expect, it } from 'vitest';
import { metronomeClicks } from '@shared/transport/transport';
import { Player, type NoteOutput } from './player';
import { notesToEvents } from './events';

class FakeOutput implements NoteOutput {
  t = 0;
  sent: string[] = [];
  now = () => this.t;
  noteOn = (c: number, p: number, _v: number, time: number) => void this.sent.push(`on ${c === 9 ? 'click ' : ''}${p} @${time.toFixed(2)}`);
  noteOff = (_c: number, p: number, time: number) => void this.sent.push(`off ${p} @${time.toFixed(2)}`);
  allNotesOff = () => void this.sent.push('all off');
}

const notes = [
  { pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 },
  { pitch: 62, start: 1, end: 2, velocity: 90, voice: 0 },
];

describe('look-ahead player', () => {
  it('sends only what falls in the look-ahead window, at exact times', () => {
    const out = new FakeOutput();
    const p = new Player(out, 0.2, 0);
    p.start(notes, { qpm: 120, from: 0 });
    expect(out.sent).toEqual(['on 60 @0.00']);
    out.t = 0.35;
    p.tick();
    expect(out.sent).toEqual(['on 60 @0.00', 'off 60 @0.50', 'on 62 @0.50']);
    expect(p.position()).toBeCloseTo(0.7, 9);
    out.t = 1.1;
    expect(p.tick()).toBe(false); // the last note-off has been sent and its time has passed
    expect(out.sent.at(-1)).toBe('off 62 @1.00');
  });

  it('starts from a position and stops with all notes off', () => {
    const out = new FakeOutput();
    const p = new Player(out, 10, 0);
    p.start(notes, { qpm: 60, from: 1.5 });
    expect(out.sent).toEqual(['on 62 @0.00', 'off 62 @0.50']);
    p.stop();
    expect(out.sent.at(-1)).toBe('all off');
    expect(p.playing).toBe(false);
  });

  it('loops a span, seamlessly', () => {
    const out = new FakeOutput();
    const p = new Player(out, 0.1, 0);
    p.start(notes, { qpm: 120, from: 0, loop: { start: 0, end: 1.5 } });
    for (let t = 0; t <= 1.7; t += 0.05) {
      out.t = t;
      p.tick();
    }
    // pass 1: 60 at 0, 62 at 0.5 cut at 0.75 (loop end); pass 2 begins at 0.75, pass 3 at 1.5
    expect(out.sent).toEqual(['on 60 @0.00', 'off 60 @0.50', 'on 62 @0.50', 'off 62 @0.75', 'on 60 @0.75', 'off 60 @1.25', 'on 62 @1.25', 'off 62 @1.50', 'on 60 @1.50']);
    out.t = 1.6;
    expect(p.position()).toBeCloseTo(0.2, 9);
  });

  it('adds metronome clicks on channel 10: accented downbeats, every beat of a 6/8 bar', () => {
    const clicks = metronomeClicks(6, 1.5, 3);
    expect(clicks.map((c) => [c.start, c.pitch])).toEqual([[0, 76], [1.5, 77], [3, 76], [4.5, 77]]);
    const out = new FakeOutput();
    const p = new Player(out, 10, 0);
    p.start(notes, { qpm: 60, from: 0, clicks: metronomeClicks(2, 1, 4) });
    expect(out.sent.filter((s) => s.startsWith('on'))).toEqual(['on 60 @0.00', 'on click 76 @0.00', 'on 62 @1.00', 'on click 77 @1.00']);
  });

  it('from the top, sends the same events at the same times as the .wav render (notesToEvents)', () => {
    const tune = Array.from({ length: 40 }, (_, i) => ({ pitch: 60 + ((i * 7) % 12), start: i * 0.5, end: i * 0.5 + (i % 3 === 0 ? 1.25 : 0.5), velocity: 80, voice: 0 }));
    const out = new FakeOutput();
    const p = new Player(out, 0.1, 0);
    p.start(tune, { qpm: 100, from: 0 });
    for (let t = 0; t <= 13; t += 0.025) {
      out.t = t;
      p.tick();
    }
    const key = (type: string, pitch: number, time: number) => `${type} ${pitch} @${time.toFixed(6)}`;
    const render = notesToEvents(tune, 100).map((e) => key(e.type, e.pitch, e.time));
    const live: string[] = [];
    out.sent.forEach((s) => {
      const m = s.match(/^(on|off) (\d+) @/);
      if (m) live.push(s);
    });
    expect(live).toHaveLength(render.length);
    const exact = new FakeOutput();
    const q = new Player({ ...exact, noteOn: (_c, pitch, _v, time) => void exact.sent.push(key('on', pitch, time)), noteOff: (_c, pitch, time) => void exact.sent.push(key('off', pitch, time)) }, 100, 0);
    q.start(tune, { qpm: 100, from: 0 });
    expect([...exact.sent].sort()).toEqual([...render].sort());
  });
});
