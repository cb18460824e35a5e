/**
 * The RtMidi adapter: the ONLY file in Seedsong that imports @julusian/midi (ALSA on Linux,
 * CoreMIDI on macOS, WinMM on Windows). It loads the module lazily, so the studio starts on
 * machines where the native part is missing, and turns every way MIDI can fail to start into one
 * sentence a musician understands.
 *
 * What happens on a machine without sound devices (measured here, Linux without /dev/snd):
 * importing the module works, verifyLibraryLoaded() passes, but `new Input()` / `new Output()`
 * (and the static getPortNames) throw "Failed to initialise RtMidi" after ALSA has printed
 * "open /dev/snd/seq failed" to stderr from C (which JS cannot silence). So on Linux we look for
 * /dev/snd/seq first and never construct RtMidi objects when it is absent: no noise, clear reason.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { realClock, type Cancel, type Clock } from './clock';
import { Listeners, MidiPortError, type MessageListener, type MidiInput, type MidiOutput, type MidiPortInfo, type MidiSystem, type OpenSystemResult, type PortKind } from './port';

/** The part of @julusian/midi we use; tests pass a fake with the same shape. */
export interface RtMidiModule {
  Input: new () => RtInput;
  Output: new () => RtOutput;
}
interface RtPort {
  getPortCount(): number;
  getPortName(port: number): string;
  openPort(port: number): void;
  openVirtualPort(name: string): void;
  closePort(): void;
  destroy?(): void;
}
export interface RtInput extends RtPort {
  on(event: 'message', cb: (deltaSeconds: number, message: number[]) => void): unknown;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
}
export interface RtOutput extends RtPort {
  sendMessage(message: number[] | Buffer): void;
}

export interface RtMidiOptions {
  clock?: Clock;
  platform?: NodeJS.Platform;
  /** Is this path there and usable? (tests pretend /dev/snd/seq exists or not) */
  deviceAccess?: (path: string) => 'ok' | 'missing' | 'denied';
  /** Loads the module; the default is a dynamic import of @julusian/midi. */
  load?: () => Promise<RtMidiModule>;
}

const ALSA_SEQ = '/dev/snd/seq';

function defaultAccess(path: string): 'ok' | 'missing' | 'denied' {
  if (!existsSync(path)) return 'missing';
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return 'ok';
  } catch {
    return 'denied';
  }
}

async function defaultLoad(): Promise<RtMidiModule> {
  const mod = (await import('@julusian/midi')) as unknown as RtMidiModule & { default?: RtMidiModule };
  return mod.Input ? mod : (mod.default as RtMidiModule);
}

function systemName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'CoreMIDI';
  if (platform === 'win32') return 'Windows MIDI';
  return 'ALSA';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Opens the operating system's MIDI, or says in one sentence why it cannot. Never throws. */
export async function openRtMidi(options: RtMidiOptions = {}): Promise<OpenSystemResult> {
  const platform = options.platform ?? process.platform;
  const api = systemName(platform);
  if (platform === 'linux') {
    const access = (options.deviceAccess ?? defaultAccess)(ALSA_SEQ);
    if (access === 'missing') {
      return { ok: false, reason: `this computer has no ALSA MIDI sequencer (${ALSA_SEQ} is missing: no sound devices, or a container without them)` };
    }
    if (access === 'denied') {
      return { ok: false, reason: `${ALSA_SEQ} exists but this user may not open it (add the user to the "audio" group and log in again)` };
    }
  }
  let mod: RtMidiModule;
  try {
    mod = await (options.load ?? defaultLoad)();
  } catch (e) {
    const msg = messageOf(e);
    if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg)) {
      return { ok: false, reason: 'the MIDI driver (@julusian/midi) is not installed with this copy of Seedsong' };
    }
    return { ok: false, reason: `the MIDI driver could not be loaded on this system (${msg})` };
  }
  let scanIn: RtInput;
  let scanOut: RtOutput;
  try {
    scanIn = new mod.Input();
    scanOut = new mod.Output();
  } catch (e) {
    return { ok: false, reason: `${api} MIDI could not be started (${messageOf(e)})` };
  }
  return { ok: true, system: new RtMidiSystem(mod, scanIn, scanOut, `${api} (RtMidi)`, platform, options.clock ?? realClock()) };
}

/**
 * ALSA names end in the client:port numbers ("Keystation 61:Keystation 61 MIDI 1 24:0"), which
 * change when the device is plugged into another socket; settings remember names without them.
 */
function displayNames(raw: string[], platform: NodeJS.Platform): string[] {
  const base = raw.map((n) => (platform === 'linux' ? n.replace(/\s+\d+:\d+$/, '') : n).trim());
  const seen = new Map<string, number>();
  return base.map((n) => {
    const count = (seen.get(n) ?? 0) + 1;
    seen.set(n, count);
    return count === 1 ? n : `${n} (${count})`;
  });
}

interface OpenHandle {
  info: MidiPortInfo;
  disconnects: Listeners<[]>;
}

class RtMidiSystem implements MidiSystem {
  private open = new Set<OpenHandle>();
  private virtualNames = new Set<string>();

  constructor(
    private readonly mod: RtMidiModule,
    private readonly scanIn: RtInput,
    private readonly scanOut: RtOutput,
    readonly name: string,
    private readonly platform: NodeJS.Platform,
    private readonly clock: Clock,
  ) {}

  private names(kind: PortKind): string[] {
    const port: RtPort = kind === 'input' ? this.scanIn : this.scanOut;
    const raw: string[] = [];
    try {
      const n = port.getPortCount();
      for (let i = 0; i < n; i++) raw.push(port.getPortName(i));
    } catch {
      return [];
    }
    return displayNames(raw, this.platform);
  }

  private list(kind: PortKind): MidiPortInfo[] {
    const names = this.names(kind);
    // RtMidi cannot tell us a port went away; listing is how we notice (the device manager polls).
    for (const h of [...this.open]) {
      if (h.info.kind === kind && !h.info.virtual && !names.includes(h.info.name)) {
        this.open.delete(h);
        h.disconnects.emit();
      }
    }
    // ALSA shows our own virtual ports as "RtMidi Output Client:Seedsong out" (the client name is fixed by the binding).
    const ours = (name: string) => [...this.virtualNames].some((v) => name === v || name.endsWith(`:${v}`));
    return names.map((name) => ({ name, kind, virtual: ours(name) }));
  }

  listInputs(): MidiPortInfo[] {
    return this.list('input');
  }
  listOutputs(): MidiPortInfo[] {
    return this.list('output');
  }

  private indexOf(kind: PortKind, name: string): number {
    const i = this.names(kind).indexOf(name);
    if (i < 0) throw new MidiPortError(`There is no MIDI ${kind} called "${name}" (is it plugged in?)`, name);
    return i;
  }

  openInput(name: string): MidiInput {
    const index = this.indexOf('input', name);
    return this.makeInput({ name, kind: 'input', virtual: false }, (rt) => rt.openPort(index));
  }

  openOutput(name: string): MidiOutput {
    const index = this.indexOf('output', name);
    return this.makeOutput({ name, kind: 'output', virtual: false }, (rt) => rt.openPort(index));
  }

  private checkVirtual(name: string): void {
    if (this.platform === 'win32') {
      throw new MidiPortError(`Windows cannot create the virtual port "${name}"; a loopback driver such as loopMIDI can stand in`, name);
    }
  }

  openVirtualInput(name: string): MidiInput {
    this.checkVirtual(name);
    this.virtualNames.add(name);
    return this.makeInput({ name, kind: 'input', virtual: true }, (rt) => rt.openVirtualPort(name));
  }

  openVirtualOutput(name: string): MidiOutput {
    this.checkVirtual(name);
    this.virtualNames.add(name);
    return this.makeOutput({ name, kind: 'output', virtual: true }, (rt) => rt.openVirtualPort(name));
  }

  private makeInput(info: MidiPortInfo, openIt: (rt: RtInput) => void): MidiInput {
    const rt = new this.mod.Input();
    const messages = new Listeners<[Uint8Array, number]>();
    const handle: OpenHandle = { info, disconnects: new Listeners() };
    let lastMs: number | undefined;
    // SysEx, MIDI clock and active sensing are dropped in the driver: a SysEx flood never reaches JS.
    rt.ignoreTypes(true, true, true);
    rt.on('message', (deltaSeconds, message) => {
      const now = this.clock.now();
      // RtMidi gives the time since the previous message, measured by the driver. Chaining those
      // keeps the player's rhythm even when our event loop was busy; a long gap or a chain that
      // has fallen far behind re-anchors on the arrival time.
      let t = lastMs === undefined || !(deltaSeconds >= 0) || deltaSeconds > 1 ? now : Math.min(now, lastMs + deltaSeconds * 1000);
      if (now - t > 250) t = now;
      lastMs = t;
      messages.emit(Uint8Array.from(message), t);
    });
    try {
      openIt(rt);
    } catch (e) {
      rt.destroy?.();
      throw new MidiPortError(`Could not open MIDI input "${info.name}" (${messageOf(e)})`, info.name);
    }
    this.open.add(handle);
    let closed = false;
    return {
      info,
      onMessage: (l: MessageListener): Cancel => messages.add(l),
      onDisconnect: (l: () => void): Cancel => handle.disconnects.add(l),
      close: () => {
        if (closed) return;
        closed = true;
        this.open.delete(handle);
        messages.clear();
        try {
          rt.closePort();
          rt.destroy?.();
        } catch {
          // Closing a port whose device is gone can fail; there is nothing left to release.
        }
      },
    };
  }

  private makeOutput(info: MidiPortInfo, openIt: (rt: RtOutput) => void): MidiOutput {
    const rt = new this.mod.Output();
    const handle: OpenHandle = { info, disconnects: new Listeners() };
    try {
      openIt(rt);
    } catch (e) {
      rt.destroy?.();
      throw new MidiPortError(`Could not open MIDI output "${info.name}" (${messageOf(e)})`, info.name);
    }
    this.open.add(handle);
    let closed = false;
    return {
      info,
      // A virtual port exists once, in this thread; a hardware port can be opened again by name.
      threadTarget: info.virtual ? undefined : { kind: 'rtmidi', name: info.name },
      send: (bytes: ArrayLike<number>) => {
        if (closed) throw new MidiPortError(`MIDI output "${info.name}" is closed`, info.name);
        rt.sendMessage(Array.from(bytes));
      },
      onDisconnect: (l: () => void): Cancel => handle.disconnects.add(l),
      close: () => {
        if (closed) return;
        closed = true;
        this.open.delete(handle);
        try {
          rt.closePort();
          rt.destroy?.();
        } catch {
          // see makeInput
        }
      },
    };
  }

  dispose(): void {
    for (const h of [...this.open]) h.disconnects.emit();
    this.open.clear();
    for (const rt of [this.scanIn, this.scanOut]) {
      try {
        rt.destroy?.();
      } catch {
        // already gone
      }
    }
  }
}
