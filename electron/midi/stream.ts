/**
 * NoteStream: notes that arrive while they are being generated, so the scheduler can play a take
 * before the sampler has finished it. A finished NoteSequence is just a stream that is already ended.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import { Listeners } from './port';
import type { Cancel } from './clock';

export class NoteStreamError extends Error {
  override name = 'NoteStreamError';
}

function checkNote(n: Note, index: number): void {
  const ok =
    Number.isInteger(n.pitch) &&
    n.pitch >= 0 &&
    n.pitch <= 127 &&
    Number.isFinite(n.start) &&
    Number.isFinite(n.end) &&
    n.start >= 0 &&
    n.end > n.start &&
    Number.isFinite(n.velocity);
  if (!ok) {
    throw new NoteStreamError(
      `note ${index}: expected pitch 0-127, start >= 0 and end > start (in quarter notes), got pitch ${n.pitch}, start ${n.start}, end ${n.end}, velocity ${n.velocity}`,
    );
  }
}

export class NoteStream {
  private readonly list: Note[] = [];
  private done = false;
  private maxEnd = 0;
  private readonly appended = new Listeners<[Note[]]>();
  private readonly ended = new Listeners<[]>();
  private count = 0;

  /** Notes sorted by start (ties keep arrival order). */
  get notes(): readonly Note[] {
    return this.list;
  }
  get finished(): boolean {
    return this.done;
  }
  /** Where the music ends, in quarter notes; grows while notes arrive. */
  get endBeat(): number {
    return this.maxEnd;
  }

  /** Adds notes; throws NoteStreamError on a malformed note (the caller decides whether to skip it). */
  append(notes: Note | readonly Note[]): void {
    if (this.done) throw new NoteStreamError('notes appended after the stream ended');
    const batch = Array.isArray(notes) ? (notes as readonly Note[]) : [notes as Note];
    // Check the whole batch first, so a bad note leaves the stream exactly as it was.
    batch.forEach((n, i) => checkNote(n, this.count + i));
    const added: Note[] = [];
    for (const n of batch) {
      this.count++;
      const note = { ...n };
      // Generated notes nearly always arrive in order, so this is usually a push.
      let i = this.list.length;
      while (i > 0 && this.list[i - 1].start > note.start) i--;
      this.list.splice(i, 0, note);
      this.maxEnd = Math.max(this.maxEnd, note.end);
      added.push(note);
    }
    if (added.length) this.appended.emit(added);
  }

  /** No more notes will come; `totalTime` can extend the end past the last note (a final rest). */
  end(totalTime?: number): void {
    if (this.done) return;
    if (totalTime !== undefined && Number.isFinite(totalTime)) this.maxEnd = Math.max(this.maxEnd, totalTime);
    this.done = true;
    this.ended.emit();
  }

  onAppend(listener: (notes: Note[]) => void): Cancel {
    return this.appended.add(listener);
  }
  onEnd(listener: () => void): Cancel {
    return this.ended.add(listener);
  }

  static fromSequence(seq: NoteSequence): NoteStream {
    const s = new NoteStream();
    s.append([...seq.notes].sort((a, b) => a.start - b.start));
    s.end(seq.totalTime);
    return s;
  }
}
