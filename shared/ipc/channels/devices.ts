/**
 * MIDI devices, recording seeds, playback and panic. Ports are chosen by name (names survive
 * restarts and re-plugging; ids do not). The built-in synth and the on-screen keyboard are ports
 * like any other, so one scheduler plays to hardware and to the synth in the window alike.
 */
import { z } from 'zod';
import { channel } from './define';
import { NoteSchema, RunIdSchema } from '../schemas';

const PortName = z.string().min(1).max(200);

export const OutputSettingsSchema = z.object({
  /** 0-15 (shown as 1-16). */
  channel: z.number().int().min(0).max(15),
  /** General MIDI program 0-127, or null to leave the synth's sound alone. */
  program: z.number().int().min(0).max(127).nullable(),
  /** Positive: the synth is slow, send this many ms earlier. */
  latencyMs: z.number().min(-500).max(500),
});

export const DevicesStateSchema = z.object({
  /** False when the OS has no MIDI system; the built-in synth and on-screen keyboard still work. */
  hardware: z.boolean(),
  /** In a musician's words: what works, what does not and why. */
  message: z.string(),
  inputs: z.array(z.object({ name: z.string(), builtIn: z.boolean(), connected: z.boolean() })),
  outputs: z.array(z.object({ name: z.string(), builtIn: z.boolean(), connected: z.boolean() })),
  input: z.string().nullable(),
  output: z.string().nullable(),
  settings: OutputSettingsSchema,
  thru: z.boolean(),
});
export type DevicesState = z.infer<typeof DevicesStateSchema>;

const MeterSchema = z.object({ numerator: z.number().int().min(1).max(32), denominator: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32)]) });

export const devicesChannels = {
  devices: channel('MIDI inputs and outputs, the chosen ones and their settings', z.object({}).strict(), DevicesStateSchema),
  chooseDevices: channel(
    'Choose the keyboard and synth (by name), the output channel, program and latency, and MIDI thru',
    z
      .object({
        input: PortName.nullable().optional(),
        output: PortName.nullable().optional(),
        settings: OutputSettingsSchema.partial().optional(),
        thru: z.boolean().optional(),
      })
      .strict(),
    DevicesStateSchema,
  ),
  playKeys: channel(
    'Bytes from the on-screen keyboard, treated like a MIDI keyboard (recording, thru, call-and-response)',
    z.object({ bytes: z.array(z.number().int().min(0).max(255)).min(1).max(96) }).strict(),
    z.object({}),
  ),
  startRecording: channel(
    'Record a seed from the chosen input: count-in clicks at the tempo, then notes until stopRecording or after N bars',
    z
      .object({
        qpm: z.number().min(20).max(400),
        meter: MeterSchema,
        countInBars: z.number().int().min(0).max(4).default(1),
        stopAfterBars: z.number().int().min(1).max(64).optional(),
      })
      .strict(),
    z.object({ runId: RunIdSchema }),
  ),
  stopRecording: channel('Stop recording; the quantized seed arrives as record.done', z.object({ runId: RunIdSchema }).strict(), z.object({ stopped: z.boolean() })),
  play: channel(
    'Play notes to the chosen output from a beat, optionally looping; stops whatever was playing',
    z
      .object({
        notes: z.array(NoteSchema).max(100_000),
        qpm: z.number().min(20).max(400),
        fromBeat: z.number().min(0).default(0),
        loop: z.object({ start: z.number().min(0), end: z.number().min(0) }).nullable().default(null),
        /** Metronome clicks (shared/transport's metronomeClicks), sent on the GM percussion channel. */
        clicks: z.array(NoteSchema).max(100_000).optional(),
      })
      .strict(),
    z.object({ runId: RunIdSchema }),
  ),
  stopPlayback: channel('Stop playback (notes sounding get their note-off)', z.object({}).strict(), z.object({ stopped: z.boolean() })),
  panic: channel('All notes off and all sound off on every channel used, at once', z.object({}).strict(), z.object({})),
} as const;

export const devicesEvents = {
  'devices.changed': DevicesStateSchema,
  /** Something about MIDI the musician should read once (a device lost, a port that failed). */
  'devices.notice': z.object({ message: z.string() }),
  /** Bytes for the built-in synth in the window; `delayMs` is how far ahead of now they should sound. */
  'synth.midi': z.object({ bytes: z.array(z.number().int().min(0).max(255)).max(3), delayMs: z.number() }),
  /** Notes played on the chosen input, for the keyboard display. */
  'input.note': z.object({ pitch: z.number().int().min(0).max(127), velocity: z.number().int().min(0).max(127) }),
  /** beat: in the meter's unit (eighths in 6/8), from the start of the count-in, then from the downbeat. */
  'record.state': z.object({ runId: RunIdSchema, state: z.enum(['count-in', 'recording', 'done']), beat: z.number() }),
  /** The recorded seed, quantized, in quarter notes from the first downbeat. */
  'record.done': z.object({ runId: RunIdSchema, notes: z.array(NoteSchema), qpm: z.number(), dropped: z.number().int() }),
  'playback.state': z.object({ runId: RunIdSchema, playing: z.boolean(), beat: z.number() }),
} as const;
