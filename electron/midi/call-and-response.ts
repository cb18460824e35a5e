/**
 * Call-and-response: the musician plays a phrase; after a pause the phrase becomes a seed, the
 * model answers, and the answer plays as it streams in. Playing again cuts the answer off cleanly
 * (its notes get their note-offs) and starts the next phrase.
 *
 * The model is a parameter (`answer`), so this runs with a stand-in in tests and benches and the
 * studio wires in the sampler.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import { MidiParser, isNoteOff, isNoteOn } from './bytes';
import type { Cancel, Clock } from './clock';
import type { OutputBus } from './output';
import { Recorder } from './recorder';
import { Scheduler } from './scheduler';
import { NoteStream, NoteStreamError } from './stream';
import type { PlaybackScheduler, SchedulerFactory } from './threaded';

/** Answers a seed with notes whose times are in quarter notes; must stop soon after `signal` aborts. */
export type AnswerFn = (seed: NoteSequence, signal: AbortSignal) => AsyncIterable<Note>;

export type CallResponseState = 'listening' | 'hearing' | 'thinking' | 'answering';

export interface CallAndResponseOptions {
  clock: Clock;
  bus: OutputBus;
  answer: AnswerFn;
  qpm: number;
  /** Silence (all keys up) that ends a phrase. */
  pauseMs?: number;
  channel?: number;
  program?: number;
  quantize?: (performance: NoteSequence) => NoteSequence;
  onState?: (state: CallResponseState) => void;
  /** The seed made from each phrase (for the roll and score). */
  onSeed?: (seed: NoteSequence) => void;
  /** Each answer note as it is scheduled (for the roll). */
  onAnswerNote?: (note: Note) => void;
  /** From the end of the pause to the first answering note-on leaving for the synth. */
  onLatency?: (ms: number) => void;
  onError?: (message: string) => void;
  /** Where the answer's timing loop runs (the studio passes the playback thread's); default here. */
  scheduler?: SchedulerFactory;
  /**
   * Start asking the model this long after the last key went up, before the pause is over, so
   * the answer is ready when the pause ends (the model needs tens of ms to prime on the seed and
   * sample up to its first bar). Playing on cancels that early answer. Undefined: ask at the end
   * of the pause.
   */
  speculateAfterMs?: number;
}

/**
 * An answer being generated ahead of time: the notes so far, and a way to read them all, then
 * the rest as they come, as one stream.
 */
class EarlyAnswer {
  readonly notes: Note[] = [];
  done = false;
  error: unknown = null;
  private wake: (() => void) | null = null;
  readonly abort = new AbortController();

  constructor(
    readonly seed: NoteSequence,
    /** Bytes fed when it started: any later byte makes it stale. */
    readonly fedAt: number,
    answer: AnswerFn,
  ) {
    void (async () => {
      try {
        for await (const n of answer(seed, this.abort.signal)) {
          if (this.abort.signal.aborted) break;
          this.notes.push(n);
          this.notify();
        }
      } catch (e) {
        this.error = e;
      } finally {
        this.done = true;
        this.notify();
      }
    })();
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  async *read(): AsyncGenerator<Note> {
    let i = 0;
    for (;;) {
      while (i < this.notes.length) yield this.notes[i++];
      if (this.done) break;
      await new Promise<void>((r) => (this.wake = r));
    }
    if (this.error && !this.abort.signal.aborted) throw this.error;
  }
}

export const DEFAULT_PAUSE_MS = 600;

export class CallAndResponse {
  private readonly clock: Clock;
  private readonly pauseMs: number;
  private readonly scheduler: PlaybackScheduler;
  private readonly parser: MidiParser;
  private stateValue: CallResponseState = 'listening';
  private recorder: Recorder | null = null;
  private held = new Set<number>();
  private lastEventMs = 0;
  private cancelPause: Cancel | undefined;
  private abort: AbortController | null = null;
  private pauseEndMs = 0;
  private awaitingFirstNote = false;
  private disposed = false;
  /** The phrase's bytes since its first note, to rebuild the take before the pause is over. */
  private phraseBytes: { bytes: number[]; timeMs: number }[] = [];
  private phraseStartMs = 0;
  private fed = 0;
  private early: EarlyAnswer | null = null;
  private cancelEarly: Cancel | undefined;
  /** Answers that were ready (at least started) before the pause ended. */
  earlyAnswers = 0;
  /** Answers cut off by new playing. */
  interruptions = 0;

  constructor(private readonly options: CallAndResponseOptions) {
    this.clock = options.clock;
    this.pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
    const make: SchedulerFactory = options.scheduler ?? ((o) => new Scheduler(o));
    this.scheduler = make({ clock: options.clock, bus: options.bus, channel: options.channel, program: options.program, qpm: options.qpm, prerollMs: 0, voiceName: 'answer' });
    this.scheduler.onSent((e) => {
      if (e.kind === 'on' && this.awaitingFirstNote) {
        this.awaitingFirstNote = false;
        this.options.onLatency?.(e.sentMs - this.pauseEndMs);
      }
    });
    this.scheduler.onEnd((why) => {
      if (why === 'finished' && this.stateValue === 'answering') this.setState('listening');
    });
    this.parser = new MidiParser((m) => {
      if (isNoteOn(m)) this.noteOn(m.channel, m.data1, m.timeMs);
      else if (isNoteOff(m)) this.noteOff(m.channel, m.data1, m.timeMs);
    });
  }

  get state(): CallResponseState {
    return this.stateValue;
  }

  /** Bytes from the keyboard, with the time they were played. */
  feed(bytes: ArrayLike<number>, timeMs: number): void {
    if (this.disposed) return;
    this.fed++;
    this.dropEarly(); // the phrase goes on: what was asked early no longer answers it
    this.parser.push(bytes, timeMs);
    if (this.recorder) {
      this.recorder.feed(bytes, timeMs);
      this.phraseBytes.push({ bytes: Array.from(bytes), timeMs });
    }
  }

  /** Stops listening and answering; every answer note gets its note-off. */
  stop(): void {
    this.dropEarly();
    this.cancelAnswer();
    this.cancelPause?.();
    this.recorder?.cancel();
    this.recorder = null;
    this.held.clear();
    this.setState('listening');
  }

  dispose(): void {
    this.stop();
    this.disposed = true;
    this.scheduler.dispose();
  }

  // --- internals ---

  private setState(s: CallResponseState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.options.onState?.(s);
  }

  private cancelAnswer(): void {
    if (this.abort) {
      this.abort.abort();
      this.abort = null;
    }
    this.awaitingFirstNote = false;
    this.scheduler.stop();
  }

  private noteOn(channel: number, pitch: number, timeMs: number): void {
    if (this.stateValue === 'thinking' || this.stateValue === 'answering') {
      // The musician plays over the answer: silence it before anything else reaches the synth.
      this.interruptions++;
      this.cancelAnswer();
      this.setState('listening');
    }
    this.cancelPause?.();
    this.cancelPause = undefined;
    if (!this.recorder) {
      this.recorder = new Recorder({ clock: this.clock, qpm: this.options.qpm, countInBars: 0, quantize: this.options.quantize });
      this.recorder.start(timeMs - this.clock.now()); // the phrase starts on its first note
      this.phraseBytes = [];
      this.phraseStartMs = timeMs;
      this.held.clear();
      this.setState('hearing');
    }
    this.held.add((channel << 7) | pitch);
    this.lastEventMs = timeMs;
  }

  private noteOff(channel: number, pitch: number, timeMs: number): void {
    if (!this.recorder) return; // a key held since before the phrase, or during an answer
    this.held.delete((channel << 7) | pitch);
    this.lastEventMs = Math.max(this.lastEventMs, timeMs);
    if (this.held.size === 0) {
      this.cancelPause?.();
      const endMs = this.lastEventMs + this.pauseMs;
      this.cancelPause = this.clock.at(endMs, () => this.phraseEnded(endMs));
      const early = this.options.speculateAfterMs;
      if (early !== undefined && early < this.pauseMs) {
        const fedAt = this.fed;
        this.cancelEarly = this.clock.at(this.lastEventMs + Math.max(0, early), () => {
          this.cancelEarly = undefined;
          if (this.fed === fedAt) this.askEarly();
        });
      }
    }
  }

  /** The take as it will be at the end of the pause (no byte since), built from a replay of the phrase. */
  private askEarly(): void {
    if (this.disposed || !this.recorder) return;
    const replay = new Recorder({ clock: this.clock, qpm: this.options.qpm, countInBars: 0, quantize: this.options.quantize });
    replay.start(this.phraseStartMs - this.clock.now());
    for (const b of this.phraseBytes) replay.feed(b.bytes, b.timeMs);
    const take = replay.stop(this.lastEventMs);
    if (take.seed.notes.length === 0) return;
    this.early = new EarlyAnswer(take.seed, this.fed, this.options.answer);
  }

  private dropEarly(): void {
    this.cancelEarly?.();
    this.cancelEarly = undefined;
    if (this.early) {
      this.early.abort.abort();
      this.early = null;
    }
  }

  private phraseEnded(pauseEndMs: number): void {
    this.cancelPause = undefined;
    const recorder = this.recorder;
    if (!recorder) return;
    this.recorder = null;
    const take = recorder.stop(this.lastEventMs);
    if (take.seed.notes.length === 0) {
      this.setState('listening');
      return;
    }
    this.pauseEndMs = pauseEndMs;
    this.options.onSeed?.(take.seed);
    const early = this.early;
    this.early = null;
    this.cancelEarly?.();
    this.cancelEarly = undefined;
    if (early && early.fedAt === this.fed) {
      // Nothing was played since it was asked: it answers exactly this seed, and is (nearly) ready.
      this.earlyAnswers++;
      void this.respond(take.seed, early);
      return;
    }
    early?.abort.abort();
    void this.respond(take.seed);
  }

  private async respond(seed: NoteSequence, early?: EarlyAnswer): Promise<void> {
    const abort = early?.abort ?? new AbortController();
    this.abort = abort;
    this.setState('thinking');
    const stream = new NoteStream();
    let offset: number | undefined;
    this.awaitingFirstNote = true;
    try {
      for await (const n of early ? early.read() : this.options.answer(seed, abort.signal)) {
        if (abort.signal.aborted) break;
        if (offset === undefined) offset = n.start; // the answer starts the moment it is ready
        const shifted = { ...n, start: n.start - offset, end: n.end - offset };
        try {
          stream.append(shifted);
        } catch (e) {
          if (e instanceof NoteStreamError) continue; // one bad note from the model is skipped, not fatal
          throw e;
        }
        this.options.onAnswerNote?.(shifted);
        if (!this.scheduler.isPlaying && this.stateValue === 'thinking') {
          this.scheduler.load(stream);
          this.setState('answering');
          this.scheduler.play(0);
        }
      }
      if (!abort.signal.aborted) {
        stream.end();
        if (offset === undefined) this.setState('listening'); // the model had nothing to say
      }
    } catch (e) {
      if (!abort.signal.aborted) {
        this.options.onError?.(`the answer stopped: ${(e as Error).message ?? e}`);
        this.cancelAnswer();
        this.setState('listening');
      }
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }
}
