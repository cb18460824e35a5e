/**
 * The studio's side of openFile / openTune (shared/ipc/channels/music.ts): the last few files the
 * user opened, kept in memory by an opaque id, read with the music core. Pure (no node: imports), so
 * the studio and the renderer's test double use the same code.
 */
import { MusicError, barAtOrBefore, bookTuneText, describeTempoMap, listBook, looksBinary, openMidi, parseAbc, spellRange, trackLabel, type NoteSequence } from '../music/index';
import { StudioError } from './result';
import type { OpenedFile, OpenedTune } from './channels/music';

/** Files kept at once: a second tab, a book and a .mid side by side. */
const KEEP = 4;
/** Notes a tune opened on the desk may have (the note schema's limit). */
const MAX_NOTES = 50_000;

interface Kept {
  name: string;
  kind: 'abc' | 'midi';
  bytes: Uint8Array;
  text: string;
}

function fromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const badInput = (e: unknown): StudioError => new StudioError('bad_input', e instanceof MusicError ? e.message : ((e as Error)?.message ?? String(e)));

export class OpenedFiles {
  private files = new Map<string, Kept>();

  constructor(private readonly newId: () => string = randomId) {}

  open(name: string, base64: string): OpenedFile {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(base64);
    } catch {
      throw new StudioError('invalid_request', 'the file did not arrive whole (not base64)');
    }
    const kind = /\.(mid|midi|kar)$/i.test(name) ? 'midi' : /\.(abc|txt)$/i.test(name) ? 'abc' : null;
    if (!kind) throw new StudioError('bad_input', `${name} is not a music file: open an .abc or .mid file`);
    const fileId = this.newId();
    if (kind === 'abc') {
      const text = new TextDecoder('utf-8').decode(bytes);
      if (looksBinary(text)) throw new StudioError('bad_input', `${name}: this is not ABC text (binary data)`);
      const tunes = listBook(text);
      if (!tunes.length) throw new StudioError('bad_input', `${name}: no tune found (expected an X: line followed by K:)`);
      this.keep(fileId, { name, kind, bytes, text });
      return { kind, fileId, name, tunes: tunes.map((t) => ({ ...t, title: t.title.slice(0, 300), alsoKnownAs: t.alsoKnownAs.slice(0, 20).map((a) => a.slice(0, 300)), x: t.x.slice(0, 40), rhythm: t.rhythm.slice(0, 80), meter: t.meter.slice(0, 40), key: t.key.slice(0, 80) })) };
    }
    let read;
    try {
      read = openMidi(bytes, 'melody', name);
    } catch (e) {
      throw badInput(e);
    }
    this.keep(fileId, { name, kind, bytes, text: '' });
    return {
      kind,
      fileId,
      name,
      tracks: read.tracks
        .filter((t) => t.noteCount > 0)
        .map((t) => ({ index: t.index, label: trackLabel(t).slice(0, 300), channel: t.channel, instrument: t.instrument.slice(0, 80), notes: t.noteCount, drums: t.isDrums, range: spellRange(t.lowest, t.highest), firstBar: Math.min(1e9, barAtOrBefore(t.firstNote, read.sequence.timeSignatures).bar) })),
      melodyTrack: read.melodyTrack,
      tempo: read.tempo,
    };
  }

  tune(fileId: string, tune = 0, tracks: 'melody' | 'all' | number = 'melody'): OpenedTune {
    const f = this.files.get(fileId);
    if (!f) throw new StudioError('not_found', 'that file is no longer open: open it again');
    try {
      if (f.kind === 'abc') {
        const abc = bookTuneText(f.text, tune, f.name);
        const result = parseAbc(abc, { file: f.name });
        const t = result.tunes[0];
        if (!t) throw result.errors[0] ?? new MusicError('abc-syntax', 'the tune does not read', { file: f.name });
        const title = t.title?.trim() || `${f.name.replace(/\.[^.]+$/, '')} X:${t.x}`;
        return { ...this.dto(f.name, title, t.sequence, []), abc };
      }
      const o = openMidi(f.bytes, tracks, f.name);
      const title = o.sequence.title?.trim() || f.name.replace(/\.[^.]+$/, '');
      return this.dto(f.name, title, o.sequence, o.leftOut, o.tempo);
    } catch (e) {
      throw e instanceof StudioError ? e : badInput(e);
    }
  }

  private dto(name: string, title: string, seq: NoteSequence, leftOut: string[], tempo?: string): OpenedTune {
    const notes = seq.notes.filter((n) => n.end > n.start && n.end <= 1e6).slice(0, MAX_NOTES);
    const cut = seq.notes.length - notes.length;
    const meter = seq.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
    const k = seq.keySignatures[0];
    const tempos = (seq.tempos.length ? seq.tempos : [{ time: 0, qpm: 120 }]).slice(0, 20_000).map((t) => ({ time: t.time, qpm: Math.min(1000, Math.max(1, t.qpm)) }));
    if (tempos[0].time > 0) tempos.unshift({ time: 0, qpm: tempos[0].qpm });
    tempos[0] = { ...tempos[0], time: 0 };
    return {
      name,
      title: title.slice(0, 300),
      notes: notes.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end, velocity: Math.min(127, Math.max(1, Math.round(n.velocity))), voice: Math.min(64, n.voice) })),
      tempos,
      meter: { numerator: Math.min(64, Math.max(1, meter.numerator)), denominator: Math.min(64, Math.max(1, meter.denominator)) },
      key: k ? { tonic: k.tonic, mode: k.mode, accidentals: k.accidentals } : undefined,
      tempo: tempo ?? describeTempoMap(tempos),
      leftOut: cut ? [...leftOut, `${cut} notes after the first ${MAX_NOTES}`] : leftOut,
      cut,
    };
  }

  private keep(id: string, f: Kept): void {
    this.files.set(id, f);
    while (this.files.size > KEEP) this.files.delete(this.files.keys().next().value as string);
  }
}

function randomId(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return 'of-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
