/**
 * MIDI devices as the window sees them: the studio's inputs and outputs (the built-in synth and
 * the on-screen keyboard are ports like any other), the chosen ones and their settings, recording
 * a seed with count-in, and the bytes the studio sends to the window's SoundFont synth.
 */
import type { StudioApi } from '@shared/ipc/api';
import type { DevicesState as DevicesDto } from '@shared/ipc/channels/devices';
import type { NoteDto } from '@shared/ipc/schemas';

export const BUILT_IN_SYNTH = 'Built-in synth';

export interface SynthSink {
  sendBytes(bytes: readonly number[], delayMs: number): void;
}

export interface RecordingView {
  runId: string;
  state: 'starting' | 'count-in' | 'recording' | 'done';
  /** In the meter's unit, from the start of the count-in, then from the downbeat. */
  beat: number;
}

/** Where a recording is, in words: the count-in's clicks, then bar and beat. */
export function recordingLine(r: RecordingView, meter: { numerator: number }, countInBars: number): string {
  const n = Math.max(1, meter.numerator);
  const beat = Math.max(0, Math.floor(r.beat));
  if (r.state === 'count-in') return `Count-in… beat ${beat + 1} of ${n * countInBars}`;
  if (r.state === 'recording') return `Recording — bar ${Math.floor(beat / n) + 1}, beat ${(beat % n) + 1}`;
  return 'Starting the recording…';
}

export class DevicesState {
  state = $state.raw<DevicesDto | null>(null);
  recording = $state<RecordingView | null>(null);
  notice = $state<string | null>(null);
  error = $state<string | null>(null);
  countInBars = $state(1);
  /** Call-and-response: 'off', or what the model is doing with your phrase. */
  callState = $state<'off' | 'listening' | 'hearing' | 'thinking' | 'answering'>('off');
  callPauseMs = $state(600);
  /** From the end of your phrase to the first answering note, last time. */
  callLatencyMs = $state<number | null>(null);
  /** Keys held on the chosen input, for the on-screen keyboard's display. */
  held = $state.raw<ReadonlySet<number>>(new Set());
  /** The octave the computer keys play on the on-screen keyboard (A = C of this octave). */
  pianoOctave = $state(4);
  /** The meter and count-in of the recording under way (for its display). */
  private recordingMeter = $state({ numerator: 4 });
  private recordingCountIn = $state(1);
  readonly recordingLine = $derived(this.recording ? recordingLine(this.recording, this.recordingMeter, this.recordingCountIn) : null);

  readonly usesBuiltInSynth = $derived((this.state?.output ?? BUILT_IN_SYNTH) === BUILT_IN_SYNTH);
  private off: (() => void)[] = [];
  private early = new Map<string, RecordingView>();
  private recordedWithCountIn = true;

  constructor(
    private readonly api: StudioApi,
    private readonly synth: () => Promise<SynthSink>,
    private readonly onSeed: (notes: NoteDto[], qpm: number, dropped: number, countedIn: boolean) => void,
  ) {}

  async start(): Promise<void> {
    this.off.push(
      this.api.on('devices.changed', (s) => (this.state = s)),
      this.api.on('devices.notice', ({ message }) => (this.notice = message)),
      this.api.on('call.state', ({ state }) => (this.callState = state)),
      this.api.on('call.latency', ({ ms }) => (this.callLatencyMs = Math.round(ms))),
      this.api.on('synth.midi', ({ bytes, delayMs }) => void this.synth().then((s) => s.sendBytes(bytes, delayMs), () => undefined)),
      this.api.on('input.note', ({ pitch, velocity }) => {
        const next = new Set(this.held);
        if (velocity > 0) next.add(pitch);
        else next.delete(pitch);
        this.held = next;
      }),
      this.api.on('record.state', ({ runId, state, beat }) => {
        // The first state can arrive before startRecording's answer names the run.
        if (this.recording?.runId === runId) this.recording = { runId, state, beat };
        else this.early.set(runId, { runId, state, beat });
      }),
      this.api.on('record.done', ({ runId, notes, qpm, dropped }) => {
        if (this.recording?.runId !== runId) return;
        this.recording = null;
        this.onSeed(notes, qpm, dropped, this.recordedWithCountIn);
      }),
    );
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const r = await this.api.devices({});
    if (r.ok) this.state = r.value;
    else this.error = r.error.message;
  }

  /** Turns call-and-response on (the model answers each phrase you play) or off. */
  async setCallAndResponse(enabled: boolean, options: { modelId?: string; qpm: number }): Promise<void> {
    this.error = null;
    const r = await this.api.setCallAndResponse({ enabled, modelId: options.modelId, qpm: options.qpm, pauseMs: this.callPauseMs });
    if (!r.ok) this.error = r.error.message;
    else if (!r.value.enabled) this.callState = 'off';
  }

  async choose(change: Parameters<StudioApi['chooseDevices']>[0]): Promise<void> {
    const r = await this.api.chooseDevices(change);
    if (r.ok) {
      this.state = r.value;
      this.error = null;
    } else this.error = r.error.message;
  }

  async record(qpm: number, meter: { numerator: number; denominator: number }): Promise<void> {
    if (this.recording) return this.stopRecording();
    this.error = null;
    // Count-in clicks sound through the built-in synth: make sure it is running (this is a click).
    if (this.usesBuiltInSynth) await this.synth().catch(() => undefined);
    this.recordedWithCountIn = this.countInBars > 0;
    this.recordingMeter = { numerator: meter.numerator };
    this.recordingCountIn = this.countInBars;
    const r = await this.api.startRecording({ qpm, meter: meter as { numerator: number; denominator: 4 }, countInBars: this.countInBars });
    if (!r.ok) {
      this.error = r.error.message;
      return;
    }
    this.recording = this.early.get(r.value.runId) ?? { runId: r.value.runId, state: 'starting', beat: 0 };
    this.early.clear();
  }

  async stopRecording(): Promise<void> {
    if (!this.recording) return;
    const r = await this.api.stopRecording({ runId: this.recording.runId });
    if (!r.ok) this.error = r.error.message;
  }

  /** The on-screen keyboard: note-on / note-off into the studio's "On-screen keyboard" input. */
  key(pitch: number, down: boolean, velocity = 96): Promise<void> {
    // One key event after another: the first press waits for the synth to load, and its release
    // must not overtake it (a note-off before its note-on would leave the key held).
    this.keys = this.keys.then(async () => {
      if (down && this.usesBuiltInSynth) await this.synth().catch(() => undefined);
      await this.api.playKeys({ bytes: down ? [0x90, pitch, velocity] : [0x80, pitch, 0] });
    });
    return this.keys;
  }
  private keys: Promise<void> = Promise.resolve();

  /** Computer keys held on the on-screen keyboard, and the pitch each started (octave changes mid-note). */
  private computerKeys = new Map<string, number>();

  /** A computer key pressed (down) or released on the on-screen keyboard: its semitone above C of pianoOctave. */
  computerKey(code: string, semitone: number, down: boolean): void {
    if (down) {
      if (this.computerKeys.has(code)) return; // key repeat
      const pitch = Math.min(127, (this.pianoOctave + 1) * 12 + semitone);
      this.computerKeys.set(code, pitch);
      void this.key(pitch, true);
    } else {
      const pitch = this.computerKeys.get(code);
      if (pitch === undefined) return;
      this.computerKeys.delete(code);
      void this.key(pitch, false);
    }
  }

  /** The on-screen keyboard lost the focus: nothing stays held. */
  releaseComputerKeys(): void {
    for (const code of [...this.computerKeys.keys()]) this.computerKey(code, 0, false);
  }

  shiftOctave(delta: number): void {
    this.pianoOctave = Math.max(0, Math.min(8, this.pianoOctave + delta));
  }

  dispose(): void {
    for (const f of this.off.splice(0)) f();
  }
}
