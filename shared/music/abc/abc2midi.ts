/**
 * The reference oracle: Debian's abc2midi. Node-only (child_process, fs), used by the oracle test
 * and bench/abc-oracle.ts; never imported by index.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMidi } from '../midi/read';
import { commentOutHeaderText, inheritedHeader, splitAbcBook } from './book';
import { impliedRepeatStarts, parseAbcTune } from './read';
import { quantize } from '../sequence';
import type { NoteSequence } from '../types';

export function findAbc2midi(): string | null {
  try {
    const p = execFileSync('sh', ['-c', 'command -v abc2midi'], { encoding: 'utf8' }).trim();
    return p || null;
  } catch {
    return null;
  }
}

/**
 * Takes out what abc2midi performs but the notation does not hold, so that both readers are asked
 * for the written notes: R:hornpipe swing (abc2midi plays hornpipes dotted), decorations (trills,
 * rolls, staccato shortening), chord attack staggering, P: part orders. Line-level text edits on
 * the oracle's copy only.
 */
export function neutralizeForAbc2midi(tuneText: string): string {
  let inBody = false;
  // abc2midi staggers the notes of a chord (10 ticks apart) unless told not to.
  const withDirectives = tuneText.replace(/^(X:[^\n]*\n)/, '$1%%MIDI chordattack 0\n');
  return withDirectives
    .split('\n')
    .map((line) => {
      if (/^R:/.test(line)) return '%' + line;
      // %%MIDI program changes make @tonejs/midi split abc2midi's track in two; instruments are not notes.
      if (/^%%MIDI\s+(program|chordprog|bassprog|channel)/.test(line)) return '%' + line.slice(2);
      // A P: part order in the header makes abc2midi play parts again (P:ABA); abcjs plays the tune as written.
      if (!inBody && /^P:/.test(line)) return '%' + line;
      if (/^K:/.test(line)) {
        inBody = true;
        return line;
      }
      if (!inBody || /^[A-Za-z]:/.test(line) || line.startsWith('%')) return line;
      // Outside "chord symbols" and inline fields: drop !decorations!, +decorations+ and the one-character ones.
      return outsideQuotesAndFields(line, dropDecorations);
    })
    .join('\n');
}

/**
 * Writes the repeat starts parseAbc reads into implicit sections as |: in abc2midi's copy. abc2midi
 * 4.84 reads a section that ends in :| without its own |: (after a section with 1st/2nd endings)
 * by going back to the previous |: or the start of the tune, playing up to that section's [1 and
 * jumping past its [2: a fragment of the previous section, not a repeat of this one (see README).
 * The bar keeps its length, so line numbers and columns stay put.
 */
export function spellOutRepeatStarts(text: string, starts: { start: number; end: number }[]): string {
  let out = text;
  for (const { start, end } of starts) {
    const bar = out.slice(start, end);
    if (end - start < 2) continue;
    // A :| that the next section repeats from (:| ... :|) becomes ::.
    if (/^\s*:\|\s*$/.test(bar)) out = out.slice(0, start) + '::' + ' '.repeat(end - start - 2) + out.slice(end);
    else if (/^[|\[\]\s]+$/.test(bar)) out = out.slice(0, start) + '|:' + ' '.repeat(end - start - 2) + out.slice(end);
  }
  return out;
}

/** The edits neutralizeForAbc2midi makes, one at a time: each names a cause of disagreement. */
export const ABC2MIDI_EDITS = {
  /** abc2midi plays trills, rolls and mordents as ornaments and shortens staccato notes. */
  decorations: (text: string) => editBody(text, dropDecorations),
  /** abc2midi staggers the notes of a chord (10 ticks apart). */
  'chord attack': (text: string) => text.replace(/^(X:[^\n]*\n)/, '$1%%MIDI chordattack 0\n'),
  /** %%MIDI program changes make @tonejs/midi split abc2midi's track in two (a reading artefact of the oracle). */
  'MIDI program': (text: string) => text.split('\n').map((l) => (/^%%MIDI\s+(program|chordprog|bassprog|channel)/.test(l) ? '%' + l.slice(2) : l)).join('\n'),
} as const;

function editBody(text: string, edit: (outsideChordSymbols: string) => string): string {
  let inBody = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^K:/.test(line)) {
        inBody = true;
        return line;
      }
      if (!inBody || /^[A-Za-z]:/.test(line) || line.startsWith('%')) return line;
      return outsideQuotesAndFields(line, edit);
    })
    .join('\n');
}

const dropDecorations = (part: string) => part.replace(/![^!|]*!/g, '').replace(/\+[a-zA-Z]+\+/g, '').replace(/[~THLMOPSuv.]/g, '');

/**
 * Applies an edit to a body line outside "chord symbols" and inline fields ([P:A], [M:6/8], [K:Mix]
 * keep their letters: stripping T or P there turned [P:O] into [:], a repeat sign to abc2midi);
 * inline [R:] fields are dropped (abc2midi would swing from there).
 */
function outsideQuotesAndFields(line: string, edit: (part: string) => string): string {
  return line
    .split(/("[^"]*"|\[[A-Za-z]:[^\]]*\])/)
    .map((part, i) => (i % 2 ? (part.startsWith('[R:') ? '' : part) : edit(part)))
    .join('');
}

export class Abc2midi {
  private dir = mkdtempSync(join(tmpdir(), 'seedsong-abc2midi-'));
  private n = 0;
  constructor(private readonly exe = 'abc2midi') {}

  /**
   * The first voice of each tune as abc2midi plays it (grace notes, chord symbols and fermatas off,
   * the same reading as parseAbc's defaults), one abc2midi run per batch. null where abc2midi
   * wrote nothing.
   */
  melodies(tuneTexts: string[]): (NoteSequence | null)[] {
    const id = this.n++;
    const stem = `b${id}`;
    const src = join(this.dir, `${stem}.abc`);
    // Renumber X: so that every tune gets its own output file.
    const book = tuneTexts.map((t, i) => t.replace(/^X:[^\n]*/, `X:${i + 1}`).replace(/\n*$/, '\n')).join('\n');
    writeFileSync(src, book);
    spawnSync(this.exe, [src, '-NGRA', '-NGUI', '-NFER', '-silent'], { cwd: this.dir, stdio: 'ignore', timeout: 120_000 });
    rmSync(src, { force: true });
    return tuneTexts.map((_, i) => {
      const out = join(this.dir, `${stem}${i + 1}.mid`);
      if (!existsSync(out)) return null;
      try {
        const r = readMidi(readFileSync(out), { tracks: 'all' });
        // One track per voice: the first with notes is voice 1.
        const first = r.tracks.find((t) => t.noteCount > 0);
        if (!first) return null;
        return { ...r.sequence, notes: r.sequence.notes.filter((n) => n.voice === first.index).map((n) => ({ ...n, voice: 0 })) };
      } catch {
        return null;
      } finally {
        rmSync(out, { force: true });
      }
    });
  }

  melody(tuneText: string): NoteSequence | null {
    return this.melodies([tuneText])[0];
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type Disagreement = 'none' | 'note-count' | 'pitch' | 'onset' | 'duration';

/** Compares (pitch, onset, duration) after quantizing both to 12 steps per quarter (16ths and triplets); returns the first kind of difference. */
export function compareMelodies(ours: NoteSequence, theirs: NoteSequence): { kind: Disagreement; at?: number; detail?: string } {
  const key = (s: NoteSequence) =>
    quantize(s, { stepsPerQuarter: 12 })
      .notes.map((n) => [n.pitch, Math.round(n.start * 12), Math.round((n.end - n.start) * 12)])
      .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const a = key(ours);
  const b = key(theirs);
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const [p1, s1, d1] = a[i];
    const [p2, s2, d2] = b[i];
    const where = `note ${i + 1}: ours ${p1}@${s1 / 12}+${d1 / 12}, abc2midi ${p2}@${s2 / 12}+${d2 / 12}`;
    if (s1 !== s2) return { kind: a.length !== b.length ? 'note-count' : 'onset', at: i, detail: where };
    if (p1 !== p2) return { kind: 'pitch', at: i, detail: where };
    if (d1 !== d2) return { kind: 'duration', at: i, detail: where };
  }
  if (a.length !== b.length) return { kind: 'note-count', at: len, detail: `ours ${a.length} notes, abc2midi ${b.length}` };
  return { kind: 'none' };
}

export interface OracleTune {
  file: string;
  line: number;
  x: string;
  kind: Disagreement | 'ours-failed' | 'abc2midi-failed';
  detail?: string;
}

/**
 * Compares every tune of an ABC file (or the chosen indices) with abc2midi. The tune text given to
 * abc2midi is the same one abcjs reads (file-header fields copied in).
 */
export function compareFileWithAbc2midi(oracle: Abc2midi, file: string, text: string, pick?: (index: number, count: number) => boolean, mode: 'edited' | 'unedited' = 'edited'): OracleTune[] {
  const book = splitAbcBook(text);
  const header = inheritedHeader(book.header);
  const out: OracleTune[] = [];
  const pending: { base: Omit<OracleTune, 'kind'>; ours: NoteSequence; text: string }[] = [];
  for (const t of book.tunes) {
    if (pick && !pick(t.index, book.tunes.length)) continue;
    const base = { file, line: t.line, x: t.x };
    try {
      // edited: both asked for the written notes (abc2midi's copy neutralized, P: order not followed);
      // unedited: abc2midi reads the tune as written and we play it as it would (P: order, hornpipe swing).
      const tune = parseAbcTune(t, header, mode === 'edited' ? { file, parts: false } : { file, parts: true, swing: true });
      const nl = t.text.indexOf('\n');
      const full = header.length ? t.text.slice(0, nl + 1) + header.join('\n') + '\n' + t.text.slice(nl + 1) : t.text;
      const theirs = mode === 'edited' ? neutralizeForAbc2midi(spellOutRepeatStarts(commentOutHeaderText(full), impliedRepeatStarts(tune))) : full;
      pending.push({ base, ours: tune.sequence, text: theirs });
    } catch (e) {
      out.push({ ...base, kind: 'ours-failed', detail: (e as Error).message });
    }
  }
  for (let i = 0; i < pending.length; i += 200) {
    const chunk = pending.slice(i, i + 200);
    const theirs = oracle.melodies(chunk.map((p) => p.text));
    chunk.forEach((p, j) => {
      const th = theirs[j];
      if (!th) out.push({ ...p.base, kind: 'abc2midi-failed' });
      else {
        const c = compareMelodies(p.ours, th);
        out.push({ ...p.base, kind: c.kind, detail: c.detail });
      }
    });
  }
  return out;
}

export interface ClassifiedTune extends OracleTune {
  /** Why ours and abc2midi's performance of the unedited tune differ (undefined when they agree). */
  cause?: string;
}

/**
 * The unedited comparison: abc2midi reads each tune as written, we play it as abc2midi would (P:
 * order, hornpipe swing). Every disagreement gets a cause: the one difference between the readers
 * that, taken out alone, makes them agree (decorations, hornpipe swing, P: order, implied repeat
 * starts, chord attack, MIDI program changes); "several" when only all edits together do; else
 * "reading: KIND" (the readers also disagree on the edited copy).
 */
export function classifyUnedited(oracle: Abc2midi, file: string, text: string, pick?: (index: number, count: number) => boolean): ClassifiedTune[] {
  const book = splitAbcBook(text);
  const header = inheritedHeader(book.header);
  const out: ClassifiedTune[] = [];
  type Pending = { base: Omit<OracleTune, 'kind'>; t: (typeof book.tunes)[number]; full: string; ours: NoteSequence; result?: ClassifiedTune };
  const pending: Pending[] = [];
  for (const t of book.tunes) {
    if (pick && !pick(t.index, book.tunes.length)) continue;
    const base = { file, line: t.line, x: t.x };
    try {
      const tune = parseAbcTune(t, header, { file, parts: true, swing: true });
      const nl = t.text.indexOf('\n');
      const full = header.length ? t.text.slice(0, nl + 1) + header.join('\n') + '\n' + t.text.slice(nl + 1) : t.text;
      pending.push({ base, t, full, ours: tune.sequence });
    } catch (e) {
      out.push({ ...base, kind: 'ours-failed', detail: (e as Error).message });
    }
  }
  const run = (list: Pending[], theirText: (p: Pending) => string, ours: (p: Pending) => NoteSequence | null) => {
    const res: ReturnType<typeof compareMelodies>[] = [];
    for (let i = 0; i < list.length; i += 200) {
      const chunk = list.slice(i, i + 200);
      const theirs = oracle.melodies(chunk.map(theirText));
      chunk.forEach((p, j) => {
        const o = ours(p);
        res.push(theirs[j] && o ? compareMelodies(o, theirs[j]!) : { kind: 'note-count', detail: 'abc2midi wrote nothing' });
      });
    }
    return res;
  };
  const reparse = (p: Pending, opts: { parts: boolean; swing: boolean }) => {
    try {
      return parseAbcTune(p.t, header, { file, ...opts }).sequence;
    } catch {
      return null;
    }
  };
  const first = run(pending, (p) => p.full, (p) => p.ours);
  let differ: Pending[] = [];
  pending.forEach((p, i) => {
    p.result = { ...p.base, kind: first[i].kind, detail: first[i].detail };
    if (first[i].kind !== 'none') differ.push(p);
  });
  const edits: [string, (p: Pending) => string, (p: Pending) => NoteSequence | null][] = [
    ['decorations (ornaments played, staccato shortened)', (p) => ABC2MIDI_EDITS.decorations(p.full), (p) => p.ours],
    ['hornpipe swing', (p) => p.full.replace(/^R:/m, '%R:'), (p) => reparse(p, { parts: true, swing: false })],
    ['P: part order', (p) => p.full.replace(/^(P:.*\n(?:.*\n)*?K:)/m, '%$1'), (p) => reparse(p, { parts: false, swing: true })],
    ['implied repeat start (abc2midi 4.84 plays a fragment of the previous section)', (p) => {
      try {
        const tune = parseAbcTune(p.t, header, { file });
        return spellOutRepeatStarts(commentOutHeaderText(p.full), impliedRepeatStarts(tune));
      } catch {
        return p.full;
      }
    }, (p) => p.ours],
    ['chord attack (abc2midi staggers chord notes)', (p) => ABC2MIDI_EDITS['chord attack'](p.full), (p) => p.ours],
    ['MIDI program change (splits abc2midi\'s track)', (p) => ABC2MIDI_EDITS['MIDI program'](p.full), (p) => p.ours],
  ];
  for (const [cause, theirs, ours] of edits) {
    if (!differ.length) break;
    const r = run(differ, theirs, ours);
    differ = differ.filter((p, i) => {
      if (r[i].kind !== 'none') return true;
      p.result!.cause = cause;
      return false;
    });
  }
  if (differ.length) {
    const r = run(differ, (p) => {
      try {
        const tune = parseAbcTune(p.t, header, { file });
        return neutralizeForAbc2midi(spellOutRepeatStarts(commentOutHeaderText(p.full), impliedRepeatStarts(tune)));
      } catch {
        return p.full;
      }
    }, (p) => reparse(p, { parts: false, swing: false }));
    differ.forEach((p, i) => (p.result!.cause = r[i].kind === 'none' ? 'several of the above' : `reading: ${r[i].kind}`));
  }
  for (const p of pending) out.push(p.result!);
  return out;
}
