/**
 * The playback scheduler: plays a NoteSequence, or a NoteStream that is still growing, to an
 * OutputBus. A thin adapter over the transport core (shared/transport): the core keeps the clock
 * model, the loop, the note chase and the look-ahead queue; this file wakes on the Clock and sends.
 *
 * Two layers, as in the classic "look-ahead" design: every `intervalMs` a tick pulls the notes
 * due within `lookAheadMs` into the core's queue; a dispatcher then sends each queued message at
 * its time with Clock.at.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import { Transport, type LoopRegion, type TransportTimeline } from '@shared/transport/transport';
import type { Cancel, Clock } from './clock';
import { programChange } from './bytes';
import type { OutputBus, Voice } from './output';
import { Listeners } from './port';
import { NoteStream } from './stream';

/** General MIDI's percussion channel (10 in a synth's display): the metronome's clicks. */
const CLICK_CHANNEL = 9;

export interface SchedulerOptions {
  clock: Clock;
  bus: OutputBus;
  /** MIDI channel 0-15 (channel 1 in a synth's display is 0 here). */
  channel?: number;
  /** General MIDI program 0-127 sent on play; undefined leaves the synth's sound alone. */
  program?: number;
  qpm?: number;
  lookAheadMs?: number;
  intervalMs?: number;
  /** Silence before the first note after play/seek, so it is not already late. */
  prerollMs?: number;
  /** Name of the voice on the bus (panic and release are per voice). */
  voiceName?: string;
}

export interface SentEvent {
  kind: 'on' | 'off';
  pitch: number;
  velocity: number;
  /** When the message was meant to leave (sound time minus the output's latency offset). */
  targetMs: number;
  sentMs: number;
  /** Position in the piece, quarter notes. */
  beat: number;
}

export type SchedulerEnd = 'finished' | 'stopped';

export class Scheduler {
  private readonly clock: Clock;
  private readonly bus: OutputBus;
  private readonly voice: Voice;
  private readonly transport: Transport;
  readonly intervalMs: number;
  channel: number;
  program: number | undefined;

  private unsubscribe: Cancel[] = [];
  /** Key (pitch, or 128 + pitch for a click) -> the note that owns it now, and the channel its note-on went to. */
  private tokens = new Map<number, { token: number; channel: number }>();
  private cancelTick: Cancel | undefined;
  private cancelDispatch: Cancel | undefined;

  private readonly sentListeners = new Listeners<[SentEvent]>();
  private readonly endListeners = new Listeners<[SchedulerEnd]>();

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.bus = options.bus;
    this.voice = options.bus.voice(options.voiceName ?? 'playback');
    this.channel = options.channel ?? 0;
    this.program = options.program;
    this.transport = new Transport({ qpm: options.qpm, lookAheadMs: options.lookAheadMs, prerollMs: options.prerollMs });
    this.intervalMs = options.intervalMs ?? 25;
  }

  get lookAheadMs(): number {
    return this.transport.lookAheadMs;
  }
  get prerollMs(): number {
    return this.transport.prerollMs;
  }
  /** Notes that arrived after their time and were played as soon as they came. */
  get lateNotes(): number {
    return this.transport.lateNotes;
  }

  /** Loads a finished sequence (its first tempo becomes the playback tempo) or a growing stream. */
  load(music: NoteSequence | NoteStream): void {
    if (this.transport.playing) this.halt();
    for (const u of this.unsubscribe) u();
    const source = music instanceof NoteStream ? music : NoteStream.fromSequence(music);
    this.transport.load(source, music instanceof NoteStream ? undefined : music.tempos[0]?.qpm);
    this.unsubscribe = [source.onAppend((notes) => this.onAppend(notes)), source.onEnd(() => this.transport.playing && this.pump())];
  }

  get isPlaying(): boolean {
    return this.transport.playing;
  }
  get qpm(): number {
    return this.transport.qpm;
  }

  play(fromBeat?: number): void {
    if (!this.transport.play(this.clock.now(), fromBeat, this.bus.latencyMs)) return;
    this.tokens.clear();
    if (this.program !== undefined) this.bus.send(programChange(this.channel, this.program));
    this.tick();
  }

  /** Stops and silences this scheduler's notes; the playhead stays where it stopped. */
  stop(): void {
    if (!this.transport.stop(this.clock.now())) return;
    this.halt();
    this.endListeners.emit('stopped');
  }

  /** Jumps to `beat`; while playing, sounding notes are released first. */
  seek(beat: number): void {
    if (!this.transport.playing) {
      this.transport.seek(this.clock.now(), beat);
      return;
    }
    this.halt();
    this.play(Math.max(0, beat));
  }

  setTempo(qpm: number): void {
    if (this.transport.setTempo(this.clock.now(), qpm) && this.transport.playing) this.pump();
  }

  /** Loops [start, end) in quarter notes; null to play through. Applies from the next pull. */
  setLoop(region: LoopRegion | null): void {
    this.transport.setLoop(region);
  }

  /** Metronome clicks (shared/transport's metronomeClicks) sent on the GM percussion channel; null for none. */
  setMetronome(clicks: readonly Note[] | null): void {
    this.transport.setMetronome(clicks);
  }

  /** Sends the program change again (after the output changed). */
  sendProgram(): void {
    if (this.program !== undefined) this.bus.send(programChange(this.channel, this.program));
  }

  /** The song position now sounding, in quarter notes. */
  position(): number {
    return this.transport.position(this.clock.now());
  }

  /** The timeline (for the playback thread's report to the studio's thread). */
  timeline(): TransportTimeline {
    return this.transport.timeline();
  }

  onSent(listener: (e: SentEvent) => void): Cancel {
    return this.sentListeners.add(listener);
  }
  onEnd(listener: (why: SchedulerEnd) => void): Cancel {
    return this.endListeners.add(listener);
  }

  dispose(): void {
    this.halt();
    for (const u of this.unsubscribe) u();
    this.voice.dispose();
    this.sentListeners.clear();
    this.endListeners.clear();
  }

  // --- internals ---

  private halt(): void {
    this.cancelTick?.();
    this.cancelDispatch?.();
    this.cancelTick = this.cancelDispatch = undefined;
    this.tokens.clear();
    this.transport.halt();
    this.voice.release();
  }

  private tick = (): void => {
    this.cancelTick = undefined;
    if (!this.transport.playing) return;
    this.pump();
    if (!this.transport.playing) return;
    // The tick only refills the queue; the dispatcher does the precise waiting.
    const next = this.clock.now() + this.intervalMs;
    this.cancelTick = this.clock.around ? this.clock.around(next, this.tick) : this.clock.at(next, this.tick);
  };

  /** Pulls what is due within the look-ahead, sends what is due now, and re-arms the dispatcher. */
  private pump(): void {
    this.transport.fill(this.transport.horizonMs(this.clock.now(), this.bus.latencyMs));
    this.dispatch();
  }

  /** Notes that arrive behind the pull cursor are late: the core plays them now and lets the music wait. */
  private onAppend(notes: Note[]): void {
    if (!this.transport.playing) return;
    this.transport.appended(notes, this.clock.now(), this.bus.latencyMs);
    this.pump();
  }

  private dispatch(): void {
    this.cancelDispatch?.();
    this.cancelDispatch = undefined;
    const t = this.transport;
    const now = this.clock.now();
    const lead = this.bus.latencyMs;
    for (let e = t.next(now + lead); e; e = t.next(now + lead)) {
      const targetMs = t.msOf(e.tau) - lead;
      const channel = e.click ? CLICK_CHANNEL : this.channel;
      const key = e.click ? 128 + e.pitch : e.pitch;
      if (e.kind === 'on') {
        // One key cannot sound twice on a synth: retrigger instead of stacking.
        const owner = this.tokens.get(key);
        if (owner && this.voice.isSounding(owner.channel, e.pitch)) this.voice.noteOff(owner.channel, e.pitch, targetMs);
        this.tokens.set(key, { token: e.token, channel });
        this.voice.noteOn(channel, e.pitch, e.velocity, targetMs);
      } else {
        const owner = this.tokens.get(key);
        if (owner?.token !== e.token) continue; // a later note on this key owns it now
        this.tokens.delete(key);
        // The note-off goes where the note-on went, even if the channel was changed in between.
        this.voice.noteOff(owner.channel, e.pitch, targetMs);
      }
      if (!e.click) this.sentListeners.emit({ kind: e.kind, pitch: e.pitch, velocity: e.velocity, targetMs, sentMs: this.clock.now(), beat: e.beat });
    }
    if (!t.playing) return; // a listener stopped it
    const at = t.nextMs();
    if (at !== undefined) {
      this.cancelDispatch = this.clock.at(at - lead, () => {
        this.cancelDispatch = undefined;
        if (this.transport.playing) this.dispatch();
      });
      return;
    }
    if (t.isOver(now)) {
      this.halt();
      this.transport.finish();
      this.endListeners.emit('finished');
    } else if (t.pulledToEnd) {
      // Wait out the final rest (totalTime past the last note) before saying we are done.
      this.cancelDispatch = this.clock.at(t.endMs, () => this.transport.playing && this.dispatch());
    }
  }
}
