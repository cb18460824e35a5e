/** MIDI out: SMF type 1 through @tonejs/midi, one track per voice, with the sequence's own tempo map. */
import { Midi } from './tonejs';
import { compareNotes } from '../sequence';
import type { NoteSequence } from '../types';


export interface MidiWriteOptions {
  /** Names of the tracks by voice (default: the title for voice 0, then "Voice N"). */
  trackNames?: string[];
  /** MIDI channel per voice (default voice index, skipping the drum channel 9). */
  channels?: number[];
}

/**
 * Writes SMF type 1. Modes other than major/minor are written as the major or minor key with the
 * same signature, since the MIDI key-signature event only knows those two.
 */
export function writeMidi(seq: NoteSequence, opts: MidiWriteOptions = {}): Uint8Array {
  const midi = new Midi();
  const ppq = midi.header.ppq;
  const ticks = (q: number) => Math.max(0, Math.round(q * ppq));
  if (seq.title) midi.header.name = seq.title;
  const tempos = seq.tempos.length ? seq.tempos : [{ time: 0, qpm: 120 }];
  midi.header.tempos = tempos.map((t) => ({ ticks: ticks(t.time), bpm: t.qpm }));
  midi.header.timeSignatures = seq.timeSignatures.map((t) => ({ ticks: ticks(t.time), timeSignature: [t.numerator, t.denominator] }));
  const keys = seq.keySignatures
    .map((k) => ({ ticks: ticks(k.time), sf: Math.max(-7, Math.min(7, Math.round(k.accidentals))), minor: k.mode === 'minor' || k.mode === 'aeolian' }))
    .sort((a, b) => a.ticks - b.ticks);
  // The key byte is patched below; 'C' is only a placeholder for tonejs.
  midi.header.keySignatures = keys.map((k) => ({ ticks: k.ticks, key: 'C', scale: k.minor ? 'minor' : 'major' }));
  midi.header.update();
  const voices = [...new Set(seq.notes.map((n) => n.voice))].sort((a, b) => a - b);
  if (voices.length === 0) voices.push(0);
  voices.forEach((v, i) => {
    const track = midi.addTrack();
    track.name = opts.trackNames?.[i] ?? (i === 0 ? seq.title ?? 'Melody' : `Voice ${v}`);
    track.channel = opts.channels?.[i] ?? (i >= 9 ? i + 1 : i) % 16;
    for (const n of seq.notes.filter((x) => x.voice === v).sort(compareNotes)) {
      const t0 = ticks(n.start);
      // tonejs writes floor(127 * velocity): aim at the middle of the step so the byte is exact.
      track.addNote({ midi: n.pitch, ticks: t0, durationTicks: Math.max(1, ticks(n.end) - t0), velocity: (n.velocity + 0.5) / 127 });
    }
  });
  const bytes = midi.toArray();
  if (keys.length) patchKeySignatures(bytes, keys.map((k) => k.sf));
  return bytes;
}

/**
 * @tonejs/midi 2.0.28 writes the key-signature byte as (index in its key list + 7) instead of the
 * number of sharps or flats. Its first track holds only meta events, so walk that track and put the
 * right byte into each key-signature event, in time order.
 */
function patchKeySignatures(bytes: Uint8Array, sfs: number[]): void {
  let p = 14; // after MThd
  if (String.fromCharCode(bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]) !== 'MTrk') return;
  const len = ((bytes[p + 4] << 24) | (bytes[p + 5] << 16) | (bytes[p + 6] << 8) | bytes[p + 7]) >>> 0;
  p += 8;
  const end = Math.min(bytes.length, p + len);
  const vlq = () => {
    let v = 0;
    for (let i = 0; i < 4 && p < end; i++) {
      const b = bytes[p++];
      v = (v << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return v;
  };
  let k = 0;
  while (p < end && k < sfs.length) {
    vlq(); // delta time
    if (bytes[p] !== 0xff) return; // not a meta event: tonejs changed its layout, leave the file alone
    const type = bytes[p + 1];
    p += 2;
    const n = vlq();
    if (type === 0x59 && n === 2) bytes[p] = sfs[k++] & 0xff;
    p += n;
  }
}
