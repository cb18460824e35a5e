/**
 * Look-ahead playback: every tick sends the events of the next `lookAhead` seconds to the output
 * with their exact times, so timing does not depend on when timers fire. The output's clock is
 * the only clock (an AudioContext's currentTime for the built-in synth), which makes this testable
 * with a fake output and plain numbers.
 */
import type { Note } from '@shared/music/types';
import { notesToEvents, secondsToQuarters, type SynthEvent } from './events';

export interface NoteOutput {
  /** The output's clock, in seconds. */
  now(): number;
  noteOn(channel: number, pitch: number, velocity: number, time: number): void;
  noteOff(channel: number, pitch: number, time: number): void;
  /** Silences everything now (stop, panic). */
  allNotesOff(): void;
}

export interface PlayOptions {
  qpm: number;
  /** Where to start, in quarters. */
  from: number;
  /** Loop this span (quarters) until stopped. */
  loop?: { start: number; end: number } | null;
  /** Metronome clicks (GM percussion on channel 10), merged with the notes. */
  clicks?: readonly Note[];
}

/** GM percussion: high wood block on the downbeat, low wood block on the other beats. */
export function metronomeClicks(until: number, beatQuarters: number, barQuarters: number): Note[] {
  const clicks: Note[] = [];
  for (let t = 0; t < until - 1e-9; t += beatQuarters) {
    const downbeat = Math.abs(t / barQuarters - Math.round(t / barQuarters)) < 1e-6;
    clicks.push({ pitch: downbeat ? 76 : 77, start: t, end: t + Math.min(0.1, beatQuarters / 2), velocity: downbeat ? 110 : 80, voice: 0 });
  }
  return clicks;
}

export class Player {
  private events: SynthEvent[] = [];
  private next = 0;
  /** Output time at which `segmentFrom` sounds. */
  private segmentStart = 0;
  private segmentFrom = 0;
  private segmentEnd = Infinity;
  private notes: readonly Note[] = [];
  private options: PlayOptions = { qpm: 120, from: 0 };
  playing = false;

  constructor(
    private readonly output: NoteOutput,
    private readonly lookAhead = 0.15,
    /** Delay before the first note, so that it is not scheduled in the past. */
    private readonly startDelay = 0.05,
  ) {}

  start(notes: readonly Note[], options: PlayOptions): void {
    this.stop();
    this.notes = notes;
    this.options = options;
    this.playing = true;
    this.beginSegment(options.from, this.output.now() + this.startDelay);
    this.tick();
  }

  /** Sends what falls within the look-ahead window; returns false once playback has ended. */
  tick(): boolean {
    if (!this.playing) return false;
    const horizon = this.output.now() + this.lookAhead;
    for (;;) {
      while (this.next < this.events.length && this.segmentStart + this.events[this.next].time <= horizon) {
        const e = this.events[this.next++];
        const time = this.segmentStart + e.time;
        if (e.type === 'on') this.output.noteOn(e.channel, e.pitch, e.velocity, time);
        else this.output.noteOff(e.channel, e.pitch, time);
      }
      const loop = this.options.loop;
      if (this.next < this.events.length || !loop) break;
      // Loop: the next pass starts where this one ends.
      const passEnd = this.segmentStart + this.seconds(this.segmentEnd - this.segmentFrom);
      if (passEnd > horizon) break;
      this.beginSegment(loop.start, passEnd);
    }
    if (!this.options.loop && this.next >= this.events.length && this.output.now() > this.segmentStart + (this.events.at(-1)?.time ?? 0)) {
      this.playing = false;
    }
    return this.playing;
  }

  /** The playhead in quarters. */
  position(): number {
    const q = this.segmentFrom + secondsToQuarters(Math.max(0, this.output.now() - this.segmentStart), this.options.qpm);
    return Math.min(q, this.segmentEnd === Infinity ? q : this.segmentEnd);
  }

  stop(): void {
    if (this.playing) this.output.allNotesOff();
    this.playing = false;
    this.events = [];
    this.next = 0;
  }

  private seconds(quarters: number): number {
    return (quarters * 60) / this.options.qpm;
  }

  private beginSegment(from: number, at: number): void {
    const loop = this.options.loop;
    const end = loop ? loop.end : Infinity;
    const clip = (list: readonly Note[]) => (loop ? list.filter((n) => n.start < end).map((n) => (n.end > end ? { ...n, end } : n)) : list);
    this.events = notesToEvents(clip(this.notes), this.options.qpm, from);
    if (this.options.clicks?.length) {
      const clicks = notesToEvents(clip(this.options.clicks), this.options.qpm, from, 9);
      this.events = [...this.events, ...clicks].sort((a, b) => a.time - b.time || (a.type === b.type ? 0 : a.type === 'off' ? -1 : 1));
    }
    this.next = 0;
    this.segmentFrom = from;
    this.segmentEnd = end;
    this.segmentStart = at;
  }
}
