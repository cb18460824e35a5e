/**
 * Opening a .mid in the studio: which track(s) become the tune (the melody guessed, one chosen, or
 * all merged), what was left out in words a musician reads ("the drum channel", "2 other tracks",
 * "the sustain pedal"), and the tempo map in one line. Pure: bytes in, a sequence and sentences out.
 */
import { readMidi, type MidiReadResult, type MidiTrackInfo } from './read';
import { MusicError } from '../errors';
import type { NoteSequence, TempoChange, TimeSignature } from '../types';
import { spellRange } from './names';

export type TrackChoice = 'melody' | 'all' | number;

export interface OpenedMidi {
  sequence: NoteSequence;
  tracks: MidiTrackInfo[];
  /** The track the melody guess takes (-1 when no track has notes). */
  melodyTrack: number;
  /** The tracks whose notes are in `sequence`. */
  chosen: number[];
  /** What the file holds that the tune does not, one sentence each (empty when nothing). */
  leftOut: string[];
  /** The tempo map in words: "96 bpm throughout", or its changes and range. */
  tempo: string;
}

/**
 * The bar line at or before `time` on the bar grid of these meters (4/4 without one): its time and
 * the bar's number from 1. A meter change starts a bar where it is.
 */
export function barAtOrBefore(time: number, meters: readonly TimeSignature[]): { start: number; bar: number } {
  const sigs = meters.filter((m) => m.numerator > 0 && m.denominator > 0 && m.time >= 0).sort((a, b) => a.time - b.time);
  if (!sigs.length || sigs[0].time > 0) sigs.unshift({ time: 0, numerator: sigs[0]?.numerator ?? 4, denominator: sigs[0]?.denominator ?? 4 });
  let bars = 0;
  for (let i = 0; i < sigs.length; i++) {
    const from = sigs[i].time;
    const to = sigs[i + 1]?.time ?? Infinity;
    const len = (sigs[i].numerator * 4) / sigs[i].denominator;
    if (time < to) {
      const k = Math.floor((time - from) / len + 1e-9);
      return { start: from + k * len, bar: bars + k + 1 };
    }
    bars += Math.ceil((to - from) / len - 1e-9);
  }
  return { start: 0, bar: 1 };
}

/**
 * The sequence from the bar line before its first note: whole bars of rests before it are cut (a
 * fugue voice entering at bar 35 would otherwise seed 34 bars of rests). Tempo, meter and key in
 * force at the cut start the trimmed sequence; later changes move with the notes.
 */
export function trimLeadingBars(seq: NoteSequence): { sequence: NoteSequence; bars: number } {
  if (!seq.notes.length) return { sequence: seq, bars: 0 };
  const first = seq.notes.reduce((m, n) => Math.min(m, n.start), Infinity);
  const { start, bar } = barAtOrBefore(first, seq.timeSignatures);
  if (bar <= 1 || start <= 0) return { sequence: seq, bars: 0 };
  const shift = <T extends { time: number }>(list: readonly T[]): T[] => {
    const before = list.filter((x) => x.time <= start);
    const carried = before.length ? [{ ...before[before.length - 1], time: 0 }] : [];
    return [...carried, ...list.filter((x) => x.time > start).map((x) => ({ ...x, time: x.time - start }))];
  };
  const sequence: NoteSequence = {
    ...seq,
    notes: seq.notes.map((n) => ({ ...n, start: n.start - start, end: n.end - start })),
    tempos: shift(seq.tempos),
    timeSignatures: shift(seq.timeSignatures),
    keySignatures: shift(seq.keySignatures),
    totalTime: Math.max(0, seq.totalTime - start),
  };
  return { sequence, bars: bar - 1 };
}

/** A track as a musician names it: its own name, else its instrument, else its number. */
export function trackLabel(t: MidiTrackInfo): string {
  const name = t.name.trim();
  if (name) return name;
  if (t.instrument) return `track ${t.index + 1} (${t.instrument})`;
  return `track ${t.index + 1}`;
}

/** The sentence for bars of rests cut before the first note (the chooser says the same). */
export function restsLeftOut(bars: number): string {
  return `${bars === 1 ? 'the bar' : `the ${bars} bars`} of rests before the first note: the tune starts at bar ${bars + 1}`;
}

function noteCount(n: number): string {
  return `${n} note${n === 1 ? '' : 's'}`;
}

function listTracks(tracks: MidiTrackInfo[], limit = 4): string {
  const named = tracks.slice(0, limit).map((t) => `${trackLabel(t)} (${noteCount(t.noteCount)}, ${spellRange(t.lowest, t.highest)})`);
  if (tracks.length > limit) named.push(`${tracks.length - limit} more`);
  return named.join(', ');
}

/** The tempo map in one line. */
export function describeTempoMap(tempos: readonly TempoChange[]): string {
  const real = tempos.filter((t, i) => i === 0 || Math.abs(t.qpm - tempos[i - 1].qpm) > 1e-6);
  if (real.length <= 1) return `${Math.round(real[0]?.qpm ?? 120)} bpm throughout`;
  const bpms = real.map((t) => t.qpm);
  const lo = Math.round(Math.min(...bpms));
  const hi = Math.round(Math.max(...bpms));
  return `tempo map: starts at ${Math.round(real[0].qpm)} bpm, ${real.length - 1} change${real.length === 2 ? '' : 's'} (${lo}-${hi} bpm)`;
}

/**
 * Reads a .mid with the chosen track(s). A drum track is never a tune; 'all' merges every other
 * track with notes (each note's voice is its track's place among them). Throws MusicError for a
 * file that does not read or a track with no notes.
 */
export function openMidi(bytes: Uint8Array, choice: TrackChoice = 'melody', file?: string): OpenedMidi {
  if (typeof choice === 'number') {
    const probe = readMidi(bytes, { file, tracks: 'melody' });
    const t = probe.tracks[choice];
    if (t?.isDrums) throw new MusicError('midi-no-notes', `${trackLabel(t)} is the drum channel: drums are not a tune; choose another track`, { file });
  }
  const read: MidiReadResult = readMidi(bytes, { file, tracks: choice });
  const { tracks, melodyTrack } = read;
  const withNotes = tracks.filter((t) => t.noteCount > 0);
  if (!withNotes.length || !read.sequence.notes.length) throw new MusicError('midi-no-notes', 'the file has no notes', { file });
  const chosen = choice === 'all' ? withNotes.filter((t) => !t.isDrums).map((t) => t.index) : [choice === 'melody' ? melodyTrack : choice];
  // Voices: a track's place among the chosen ones (0 for one track), so they fit the note schema.
  const place = new Map(chosen.map((ti, i) => [ti, i]));
  const notes = read.sequence.notes.map((n) => ({ ...n, voice: choice === 'all' ? Math.min(64, place.get(n.voice) ?? 0) : 0 }));
  const trimmed = trimLeadingBars({ ...read.sequence, notes });
  const sequence = trimmed.sequence;

  const leftOut: string[] = [];
  const others = withNotes.filter((t) => !t.isDrums && !chosen.includes(t.index));
  if (others.length) leftOut.push(`${others.length === 1 ? 'the other track' : `${others.length} other tracks`}: ${listTracks(others)}`);
  const drums = withNotes.filter((t) => t.isDrums);
  if (drums.length) {
    const n = drums.reduce((s, t) => s + t.noteCount, 0);
    leftOut.push(`the drum channel (${drums.map(trackLabel).join(', ')}, ${noteCount(n)}): drums are not part of a tune`);
  }
  const pedal = tracks.filter((t) => chosen.includes(t.index)).reduce((s, t) => s + t.pedal, 0);
  if (pedal) leftOut.push(`the sustain pedal (${pedal} press${pedal === 1 ? '' : 'es'}): notes sound only as long as they are held`);
  if (read.sequence.timeSignatures.length > 1 || read.sequence.keySignatures.length > 1) {
    const m = read.sequence.timeSignatures.length;
    const k = read.sequence.keySignatures.length;
    // The desk keeps one meter and key (the first); the changes stay in the file.
    const parts = [m > 1 ? `${m - 1} meter change${m === 2 ? '' : 's'}` : '', k > 1 ? `${k - 1} key change${k === 2 ? '' : 's'}` : ''].filter(Boolean);
    leftOut.push(`${parts.join(' and ')}: the desk keeps the first meter and key`);
  }
  if (trimmed.bars) leftOut.push(restsLeftOut(trimmed.bars));
  return { sequence, tracks, melodyTrack, chosen, leftOut, tempo: describeTempoMap(read.sequence.tempos) };
}
