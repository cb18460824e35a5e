/**
 * Look-ahead playback to the built-in synth: a thin adapter over the transport core
 * (shared/transport, the same clock model, loop, note chase and metronome as the studio's MIDI
 * scheduler). Every tick sends the events of the next `lookAhead` seconds to the output with their
 * exact times, so timing does not depend on when timers fire. The output's clock is the only
 * clock (an AudioContext's currentTime for the built-in synth), which makes this testable with a
 * fake output and plain numbers.
 */
import type { Note } from '@shared/music/types';
import { Transport, listSource } from '@shared/transport/transport';

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

/** General MIDI's percussion channel (10 in a synth's display). */
const CLICK_CHANNEL = 9;

export class Player {
  private readonly transport: Transport;
  playing = false;

  constructor(
    private readonly output: NoteOutput,
    /** Seconds. */
    private readonly lookAhead = 0.15,
    /** Delay before the first note, so that it is not scheduled in the past (seconds). */
    startDelay = 0.05,
  ) {
    this.transport = new Transport({ lookAheadMs: lookAhead * 1000, prerollMs: startDelay * 1000 });
  }

  start(notes: readonly Note[], options: PlayOptions): void {
    this.stop();
    const t = this.transport;
    t.load(listSource(notes), options.qpm);
    t.setLoop(options.loop ?? null);
    t.setMetronome(options.clicks ?? null);
    t.play(this.nowMs(), options.from);
    this.playing = true;
    this.tick();
  }

  /** Sends what falls within the look-ahead window; returns false once playback has ended. */
  tick(): boolean {
    if (!this.playing) return false;
    const t = this.transport;
    const now = this.nowMs();
    const horizon = t.horizonMs(now);
    t.fill(horizon);
    for (let e = t.next(horizon); e; e = t.next(horizon)) {
      const time = t.msOf(e.tau) / 1000;
      const channel = e.click ? CLICK_CHANNEL : 0;
      if (e.kind === 'on') this.output.noteOn(channel, e.pitch, e.velocity, time);
      else this.output.noteOff(channel, e.pitch, time);
    }
    if (t.isOver(now)) {
      t.finish();
      this.playing = false;
    }
    return this.playing;
  }

  /** The playhead in quarters. */
  position(): number {
    return this.transport.position(this.nowMs());
  }

  stop(): void {
    if (this.playing) this.output.allNotesOff();
    this.playing = false;
    this.transport.halt();
  }

  private nowMs(): number {
    return this.output.now() * 1000;
  }
}
