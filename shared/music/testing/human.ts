/**
 * Played-style seeds for tests: a written melody performed as a person plays it on a keyboard.
 * Seeded, so a failing case is reproduced from its number. What it adds, each switchable:
 * tempo drift (a smooth random walk within a few percent), onset jitter, legato overlaps and short
 * gaps, velocities with accents on strong beats and noise, silence before the first note, a held
 * final note, occasional grace notes (a quick neighbour just before a note), ghost notes (a
 * neighbouring key brushed for a few ms) and chords (a third or sixth under a note).
 * The result is in quarter notes at 120 qpm, as a .mid without tempo or meter events is read, and
 * `performanceMidi` writes it that way.
 */
import { Midi } from '../midi/tonejs';
import type { Note, NoteSequence } from '../types';
import { rng, type Rng } from './mutate';

export interface HumanOptions {
  /** Seed of the random choices. */
  seed: number;
  /** The tempo the player aims at, quarter notes per minute. */
  qpm: number;
  /** Meter and pickup of the written melody, for where the accents go. */
  meter: { numerator: number; denominator: number };
  /** Quarter notes from the first note to the first downbeat. */
  pickup: number;
  /** Largest tempo drift as a fraction (0.03 = within 3%); default 0.03. */
  drift?: number;
  /** Onsets land within +-jitterMs of where the (drifting) tempo puts them: Gaussian with SD jitterMs / 2, clipped. Default 20. */
  jitterMs?: number;
  /** Seconds of silence before the first note; default 0.4-2 s, chosen by the seed. */
  leadSeconds?: number;
  /** Chance that a note runs into the next (legato overlap of 10-60 ms); the others stop short. Default 0.4. */
  legato?: number;
  /** Velocity: base, accent on downbeats (half of it on other beats), noise SD. Default 76, 14, 7. */
  velocity?: { base: number; accent: number; noise: number };
  /** The last note is held this many times its written length (a range); default [1.5, 3]. */
  held?: [number, number];
  /** Chances per note of a grace note before it, a ghost note during it, a chord under it. Default 0.04, 0.04, 0.04. */
  graces?: number;
  ghosts?: number;
  chords?: number;
}

export interface HumanPerformance {
  /** In quarter notes at 120 qpm (0.5 s each), no meter or key: what readMidi gives for such a file. */
  performance: NoteSequence;
  /** What was added on top of the written notes. */
  added: { graces: number; ghosts: number; chordNotes: number };
  leadSeconds: number;
}

function gauss(r: Rng): number {
  // Box-Muller; 1 - r() keeps the log finite.
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const uniform = (r: Rng, lo: number, hi: number) => lo + (hi - lo) * r();

/** Accent of a written position: 1 on a downbeat, 0.5 on other beats, 0 between. */
function accentOf(q: number, meter: { numerator: number; denominator: number }, pickup: number): number {
  const bar = (meter.numerator * 4) / meter.denominator;
  const compound = meter.numerator > 3 && meter.numerator % 3 === 0;
  const beat = compound ? (3 * 4) / meter.denominator : 4 / meter.denominator;
  const x = (((q - pickup) % bar) + bar) % bar;
  const near = (v: number, p: number) => Math.abs(v / p - Math.round(v / p)) < 1e-6;
  if (near(x, bar)) return 1;
  if (near(x, beat)) return 0.5;
  return 0;
}

/** Performs a written, quantized melody (time 0 = its first note). */
export function performHuman(written: NoteSequence, options: HumanOptions): HumanPerformance {
  const r = rng(options.seed);
  const drift = options.drift ?? 0.03;
  const jitter = (options.jitterMs ?? 20) / 2000;
  const legato = options.legato ?? 0.4;
  const vel = options.velocity ?? { base: 76, accent: 14, noise: 7 };
  const held = options.held ?? [1.5, 3];
  const lead = options.leadSeconds ?? uniform(r, 0.4, 2);
  const notes = written.notes.slice().sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  const end = Math.max(...notes.map((n) => n.end), 1);

  // Tempo: a random walk per quarter note, pulled back inside +-drift, integrated in small steps.
  const step = 1 / 12;
  const steps = Math.ceil(end / step) + 24;
  const secondsAt = new Float64Array(steps + 1);
  let factor = 1 + uniform(r, -drift, drift) / 2;
  for (let i = 0; i < steps; i++) {
    if (i % 12 === 0) factor = Math.min(1 + drift, Math.max(1 - drift, factor + gauss(r) * drift * 0.25));
    secondsAt[i + 1] = secondsAt[i] + (step * 60) / (options.qpm * factor);
  }
  const seconds = (q: number) => {
    const i = Math.min(steps - 1, Math.max(0, Math.floor(q / step)));
    return secondsAt[i] + ((q - i * step) / step) * (secondsAt[i + 1] - secondsAt[i]);
  };
  const jit = () => Math.max(-2, Math.min(2, gauss(r))) * jitter;

  const out: { pitch: number; on: number; off: number; velocity: number }[] = [];
  const added = { graces: 0, ghosts: 0, chordNotes: 0 };
  const onsets = notes.map((n) => lead + seconds(n.start) + jit());
  const starts = [...new Set(notes.map((n) => n.start))].sort((a, b) => a - b);
  for (let i = 0; i < notes.length; i++) {
    const n = notes[i];
    const on = onsets[i];
    const nextStart = starts.find((s) => s > n.start + 1e-9);
    const nextOn = nextStart === undefined ? undefined : onsets[notes.findIndex((m) => Math.abs(m.start - nextStart) < 1e-9)];
    const writtenSeconds = seconds(n.end) - seconds(n.start);
    let off: number;
    if (nextStart === undefined) off = on + writtenSeconds * uniform(r, held[0], held[1]);
    else if (Math.abs(nextStart - n.end) < 1e-9 && nextOn !== undefined && r() < legato) off = nextOn + uniform(r, 0.01, 0.06);
    else off = lead + seconds(n.end) - writtenSeconds * uniform(r, 0.05, 0.3);
    off = Math.max(off, on + 0.045);
    const accent = accentOf(n.start, options.meter, options.pickup);
    const velocity = Math.round(Math.max(1, Math.min(127, vel.base + vel.accent * accent + gauss(r) * vel.noise)));
    out.push({ pitch: n.pitch, on, off, velocity });
    if (i > 0 && r() < (options.graces ?? 0.04)) {
      const gOn = on - uniform(r, 0.04, 0.07);
      out.push({ pitch: Math.min(127, n.pitch + (r() < 0.5 ? 2 : 1)), on: gOn, off: gOn + uniform(r, 0.045, 0.06), velocity: Math.max(1, velocity - 15) });
      added.graces++;
    }
    if (r() < (options.ghosts ?? 0.04)) {
      const gOn = on + uniform(r, 0.1, 0.6) * Math.max(0.05, off - on);
      out.push({ pitch: Math.max(0, Math.min(127, n.pitch + (r() < 0.5 ? -1 : 1))), on: gOn, off: gOn + uniform(r, 0.008, 0.03), velocity: Math.max(1, Math.round(velocity * 0.4)) });
      added.ghosts++;
    }
    if (r() < (options.chords ?? 0.04) && n.end - n.start >= 0.5) {
      const below = n.pitch - (r() < 0.5 ? 4 : 9);
      if (below >= 0) {
        const cOn = on + uniform(r, -0.015, 0.015);
        out.push({ pitch: below, on: cOn, off: Math.max(cOn + 0.05, off + uniform(r, -0.03, 0.03)), velocity: Math.max(1, velocity - 10) });
        added.chordNotes++;
      }
    }
  }
  // One key cannot sound twice: striking it again (a grace or chord note on a key still held) ends the earlier note.
  out.sort((a, b) => a.on - b.on);
  const sounding = new Map<number, { on: number; off: number }>();
  for (const x of out) {
    const prev = sounding.get(x.pitch);
    if (prev && prev.off > x.on - 0.003) prev.off = Math.max(prev.on + 0.01, x.on - 0.003);
    sounding.set(x.pitch, x);
  }
  const toQuarters = (s: number) => s * 2; // 120 qpm: what a file without a tempo event is read at
  const performed: Note[] = out
    .filter((x) => x.on >= 0)
    .map((x) => ({ pitch: x.pitch, start: toQuarters(x.on), end: toQuarters(x.off), velocity: x.velocity, voice: 0 }))
    .sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  const performance: NoteSequence = {
    notes: performed,
    tempos: [{ time: 0, qpm: 120 }],
    timeSignatures: [],
    keySignatures: [],
    totalTime: Math.max(...performed.map((x) => x.end)),
  };
  return { performance, added, leadSeconds: lead };
}

/** A performance as Standard MIDI File bytes with no tempo, meter or key events (as many keyboards and DAWs save a take). */
export function performanceMidi(performance: NoteSequence): Uint8Array {
  const midi = new Midi();
  const ticksPerQuarter = midi.header.ppq;
  const track = midi.addTrack();
  for (const n of performance.notes) {
    const t0 = Math.max(0, Math.round(n.start * ticksPerQuarter));
    const t1 = Math.max(t0 + 1, Math.round(n.end * ticksPerQuarter));
    // tonejs writes floor(127 * velocity): aim at the middle of the step so the byte is exact.
    track.addNote({ midi: n.pitch, ticks: t0, durationTicks: t1 - t0, velocity: (n.velocity + 0.5) / 127 });
  }
  return midi.toArray();
}
