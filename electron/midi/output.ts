/**
 * OutputBus: the one object everything sends through (scheduler, metronome, MIDI thru,
 * call-and-response), so panic knows every note that is sounding and every channel used.
 *
 * It survives the things real setups do: the output changes while notes sound (panic on the old
 * one first), the port throws on send (the musician is told once per port, the other notes still
 * get their note-offs), no output at all (messages go nowhere, nothing breaks).
 *
 * A note-off that the port refused is still owed: the synth is holding that key. Owed note-offs
 * are sent again before the next message, on panic, when the same port is chosen again after it
 * was lost, and (given a clock) on a timer that backs off while the port keeps refusing. A note-on
 * for a key whose note-off is still owed gets that note-off first.
 */
import { CC_ALL_NOTES_OFF, CC_ALL_SOUND_OFF, NOTE_OFF, NOTE_ON, controlChange, noteOff, noteOn, readMessage } from './bytes';
import type { Cancel, Clock } from './clock';
import { Listeners, type MidiOutput } from './port';

export interface OutputBusOptions {
  /** Told once per port when sends start failing, in words for the status bar. */
  onError?: (message: string) => void;
  /** For retrying owed note-offs on a timer; without it they are retried on the next send or panic. */
  clock?: Clock;
  /** First retry after this many ms; doubles up to 2 s while the port keeps refusing. */
  retryMs?: number;
}

const MAX_RETRY_MS = 2000;

export class OutputBus {
  private current: MidiOutput | null = null;
  /** "Seedsong out": a virtual port that hears everything the chosen output hears, for a DAW. */
  private mirrorPort: MidiOutput | null = null;
  private readonly voices = new Set<Voice>();
  private usedChannels = new Set<number>();
  private failingPortReported = false;
  /** (channel << 7 | pitch) of note-offs the port refused (or never got: it was lost mid-note). */
  private readonly owed = new Set<number>();
  /** The port those note-offs are owed to, by name (a port that comes back is a new object). */
  private owedPort: string | null = null;
  private flushing = false;
  private cancelRetry: Cancel | undefined;
  private retryDelay: number;
  private readonly portListeners = new Listeners<[MidiOutput | null]>();
  /** Sends that threw since the port was chosen. */
  sendFailures = 0;
  /** Sent this many ms early, to line this output up with the others (a slow synth needs more). */
  latencyMs = 0;

  constructor(private readonly options: OutputBusOptions = {}) {
    this.retryDelay = options.retryMs ?? 50;
  }

  get port(): MidiOutput | null {
    return this.current;
  }

  /** Note-offs still owed to the synth (its keys may be sounding). */
  get owedNoteOffs(): { channel: number; pitch: number }[] {
    return [...this.owed].map((k) => ({ channel: k >> 7, pitch: k & 127 }));
  }

  /**
   * Switches output: everything sounding on the old one is silenced there first. Note-offs owed
   * to a port that was lost are delivered when a port of the same name is chosen again.
   */
  setPort(port: MidiOutput | null): void {
    if (port === this.current) return;
    this.panic();
    this.current = port;
    this.failingPortReported = false;
    this.sendFailures = 0;
    this.portListeners.emit(port);
    if (!port) return;
    if (this.owed.size && this.owedPort !== port.info.name) this.owed.clear();
    this.owedPort = port.info.name;
    if (this.owed.size) {
      for (const k of this.owed) this.usedChannels.add(k >> 7);
      this.retryOwed();
      this.armRetry(true);
    }
  }

  /**
   * The old port vanished: nothing can be sent to it now. What was sounding there is owed to it
   * by name, so a synth that comes back (a cable pulled and pushed back in) hears its note-offs.
   */
  portLost(): void {
    const name = this.current?.info.name ?? this.owedPort;
    for (const { channel, pitch } of this.sounding()) this.owed.add((channel << 7) | pitch);
    for (const v of this.voices) v.forget();
    this.usedChannels.clear();
    this.current = null;
    this.owedPort = name;
    this.stopRetry();
    this.portListeners.emit(null);
  }

  /** Told when the output changes or is lost (the playback thread follows it). */
  onPortChange(listener: (port: MidiOutput | null) => void): Cancel {
    return this.portListeners.add(listener);
  }

  /** A sender whose notes can be released on their own (an answer stopping leaves thru notes alone). */
  voice(name: string): Voice {
    const v = new Voice(name, this);
    this.voices.add(v);
    return v;
  }

  setMirror(port: MidiOutput | null): void {
    this.mirrorPort = port;
  }

  /**
   * Sends without note tracking (metronome housekeeping, program changes). False if the port
   * refused it. Owed note-offs go first.
   */
  send(bytes: ArrayLike<number>, atMs?: number): boolean {
    if (this.owed.size && !this.flushing) this.retryOwed();
    return this.deliver(bytes, atMs);
  }

  /**
   * A message another thread already sent to this same port: only the mirror hears it here.
   * @internal used by Voice.record
   */
  mirrorOnly(bytes: ArrayLike<number>, atMs?: number): void {
    const status = bytes[0];
    if (status !== undefined && status >= 0x80 && status < 0xf0) this.usedChannels.add(status & 0x0f);
    try {
      this.mirrorPort?.send(bytes, atMs);
    } catch {
      // see deliver
    }
  }

  /** Every note that is sounding, across all voices. */
  sounding(): { channel: number; pitch: number }[] {
    const keys = new Set<number>();
    for (const v of this.voices) for (const k of v.keys()) keys.add(k);
    return [...keys].map((k) => ({ channel: k >> 7, pitch: k & 127 }));
  }

  /**
   * Note-off for every sounding note and every owed one, then All Notes Off (CC123) and All Sound
   * Off (CC120) on every channel used since the last panic. Each send stands alone: one failing
   * does not stop the rest (and a refused note-off stays owed).
   */
  panic(): void {
    const keys = new Set<number>(this.owed);
    for (const v of this.voices) for (const k of v.keys()) keys.add(k);
    for (const v of this.voices) v.forget();
    const channels = new Set(this.usedChannels);
    for (const k of [...keys].sort((a, b) => a - b)) {
      channels.add(k >> 7);
      this.deliver(noteOff(k >> 7, k & 127));
    }
    for (const ch of [...channels].sort((a, b) => a - b)) {
      this.deliver(controlChange(ch, CC_ALL_NOTES_OFF, 0));
      this.deliver(controlChange(ch, CC_ALL_SOUND_OFF, 0));
    }
    this.usedChannels.clear();
  }

  /** Stops the retry timer (the bus is no longer used). */
  dispose(): void {
    this.stopRetry();
  }

  /** @internal used by Voice.release */
  channelHeldByOthers(channel: number, except: Voice): boolean {
    for (const v of this.voices) if (v !== except && v.holdsChannel(channel)) return true;
    return false;
  }

  /** @internal */
  dropVoice(v: Voice): void {
    this.voices.delete(v);
  }

  // --- internals ---

  /** One send to the port (and the mirror), keeping the owed note-offs up to date. */
  private deliver(bytes: ArrayLike<number>, atMs?: number): boolean {
    const port = this.current;
    const status = bytes[0];
    if (status !== undefined && status >= 0x80 && status < 0xf0) this.usedChannels.add(status & 0x0f);
    let ok = true;
    if (port) {
      try {
        port.send(bytes, atMs);
      } catch (e) {
        ok = false;
        this.sendFailures++;
        if (!this.failingPortReported) {
          this.failingPortReported = true;
          this.options.onError?.(`MIDI output "${port.info.name}" stopped accepting notes (${(e as Error).message ?? e}).`);
        }
      }
      this.track(bytes, ok, port.info.name);
    }
    if (this.mirrorPort) {
      try {
        this.mirrorPort.send(bytes, atMs);
      } catch {
        // A DAW that went away must not disturb the synth the musician is hearing.
      }
    }
    return ok;
  }

  private track(bytes: ArrayLike<number>, ok: boolean, portName: string): void {
    const m = readMessage(bytes);
    if (!m) return;
    const key = (m.channel << 7) | (m.data1 & 127);
    const off = m.type === NOTE_OFF || (m.type === NOTE_ON && m.data2 === 0);
    if (off && !ok) {
      this.owed.add(key);
      this.owedPort = portName;
      this.armRetry(false);
    } else if (ok && (off || m.type === NOTE_ON)) {
      // A note-on that got through replaces the old note on that key: its own note-off will end both.
      if (this.owed.delete(key) && this.owed.size === 0) this.stopRetry();
    }
  }

  private retryOwed(): void {
    if (!this.current || this.flushing) return;
    this.flushing = true;
    try {
      for (const k of [...this.owed]) {
        // The port still refuses: stop here and keep the rest for later, in order.
        if (!this.deliver(noteOff(k >> 7, k & 127))) break;
      }
    } finally {
      this.flushing = false;
    }
    if (this.owed.size === 0) this.stopRetry();
  }

  private armRetry(reset: boolean): void {
    const clock = this.options.clock;
    if (!clock || !this.current) return;
    if (reset) this.retryDelay = this.options.retryMs ?? 50;
    if (this.cancelRetry) return;
    const at = clock.now() + this.retryDelay;
    const run = () => {
      this.cancelRetry = undefined;
      this.retryOwed();
      if (this.owed.size && this.current) {
        this.retryDelay = Math.min(MAX_RETRY_MS, this.retryDelay * 2);
        this.armRetry(false);
      } else {
        this.retryDelay = this.options.retryMs ?? 50;
      }
    };
    this.cancelRetry = clock.around ? clock.around(at, run) : clock.at(at, run);
  }

  private stopRetry(): void {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.retryDelay = this.options.retryMs ?? 50;
  }
}

export class Voice {
  /** (channel << 7 | pitch) -> how many note-ons are unanswered. */
  private on = new Map<number, number>();
  private channels = new Set<number>();

  constructor(
    readonly name: string,
    private readonly bus: OutputBus,
  ) {}

  /** Sends a channel message, keeping count of note-ons and note-offs. */
  send(bytes: ArrayLike<number>, atMs?: number): boolean {
    this.track(bytes);
    return this.bus.send(bytes, atMs);
  }

  /**
   * Notes a message the playback thread has already sent to the same device, so panic and
   * release know what is sounding (and the "Seedsong out" mirror hears it).
   */
  record(bytes: ArrayLike<number>, atMs?: number): void {
    this.track(bytes);
    this.bus.mirrorOnly(bytes, atMs);
  }

  private track(bytes: ArrayLike<number>): void {
    const m = readMessage(bytes);
    if (!m) return;
    this.channels.add(m.channel);
    const key = (m.channel << 7) | (m.data1 & 127);
    if (m.type === NOTE_ON && m.data2 > 0) this.on.set(key, (this.on.get(key) ?? 0) + 1);
    else if (m.type === NOTE_OFF || m.type === NOTE_ON) this.on.delete(key);
  }

  noteOn(channel: number, pitch: number, velocity: number, atMs?: number): boolean {
    return this.send(noteOn(channel, pitch, velocity), atMs);
  }
  noteOff(channel: number, pitch: number, atMs?: number): boolean {
    return this.send(noteOff(channel, pitch), atMs);
  }
  isSounding(channel: number, pitch: number): boolean {
    return this.on.has((channel << 7) | pitch);
  }
  get soundingCount(): number {
    return this.on.size;
  }

  /**
   * Silences this voice only: note-offs for its notes, then CC123/CC120 on its channels unless
   * another voice (the musician's own notes through MIDI thru) is holding notes there.
   */
  release(): void {
    for (const key of [...this.on.keys()]) this.send(noteOff(key >> 7, key & 127));
    this.on.clear();
    for (const ch of [...this.channels].sort((a, b) => a - b)) {
      if (this.bus.channelHeldByOthers(ch, this)) continue;
      this.bus.send(controlChange(ch, CC_ALL_NOTES_OFF, 0));
      this.bus.send(controlChange(ch, CC_ALL_SOUND_OFF, 0));
    }
    this.channels.clear();
  }

  /** @internal */
  keys(): IterableIterator<number> {
    return this.on.keys();
  }
  /** @internal */
  holdsChannel(channel: number): boolean {
    for (const k of this.on.keys()) if (k >> 7 === channel) return true;
    return false;
  }
  /** @internal */
  forget(): void {
    this.on.clear();
    this.channels.clear();
  }

  dispose(): void {
    this.release();
    this.bus.dropVoice(this);
  }
}
