/**
 * The studio's MIDI service: the DeviceManager (electron/midi) over the OS's MIDI system plus two
 * ports that always exist, "Built-in synth" (its bytes go to the window's SoundFont synth as
 * synth.midi events) and "On-screen keyboard" (a loopback input fed by the playKeys channel). So
 * one scheduler, one recorder and one panic serve hardware and software alike, and a machine
 * with no MIDI at all (no /dev/snd here) still records seeds and plays takes.
 */
import type { NoteSequence } from '@shared/music/types';
import type { DevicesState } from '@shared/ipc/channels/devices';
import { StudioError } from '@shared/ipc/result';
import type { Handlers } from '@shared/ipc/dispatch';
import { toNoteDto, type NoteDto } from '@shared/ipc/schemas';
import {
  DeviceManager,
  LoopbackMidiSystem,
  MidiParser,
  Recorder,
  Scheduler,
  seedQuantizer,
  type Clock,
  type MidiInput,
  type MidiOutput,
  type MidiPortInfo,
  type MidiSystem,
  type OpenSystemResult,
} from '../midi/index';
import { Listeners } from '../midi/port';
import { PlaybackThread, canUseThread, type PlaybackScheduler, type SchedulerFactory } from '../midi/threaded';
import type { EventBus } from './events';
import type { RunRegistry } from './runs';
import type { Settings } from './settings';

export const BUILT_IN_SYNTH = 'Built-in synth';
export const ON_SCREEN_KEYBOARD = 'On-screen keyboard';

/** An output whose messages are delivered to a callback (the window's synth). */
class CallbackOutput implements MidiOutput {
  readonly info: MidiPortInfo = { name: BUILT_IN_SYNTH, kind: 'output', virtual: false };
  private readonly disconnects = new Listeners<[]>();
  constructor(private readonly deliver: (bytes: number[], atMs: number | undefined) => void) {}
  send(bytes: ArrayLike<number>, atMs?: number): void {
    this.deliver(Array.from(bytes), atMs);
  }
  onDisconnect(listener: () => void) {
    return this.disconnects.add(listener);
  }
  close(): void {
    this.disconnects.clear();
  }
}

/** The OS's ports (if any) plus the studio's own two. */
class StudioPorts implements MidiSystem {
  readonly keyboard: LoopbackMidiSystem;
  constructor(
    private readonly hardware: MidiSystem | null,
    clock: Clock,
    private readonly toSynth: (bytes: number[], atMs: number | undefined) => void,
  ) {
    this.keyboard = new LoopbackMidiSystem(clock);
    this.keyboard.addInput(ON_SCREEN_KEYBOARD);
  }
  get name(): string {
    return this.hardware?.name ?? 'built-in only';
  }
  listInputs(): MidiPortInfo[] {
    return [...this.keyboard.listInputs(), ...(this.hardware?.listInputs() ?? [])];
  }
  listOutputs(): MidiPortInfo[] {
    return [{ name: BUILT_IN_SYNTH, kind: 'output', virtual: false }, ...(this.hardware?.listOutputs() ?? [])];
  }
  openInput(name: string): MidiInput {
    if (name === ON_SCREEN_KEYBOARD) return this.keyboard.openInput(name);
    if (!this.hardware) throw new Error(`no MIDI input "${name}"`);
    return this.hardware.openInput(name);
  }
  openOutput(name: string): MidiOutput {
    if (name === BUILT_IN_SYNTH) return new CallbackOutput(this.toSynth);
    if (!this.hardware) throw new Error(`no MIDI output "${name}"`);
    return this.hardware.openOutput(name);
  }
  get openVirtualInput() {
    return this.hardware?.openVirtualInput?.bind(this.hardware);
  }
  get openVirtualOutput() {
    return this.hardware?.openVirtualOutput?.bind(this.hardware);
  }
  dispose(): void {
    this.keyboard.dispose();
    this.hardware?.dispose();
  }
}

export interface DevicesServiceOptions {
  clock: Clock;
  events: EventBus;
  runs: RunRegistry;
  settings: Settings;
  /** Opens the OS's MIDI system (RtMidi); tests pass a loopback. */
  openHardware: () => Promise<OpenSystemResult>;
  pollMs?: number;
  /**
   * Run playback timing in a worker thread (electron/midi/threaded.ts). Default: yes with a real
   * clock, no with a FakeClock (its time lives in this thread). `entry` overrides the worker script.
   */
  playbackThread?: boolean | { entry: string };
  /** Where to say why playback stays on the main thread (default console.warn). */
  log?: (message: string) => void;
}


export class DevicesService {
  private manager!: DeviceManager;
  private ports!: StudioPorts;
  private hardwareReason: string | null = null;
  private recording: { runId: string; recorder: Recorder; cancelInput: () => void; qpm: number } | null = null;
  private playback: { runId: string; scheduler: PlaybackScheduler; timer: ReturnType<typeof setInterval> } | null = null;
  private thread: PlaybackThread | null = null;
  private threadStarting: Promise<void> | null = null;
  private disposed = false;
  private readonly notePeek: MidiParser;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly options: DevicesServiceOptions) {
    this.notePeek = new MidiParser((m) => {
      if ((m.type === 0x90 || m.type === 0x80) && m.data1 <= 127) {
        this.options.events.emit('input.note', { pitch: m.data1, velocity: m.type === 0x80 ? 0 : m.data2 });
      }
    });
  }

  async start(): Promise<void> {
    const { clock, events, settings } = this.options;
    this.startThread();
    let hardware: MidiSystem | null = null;
    try {
      const opened = await this.options.openHardware();
      if (opened.ok) hardware = opened.system;
      else this.hardwareReason = opened.reason;
    } catch (e) {
      this.hardwareReason = (e as Error).message;
    }
    this.ports = new StudioPorts(hardware, clock, (bytes, atMs) => {
      if (bytes.length <= 3) events.emit('synth.midi', { bytes, delayMs: Math.max(0, (atMs ?? clock.now()) - clock.now()) });
    });
    const saved = settings.get('devices');
    this.manager = new DeviceManager({
      clock,
      openSystem: () => ({ ok: true, system: this.ports }),
      choices: {
        input: saved?.input ?? ON_SCREEN_KEYBOARD,
        output: saved?.output ?? BUILT_IN_SYNTH,
        outputSettings: saved?.outputSettings ?? {},
        thru: saved?.thru ?? true,
      },
      pollMs: this.options.pollMs,
      virtualPorts: hardware ? undefined : false,
    });
    this.cleanups.push(
      this.manager.onEvent((e) => {
        if (e.type === 'notice') events.emit('devices.notice', { message: e.message });
        if (e.type === 'choices') void settings.set('devices', e.choices);
        if (e.type === 'ports' || e.type === 'choices' || e.type === 'connected' || e.type === 'lost') events.emit('devices.changed', this.state());
      }),
      this.manager.onInput((bytes) => this.notePeek.push(bytes, 0)),
    );
    await this.manager.start();
  }

  /** For the app info line: what works, in words. */
  status(): { available: boolean; message: string } {
    if (this.hardwareReason) {
      return { available: false, message: `No MIDI devices: ${this.hardwareReason.replace(/\.$/, '')}. Using the built-in synth and the on-screen keyboard.` };
    }
    const n = this.manager.inputs().length - 1;
    const m = this.manager.outputs().length - 1;
    return { available: true, message: `${this.ports.name}: ${n} input${n === 1 ? '' : 's'}, ${m} output${m === 1 ? '' : 's'}` };
  }

  state(): DevicesState {
    const choices = this.manager.choices();
    const builtIn = (name: string) => name === BUILT_IN_SYNTH || name === ON_SCREEN_KEYBOARD;
    const list = (ports: MidiPortInfo[], chosen: string | null, open: boolean) => {
      const out = ports.map((p) => ({ name: p.name, builtIn: builtIn(p.name), connected: true }));
      // A remembered device that is unplugged stays visible (and is reopened when it comes back).
      if (chosen && !out.some((p) => p.name === chosen)) out.push({ name: chosen, builtIn: false, connected: open });
      return out;
    };
    return {
      hardware: this.hardwareReason === null,
      message: this.status().message,
      inputs: list(this.manager.inputs(), choices.input, this.manager.inputConnected),
      outputs: list(this.manager.outputs(), choices.output, this.manager.outputConnected),
      input: choices.input,
      output: choices.output,
      settings: this.manager.currentSettings(),
      thru: choices.thru,
    };
  }

  choose(request: { input?: string | null; output?: string | null; settings?: Partial<DevicesState['settings']>; thru?: boolean }): DevicesState {
    if (request.output !== undefined && request.output !== this.manager.choices().output) {
      this.stopPlayback();
      this.manager.selectOutput(request.output);
    }
    if (request.input !== undefined && request.input !== this.manager.choices().input) this.manager.selectInput(request.input);
    if (request.settings) this.manager.setOutputSettings(request.settings);
    if (request.thru !== undefined) this.manager.setThru(request.thru);
    return this.state();
  }

  /**
   * The playback thread starts in the background (a second or so under tsx); until it is ready,
   * and wherever it cannot run, schedulers run on this thread. The reason is logged once.
   */
  private startThread(): void {
    const wanted = this.options.playbackThread ?? canUseThread(this.options.clock);
    const log = this.options.log ?? ((m: string) => console.warn(`[seedsong midi] ${m}`));
    if (!wanted) return;
    const entry = typeof wanted === 'object' ? wanted.entry : undefined;
    this.threadStarting = PlaybackThread.start({ clock: this.options.clock, entry }).then((r) => {
      if (!r.ok) {
        log(`playback runs on the main thread: ${r.reason}`);
        return;
      }
      if (this.disposed) {
        r.thread.dispose();
        return;
      }
      this.thread = r.thread;
      this.factory = r.thread.factory(log);
      r.thread.onNotice((message) => this.options.events.emit('devices.notice', { message }));
    });
  }

  private factory: SchedulerFactory = (options) => new Scheduler(options);

  /** Makes schedulers: on the playback thread when it runs, else on this thread. */
  get schedulerFactory(): SchedulerFactory {
    return (options) => this.factory(options);
  }

  /** Resolves once the playback thread is running (or known not to be); for tests and benches. */
  async threadReady(): Promise<boolean> {
    await this.threadStarting;
    return this.thread?.alive ?? false;
  }

  /** Everything plays through this bus (panic and hung-note tracking are per bus). */
  get bus() {
    return this.manager.bus;
  }

  get clock(): Clock {
    return this.options.clock;
  }

  outputSettings() {
    return this.manager.currentSettings();
  }

  /** Bytes from the chosen input (and the on-screen keyboard when it is chosen). */
  onInput(listener: (bytes: Uint8Array, timeMs: number) => void): () => void {
    return this.manager.onInput(listener);
  }

  /** The on-screen keyboard: bytes enter exactly as a MIDI keyboard's would. */
  playKeys(bytes: number[]): void {
    this.ports.keyboard.play(ON_SCREEN_KEYBOARD, bytes);
  }

  startRecording(request: { qpm: number; meter: { numerator: number; denominator: number }; countInBars: number; stopAfterBars?: number }): string {
    if (this.recording) throw new StudioError('busy', 'already recording; stop the current recording first');
    const { events, runs, clock } = this.options;
    const { runId } = runs.start('record');
    // While recording, the window is told each beat (the metronome clicks only during the
    // count-in, so its clicks cannot be what moves the display on). A display needs no precise wake-up.
    const unitMs = (60_000 / request.qpm) * (4 / request.meter.denominator);
    const around = (clock.around ?? clock.at).bind(clock);
    let stopBeats: (() => void) | null = null;
    const beatFrom = (beat: number) => {
      stopBeats = around(recorder.downbeat + beat * unitMs, () => {
        if (recorder.state !== 'recording') return;
        events.emit('record.state', { runId, state: 'recording', beat });
        beatFrom(beat + 1);
      });
    };
    const recorder: Recorder = new Recorder({
      clock,
      qpm: request.qpm,
      meter: request.meter,
      countInBars: request.countInBars,
      stopAfterBars: request.stopAfterBars,
      metronome: { bus: this.manager.bus, during: 'count-in' },
      quantize: seedQuantizer(),
      onClick: (beat) => {
        if (recorder.state !== 'count-in') return;
        events.emit('record.state', { runId, state: 'count-in', beat });
      },
      onState: (state) => {
        if (state === 'recording') beatFrom(0);
      },
      onRecording: (recording) => {
        stopBeats?.();
        this.recording?.cancelInput();
        this.recording = null;
        runs.finish(runId);
        events.emit('record.state', { runId, state: 'done', beat: 0 });
        events.emit('record.done', { runId, notes: recording.seed.notes.map(toNoteDto), qpm: request.qpm, dropped: recording.stats.beforeDownbeat });
      },
    });
    const cancelInput = this.manager.onInput((bytes, timeMs) => recorder.feed(bytes, timeMs));
    this.recording = { runId, recorder, cancelInput, qpm: request.qpm };
    recorder.start();
    return runId;
  }

  stopRecording(runId: string): boolean {
    if (!this.recording || this.recording.runId !== runId) return false;
    this.recording.recorder.stop(); // onRecording reports the seed
    return true;
  }

  play(request: { notes: NoteDto[]; qpm: number; fromBeat: number; loop: { start: number; end: number } | null; clicks?: NoteDto[] }): string {
    this.stopPlayback();
    const { events, runs, clock } = this.options;
    const { runId } = runs.start('play');
    const settings = this.manager.currentSettings();
    const scheduler = this.factory({ clock, bus: this.manager.bus, qpm: request.qpm, channel: settings.channel, program: settings.program ?? undefined, voiceName: 'playback' });
    const sequence: NoteSequence = {
      notes: request.notes.map((n) => ({ ...n })),
      tempos: [{ time: 0, qpm: request.qpm }],
      timeSignatures: [],
      keySignatures: [],
      totalTime: Math.max(0, ...request.notes.map((n) => n.end)),
    };
    scheduler.load(sequence);
    if (request.loop && request.loop.end > request.loop.start) scheduler.setLoop(request.loop);
    if (request.clicks?.length) scheduler.setMetronome(request.clicks.map((n) => ({ ...n })));
    const timer = setInterval(() => events.emit('playback.state', { runId, playing: true, beat: scheduler.position() }), 50);
    scheduler.onEnd(() => {
      clearInterval(timer);
      if (this.playback?.runId === runId) this.playback = null;
      runs.finish(runId);
      events.emit('playback.state', { runId, playing: false, beat: scheduler.position() });
      scheduler.dispose();
    });
    this.playback = { runId, scheduler, timer };
    scheduler.play(request.fromBeat);
    return runId;
  }

  stopPlayback(): boolean {
    if (!this.playback) return false;
    this.playback.scheduler.stop(); // onEnd cleans up and reports
    return true;
  }

  panic(): void {
    this.stopPlayback();
    this.thread?.panic();
    this.manager.panic();
  }

  dispose(): void {
    this.disposed = true;
    this.recording?.recorder.cancel();
    this.recording?.cancelInput();
    this.recording = null;
    this.stopPlayback();
    for (const off of this.cleanups.splice(0)) off();
    this.thread?.dispose();
    this.thread = null;
    this.manager?.dispose();
  }
}

/** The devices, recording and playback channels; `panic` also stops call-and-response. */
export function setupDevices({ devices, callResponse }: { devices: DevicesService; callResponse: { stop(): void } }): Pick<Handlers, 'devices' | 'chooseDevices' | 'playKeys' | 'startRecording' | 'stopRecording' | 'play' | 'stopPlayback' | 'panic'> {
  return {
    devices: () => devices.state(),
    chooseDevices: (request) => devices.choose(request),
    playKeys: ({ bytes }) => {
      devices.playKeys(bytes);
      return {};
    },
    startRecording: (request) => ({ runId: devices.startRecording(request) }),
    stopRecording: ({ runId }) => ({ stopped: devices.stopRecording(runId) }),
    play: (request) => ({ runId: devices.play(request) }),
    stopPlayback: () => ({ stopped: devices.stopPlayback() }),
    panic: () => {
      callResponse.stop();
      devices.panic();
      return {};
    },
  };
}
