/**
 * DeviceManager: which keyboard and which synth, remembered by name, followed through hot-plug.
 *
 * It owns the OutputBus everything plays through and forwards the chosen input's bytes to
 * whoever listens (recorder, call-and-response, MIDI thru). Ports are polled on the injected
 * clock because RtMidi has no plug/unplug notification; a remembered device that comes back is
 * reopened without the musician doing anything. Every problem is told once, as a sentence.
 */
import { CONTROL_CHANGE, MidiParser, NOTE_OFF, NOTE_ON } from './bytes';
import type { Cancel, Clock } from './clock';
import { OutputBus, type Voice } from './output';
import { Listeners, type MidiInput, type MidiOutput, type MidiPortInfo, type MidiSystem, type OpenSystemResult } from './port';

export interface OutputSettings {
  /** 0-15 (shown to the musician as 1-16). */
  channel: number;
  /** General MIDI program 0-127, or null to leave the synth's sound as it is. */
  program: number | null;
  /** Positive: this synth is slow, send earlier by this many ms. */
  latencyMs: number;
}

export interface DeviceChoices {
  input: string | null;
  output: string | null;
  /** Per output name, so each synth keeps its own channel, sound and latency. */
  outputSettings: Record<string, OutputSettings>;
  /** Play what the keyboard sends through the chosen output. */
  thru: boolean;
}

export const DEFAULT_OUTPUT_SETTINGS: OutputSettings = { channel: 0, program: null, latencyMs: 0 };

export type DeviceEvent =
  | { type: 'ports'; inputs: MidiPortInfo[]; outputs: MidiPortInfo[] }
  | { type: 'connected'; kind: 'input' | 'output'; name: string }
  | { type: 'lost'; kind: 'input' | 'output'; name: string }
  | { type: 'choices'; choices: DeviceChoices }
  /** Something the musician should read once (status bar, not a dialog). */
  | { type: 'notice'; message: string };

export interface DeviceManagerOptions {
  clock: Clock;
  openSystem: () => Promise<OpenSystemResult> | OpenSystemResult;
  choices?: Partial<DeviceChoices>;
  /** How often to look for plugged and unplugged devices. */
  pollMs?: number;
  /** Names of the virtual ports to create where the OS allows; false for none. */
  virtualPorts?: { input: string; output: string } | false;
}

export const VIRTUAL_PORT_NAMES = { input: 'Seedsong in', output: 'Seedsong out' };

export class DeviceManager {
  readonly bus: OutputBus;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private system: MidiSystem | null = null;
  private unavailableReason: string | null = null;
  private state: DeviceChoices;
  private inputPort: MidiInput | null = null;
  private inputCancel: Cancel[] = [];
  private outputPort: MidiOutput | null = null;
  private outputCancel: Cancel | undefined;
  private virtualIn: MidiInput | null = null;
  private virtualOut: MidiOutput | null = null;
  private knownInputs: MidiPortInfo[] = [];
  private knownOutputs: MidiPortInfo[] = [];
  private cancelPoll: Cancel | undefined;
  private readonly told = new Set<string>();
  private readonly events = new Listeners<[DeviceEvent]>();
  private readonly inputListeners = new Listeners<[Uint8Array, number]>();
  private readonly thruVoice: Voice;
  private readonly thruParser: MidiParser;
  private disposed = false;

  constructor(private readonly options: DeviceManagerOptions) {
    this.clock = options.clock;
    this.pollMs = options.pollMs ?? 1000;
    this.state = {
      input: options.choices?.input ?? null,
      output: options.choices?.output ?? null,
      outputSettings: { ...(options.choices?.outputSettings ?? {}) },
      thru: options.choices?.thru ?? false,
    };
    this.bus = new OutputBus({ onError: (m) => this.notice(m), clock: options.clock });
    this.thruVoice = this.bus.voice('thru');
    this.thruParser = new MidiParser((m) => {
      if (!this.state.thru) return;
      // Notes, pedals and bends follow the keyboard; program changes would override the sound chosen here.
      if (m.type === NOTE_ON || m.type === NOTE_OFF || m.type === CONTROL_CHANGE || m.type === 0xe0 || m.type === 0xa0 || m.type === 0xd0) {
        const ch = this.currentSettings().channel;
        const bytes = m.type === 0xd0 ? [m.type | ch, m.data1] : [m.type | ch, m.data1, m.data2];
        this.thruVoice.send(bytes);
      }
    });
  }

  /** Opens the MIDI system and the remembered ports, then starts watching for hot-plug. */
  async start(): Promise<void> {
    let result: OpenSystemResult;
    try {
      result = await this.options.openSystem();
    } catch (e) {
      result = { ok: false, reason: (e as Error).message ?? String(e) };
    }
    if (this.disposed) {
      if (result.ok) result.system.dispose();
      return;
    }
    if (!result.ok) {
      this.unavailableReason = result.reason;
      this.notice(`no MIDI system: ${result.reason}`);
      return;
    }
    this.system = result.system;
    this.openVirtualPorts();
    this.poll();
  }

  /** Null when MIDI works; otherwise why not, in words. */
  get unavailable(): string | null {
    return this.unavailableReason;
  }
  get systemName(): string | null {
    return this.system?.name ?? null;
  }
  inputs(): MidiPortInfo[] {
    return this.knownInputs.map((p) => ({ ...p }));
  }
  outputs(): MidiPortInfo[] {
    return this.knownOutputs.map((p) => ({ ...p }));
  }
  choices(): DeviceChoices {
    return structuredClone(this.state);
  }
  /** True while the chosen input/output is actually open (false while waiting for it to come back). */
  get inputConnected(): boolean {
    return this.inputPort !== null;
  }
  get outputConnected(): boolean {
    return this.outputPort !== null;
  }

  onEvent(listener: (e: DeviceEvent) => void): Cancel {
    return this.events.add(listener);
  }
  /** Bytes from the chosen input (and from "Seedsong in"), with the time they were played. */
  onInput(listener: (bytes: Uint8Array, timeMs: number) => void): Cancel {
    return this.inputListeners.add(listener);
  }

  /** Chooses the keyboard; a name not plugged in is remembered and opened when it appears. */
  selectInput(name: string | null): void {
    this.closeInput();
    this.state.input = name;
    this.emitChoices();
    if (name) this.tryOpenInput(true);
  }

  /** Chooses the synth; whatever sounds on the old one is silenced first. */
  selectOutput(name: string | null): void {
    this.closeOutput();
    this.state.output = name;
    this.applySettings();
    this.emitChoices();
    if (name) this.tryOpenOutput(true);
  }

  /** Settings of the chosen output (channel, program, latency). */
  currentSettings(): OutputSettings {
    return { ...DEFAULT_OUTPUT_SETTINGS, ...(this.state.output ? this.state.outputSettings[this.state.output] : {}) };
  }

  setOutputSettings(patch: Partial<OutputSettings>): void {
    const name = this.state.output;
    if (!name) return;
    const next = { ...this.currentSettings(), ...patch };
    next.channel = Math.max(0, Math.min(15, Math.round(next.channel)));
    next.latencyMs = Number.isFinite(next.latencyMs) ? Math.max(-500, Math.min(500, next.latencyMs)) : 0;
    if (next.program !== null) next.program = Math.max(0, Math.min(127, Math.round(next.program)));
    if (next.channel !== this.currentSettings().channel) this.thruVoice.release();
    this.state.outputSettings[name] = next;
    this.applySettings();
    this.emitChoices();
  }

  setThru(on: boolean): void {
    if (!on) this.thruVoice.release();
    this.state.thru = on;
    this.emitChoices();
  }

  /** The Panic button. */
  panic(): void {
    this.bus.panic();
  }

  /** Looks at the ports now (the poll timer calls this; tests and a "Rescan" button may too). */
  poll(): void {
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    if (this.disposed || !this.system) return;
    const own = (p: MidiPortInfo) => this.isOwnVirtual(p.name);
    let inputs: MidiPortInfo[];
    let outputs: MidiPortInfo[];
    try {
      inputs = this.system.listInputs().filter((p) => !own(p));
      outputs = this.system.listOutputs().filter((p) => !own(p));
    } catch (e) {
      this.notice(`could not list MIDI devices (${(e as Error).message})`);
      inputs = [];
      outputs = [];
    }
    const changed = JSON.stringify(inputs) !== JSON.stringify(this.knownInputs) || JSON.stringify(outputs) !== JSON.stringify(this.knownOutputs);
    this.knownInputs = inputs;
    this.knownOutputs = outputs;
    if (changed) this.events.emit({ type: 'ports', inputs: this.inputs(), outputs: this.outputs() });
    if (this.state.input && !this.inputPort) this.tryOpenInput(false);
    if (this.state.output && !this.outputPort) this.tryOpenOutput(false);
    const next = this.clock.now() + this.pollMs;
    this.cancelPoll = this.clock.around ? this.clock.around(next, () => this.poll()) : this.clock.at(next, () => this.poll());
  }

  dispose(): void {
    if (this.disposed) return;
    this.bus.panic();
    this.disposed = true;
    this.cancelPoll?.();
    this.closeInput();
    this.closeOutput();
    this.virtualIn?.close();
    this.bus.setMirror(null);
    this.virtualOut?.close();
    this.system?.dispose();
    this.bus.dispose();
    this.events.clear();
    this.inputListeners.clear();
  }

  // --- internals ---

  private notice(message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.events.emit({ type: 'notice', message });
  }

  private emitChoices(): void {
    this.events.emit({ type: 'choices', choices: this.choices() });
  }

  private applySettings(): void {
    this.bus.latencyMs = this.currentSettings().latencyMs;
    const program = this.currentSettings().program;
    if (program !== null && this.outputPort) this.bus.send([0xc0 | this.currentSettings().channel, program]);
  }

  private isOwnVirtual(name: string): boolean {
    const v = this.options.virtualPorts === false ? null : (this.options.virtualPorts ?? VIRTUAL_PORT_NAMES);
    if (!v) return false;
    // ALSA shows RtMidi's virtual ports as "<client name>:<port name>".
    return [v.input, v.output].some((n) => name === n || name.endsWith(`:${n}`));
  }

  private openVirtualPorts(): void {
    const names = this.options.virtualPorts === false ? null : (this.options.virtualPorts ?? VIRTUAL_PORT_NAMES);
    const sys = this.system;
    if (!names || !sys) return;
    if (sys.openVirtualOutput) {
      try {
        this.virtualOut = sys.openVirtualOutput(names.output);
        this.bus.setMirror(this.virtualOut);
      } catch (e) {
        this.notice(`the virtual port "${names.output}" is not available (${(e as Error).message})`);
      }
    }
    if (sys.openVirtualInput) {
      try {
        this.virtualIn = sys.openVirtualInput(names.input);
        this.virtualIn.onMessage((bytes, t) => this.inputListeners.emit(bytes, t));
      } catch (e) {
        this.notice(`the virtual port "${names.input}" is not available (${(e as Error).message})`);
      }
    }
  }

  private tryOpenInput(userAsked: boolean): void {
    const name = this.state.input;
    if (!name || !this.system || this.inputPort) return;
    if (!this.knownInputs.some((p) => p.name === name)) {
      if (userAsked || !this.told.has(`waiting-input:${name}`)) {
        this.told.add(`waiting-input:${name}`);
        this.events.emit({ type: 'notice', message: `MIDI input "${name}" is not connected; it will be used as soon as it is plugged in.` });
      }
      return;
    }
    try {
      const port = this.system.openInput(name);
      this.inputPort = port;
      this.thruParser.reset();
      this.inputCancel = [
        port.onMessage((bytes, t) => {
          this.inputListeners.emit(bytes, t);
          this.thruParser.push(bytes, t);
        }),
        port.onDisconnect(() => this.inputLost()),
      ];
      this.told.delete(`waiting-input:${name}`);
      this.events.emit({ type: 'connected', kind: 'input', name });
    } catch (e) {
      this.notice(`could not open MIDI input "${name}" (${(e as Error).message})`);
    }
  }

  private tryOpenOutput(userAsked: boolean): void {
    const name = this.state.output;
    if (!name || !this.system || this.outputPort) return;
    if (!this.knownOutputs.some((p) => p.name === name)) {
      if (userAsked || !this.told.has(`waiting-output:${name}`)) {
        this.told.add(`waiting-output:${name}`);
        this.events.emit({ type: 'notice', message: `MIDI output "${name}" is not connected; Seedsong will play through it as soon as it is plugged in.` });
      }
      return;
    }
    try {
      const port = this.system.openOutput(name);
      this.outputPort = port;
      this.bus.setPort(port);
      this.outputCancel = port.onDisconnect(() => this.outputLost());
      this.applySettings();
      this.told.delete(`waiting-output:${name}`);
      this.events.emit({ type: 'connected', kind: 'output', name });
    } catch (e) {
      this.notice(`could not open MIDI output "${name}" (${(e as Error).message})`);
    }
  }

  private closeInput(): void {
    for (const c of this.inputCancel) c();
    this.inputCancel = [];
    // Keys still held on the old keyboard would never get their note-off through thru.
    this.thruVoice.release();
    this.inputPort?.close();
    this.inputPort = null;
  }

  private closeOutput(): void {
    this.outputCancel?.();
    this.outputCancel = undefined;
    this.bus.setPort(null); // panics the old port first
    this.outputPort?.close();
    this.outputPort = null;
  }

  private inputLost(): void {
    const name = this.inputPort?.info.name ?? this.state.input ?? '';
    for (const c of this.inputCancel) c();
    this.inputCancel = [];
    this.thruVoice.release();
    this.inputPort?.close();
    this.inputPort = null;
    this.told.add(`waiting-input:${name}`);
    this.events.emit({ type: 'lost', kind: 'input', name });
    this.events.emit({ type: 'notice', message: `MIDI input "${name}" was unplugged; it will be used again when it comes back.` });
  }

  private outputLost(): void {
    const name = this.outputPort?.info.name ?? this.state.output ?? '';
    this.outputCancel?.();
    this.outputCancel = undefined;
    this.bus.portLost();
    this.outputPort?.close();
    this.outputPort = null;
    this.told.add(`waiting-output:${name}`);
    this.events.emit({ type: 'lost', kind: 'output', name });
    this.events.emit({ type: 'notice', message: `MIDI output "${name}" was unplugged; it will be used again when it comes back.` });
  }
}
