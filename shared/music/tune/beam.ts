/**
 * Notes grouped by beat as a musician writes them: a model's take (abc-token ABC is spelled without
 * spaces, so a 6/8 bar reads as one beam of six) gets a space at every beat, none inside a beat:
 * `dfaafd|` becomes `dfa afd|`. Beats: a dotted quarter in 6/8, 9/8, 12/8; a half note in 4/4 and
 * 2/2 (reels are beamed in fours); a quarter otherwise. Only spaces between notes change; the text
 * is kept as it was when the regrouped text would not read to the same notes; `from` leaves the text
 * before it (a seed as the musician wrote it) as it is. Pure.
 */
import abcjs from 'abcjs';
import { parseAbc } from '../abc/read';

interface El {
  el_type?: string;
  startChar?: number;
  endChar?: number;
  duration?: number;
  startTriplet?: number;
  tripletMultiplier?: number;
  endTriplet?: boolean;
}

function beatOf(numerator: number, denominator: number): number {
  if (denominator === 8 && numerator % 3 === 0 && numerator > 3) return 1.5;
  if ((numerator === 4 && denominator === 4) || (numerator === 2 && denominator === 2)) return 2;
  return 4 / denominator >= 1 ? 4 / denominator : 1;
}

export function beamByBeat(text: string, options: { from?: number } = {}): string {
  const hasX = /^\s*X:/m.test(text);
  const source = hasX ? text : `X:1\n${text}`;
  // Text before `from` (a seed kept as the musician wrote it) keeps its own spacing.
  const keepBefore = (options.from ?? 0) + (hasX ? 0 : 4);
  const tune = (abcjs.parseOnly(source) as unknown as { lines?: { staff?: { voices?: El[][]; meter?: { value?: { num?: string; den?: string }[] } }[] }[] }[])[0];
  if (!tune?.lines) return text;
  const read = parseAbc(source).tunes[0];
  if (!read) return text;
  const sig = read.sequence.timeSignatures[0] ?? { numerator: 4, denominator: 4 };
  const beat = beatOf(sig.numerator, sig.denominator);
  // Gaps between consecutive notes of a voice: [from, to) of the text between them, and whether a beat starts at the second.
  const gaps: { from: number; to: number; space: boolean }[] = [];
  for (const line of tune.lines) {
    for (const staff of line.staff ?? []) {
      for (const voice of staff.voices ?? []) {
        let time = 0; // from the last bar line
        let mult = 1;
        let prev: El | null = null;
        for (const el of voice) {
          if (el.el_type === 'bar') {
            time = 0;
            prev = null;
            continue;
          }
          if (el.el_type !== 'note' || el.startChar === undefined || el.endChar === undefined) {
            prev = null;
            continue;
          }
          if (el.startTriplet) mult = el.tripletMultiplier ?? 1;
          if (prev && prev.endChar !== undefined) {
            // abcjs counts a note's trailing spaces in its element: the gap is from its last sign.
            let from = prev.endChar;
            while (from > (prev.startChar ?? 0) && /\s/.test(source[from - 1])) from--;
            const between = source.slice(from, el.startChar);
            const last = source[from - 1];
            const onBeat = Math.abs(time / beat - Math.round(time / beat)) < 1e-6;
            // Only plain spaces between two notes, never inside a tuplet or after a broken-rhythm sign.
            if (from >= keepBefore && /^[ \t]*$/.test(between) && last !== '>' && last !== '<' && mult === 1) gaps.push({ from, to: el.startChar, space: onBeat });
          }
          time += (el.duration ?? 0) * 4 * mult;
          if (el.endTriplet) mult = 1;
          prev = el;
        }
      }
    }
  }
  if (!gaps.length) return text;
  let out = source;
  for (const g of gaps.sort((a, b) => b.from - a.from)) out = out.slice(0, g.from) + (g.space ? ' ' : '') + out.slice(g.to);
  const back = parseAbc(out).tunes[0];
  const same = back && back.sequence.notes.length === read.sequence.notes.length && back.sequence.notes.every((n, i) => n.pitch === read.sequence.notes[i].pitch && Math.abs(n.start - read.sequence.notes[i].start) < 1e-6 && Math.abs(n.end - read.sequence.notes[i].end) < 1e-6);
  if (!same) return text;
  return hasX ? out : out.slice(4);
}
