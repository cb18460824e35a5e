/**
 * MIDI wire bytes: building the few messages we send, and a stream parser for what arrives.
 *
 * Hand-written rather than taken from a library because the parser has to do things general MIDI
 * parsers do not report: count what it dropped (truncated messages, stray data bytes, SysEx) so the
 * studio can tell the musician once, and keep running status across chunks the way a DIN cable
 * or a byte-level log delivers them.
 */

export const NOTE_OFF = 0x80;
export const NOTE_ON = 0x90;
export const CONTROL_CHANGE = 0xb0;
export const PROGRAM_CHANGE = 0xc0;
export const CC_SUSTAIN = 64;
export const CC_ALL_SOUND_OFF = 120;
export const CC_ALL_NOTES_OFF = 123;
/** General MIDI percussion lives on channel 10 (index 9). */
export const DRUM_CHANNEL = 9;

function clamp7(n: number): number {
  return Math.max(0, Math.min(127, Math.round(n))) | 0;
}
function chan(channel: number): number {
  return Math.max(0, Math.min(15, channel | 0));
}

export const noteOn = (channel: number, pitch: number, velocity: number): number[] => [
  NOTE_ON | chan(channel),
  clamp7(pitch),
  Math.max(1, clamp7(velocity)),
];
export const noteOff = (channel: number, pitch: number): number[] => [NOTE_OFF | chan(channel), clamp7(pitch), 0];
export const controlChange = (channel: number, controller: number, value: number): number[] => [
  CONTROL_CHANGE | chan(channel),
  clamp7(controller),
  clamp7(value),
];
export const programChange = (channel: number, program: number): number[] => [PROGRAM_CHANGE | chan(channel), clamp7(program)];

/** A complete channel message (status 0x80-0xEF) after running status has been expanded. */
export interface ChannelMessage {
  /** High nibble of the status byte: 0x80 note off, 0x90 note on, 0xB0 control change... */
  type: number;
  channel: number;
  data1: number;
  /** 0 for the one-data-byte messages (program change, channel pressure). */
  data2: number;
  timeMs: number;
}

export interface ParserStats {
  /** Channel messages delivered. */
  messages: number;
  /** Messages cut short by a new status byte (lost bytes on the wire, a crashed sender). */
  truncated: number;
  /** Data bytes with no status to belong to (no running status yet, or after SysEx). */
  strayBytes: number;
  /** Complete or cut-off SysEx messages skipped; their bytes are not kept, so floods cost nothing. */
  sysex: number;
  /** System common and realtime messages (clock, active sensing...) skipped. */
  system: number;
}

function dataLength(status: number): number {
  const type = status & 0xf0;
  return type === 0xc0 || type === 0xd0 ? 1 : 2;
}

/**
 * Turns chunks of bytes (whole messages from RtMidi, or arbitrary slices of a byte stream) into
 * channel messages. Running status is kept across chunks; realtime bytes may appear anywhere, even
 * inside another message, as the MIDI spec allows.
 */
export class MidiParser {
  readonly stats: ParserStats = { messages: 0, truncated: 0, strayBytes: 0, sysex: 0, system: 0 };
  private running = 0;
  private data: number[] = [];
  private inSysex = false;
  /** Bytes of a system common message still to skip. */
  private skipSystem = 0;

  constructor(private readonly deliver: (m: ChannelMessage) => void) {}

  push(bytes: ArrayLike<number>, timeMs: number): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] & 0xff;
      if (b >= 0xf8) {
        this.stats.system++; // realtime: does not disturb running status or the message in progress
        continue;
      }
      if (b & 0x80) {
        if (this.inSysex) {
          this.inSysex = false;
          this.stats.sysex++;
          if (b === 0xf7) continue;
        } else if (this.running && this.data.length > 0) {
          this.stats.truncated++;
        }
        this.data = [];
        this.skipSystem = 0;
        if (b === 0xf0) {
          this.inSysex = true;
          this.running = 0;
        } else if (b >= 0xf0) {
          // System common cancels running status; skip its data bytes (song position has 2...).
          this.running = 0;
          this.stats.system++;
          this.skipSystem = b === 0xf2 ? 2 : b === 0xf1 || b === 0xf3 ? 1 : 0;
          if (b === 0xf7) this.stats.strayBytes++; // end of SysEx with no start
        } else {
          this.running = b;
        }
        continue;
      }
      if (this.inSysex) continue;
      if (this.skipSystem > 0) {
        this.skipSystem--;
        continue;
      }
      if (!this.running) {
        this.stats.strayBytes++;
        continue;
      }
      this.data.push(b);
      if (this.data.length === dataLength(this.running)) {
        this.stats.messages++;
        const m: ChannelMessage = {
          type: this.running & 0xf0,
          channel: this.running & 0x0f,
          data1: this.data[0],
          data2: this.data[1] ?? 0,
          timeMs,
        };
        this.data = [];
        this.deliver(m);
      }
    }
  }

  /** Forgets a half-received message (e.g. when the input port changes). */
  reset(): void {
    if (this.data.length > 0) this.stats.truncated++;
    this.data = [];
    this.running = 0;
    this.inSysex = false;
    this.skipSystem = 0;
  }
}

/** Note on with velocity 0 is a note off (running-status keyboards send it to save bytes). */
export function isNoteOff(m: ChannelMessage): boolean {
  return m.type === NOTE_OFF || (m.type === NOTE_ON && m.data2 === 0);
}
export function isNoteOn(m: ChannelMessage): boolean {
  return m.type === NOTE_ON && m.data2 > 0;
}

/** Reads one complete message we built ourselves (for the note tracker). Undefined if not a channel message. */
export function readMessage(bytes: ArrayLike<number>): { type: number; channel: number; data1: number; data2: number } | undefined {
  const status = bytes[0];
  if (status === undefined || status < 0x80 || status >= 0xf0) return undefined;
  return { type: status & 0xf0, channel: status & 0x0f, data1: bytes[1] ?? 0, data2: bytes[2] ?? 0 };
}
