/**
 * Export of the tune on the desk, seed + take, or every kept take, as .mid and .abc (through the
 * music core's writers) and .wav (offline render through the SoundFont synth). Pure apart from
 * download(), so the bytes are checked by tests with the music core's readers.
 */
import { writeAbc, writeMidi, type Note, type NoteSequence } from '@shared/music/index';
import { notesToEvents } from '../synth/events';
import type { RenderOptions } from '../synth/render';

export type ExportScope = 'take' | 'seed+take' | 'kept';
export type ExportFormat = 'mid' | 'abc' | 'wav';

export interface ExportFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

export interface ExportPiece {
  title: string;
  sequence: NoteSequence;
  /** The ABC as the musician has it on the desk (their notation), when it plays exactly `sequence`. */
  abc?: string;
}

export function slug(title: string): string {
  return (
    title
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/[\s_]+/g, '-')
      .toLowerCase()
      .slice(0, 60) || 'seedsong'
  );
}

/** Sequences placed one after another with a bar of rest between them (one .wav of several takes). */
export function concatenate(pieces: readonly ExportPiece[]): NoteSequence {
  const first = pieces[0].sequence;
  const ts = first.timeSignatures[0] ?? { time: 0, numerator: 4, denominator: 4 };
  const bar = (ts.numerator * 4) / ts.denominator;
  const notes: Note[] = [];
  let offset = 0;
  for (const p of pieces) {
    const start = p.sequence.notes.reduce((m, n) => Math.min(m, n.start), Infinity);
    const shift = offset - (Number.isFinite(start) ? start : 0);
    for (const n of p.sequence.notes) notes.push({ ...n, start: n.start + shift, end: n.end + shift });
    const end = notes.reduce((m, n) => Math.max(m, n.end), offset);
    offset = Math.ceil(end / bar) * bar + bar;
  }
  return { ...first, notes, totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0) };
}

export function exportAbc(pieces: readonly ExportPiece[], baseName: string): ExportFile {
  const text = pieces.map((p, i) => (p.abc ? p.abc.replace(/\s*$/, '\n') : writeAbc(p.sequence, { x: i + 1, title: p.title }))).join('\n');
  return { name: `${baseName}.abc`, mime: 'text/vnd.abc;charset=utf-8', bytes: new TextEncoder().encode(text.endsWith('\n') ? text : text + '\n') };
}

/** One take: one track. Several takes: one track per take (voice = take), so each can be muted in a DAW. */
export function exportMidi(pieces: readonly ExportPiece[], baseName: string): ExportFile {
  if (pieces.length === 1) return { name: `${baseName}.mid`, mime: 'audio/midi', bytes: writeMidi(pieces[0].sequence) };
  const seq: NoteSequence = { ...pieces[0].sequence, notes: pieces.flatMap((p, voice) => p.sequence.notes.map((n) => ({ ...n, voice }))) };
  seq.totalTime = seq.notes.reduce((m, n) => Math.max(m, n.end), 0);
  return { name: `${baseName}.mid`, mime: 'audio/midi', bytes: writeMidi(seq, { trackNames: pieces.map((p) => p.title) }) };
}

export async function exportWav(pieces: readonly ExportPiece[], baseName: string, soundFont: ArrayBuffer, opts: RenderOptions = {}): Promise<ExportFile> {
  const seq = pieces.length === 1 ? pieces[0].sequence : concatenate(pieces);
  const qpm = seq.tempos[0]?.qpm ?? 120;
  // The synth core is only loaded when a .wav is asked for.
  const { renderEvents, toWav } = await import('../synth/render');
  const audio = await renderEvents(soundFont, notesToEvents(seq.notes, qpm), opts);
  return { name: `${baseName}.wav`, mime: 'audio/wav', bytes: toWav(audio) };
}

/** Serve mode (and Electron, which asks where to save): the browser's own download. */
export function download(file: ExportFile): void {
  const blob = new Blob([file.bytes as BlobPart], { type: file.mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
