/**
 * An in-memory MIDI system: ports that can be added and removed at will (hot-plug), outputs that
 * loop back into inputs of the same name, a keyboard you can play from code, ports that fail on
 * demand, and a log of every message sent. Used by tests, e2e and `serve` when there is no hardware.
 */
import { CC_ALL_NOTES_OFF, CC_ALL_SOUND_OFF, CONTROL_CHANGE, NOTE_OFF, NOTE_ON } from './bytes';
import type { Cancel, Clock } from './clock';
import { Listeners, MidiPortError, type MessageListener, type MidiInput, type MidiOutput, type MidiPortInfo, type MidiSystem, type PortKind } from './port';

export interface LogEntry {
  port: string;
  bytes: number[];
  /** When the sender meant it to sound (its atMs, or the send time if it gave none). */
  atMs: number;
  /** Clock time when send() was called. */
  sentMs: number;
}

interface PortState {
  info: MidiPortInfo;
  inputs: Set<LoopbackInput>;
  outputs: Set<LoopbackOutput>;
  /** Decides whether a send to this port throws (tests of broken drivers). */
  failure?: (bytes: number[]) => Error | undefined;
}

class LoopbackInput implements MidiInput {
  readonly messages = new Listeners<[Uint8Array, number]>();
  readonly disconnects = new Listeners<[]>();
  closed = false;
  constructor(
    readonly info: MidiPortInfo,
    private readonly detach: () => void,
  ) {}
  onMessage(listener: MessageListener): Cancel {
    return this.messages.add(listener);
  }
  onDisconnect(listener: () => void): Cancel {
    return this.disconnects.add(listener);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.messages.clear();
    this.disconnects.clear();
  }
}

class LoopbackOutput implements MidiOutput {
  readonly disconnects = new Listeners<[]>();
  closed = false;
  constructor(
    readonly info: MidiPortInfo,
    private readonly deliver: (bytes: number[], atMs: number | undefined) => void,
    private readonly detach: () => void,
  ) {}
  send(bytes: ArrayLike<number>, atMs?: number): void {
    if (this.closed) throw new MidiPortError(`"${this.info.name}" is closed`, this.info.name);
    this.deliver(Array.from(bytes), atMs);
  }
  onDisconnect(listener: () => void): Cancel {
    return this.disconnects.add(listener);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.disconnects.clear();
  }
}

export class LoopbackMidiSystem implements MidiSystem {
  readonly name = 'loopback';
  readonly log: LogEntry[] = [];
  private ports = new Map<string, PortState>();

  constructor(private readonly clock: Clock) {}

  private key(kind: PortKind, name: string) {
    return `${kind}:${name}`;
  }

  private add(kind: PortKind, name: string, virtual: boolean): void {
    if (!this.ports.has(this.key(kind, name))) {
      this.ports.set(this.key(kind, name), { info: { name, kind, virtual }, inputs: new Set(), outputs: new Set() });
    }
  }

  /** Plugs in a keyboard (an input the test plays with `play`). */
  addInput(name: string): void {
    this.add('input', name, false);
  }
  /** Plugs in a synth (an output whose messages land in `log`). */
  addOutput(name: string): void {
    this.add('output', name, false);
  }
  /** An output and an input of the same name: what goes out comes back in. */
  addPair(name: string): void {
    this.addInput(name);
    this.addOutput(name);
  }

  /** Unplugs a port: open handles hear onDisconnect, later sends throw. */
  remove(name: string, kind?: PortKind): void {
    for (const k of kind ? [kind] : (['input', 'output'] as const)) {
      const state = this.ports.get(this.key(k, name));
      if (!state) continue;
      this.ports.delete(this.key(k, name));
      for (const input of state.inputs) {
        input.disconnects.emit();
        input.close();
      }
      for (const output of state.outputs) {
        output.disconnects.emit();
        output.close();
      }
    }
  }

  /** Makes sends to an output throw whenever `failure` returns an Error. */
  failSends(name: string, failure: ((bytes: number[]) => Error | undefined) | undefined): void {
    const state = this.ports.get(this.key('output', name));
    if (!state) throw new MidiPortError(`no output "${name}"`, name);
    state.failure = failure;
  }

  /** Plays bytes on an input, as a keyboard would. */
  play(name: string, bytes: ArrayLike<number>, timeMs = this.clock.now()): void {
    const state = this.ports.get(this.key('input', name));
    if (!state) throw new MidiPortError(`no input "${name}"`, name);
    const chunk = Uint8Array.from(bytes);
    for (const input of state.inputs) input.messages.emit(chunk, timeMs);
  }

  listInputs(): MidiPortInfo[] {
    return [...this.ports.values()].filter((p) => p.info.kind === 'input').map((p) => ({ ...p.info }));
  }
  listOutputs(): MidiPortInfo[] {
    return [...this.ports.values()].filter((p) => p.info.kind === 'output').map((p) => ({ ...p.info }));
  }

  openInput(name: string): MidiInput {
    const state = this.ports.get(this.key('input', name));
    if (!state) throw new MidiPortError(`There is no MIDI input called "${name}"`, name);
    const input: LoopbackInput = new LoopbackInput(state.info, () => state.inputs.delete(input));
    state.inputs.add(input);
    return input;
  }

  openOutput(name: string): MidiOutput {
    const state = this.ports.get(this.key('output', name));
    if (!state) throw new MidiPortError(`There is no MIDI output called "${name}"`, name);
    const output: LoopbackOutput = new LoopbackOutput(
      state.info,
      (bytes, atMs) => {
        const error = state.failure?.(bytes);
        if (error) throw error;
        const sentMs = this.clock.now();
        this.log.push({ port: name, bytes, atMs: atMs ?? sentMs, sentMs });
        const looped = this.ports.get(this.key('input', name));
        if (looped) {
          const chunk = Uint8Array.from(bytes);
          for (const input of looped.inputs) input.messages.emit(chunk, sentMs);
        }
      },
      () => state.outputs.delete(output),
    );
    state.outputs.add(output);
    return output;
  }

  openVirtualInput(name: string): MidiInput {
    this.add('input', name, true);
    return this.openInput(name);
  }
  openVirtualOutput(name: string): MidiOutput {
    this.add('output', name, true);
    return this.openOutput(name);
  }

  dispose(): void {
    for (const state of [...this.ports.values()]) this.remove(state.info.name, state.info.kind);
  }

  /** Log entries for one port. */
  sent(port: string): LogEntry[] {
    return this.log.filter((e) => e.port === port);
  }
}

/**
 * Which notes a synth listening to `entries` would still be holding at the end.
 * With `honourAllNotesOff: false` only explicit note-offs count, which is the strict check that
 * panic really sent a note-off for every note (some synths ignore CC123).
 */
export function soundingNotes(entries: readonly LogEntry[], options: { honourAllNotesOff: boolean }): { channel: number; pitch: number }[] {
  const on = new Map<number, number>();
  for (const e of entries) {
    const [status, d1 = 0, d2 = 0] = e.bytes;
    if (status === undefined) continue;
    const type = status & 0xf0;
    const ch = status & 0x0f;
    const key = ch * 128 + d1;
    if (type === NOTE_ON && d2 > 0) on.set(key, (on.get(key) ?? 0) + 1);
    else if (type === NOTE_OFF || (type === NOTE_ON && d2 === 0)) on.delete(key);
    else if (type === CONTROL_CHANGE && options.honourAllNotesOff && (d1 === CC_ALL_NOTES_OFF || d1 === CC_ALL_SOUND_OFF)) {
      for (const k of [...on.keys()]) if (Math.floor(k / 128) === ch) on.delete(k);
    }
  }
  return [...on.keys()].map((k) => ({ channel: Math.floor(k / 128), pitch: k % 128 }));
}
