/**
 * Transport state: playing, the playhead, tempo, loop. Owns the Player and the built-in synth,
 * which is created on the first Play (browsers allow audio only after a gesture).
 */
import type { Note } from '@shared/music/types';
import type { TempoChange } from '@shared/music/types';
import { metronomeClicks } from '@shared/transport/transport';
import { Player, type NoteOutput } from '../synth/player';
import { tempoWarp, type TempoWarp } from './tempo-map';

export type ResumableOutput = NoteOutput & { resume?(): Promise<void> };
export type OutputFactory = () => Promise<ResumableOutput>;

/** Playback by the studio's scheduler, to a hardware output (the window only shows the playhead). */
export interface RemotePlayback {
  play(notes: readonly Note[], qpm: number, from: number, loop: { start: number; end: number } | null, clicks?: readonly Note[]): Promise<{ runId: string } | { error: string }>;
  stop(): Promise<void>;
}

export class PlayerState {
  playing = $state(false);
  /** Playhead in quarters (kept where playback stopped). */
  position = $state(0);
  loop = $state(false);
  metronome = $state(false);
  /** Beat and bar length in quarters, for the metronome (set from the tune's meter). */
  beat = { beat: 1, bar: 4 };
  loopRange = $state<{ start: number; end: number } | null>(null);
  status = $state<'idle' | 'loading' | 'ready' | 'failed'>('idle');
  error = $state<string | null>(null);

  private player: Player | null = null;
  private output: ResumableOutput | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private frame = 0;
  private remoteRun: string | null = null;
  /** Set when a hardware output is chosen: the studio's scheduler plays instead of the window. */
  remote: RemotePlayback | null = null;

  constructor(private readonly createOutput: OutputFactory) {}

  /** The tempo map of what plays now: the players play at its first tempo, notes moved (tempo-map.ts). */
  private warp: TempoWarp | null = null;

  /**
   * Plays `notes` from `from` (quarters). With a tempo map (`tempos`, more than one tempo), the notes,
   * clicks and loop are moved to where they sound at the first tempo, and the playhead is read back.
   */
  async play(notes: readonly Note[], qpm: number, from = this.position, tempos?: readonly TempoChange[]): Promise<void> {
    this.stop();
    const warp = tempos && tempos.length > 1 ? tempoWarp(tempos, qpm) : null;
    this.warp = warp?.changes ? warp : null;
    if (this.warp) {
      const w = this.warp;
      const written = notes;
      notes = written.map((n) => ({ ...n, start: w.toPlayed(n.start), end: w.toPlayed(n.end) }));
      qpm = w.qpm;
      from = w.toPlayed(from);
      if (this.loopRange) this.playedLoop = { start: w.toPlayed(this.loopRange.start), end: w.toPlayed(this.loopRange.end) };
      this.clicksOf = (until) => metronomeClicks(w.toWritten(until), this.beat.beat, this.beat.bar).map((c) => ({ ...c, start: w.toPlayed(c.start), end: w.toPlayed(c.start) + (c.end - c.start) }));
    } else {
      this.playedLoop = this.loopRange;
      this.clicksOf = (until) => metronomeClicks(until, this.beat.beat, this.beat.bar);
    }
    if (this.remote) return this.playRemote(notes, qpm, from);
    const output = await this.ensureOutput();
    if (!output || !this.player) return;
    await output.resume?.();
    const end = notes.reduce((m, n) => Math.max(m, n.end), 0);
    if (from >= end) from = 0;
    const loop = this.loop ? (this.playedLoop ?? { start: 0, end: Math.max(end, 0.25) }) : null;
    const clicks = this.metronome ? this.clicksOf(Math.max(end, loop?.end ?? 0)) : undefined;
    this.player.start(notes, { qpm, from, loop, clicks });
    this.playing = true;
    this.timer = setInterval(() => this.tick(), 25);
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : null;
    const follow = () => {
      if (!this.playing || !this.player) return;
      this.position = this.written(this.player.position());
      if (raf) this.frame = raf(follow);
    };
    follow();
  }

  private async playRemote(notes: readonly Note[], qpm: number, from: number): Promise<void> {
    const end = notes.reduce((m, n) => Math.max(m, n.end), 0);
    if (from >= end) from = 0;
    const loop = this.loop ? (this.playedLoop ?? { start: 0, end: Math.max(end, 0.25) }) : null;
    // The same clicks as the built-in synth's, played by the studio's scheduler on channel 10.
    const clicks = this.metronome ? this.clicksOf(Math.max(end, loop?.end ?? 0)) : undefined;
    const r = await this.remote!.play(notes, qpm, from, loop, clicks);
    if ('error' in r) {
      this.error = r.error;
      return;
    }
    this.error = null;
    this.remoteRun = r.runId;
    this.playing = true;
    this.position = this.written(from);
  }

  private playedLoop: { start: number; end: number } | null = null;
  private clicksOf: (until: number) => Note[] = (until) => metronomeClicks(until, this.beat.beat, this.beat.bar);
  private written(played: number): number {
    return this.warp ? this.warp.toWritten(played) : played;
  }

  /** The studio's playback.state events (remote playback). */
  remoteState(runId: string, playing: boolean, beat: number): void {
    if (runId !== this.remoteRun) return;
    this.position = playing ? this.written(beat) : 0;
    this.playing = playing;
    if (!playing) this.remoteRun = null;
  }

  stop(): void {
    if (this.remoteRun) {
      this.remoteRun = null;
      void this.remote?.stop();
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (typeof cancelAnimationFrame === 'function') cancelAnimationFrame(this.frame);
    if (this.player?.playing) {
      this.position = this.written(this.player.position());
      this.player.stop();
    }
    this.playing = false;
  }

  toggle(notes: readonly Note[], qpm: number, tempos?: readonly TempoChange[]): void {
    if (this.playing) this.stop();
    else void this.play(notes, qpm, this.position, tempos);
  }

  seek(quarters: number): void {
    this.position = Math.max(0, quarters);
  }

  panic(): void {
    this.stop();
    this.output?.allNotesOff();
  }

  /** Called when the output changes: stop whatever plays on the old one. */
  setRemote(remote: RemotePlayback | null): void {
    if (remote === this.remote) return;
    this.stop();
    this.remote = remote;
  }

  /** Plays one note right away (auditioning a note you click in the roll). */
  async audition(pitch: number, velocity = 90, seconds = 0.3): Promise<void> {
    if (this.playing) return;
    const output = await this.ensureOutput();
    if (!output) return;
    await output.resume?.();
    const t = output.now();
    output.noteOn(0, pitch, velocity, t);
    output.noteOff(0, pitch, t + seconds);
  }

  private tick(): void {
    if (!this.player) return;
    if (!this.player.tick()) {
      this.position = 0;
      this.stop();
    }
  }

  private async ensureOutput(): Promise<ResumableOutput | null> {
    if (this.output) return this.output;
    this.status = 'loading';
    try {
      this.output = await this.createOutput();
      this.player = new Player(this.output);
      this.status = 'ready';
      this.error = null;
      return this.output;
    } catch (e) {
      this.status = 'failed';
      this.error = (e as Error)?.message ?? String(e);
      return null;
    }
  }
}
