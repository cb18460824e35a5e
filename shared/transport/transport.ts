/**
 * The transport: the one clock model and note timeline behind every player in Seedsong (the
 * studio's MIDI scheduler, the playback thread, and the window's built-in synth player). It knows
 * play, stop, seek, loop, tempo, the metronome's clicks and the look-ahead window; it does not send
 * anything and reads no clock. Callers pass the time (ms on their output's clock) and drain the
 * events that fall within the window they want, so the same code runs against a MIDI port, a
 * worker's port, or a Web Audio synth, and tests drive it with plain numbers.
 *
 * Time: `tau` counts quarter notes played since Play (it never jumps back, so loops unroll), and
 * ms come from one anchor (anchorMs + (tau - anchorTau) * msPerBeat), never from summed deltas,
 * so ten minutes of music do not drift. A tempo change moves the anchor to "now" and re-times
 * what is queued (the queue holds tau, not ms). `breakpoints` record where the song position
 * jumped (loop wraps), to map tau back to a position in the piece.
 */
import type { Note } from '../music/types';

/** What plays: notes sorted by start (quarter notes), possibly still growing (a take being sampled). */
export interface TransportSource {
  readonly notes: readonly Note[];
  /** No more notes will come. */
  readonly finished: boolean;
  /** Where the music ends, in quarter notes (may lie past the last note: a final rest). */
  readonly endBeat: number;
}

export interface LoopRegion {
  start: number;
  end: number;
}

export interface TransportEvent {
  kind: 'on' | 'off';
  pitch: number;
  velocity: number;
  /** Timeline position (quarter notes since Play); `msOf(tau)` is when it sounds. */
  tau: number;
  /** Position in the piece, quarter notes (the note's start or end). */
  beat: number;
  /** A metronome click (General MIDI percussion), not a note of the piece. */
  click: boolean;
  /** The same number on a note's on and off: a player can tell whose note-off this is. */
  token: number;
  seq: number;
}

/** Where the timeline stands: enough for another thread's copy to show the same playhead. */
export interface TransportTimeline {
  anchorMs: number;
  anchorTau: number;
  msPerBeat: number;
  cursorTau: number;
  cursorSong: number;
  breakpoints: { tau: number; song: number }[];
}

export interface TransportOptions {
  qpm?: number;
  /** How far ahead of "now" notes are pulled into the queue. */
  lookAheadMs?: number;
  /** Silence before the first note after play/seek, so it is not already late. */
  prerollMs?: number;
}

const EMPTY: TransportSource = { notes: [], finished: true, endBeat: 0 };
const EPS = 1e-9;

/** A finished list of notes as a source (sorted copy; the end is the last note's end unless given). */
export function listSource(notes: readonly Note[], endBeat?: number): TransportSource {
  const sorted = [...notes].sort((a, b) => a.start - b.start);
  const last = sorted.reduce((m, n) => Math.max(m, n.end), 0);
  return { notes: sorted, finished: true, endBeat: Math.max(last, endBeat ?? 0) };
}

/**
 * Metronome clicks from beat 0 up to `until` (quarter notes), as GM percussion notes: high wood
 * block (76) on each downbeat, low wood block (77) on the other beats; `beatQuarters` is the beat
 * (1.5 in 6/8), `barQuarters` the bar.
 */
export function metronomeClicks(until: number, beatQuarters: number, barQuarters: number): Note[] {
  const clicks: Note[] = [];
  if (!(beatQuarters > 0)) return clicks;
  for (let t = 0; t < until - EPS; t += beatQuarters) {
    const downbeat = Math.abs(t / barQuarters - Math.round(t / barQuarters)) < 1e-6;
    clicks.push({ pitch: downbeat ? 76 : 77, start: t, end: t + Math.min(0.1, beatQuarters / 2), velocity: downbeat ? 110 : 80, voice: 0 });
  }
  return clicks;
}

export class Transport {
  readonly lookAheadMs: number;
  readonly prerollMs: number;

  private source: TransportSource = EMPTY;
  private clicks: readonly Note[] = [];
  private msPerBeat: number;
  private loopRegion: LoopRegion | null = null;
  private startBeat = 0;

  private running = false;
  private anchorMs = 0;
  private anchorTau = 0;
  /** How far notes have been pulled: timeline beats (tau) and song beats. */
  private cursorTau = 0;
  private cursorSong = 0;
  /** Set at Play, seek and each loop wrap: the next pull first chases the notes already sounding. */
  private chasePending = false;
  private breakpoints: { tau: number; song: number }[] = [];
  private queue: TransportEvent[] = [];
  private seq = 0;
  /** Notes that arrived after their time (a take still being sampled) and were played at once. */
  lateNotes = 0;

  constructor(options: TransportOptions = {}) {
    this.msPerBeat = 60000 / validQpm(options.qpm, 120);
    this.lookAheadMs = options.lookAheadMs ?? 100;
    this.prerollMs = options.prerollMs ?? 5;
  }

  /** What plays from now on; `qpm` (a sequence's first tempo) becomes the tempo if valid. Stops first. */
  load(source: TransportSource, qpm?: number): void {
    this.halt();
    this.source = source;
    if (qpm !== undefined && Number.isFinite(qpm) && qpm > 0) this.msPerBeat = 60000 / qpm;
    this.startBeat = 0;
  }

  /** The metronome's clicks (sorted by start; see metronomeClicks), merged with the notes; [] for none. */
  setMetronome(clicks: readonly Note[] | null): void {
    this.clicks = clicks ? [...clicks].sort((a, b) => a.start - b.start) : [];
  }

  get playing(): boolean {
    return this.running;
  }
  get qpm(): number {
    return 60000 / this.msPerBeat;
  }
  get loop(): LoopRegion | null {
    return this.loopRegion;
  }
  get finishedSource(): boolean {
    return this.source.finished;
  }

  /**
   * Starts at `fromBeat` (or where the playhead stands). The first note sounds `prerollMs` plus the
   * output's latency after `nowMs`. Returns false if it was already playing (nothing changes).
   */
  play(nowMs: number, fromBeat?: number, latencyMs = 0): boolean {
    if (fromBeat !== undefined) this.startBeat = Math.max(0, fromBeat);
    if (this.running) return false;
    this.running = true;
    this.anchorMs = nowMs + this.prerollMs + Math.max(0, latencyMs);
    this.anchorTau = 0;
    this.cursorTau = 0;
    this.cursorSong = this.startBeat;
    this.chasePending = true;
    this.breakpoints = [{ tau: 0, song: this.startBeat }];
    this.queue = [];
    return true;
  }

  /** Stops; the playhead stays where it stopped. Returns false if it was not playing. */
  stop(nowMs: number): boolean {
    if (!this.running) return false;
    this.startBeat = this.position(nowMs);
    this.halt();
    return true;
  }

  /** Stops without moving the playhead's resting place (the caller silences its output). */
  halt(): void {
    this.running = false;
    this.queue = [];
  }

  /** The music ended by itself: the next Play starts from the top. */
  finish(): void {
    this.halt();
    this.startBeat = 0;
  }

  /** Jumps to `beat`; while playing, the timeline starts again there (the caller releases what sounds). */
  seek(nowMs: number, beat: number, latencyMs = 0): void {
    const target = Math.max(0, beat);
    this.startBeat = target;
    if (!this.running) return;
    this.halt();
    this.play(nowMs, target, latencyMs);
  }

  /** A new tempo from now on: the anchor moves to now and what is queued is re-timed. */
  setTempo(nowMs: number, qpm: number): boolean {
    if (!Number.isFinite(qpm) || qpm <= 0) return false;
    if (this.running) {
      this.anchorTau = this.tauAt(nowMs);
      this.anchorMs = Math.max(nowMs, this.anchorMs);
      if (this.anchorTau < 0) this.anchorTau = 0; // still in preroll: keep the first note where it was
    }
    this.msPerBeat = 60000 / qpm;
    return true;
  }

  /** Loops [start, end) in quarter notes; null to play through. Applies from the next pull. */
  setLoop(region: LoopRegion | null): void {
    this.loopRegion = region && region.end > region.start && region.start >= 0 ? { ...region } : null;
  }

  /**
   * The song position sounding at `nowMs`, in quarter notes. Within what has been pulled it follows
   * the recorded loop wraps exactly; beyond (a copy of the timeline on another thread, which pulls
   * nothing), it predicts the wraps the loop will make.
   */
  position(nowMs: number): number {
    if (!this.running) return this.startBeat;
    const tau = Math.max(0, this.tauAt(nowMs));
    if (tau > this.cursorTau) return this.wrap(this.cursorSong, tau - this.cursorTau);
    let bp = this.breakpoints[0];
    // (a breakpoint's tau is a sum of pulls: "now" can sit a rounding error before it)
    for (const b of this.breakpoints) if (b.tau <= tau + EPS) bp = b;
    return Math.max(bp.song, this.wrap(bp.song, tau - bp.tau));
  }

  /** When timeline position `tau` sounds, in ms. */
  msOf(tau: number): number {
    return this.anchorMs + (tau - this.anchorTau) * this.msPerBeat;
  }
  tauAt(ms: number): number {
    return this.anchorTau + (ms - this.anchorMs) / this.msPerBeat;
  }

  /** The end of the look-ahead window from `nowMs` (sound time: an output's latency is added). */
  horizonMs(nowMs: number, latencyMs = 0): number {
    return nowMs + this.lookAheadMs + Math.max(0, latencyMs);
  }

  /** Pulls every note (and click) that sounds before `untilMs` into the queue. */
  fill(untilMs: number): void {
    if (this.running) this.pull(this.tauAt(untilMs));
  }

  /** The next queued event that sounds at or before `untilMs`, taken off the queue. */
  next(untilMs: number): TransportEvent | undefined {
    if (!this.running || !this.queue.length || this.msOf(this.queue[0].tau) > untilMs + 1e-6) return undefined;
    return this.queue.shift();
  }

  /** When the next queued event sounds (ms), or undefined with nothing queued. */
  nextMs(): number | undefined {
    return this.running && this.queue.length ? this.msOf(this.queue[0].tau) : undefined;
  }

  /** A finished piece, not looping, pulled to its end: only the queue and the final rest are left. */
  get pulledToEnd(): boolean {
    return this.source.finished && !this.loopRegion && this.cursorSong >= this.source.endBeat;
  }

  /** When the piece's end (its final rest included) sounds, once it is pulled to its end. */
  get endMs(): number {
    return this.msOf(this.cursorTau);
  }

  /** Everything has sounded and the final rest has passed at `nowMs`. */
  isOver(nowMs: number): boolean {
    return this.running && this.pulledToEnd && !this.queue.length && this.tauAt(nowMs) >= this.cursorTau - EPS;
  }

  /**
   * Notes appended to a growing source after Play. Those behind the pull cursor are late: they are
   * queued to sound `prerollMs` from now and the whole timeline moves later by as much, so the rhythm
   * after them holds (a player waiting for the page to turn). `sendLeadMs` is how much earlier than
   * it sounds a message leaves (the output's latency offset).
   */
  appended(notes: readonly Note[], nowMs: number, sendLeadMs = 0): void {
    if (!this.running) return;
    const last = this.breakpoints[this.breakpoints.length - 1];
    for (const n of notes) {
      if (n.start >= this.cursorSong || n.start < last.song) continue;
      const tauOn = last.tau + (n.start - last.song);
      const shift = nowMs + this.prerollMs - (this.msOf(tauOn) - sendLeadMs);
      if (shift > 0) {
        this.lateNotes++;
        this.anchorMs += shift;
      }
      this.schedule(n, tauOn, tauOn + (n.end - n.start), false);
    }
  }

  /** The timeline as it stands (for the playback thread to tell the studio's thread). */
  timeline(): TransportTimeline {
    return {
      anchorMs: this.anchorMs,
      anchorTau: this.anchorTau,
      msPerBeat: this.msPerBeat,
      cursorTau: this.cursorTau,
      cursorSong: this.cursorSong,
      breakpoints: this.breakpoints.slice(-4).map((b) => ({ ...b })),
    };
  }

  /**
   * Takes over another copy's timeline (the playback thread's), its times moved by `offsetMs` to
   * this thread's clock: from then on `position()` answers what that copy would.
   */
  adopt(t: TransportTimeline, offsetMs = 0): void {
    if (!this.running) return;
    this.anchorMs = t.anchorMs + offsetMs;
    this.anchorTau = t.anchorTau;
    this.msPerBeat = t.msPerBeat;
    this.cursorTau = t.cursorTau;
    this.cursorSong = t.cursorSong;
    this.breakpoints = t.breakpoints.length ? t.breakpoints.map((b) => ({ ...b })) : [{ tau: t.cursorTau, song: t.cursorSong }];
  }

  // --- internals ---

  /** `song + beats`, wrapped by the loop if `song` lies before its end. */
  private wrap(song: number, beats: number): number {
    const p = song + beats;
    const loop = this.loopRegion;
    if (!loop || song >= loop.end || p < loop.end) return p;
    return loop.start + ((p - loop.end) % (loop.end - loop.start));
  }

  private enqueue(e: Omit<TransportEvent, 'seq'>): void {
    const item = { ...e, seq: this.seq++ };
    // Equal times: note-offs first (a repeated key is released before it sounds again), then in order.
    const before = (a: TransportEvent, b: TransportEvent) => a.tau < b.tau || (a.tau === b.tau && (a.kind === 'off' && b.kind === 'on' ? true : a.kind === b.kind && a.seq < b.seq));
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.queue[mid], item)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  private schedule(n: Note, tauOn: number, tauOff: number, click: boolean, beatOn = n.start): void {
    const token = this.seq;
    this.enqueue({ tau: tauOn, kind: 'on', pitch: n.pitch, velocity: n.velocity, token, beat: beatOn, click });
    this.enqueue({ tau: Math.max(tauOff, tauOn), kind: 'off', pitch: n.pitch, velocity: 0, token, beat: n.end, click });
  }

  private pull(tauHorizon: number): void {
    const notes = this.source.notes;
    let guard = 0;
    while (this.cursorTau < tauHorizon && guard++ < 10000) {
      const loop = this.loopRegion && this.cursorSong < this.loopRegion.end ? this.loopRegion : null;
      const segEnd = loop ? loop.end : this.source.finished ? this.source.endBeat : Infinity;
      if (this.cursorSong >= segEnd) break; // the end of a finished piece
      const from = this.cursorSong;
      const clip = (n: Note) => (loop ? Math.min(n.end, loop.end) : n.end);
      if (this.chasePending) {
        this.chasePending = false;
        // Note chase. A note that began before the start point (Play, seek, a loop's return) and
        // is still held there sounds from the start point for the rest of its length, as a DAW with
        // note chase plays it: a musician who starts in the middle of a long note, or loops a bar
        // that a tie runs into, expects to hear that note, not a gap where it should be. Clicks are
        // not chased: a metronome click heard late is a wrong beat, not a held note.
        const upTo = lowerBound(notes, from);
        for (let i = 0; i < upTo; i++) {
          const n = notes[i];
          if (n.end > from + EPS) this.schedule(n, this.cursorTau, this.cursorTau + (clip(n) - from), false, from);
        }
      }
      const take = Math.min(tauHorizon - this.cursorTau, segEnd - this.cursorSong);
      const to = from + take;
      for (let i = lowerBound(notes, from); i < notes.length && notes[i].start < to; i++) {
        const n = notes[i];
        this.schedule(n, this.cursorTau + (n.start - from), this.cursorTau + (clip(n) - from), false);
      }
      const clicks = this.clicks;
      for (let i = lowerBound(clicks, from); i < clicks.length && clicks[i].start < to; i++) {
        const c = clicks[i];
        this.schedule(c, this.cursorTau + (c.start - from), this.cursorTau + (clip(c) - from), true);
      }
      this.cursorSong = to;
      this.cursorTau += take;
      if (loop && this.cursorSong >= loop.end) {
        this.cursorSong = loop.start;
        this.chasePending = true;
        this.breakpoints.push({ tau: this.cursorTau, song: loop.start });
        if (this.breakpoints.length > 64) this.breakpoints.splice(1, this.breakpoints.length - 32);
      }
    }
  }
}

function validQpm(qpm: number | undefined, fallback: number): number {
  return qpm !== undefined && Number.isFinite(qpm) && qpm > 0 ? qpm : fallback;
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
