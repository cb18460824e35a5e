/**
 * MIDI in: @tonejs/midi decodes the events (running status, tempo, meter and key meta events);
 * this module checks the container first (so corrupt files fail with a clear message) and turns
 * tracks into a NoteSequence in quarter notes.
 */
import { Midi } from './tonejs';
import { MusicError } from '../errors';
import { DEFAULT_QPM, compareNotes, keyAccidentals } from '../sequence';
import type { KeySignature, Mode, Note, NoteSequence } from '../types';

export interface MidiTrackInfo {
  /** Index among the file's tracks (as @tonejs/midi numbers them). */
  index: number;
  name: string;
  channel: number;
  noteCount: number;
  /** Channel 10 (index 9): percussion, never a melody. */
  isDrums: boolean;
  meanPitch: number;
  /** General MIDI instrument of the track's program ('' when the file sets none). */
  instrument: string;
  /** Lowest and highest pitch (0 when the track has no notes). */
  lowest: number;
  highest: number;
  /** Sustain pedal presses (controller 64): a piano track's pedalling, which notes do not carry. */
  pedal: number;
  /** When its first note starts, in quarter notes (0 when the track has no notes). */
  firstNote: number;
}

export interface MidiReadOptions {
  file?: string;
  /**
   * Which track(s) become notes: 'melody' (default: the track chosen by pickMelodyTrack),
   * 'all' (every non-drum track; note.voice = track index) or a track index.
   */
  tracks?: 'melody' | 'all' | number;
}

export interface MidiReadResult {
  sequence: NoteSequence;
  format: 0 | 1;
  ppq: number;
  tracks: MidiTrackInfo[];
  /** The track the default reading takes as the melody (-1 when no track has notes). */
  melodyTrack: number;
}

const MAX_QUARTERS = 1_000_000;

function readHeader(bytes: Uint8Array, file?: string): { format: number; ntracks: number; division: number } {
  const where = { file };
  if (bytes.length === 0) throw new MusicError('midi-format', 'the file is empty (expected a Standard MIDI File)', where);
  const tag = String.fromCharCode(...bytes.subarray(0, 4));
  if (tag !== 'MThd') throw new MusicError('midi-format', `not a Standard MIDI File (expected "MThd", found ${JSON.stringify(tag)})`, where);
  if (bytes.length < 14) throw new MusicError('midi-format', `only ${bytes.length} bytes: too short for a MIDI header`, where);
  const len = (bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7];
  if (len < 6) throw new MusicError('midi-format', `MIDI header chunk is ${len} bytes long; expected 6`, where);
  const format = (bytes[8] << 8) | bytes[9];
  const ntracks = (bytes[10] << 8) | bytes[11];
  const division = (bytes[12] << 8) | bytes[13];
  if (format > 2) throw new MusicError('midi-format', `unknown MIDI file format ${format} (expected 0 or 1)`, where);
  if (format === 2) throw new MusicError('midi-type-2', 'SMF type 2 (independent sequences) is not supported: save it as type 0 or 1', where);
  if (division & 0x8000) throw new MusicError('midi-format', 'SMPTE time division is not supported (expected ticks per quarter note)', where);
  if (division === 0) throw new MusicError('midi-format', 'ticks per quarter note is 0', where);
  const found = checkChunks(bytes, len, where);
  // The parser reads as many track chunks as the header declares: more than the file holds would
  // read past its end (a header claiming 65,535 tracks in a 1 KB file).
  if (ntracks > found) throw new MusicError('midi-format', `corrupt MIDI file: the header declares ${ntracks} tracks but the file holds ${found} track chunk${found === 1 ? '' : 's'}`, where);
  return { format, ntracks, division };
}

/**
 * Walks the chunk headers (not the events): every chunk must fit in the file. Returns the number
 * of track chunks. @tonejs/midi reads a
 * truncated track past its end and, for some byte patterns, allocates without bound; a truncated
 * file is refused here with a clear message instead.
 */
function checkChunks(bytes: Uint8Array, headerLength: number, where: { file?: string }): number {
  let p = 8 + headerLength;
  let n = 0;
  let tracks = 0;
  while (p < bytes.length) {
    if (p + 8 > bytes.length) {
      // A few stray bytes after the last chunk are common and harmless.
      if (n > 0) return tracks;
      throw new MusicError('midi-format', 'truncated MIDI file: no track chunk after the header', where);
    }
    const len = ((bytes[p + 4] << 24) | (bytes[p + 5] << 16) | (bytes[p + 6] << 8) | bytes[p + 7]) >>> 0;
    if (p + 8 + len > bytes.length) {
      const id = String.fromCharCode(bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]);
      throw new MusicError('midi-format', `truncated or corrupt MIDI file: chunk ${n + 1} (${JSON.stringify(id)}) at byte ${p} declares ${len} bytes but only ${bytes.length - p - 8} remain`, where);
    }
    if (bytes[p] === 0x4d && bytes[p + 1] === 0x54 && bytes[p + 2] === 0x72 && bytes[p + 3] === 0x6b) {
      checkEventLengths(bytes, p + 8, p + 8 + len, n, where);
      tracks++;
    }
    p += 8 + len;
    n++;
  }
  return tracks;
}

/**
 * Walks a track's events only far enough to see their lengths: a meta or sysex event that claims
 * more bytes than its track holds (a 5-byte length of 34 GB) makes @tonejs/midi allocate until
 * the process runs out of memory. Hand-written because it has to run before @tonejs/midi; the
 * events themselves are still decoded there.
 */
function checkEventLengths(bytes: Uint8Array, start: number, end: number, chunk: number, where: { file?: string }): void {
  let p = start;
  let status = 0;
  const vlq = (): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      if (p >= end) return v;
      const c = bytes[p++];
      v = v * 128 + (c & 0x7f);
      if (c < 0x80) return v;
    }
    throw new MusicError('midi-format', `corrupt MIDI file: a variable-length number in track chunk ${chunk + 1} at byte ${p - 4} runs past 4 bytes`, where);
  };
  while (p < end) {
    vlq(); // delta time
    if (p >= end) return;
    if (bytes[p] >= 0x80) status = bytes[p++];
    else if (status === 0 || status >= 0xf0) return; // no running status to use: @tonejs/midi decides
    if (status === 0xff || status === 0xf0 || status === 0xf7) {
      const at = p;
      if (status === 0xff) p++; // meta type
      const len = vlq();
      if (len > end - p) throw new MusicError('midi-format', `corrupt MIDI file: the ${status === 0xff ? 'meta' : 'sysex'} event at byte ${at} of track chunk ${chunk + 1} claims ${len} bytes but only ${Math.max(0, end - p)} remain in the track`, where);
      p += len;
      status = 0; // meta and sysex events cancel running status
    } else p += (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
  }
}

/** The default melody: among non-drum tracks with a fair share of the notes, the highest on average. */
export function pickMelodyTrack(tracks: readonly MidiTrackInfo[]): number {
  const candidates = tracks.filter((t) => !t.isDrums && t.noteCount > 0);
  if (candidates.length === 0) return -1;
  const most = Math.max(...candidates.map((t) => t.noteCount));
  const fair = candidates.filter((t) => t.noteCount >= most * 0.25);
  fair.sort((a, b) => b.meanPitch - a.meanPitch || b.noteCount - a.noteCount || a.index - b.index);
  return fair[0].index;
}

// tonejs names a key signature by its major key (the sharps/flats count), also for minor keys.
const KEY_SF: Record<string, number> = { Cb: -7, Gb: -6, Db: -5, Ab: -4, Eb: -3, Bb: -2, F: -1, C: 0, G: 1, D: 2, A: 3, E: 4, B: 5, 'F#': 6, 'C#': 7 };
const MAJOR_TONIC_BY_SF = [11, 6, 1, 8, 3, 10, 5, 0, 7, 2, 9, 4, 11, 6, 1]; // index sf + 7

export function readMidi(data: ArrayLike<number> | ArrayBuffer, opts: MidiReadOptions = {}): MidiReadResult {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : Uint8Array.from(data as ArrayLike<number>);
  const where = { file: opts.file };
  const head = readHeader(bytes, opts.file);
  let midi: Midi;
  try {
    midi = new Midi(bytes);
  } catch (e) {
    throw new MusicError('midi-format', `corrupt or truncated MIDI file: ${(e as Error)?.message ?? e}`, where);
  }
  const ppq = midi.header.ppq || head.division;
  const q = (ticks: number) => ticks / ppq;

  const tracks: MidiTrackInfo[] = midi.tracks.map((t, index) => {
    const n = t.notes.length;
    const mean = n ? t.notes.reduce((s, x) => s + x.midi, 0) / n : 0;
    let lowest = 127;
    let highest = 0;
    let first = Infinity;
    for (const x of t.notes) {
      if (x.midi < lowest) lowest = x.midi;
      if (x.midi > highest) highest = x.midi;
      if (x.ticks >= 0 && x.ticks < first) first = x.ticks;
    }
    const pedal = (t.controlChanges?.[64] ?? []).filter((c, i, all) => c.value >= 0.5 && (i === 0 || all[i - 1].value < 0.5)).length;
    let instrument = '';
    try {
      instrument = t.instrument?.name ?? '';
    } catch {
      // a program number outside the General MIDI table
    }
    return { index, name: t.name ?? '', channel: t.channel, noteCount: n, isDrums: t.channel === 9 || t.instrument?.percussion === true, meanPitch: mean, instrument, lowest: n ? lowest : 0, highest: n ? highest : 0, pedal, firstNote: Number.isFinite(first) ? q(first) : 0 };
  });
  const melodyTrack = pickMelodyTrack(tracks);
  const which = opts.tracks ?? 'melody';
  let chosen: number[];
  if (which === 'all') chosen = tracks.filter((t) => !t.isDrums && t.noteCount > 0).map((t) => t.index);
  else if (which === 'melody') chosen = melodyTrack >= 0 ? [melodyTrack] : [];
  else {
    if (!tracks[which] || tracks[which].noteCount === 0) throw new MusicError('midi-no-notes', `track ${which} has no notes (the file has ${tracks.length} tracks)`, where);
    chosen = [which];
  }

  const notes: Note[] = [];
  for (const ti of chosen) {
    for (const n of midi.tracks[ti].notes) {
      const start = q(n.ticks);
      const end = q(n.ticks + n.durationTicks);
      if (!(end > start) || !Number.isFinite(end) || end > MAX_QUARTERS) continue; // zero-length or runaway notes carry no music
      if (!(start >= 0)) continue; // a corrupt delta time read as a huge tick count wraps below 0
      if (!Number.isInteger(n.midi) || n.midi < 0 || n.midi > 127) continue; // a data byte over 127 in a corrupt file
      notes.push({ pitch: n.midi, start, end, velocity: Number.isFinite(n.velocity) ? Math.min(127, Math.max(1, Math.round(n.velocity * 127))) : 100, voice: which === 'all' ? ti : 0 });
    }
  }
  notes.sort(compareNotes);
  const tempos = midi.header.tempos.filter((t) => Number.isFinite(t.bpm) && t.bpm > 0).map((t) => ({ time: q(t.ticks), qpm: t.bpm }));
  if (!tempos.length || tempos[0].time > 0) tempos.unshift({ time: 0, qpm: DEFAULT_QPM });
  const timeSignatures = midi.header.timeSignatures
    .filter((t) => t.timeSignature[0] > 0 && t.timeSignature[1] > 0)
    .map((t) => ({ time: q(t.ticks), numerator: t.timeSignature[0], denominator: t.timeSignature[1] }));
  const keySignatures: KeySignature[] = [];
  for (const k of midi.header.keySignatures) {
    const sf = KEY_SF[k.key];
    if (sf === undefined) continue;
    const mode: Mode = k.scale === 'minor' ? 'minor' : 'major';
    const tonic = (MAJOR_TONIC_BY_SF[sf + 7] + (mode === 'minor' ? 9 : 0)) % 12;
    keySignatures.push({ time: q(k.ticks), tonic, mode, accidentals: sf });
  }
  const totalTime = Math.max(notes.reduce((m, n) => Math.max(m, n.end), 0), 0);
  const name = midi.header.name || (chosen.length === 1 ? midi.tracks[chosen[0]].name : '') || '';
  const sequence: NoteSequence = { notes, tempos, timeSignatures, keySignatures, totalTime };
  if (name.trim()) sequence.title = name.trim();
  return { sequence, format: head.format as 0 | 1, ppq, tracks, melodyTrack };
}
