/**
 * Writes into a tune's text the repeat starts Seedsong's reader supplies, so that every player
 * repeats what Seedsong repeats. A section that ends in :| without its own |: after a section with
 * 1st/2nd endings repeats, for Seedsong (as players and folk-tune books read it), from the double
 * bar that closed the endings; abc2midi 4.84 goes back to the earlier |:, plays up to its [1 and
 * jumps past its [2: a fragment of the previous section instead of this one twice (see read.ts,
 * prepareForAudio). A take the model wrote that way, or a continuation after a seed that ends its
 * endings with |] or ||, then sounds different in every abc2midi-based tool (EasyABC, abc2midi's
 * .mid) than in the studio. Pure.
 *
 * Unlike the oracle's copy (abc2midi.ts, spellOutRepeatStarts, which overwrites the bar in place to
 * keep columns), this is for people: the bar the musician or the model wrote stays, and the start
 * is added — at the head of the next music line when the bar ends its line (the way folk books
 * write a part's start), else as ` |:` after it (abc2midi misreads `||:`), and a :| that the next
 * section repeats from becomes ::. The result is kept only when Seedsong's reader plays exactly
 * the same notes and supplies no start any more.
 */
import { impliedRepeatStarts, parseAbc } from './read';
import type { Note } from '../types';

const sameNotes = (a: readonly Note[], b: readonly Note[]): boolean =>
  a.length === b.length && a.every((n, i) => n.pitch === b[i].pitch && Math.abs(n.start - b[i].start) < 1e-9 && Math.abs(n.end - b[i].end) < 1e-9);

/**
 * `text` (one tune) with the repeat starts the reader supplies written out, at or after `from`
 * only (a caller keeps text before it, e.g. a seed the musician typed, exactly as it is).
 * Returns the text unchanged when there is none, or when writing them would change a note.
 */
export function writeImpliedRepeatStarts(text: string, from = 0): string {
  const x = /^X:/m.exec(text);
  if (!x) return text;
  const before = parseAbc(text, { file: 'take' });
  if (before.tunes.length !== 1 || before.errors.length) return text;
  const tune = before.tunes[0];
  const starts = impliedRepeatStarts(tune)
    .map((s) => ({ start: s.start + x.index, end: s.end + x.index }))
    .sort((a, b) => b.start - a.start);
  if (!starts.length) return text;
  let out = text;
  let left = 0; // starts not written: before `from`, or at a bar this does not know how to extend
  for (const { start, end } of starts) {
    const bar = out.slice(start, end);
    const at = /^:\|$/.test(bar) ? end : /^[|\[\]]+$/.test(bar) ? startAfter(out, end) : -1;
    if (at < 0 || at < from) {
      left++;
      continue;
    }
    // abcjs reads ':|:' as an unknown bar; '::' is the end and the start in every reader.
    if (/^:\|$/.test(bar)) out = out.slice(0, start) + '::' + out.slice(end);
    else if (at === end) out = out.slice(0, at) + ' |:' + out.slice(at);
    // The next music line starts with a plain bar line: it becomes the start.
    else if (/^\|(?![|\]:])/.test(out.slice(at))) out = out.slice(0, at) + '|:' + out.slice(at + 1);
    else out = out.slice(0, at) + '|:' + out.slice(at);
  }
  if (left === starts.length) return text;
  const after = parseAbc(out, { file: 'take' });
  if (after.tunes.length !== 1 || after.errors.length) return text;
  if (impliedRepeatStarts(after.tunes[0]).length !== left) return text;
  if (!sameNotes(tune.sequence.notes, after.tunes[0].sequence.notes)) return text;
  return out;
}

/**
 * Where the start for the section after the bar ending at `end` goes: the head of the next music
 * line when the bar ends its line (spaces or a comment after it; field lines such as P:B or K:G
 * and comments between are passed), else `end` itself.
 */
function startAfter(text: string, end: number): number {
  const rest = /^[ \t]*(%[^\n]*)?\n/.exec(text.slice(end));
  if (!rest) return end;
  let p = end + rest[0].length;
  while (p < text.length) {
    const nl = text.indexOf('\n', p);
    const line = text.slice(p, nl < 0 ? text.length : nl);
    if (!/^([A-Za-z]:|%)/.test(line)) break;
    p += line.length + 1;
  }
  return p < text.length && /^[ \t]*\S/.test(text.slice(p)) ? p : end;
}
