/**
 * OutputBus: the one object everything sends through (scheduler, metronome, MIDI thru,
 * call-and-response), so panic knows every note that is sounding and every channel used.
 *
 * It survives the things real setups do: the output changes while notes sound (panic on the old
 * one first), the port throws on send (the musician is told once per port, the other notes still
 * get their note-offs), no output at all (messages go nowhere, nothing breaks).
 */
import { CC_ALL_NOTES_OFF, CC_ALL_SOUND_OFF, NOTE_OFF, NOTE_ON, controlChange, noteOff, noteOn, readMessage } from './bytes';
import type { MidiOutput } from './port';

export interface OutputBusOptions {
  /** Told once per port when sends start failing, in words for the status bar. */
  onError?: (message: string) => void;
}

export class OutputBus {
  private current: MidiOutput | null = null;
  /** "Seedsong out": a virtual port that hears everything the chosen output hears, for a DAW. */
  private mirrorPort: MidiOutput | null = null;
  private readonly voices = new Set<Voice>();
  private usedChannels = new Set<number>();
  private failingPortReported = false;
  /** Sends that threw since the port was chosen. */
  sendFailures = 0;
  /** Sent this many ms early, to line this output up with the others (a slow synth needs more). */
  latencyMs = 0;

  constructor(private readonly options: OutputBusOptions = {}) {}

  get port(): MidiOutput | null {
    return this.current;
  }

  /** Switches output: everything sounding on the old one is silenced there first. */
  setPort(port: MidiOutput | null): void {
    if (port === this.current) return;
    this.panic();
    this.current = port;
    this.failingPortReported = false;
    this.sendFailures = 0;
  }

  /** The old port vanished: nothing can be sent to it, so just forget what was sounding there. */
  portLost(): void {
    for (const v of this.voices) v.forget();
    this.usedChannels.clear();
    this.current = null;
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

  /** Sends without note tracking (metronome housekeeping, program changes). False if it failed. */
  send(bytes: ArrayLike<number>, atMs?: number): boolean {
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

  /** Every note that is sounding, across all voices. */
  sounding(): { channel: number; pitch: number }[] {
    const keys = new Set<number>();
    for (const v of this.voices) for (const k of v.keys()) keys.add(k);
    return [...keys].map((k) => ({ channel: k >> 7, pitch: k & 127 }));
  }

  /**
   * Note-off for every sounding note, then All Notes Off (CC123) and All Sound Off (CC120) on
   * every channel used since the last panic. Each send stands alone: one failing does not stop
   * the rest.
   */
  panic(): void {
    for (const { channel, pitch } of this.sounding()) this.send(noteOff(channel, pitch));
    for (const v of this.voices) v.forget();
    for (const ch of [...this.usedChannels].sort((a, b) => a - b)) {
      this.send(controlChange(ch, CC_ALL_NOTES_OFF, 0));
      this.send(controlChange(ch, CC_ALL_SOUND_OFF, 0));
    }
    this.usedChannels.clear();
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
    const m = readMessage(bytes);
    if (m) {
      this.channels.add(m.channel);
      const key = (m.channel << 7) | (m.data1 & 127);
      if (m.type === NOTE_ON && m.data2 > 0) this.on.set(key, (this.on.get(key) ?? 0) + 1);
      else if (m.type === NOTE_OFF || m.type === NOTE_ON) this.on.delete(key);
    }
    return this.bus.send(bytes, atMs);
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
