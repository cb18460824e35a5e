/**
 * The MidiPort interface: the only way the rest of Seedsong touches MIDI hardware. Two
 * implementations: the RtMidi adapter (rtmidi.ts) and the in-memory loopback (loopback.ts).
 */
import type { Cancel } from './clock';

export type PortKind = 'input' | 'output';

export interface MidiPortInfo {
  /** What the musician sees and what settings remember ("Keystation 61", "Seedsong out"). */
  name: string;
  kind: PortKind;
  /** True for ports Seedsong created itself for other software to connect to. */
  virtual: boolean;
}

export type MessageListener = (bytes: Uint8Array, timeMs: number) => void;

export interface MidiInput {
  readonly info: MidiPortInfo;
  /**
   * Bytes as they arrive, with the time they were played on the Clock the system was given.
   * Chunks may hold one message or a slice of a byte stream; use MidiParser on them.
   */
  onMessage(listener: MessageListener): Cancel;
  onDisconnect(listener: () => void): Cancel;
  close(): void;
}

export interface MidiOutput {
  readonly info: MidiPortInfo;
  /**
   * Sends one complete message. `atMs` is when it is meant to sound: ports that can schedule
   * (none of ours yet) would deliver it then; ours send at once and keep it for logs and benches.
   * May throw when the device is gone or the driver refuses; callers must survive that.
   */
  send(bytes: ArrayLike<number>, atMs?: number): void;
  onDisconnect(listener: () => void): Cancel;
  close(): void;
  /**
   * Set when the playback thread can open this same port itself and send to it directly (an
   * RtMidi hardware port, by name). Ports without it (loopback, the built-in synth) get the
   * thread's messages forwarded through this object on the main thread.
   */
  readonly threadTarget?: { kind: 'rtmidi'; name: string };
}

export interface MidiSystem {
  /** "ALSA (RtMidi)", "CoreMIDI (RtMidi)", "loopback"... shown in the status bar. */
  readonly name: string;
  listInputs(): MidiPortInfo[];
  listOutputs(): MidiPortInfo[];
  /** Throws MidiPortError when no port of that name exists (any more). */
  openInput(name: string): MidiInput;
  openOutput(name: string): MidiOutput;
  /** Creates a port other software (a DAW) can connect to. Undefined where the OS has none (Windows). */
  openVirtualInput?(name: string): MidiInput;
  openVirtualOutput?(name: string): MidiOutput;
  dispose(): void;
}

/** Why MIDI hardware cannot be used, in words for the status bar: "no MIDI system: <reason>". */
export type OpenSystemResult = { ok: true; system: MidiSystem } | { ok: false; reason: string };

export class MidiPortError extends Error {
  override name = 'MidiPortError';
  constructor(
    message: string,
    readonly port: string,
  ) {
    super(message);
  }
}

/** A tiny listener set whose listeners cannot break each other (a throwing listener is reported, not fatal). */
export class Listeners<A extends unknown[]> {
  private set = new Set<(...args: A) => void>();
  constructor(private readonly onError: (e: unknown) => void = () => {}) {}
  add(fn: (...args: A) => void): Cancel {
    this.set.add(fn);
    return () => {
      this.set.delete(fn);
    };
  }
  emit(...args: A): void {
    for (const fn of [...this.set]) {
      try {
        fn(...args);
      } catch (e) {
        this.onError(e);
      }
    }
  }
  clear(): void {
    this.set.clear();
  }
  get size(): number {
    return this.set.size;
  }
}
