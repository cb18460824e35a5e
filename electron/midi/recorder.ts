/**
 * Recording a seed: count-in clicks through the synth, then note on/off with the device's
 * timestamps turned into notes in quarter notes from the first downbeat after the count-in.
 *
 * What a real keyboard sends is handled: running status, note-on with velocity 0 as note-off,
 * the sustain pedal (CC64) holding released keys until it comes up, a key struck again before
 * its note-off, truncated or malformed messages and SysEx floods (counted, not fatal).
 */
import type { Note, NoteSequence } from '@shared/music/types';
import { CC_SUSTAIN, CONTROL_CHANGE, DRUM_CHANNEL, MidiParser, type ChannelMessage, type ParserStats, isNoteOff, isNoteOn } from './bytes';
import type { Cancel, Clock } from './clock';
import type { OutputBus, Voice } from './output';

export interface Meter {
  numerator: number;
  denominator: number;
}

export interface RecorderOptions {
  clock: Clock;
  qpm: number;
  meter?: Meter;
  /** Bars of clicks before recording starts (0 for none). */
  countInBars?: number;
  /** Stop by itself after this many bars of recording. */
  stopAfterBars?: number;
  /** Where the clicks go; no bus, no clicks. */
  metronome?: { bus: OutputBus; during: 'count-in' | 'always' };
  /**
   * Turns the performance into the seed; the studio passes seedQuantizer (the music core's
   * transcription), told whether the player heard the click. Without it the seed is the
   * unquantized performance.
   */
  quantize?: (performance: NoteSequence, context: { clicked: boolean }) => NoteSequence;
  /** Called once when the recording ends, whether by stop() or after stopAfterBars. */
  onRecording?: (recording: Recording) => void;
  /** A click was sent: beat index from the start of the count-in, and whether it is a downbeat. */
  onClick?: (beat: number, downbeat: boolean) => void;
  /** count-in -> recording -> done, as they happen (recording starts on the downbeat's clock time). */
  onState?: (state: RecorderState) => void;
}

export interface RecordingStats extends ParserStats {
  notes: number;
  /** Notes that started before the downbeat (during the count-in) and were left out. */
  beforeDownbeat: number;
}

export interface Recording {
  /** What was played, in quarter notes from the downbeat, not quantized. */
  performance: NoteSequence;
  /** The performance after quantize: what becomes the seed. */
  seed: NoteSequence;
  stats: RecordingStats;
}

export type RecorderState = 'idle' | 'count-in' | 'recording' | 'done';

interface Held {
  pitch: number;
  startMs: number;
  velocity: number;
}

/** Notes starting this close before the downbeat (in quarter notes) are an eager downbeat, not a stray. */
const EARLY_TOLERANCE_BEATS = 0.25;
const CLICK_MS = 40;

export class Recorder {
  private readonly clock: Clock;
  readonly qpm: number;
  readonly meter: Meter;
  private readonly parser: MidiParser;
  private readonly msPerBeat: number;
  private readonly clickVoice: Voice | undefined;
  private stateValue: RecorderState = 'idle';
  private countInStartMs = 0;
  private downbeatMs = 0;
  private held = new Map<number, Held>();
  private sustained = new Map<number, Held>();
  private pedal = new Set<number>();
  private notes: { pitch: number; startMs: number; endMs: number; velocity: number }[] = [];
  private beforeDownbeat = 0;
  private timers: Cancel[] = [];
  private recording: Recording | undefined;

  constructor(private readonly options: RecorderOptions) {
    if (!(options.qpm > 0 && Number.isFinite(options.qpm))) throw new RangeError(`tempo must be a positive number of quarter notes per minute, got ${options.qpm}`);
    this.clock = options.clock;
    this.qpm = options.qpm;
    this.meter = options.meter ?? { numerator: 4, denominator: 4 };
    if (!(this.meter.numerator >= 1 && [1, 2, 4, 8, 16, 32].includes(this.meter.denominator))) {
      throw new RangeError(`meter must look like 4/4 or 6/8, got ${this.meter.numerator}/${this.meter.denominator}`);
    }
    this.msPerBeat = 60000 / options.qpm;
    this.parser = new MidiParser((m) => this.onMessage(m));
    this.clickVoice = options.metronome?.bus.voice('metronome');
  }

  get state(): RecorderState {
    return this.stateValue;
  }
  /** Clock time of the first downbeat (recording time zero). */
  get downbeat(): number {
    return this.downbeatMs;
  }
  /** Length of one bar in quarter notes (6/8 -> 3). */
  get barBeats(): number {
    return (this.meter.numerator * 4) / this.meter.denominator;
  }

  /** Starts the count-in (or recording at once with countInBars 0) `leadMs` from now. */
  start(leadMs = 20): void {
    if (this.stateValue !== 'idle') return;
    const countInBars = Math.max(0, this.options.countInBars ?? 1);
    this.countInStartMs = this.clock.now() + leadMs;
    this.downbeatMs = this.countInStartMs + countInBars * this.barBeats * this.msPerBeat;
    this.setState(countInBars > 0 ? 'count-in' : 'recording');
    if (countInBars > 0) this.timers.push(this.clock.at(this.downbeatMs, () => this.stateValue === 'count-in' && this.setState('recording')));
    if (this.options.metronome) this.scheduleClick(0);
    const bars = this.options.stopAfterBars;
    if (bars !== undefined && bars > 0) {
      const endMs = this.downbeatMs + bars * this.barBeats * this.msPerBeat;
      this.timers.push(this.clock.at(endMs, () => this.finish(endMs, true)));
    }
  }

  /** Bytes from the input, with the time they were played. Ignored unless counting in or recording. */
  feed(bytes: ArrayLike<number>, timeMs: number): void {
    if (this.stateValue === 'count-in' || this.stateValue === 'recording') this.parser.push(bytes, timeMs);
  }

  /**
   * Ends the recording now (or at `atMs`, e.g. the last note-off of a phrase); returns it (also given
   * to onRecording). Calling it again returns the same recording.
   */
  stop(atMs = this.clock.now()): Recording {
    if (this.recording) return this.recording;
    if (this.stateValue === 'idle') {
      this.stateValue = 'recording';
      this.downbeatMs = atMs;
    }
    return this.finish(Math.max(atMs, this.downbeatMs), false);
  }

  /** Abandons the recording without producing one (Escape during the count-in). */
  cancel(): void {
    for (const c of this.timers) c();
    this.timers = [];
    this.clickVoice?.dispose();
    this.setState('done');
  }

  // --- internals ---

  private setState(state: RecorderState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.onState?.(state);
  }

  private scheduleClick(index: number): void {
    const unitMs = (this.msPerBeat * 4) / this.meter.denominator;
    const at = this.countInStartMs + index * unitMs;
    const countInClicks = Math.max(0, this.options.countInBars ?? 1) * this.meter.numerator;
    if (this.options.metronome?.during === 'count-in' && index >= countInClicks) return;
    this.timers.push(
      this.clock.at(at, () => {
        if (this.stateValue !== 'count-in' && this.stateValue !== 'recording') return;
        const downbeat = index % this.meter.numerator === 0;
        const pitch = downbeat ? 76 : 77; // GM hi / lo wood block
        this.clickVoice?.noteOn(DRUM_CHANNEL, pitch, downbeat ? 110 : 80, at);
        this.timers.push(this.clock.at(at + CLICK_MS, () => this.clickVoice?.noteOff(DRUM_CHANNEL, pitch)));
        this.options.onClick?.(index, downbeat);
        this.scheduleClick(index + 1);
      }),
    );
  }

  private key(m: ChannelMessage): number {
    return (m.channel << 7) | m.data1;
  }

  private close(h: Held, endMs: number): void {
    this.notes.push({ pitch: h.pitch, startMs: h.startMs, endMs: Math.max(endMs, h.startMs), velocity: h.velocity });
  }

  private onMessage(m: ChannelMessage): void {
    const t = m.timeMs;
    if (isNoteOn(m)) {
      const k = this.key(m);
      const prev = this.held.get(k) ?? this.sustained.get(k);
      if (prev) this.close(prev, t); // struck again before its note-off (or under the pedal)
      this.sustained.delete(k);
      this.held.set(k, { pitch: m.data1, startMs: t, velocity: m.data2 });
    } else if (isNoteOff(m)) {
      const k = this.key(m);
      const h = this.held.get(k);
      if (!h) return; // a key pressed before recording started
      this.held.delete(k);
      if (this.pedal.has(m.channel)) this.sustained.set(k, h);
      else this.close(h, t);
    } else if (m.type === CONTROL_CHANGE && m.data1 === CC_SUSTAIN) {
      if (m.data2 >= 64) {
        this.pedal.add(m.channel);
      } else if (this.pedal.delete(m.channel)) {
        for (const [k, h] of [...this.sustained]) {
          if (k >> 7 !== m.channel) continue;
          this.sustained.delete(k);
          this.close(h, t);
        }
      }
    }
  }

  /** `exact`: the recording is exactly up to endMs (N bars); otherwise it ends at the bar line after the last note. */
  private finish(endMs: number, exact: boolean): Recording {
    if (this.recording) return this.recording;
    for (const c of this.timers) c();
    this.timers = [];
    for (const h of [...this.held.values(), ...this.sustained.values()]) this.close(h, endMs);
    this.held.clear();
    this.sustained.clear();
    this.clickVoice?.dispose();
    this.stateValue = 'done'; // reported after the recording is built, so listeners can read it

    const toBeats = (ms: number) => (ms - this.downbeatMs) / this.msPerBeat;
    const totalTime = Math.max(0, toBeats(endMs));
    const notes: Note[] = [];
    for (const n of this.notes) {
      let start = toBeats(n.startMs);
      if (start < -EARLY_TOLERANCE_BEATS) {
        this.beforeDownbeat++;
        continue;
      }
      start = Math.max(0, start);
      let end = Math.min(toBeats(n.endMs), totalTime);
      if (start >= totalTime) continue; // arrived after the end (device timestamps can run ahead)
      if (end <= start) end = Math.min(start + 1e-3, Math.max(totalTime, start + 1e-3));
      notes.push({ pitch: n.pitch, start, end, velocity: Math.max(1, Math.min(127, n.velocity)), voice: 0 });
    }
    notes.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
    const lastEnd = notes.reduce((m, n) => Math.max(m, n.end), 0);
    // A stop button is pressed late; the silence before it is not music. Whole bars keep the
    // seed's phrase shape for the model (a phrase that ends early in its bar keeps that rest).
    const barEnd = Math.ceil(lastEnd / this.barBeats - 1e-6) * this.barBeats;
    const performance: NoteSequence = {
      notes,
      tempos: [{ time: 0, qpm: this.qpm }],
      timeSignatures: [{ time: 0, numerator: this.meter.numerator, denominator: this.meter.denominator }],
      keySignatures: [],
      totalTime: exact ? totalTime : Math.max(lastEnd, Math.min(totalTime, barEnd)),
    };
    // A count-in (or a running metronome) gave the player the tempo and the downbeat.
    const clicked = Math.max(0, this.options.countInBars ?? 1) > 0 || this.options.metronome?.during === 'always';
    const seed = this.options.quantize ? this.options.quantize(performance, { clicked }) : performance;
    this.recording = { performance, seed, stats: { ...this.parser.stats, notes: notes.length, beforeDownbeat: this.beforeDownbeat } };
    this.options.onState?.('done');
    this.options.onRecording?.(this.recording);
    return this.recording;
  }
}
