/**
 * The playback scheduler: plays a NoteSequence, or a NoteStream that is still growing, to an
 * OutputBus.
 *
 * Two layers, as in the classic "look-ahead" design: every `intervalMs` a tick pulls the notes
 * due within `lookAheadMs` into a small queue (converting quarter notes to ms, unrolling the
 * loop); a dispatcher then sends each queued message at its time with Clock.at. The queue holds
 * beats, not ms, so a tempo change re-times what is queued; ms come from one anchor
 * (anchorMs + beats * msPerBeat), never from summed deltas, so ten minutes of music do not drift.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import type { Cancel, Clock } from './clock';
import { programChange } from './bytes';
import type { OutputBus, Voice } from './output';
import { Listeners } from './port';
import { NoteStream } from './stream';

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

interface Queued {
  tau: number;
  kind: 'on' | 'off';
  pitch: number;
  velocity: number;
  token: number;
  beat: number;
  seq: number;
}

export type SchedulerEnd = 'finished' | 'stopped';

export class Scheduler {
  private readonly clock: Clock;
  private readonly bus: OutputBus;
  private readonly voice: Voice;
  readonly lookAheadMs: number;
  readonly intervalMs: number;
  readonly prerollMs: number;
  channel: number;
  program: number | undefined;

  private source: NoteStream = NoteStream.fromSequence({ notes: [], tempos: [], timeSignatures: [], keySignatures: [], totalTime: 0 });
  private unsubscribe: Cancel[] = [];
  private msPerBeat: number;
  private loopRegion: { start: number; end: number } | null = null;
  private startBeat = 0;

  private playing = false;
  private anchorMs = 0;
  private anchorTau = 0;
  /** How far notes have been pulled: timeline beats (tau, monotonic since play) and song beats. */
  private cursorTau = 0;
  private cursorSong = 0;
  /** Where the timeline jumped (loop wraps), to map tau back to a song position. */
  private breakpoints: { tau: number; song: number }[] = [];
  private queue: Queued[] = [];
  private seq = 0;
  /** pitch -> the note that owns the key now, and the channel its note-on went to. */
  private tokens = new Map<number, { token: number; channel: number }>();
  private cancelTick: Cancel | undefined;
  private cancelDispatch: Cancel | undefined;

  private readonly sentListeners = new Listeners<[SentEvent]>();
  private readonly endListeners = new Listeners<[SchedulerEnd]>();
  /** Notes that arrived after their time and were played as soon as they came. */
  lateNotes = 0;

  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.bus = options.bus;
    this.voice = options.bus.voice(options.voiceName ?? 'playback');
    this.channel = options.channel ?? 0;
    this.program = options.program;
    this.msPerBeat = 60000 / (options.qpm ?? 120);
    this.lookAheadMs = options.lookAheadMs ?? 100;
    this.intervalMs = options.intervalMs ?? 25;
    this.prerollMs = options.prerollMs ?? 5;
  }

  /** Loads a finished sequence (its first tempo becomes the playback tempo) or a growing stream. */
  load(music: NoteSequence | NoteStream): void {
    const wasPlaying = this.playing;
    if (wasPlaying) this.halt();
    for (const u of this.unsubscribe) u();
    if (music instanceof NoteStream) {
      this.source = music;
    } else {
      this.source = NoteStream.fromSequence(music);
      const qpm = music.tempos[0]?.qpm;
      if (qpm && Number.isFinite(qpm) && qpm > 0) this.msPerBeat = 60000 / qpm;
    }
    this.unsubscribe = [this.source.onAppend((notes) => this.onAppend(notes)), this.source.onEnd(() => this.playing && this.pump())];
    this.startBeat = 0;
  }

  get isPlaying(): boolean {
    return this.playing;
  }
  get qpm(): number {
    return 60000 / this.msPerBeat;
  }

  play(fromBeat?: number): void {
    if (fromBeat !== undefined) this.startBeat = Math.max(0, fromBeat);
    if (this.playing) return;
    const now = this.clock.now();
    this.playing = true;
    this.anchorMs = now + this.prerollMs + Math.max(0, this.bus.latencyMs);
    this.anchorTau = 0;
    this.cursorTau = 0;
    this.cursorSong = this.startBeat;
    this.breakpoints = [{ tau: 0, song: this.startBeat }];
    this.queue = [];
    this.tokens.clear();
    if (this.program !== undefined) this.bus.send(programChange(this.channel, this.program));
    this.tick();
  }

  /** Stops and silences this scheduler's notes; the playhead stays where it stopped. */
  stop(): void {
    if (!this.playing) return;
    this.startBeat = this.position();
    this.halt();
    this.endListeners.emit('stopped');
  }

  /** Jumps to `beat`; while playing, sounding notes are released first. */
  seek(beat: number): void {
    const target = Math.max(0, beat);
    if (!this.playing) {
      this.startBeat = target;
      return;
    }
    this.halt();
    this.play(target);
  }

  setTempo(qpm: number): void {
    if (!Number.isFinite(qpm) || qpm <= 0) return;
    if (this.playing) {
      const now = this.clock.now();
      this.anchorTau = this.tauAt(now);
      this.anchorMs = Math.max(now, this.anchorMs);
      if (this.anchorTau < 0) this.anchorTau = 0; // still in preroll: keep the first note where it was
    }
    this.msPerBeat = 60000 / qpm;
    if (this.playing) this.pump();
  }

  /** Loops [start, end) in quarter notes; null to play through. Applies from the next pull. */
  setLoop(region: { start: number; end: number } | null): void {
    this.loopRegion = region && region.end > region.start && region.start >= 0 ? { ...region } : null;
  }

  /** Sends the program change again (after the output changed). */
  sendProgram(): void {
    if (this.program !== undefined) this.bus.send(programChange(this.channel, this.program));
  }

  /** The song position now sounding, in quarter notes. */
  position(): number {
    if (!this.playing) return this.startBeat;
    const tau = Math.max(0, this.tauAt(this.clock.now()));
    let bp = this.breakpoints[0];
    for (const b of this.breakpoints) if (b.tau <= tau) bp = b;
    return bp.song + (tau - bp.tau);
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

  private msOf(tau: number): number {
    return this.anchorMs + (tau - this.anchorTau) * this.msPerBeat;
  }
  private tauAt(ms: number): number {
    return this.anchorTau + (ms - this.anchorMs) / this.msPerBeat;
  }
  private sendTime(tau: number): number {
    return this.msOf(tau) - this.bus.latencyMs;
  }

  private halt(): void {
    this.cancelTick?.();
    this.cancelDispatch?.();
    this.cancelTick = this.cancelDispatch = undefined;
    this.queue = [];
    this.tokens.clear();
    this.playing = false;
    this.voice.release();
  }

  private tick = (): void => {
    this.cancelTick = undefined;
    if (!this.playing) return;
    this.pump();
    if (!this.playing) return;
    // The tick only refills the queue; the dispatcher does the precise waiting.
    const next = this.clock.now() + this.intervalMs;
    this.cancelTick = this.clock.around ? this.clock.around(next, this.tick) : this.clock.at(next, this.tick);
  };

  /** Pulls what is due within the look-ahead, sends what is due now, and re-arms the dispatcher. */
  private pump(): void {
    const now = this.clock.now();
    this.pull(this.tauAt(now + this.lookAheadMs + this.bus.latencyMs));
    this.dispatch();
  }

  private enqueue(e: Omit<Queued, 'seq'>): void {
    const item = { ...e, seq: this.seq++ };
    const before = (a: Queued, b: Queued) => a.tau < b.tau || (a.tau === b.tau && (a.kind === 'off' && b.kind === 'on' ? true : a.kind === b.kind && a.seq < b.seq));
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.queue[mid], item)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  private schedule(n: Note, tauOn: number, tauOff: number): void {
    const token = this.seq;
    this.enqueue({ tau: tauOn, kind: 'on', pitch: n.pitch, velocity: n.velocity, token, beat: n.start });
    this.enqueue({ tau: Math.max(tauOff, tauOn), kind: 'off', pitch: n.pitch, velocity: 0, token, beat: n.end });
  }

  private pull(tauHorizon: number): void {
    const notes = this.source.notes;
    let guard = 0;
    while (this.cursorTau < tauHorizon && guard++ < 10000) {
      const loop = this.loopRegion && this.cursorSong < this.loopRegion.end ? this.loopRegion : null;
      const segEnd = loop ? loop.end : this.source.finished ? this.source.endBeat : Infinity;
      if (this.cursorSong >= segEnd) break; // the end of a finished piece
      const take = Math.min(tauHorizon - this.cursorTau, segEnd - this.cursorSong);
      const from = this.cursorSong;
      const to = from + take;
      for (let i = lowerBound(notes, from); i < notes.length && notes[i].start < to; i++) {
        const n = notes[i];
        const end = loop ? Math.min(n.end, loop.end) : n.end;
        this.schedule(n, this.cursorTau + (n.start - from), this.cursorTau + (end - from));
      }
      this.cursorSong = to;
      this.cursorTau += take;
      if (loop && this.cursorSong >= loop.end) {
        this.cursorSong = loop.start;
        this.breakpoints.push({ tau: this.cursorTau, song: loop.start });
        if (this.breakpoints.length > 64) this.breakpoints.splice(1, this.breakpoints.length - 32);
      }
    }
  }

  /** Notes that arrive behind the pull cursor are late: play them now and let the music wait. */
  private onAppend(notes: Note[]): void {
    if (!this.playing) return;
    const now = this.clock.now();
    const last = this.breakpoints[this.breakpoints.length - 1];
    for (const n of notes) {
      if (n.start >= this.cursorSong || n.start < last.song) continue;
      const tauOn = last.tau + (n.start - last.song);
      // Shift the whole timeline later so the late note sounds now and the rhythm after it holds,
      // like a player waiting for the page to turn.
      const shift = now + this.prerollMs - this.sendTime(tauOn);
      if (shift > 0) {
        this.lateNotes++;
        this.anchorMs += shift;
      }
      this.schedule(n, tauOn, tauOn + (n.end - n.start));
    }
    this.pump();
  }

  private dispatch(): void {
    this.cancelDispatch?.();
    this.cancelDispatch = undefined;
    const now = this.clock.now();
    while (this.queue.length && this.sendTime(this.queue[0].tau) <= now + 1e-6) {
      const e = this.queue.shift()!;
      const targetMs = this.sendTime(e.tau);
      if (e.kind === 'on') {
        // One key cannot sound twice on a synth: retrigger instead of stacking.
        const owner = this.tokens.get(e.pitch);
        if (owner && this.voice.isSounding(owner.channel, e.pitch)) this.voice.noteOff(owner.channel, e.pitch, targetMs);
        this.tokens.set(e.pitch, { token: e.token, channel: this.channel });
        this.voice.noteOn(this.channel, e.pitch, e.velocity, targetMs);
      } else {
        const owner = this.tokens.get(e.pitch);
        if (owner?.token !== e.token) continue; // a later note on this key owns it now
        this.tokens.delete(e.pitch);
        // The note-off goes where the note-on went, even if the channel was changed in between.
        this.voice.noteOff(owner.channel, e.pitch, targetMs);
      }
      this.sentListeners.emit({ kind: e.kind, pitch: e.pitch, velocity: e.velocity, targetMs, sentMs: this.clock.now(), beat: e.beat });
    }
    if (this.queue.length) {
      const at = this.sendTime(this.queue[0].tau);
      this.cancelDispatch = this.clock.at(at, () => {
        this.cancelDispatch = undefined;
        if (this.playing) this.dispatch();
      });
      return;
    }
    const finished = this.source.finished && !this.loopRegion && this.cursorSong >= this.source.endBeat;
    if (finished && this.tauAt(now) >= this.cursorTau - 1e-9) {
      this.startBeat = 0;
      this.halt();
      this.endListeners.emit('finished');
    } else if (finished) {
      // Wait out the final rest (totalTime past the last note) before saying we are done.
      this.cancelDispatch = this.clock.at(this.msOf(this.cursorTau), () => this.playing && this.dispatch());
    }
  }
}

function lowerBound(notes: readonly Note[], start: number): number {
  let lo = 0;
  let hi = notes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (notes[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
