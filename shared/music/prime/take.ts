/**
 * A take's text when the seed was typed ABC: the musician's own text (title, header, pickup, bar
 * lines, repeats, endings, chord symbols, spacing), then the model's continuation as its encoding
 * spells it. The model reads the seed in its own words (abc-token version 2: canonical key, lengths
 * in eighths, no chord symbols), so decoding the whole take would respell the seed; only the
 * continuation is taken from the decoded text. Pure.
 *
 * The join is kept only when it plays exactly the notes of the take as the model wrote it (the
 * decoded tokens, read by the same ABC reader): where the unit length, meter or key in force at
 * the end of the seed differ from the model's, a field line (L:1/8, M:.., K:..) is written before
 * the continuation; anything else that would change a note gives null, and the caller keeps
 * the decoded text. A repeat start the reader supplies in the continuation is written out
 * (abc/repeat-starts.ts).
 */
import { parseAbc } from '../abc/read';
import { writeImpliedRepeatStarts } from '../abc/repeat-starts';
import { canonicalKey, canonicalMeter } from '../encodings/index';
import type { Encoding } from '../encodings/index';
import type { Note } from '../types';

/** The seed as written followed by the continuation: the text, and where the continuation starts in it. */
export interface TakeText {
  abc: string;
  /** Characters of `abc` that are the seed as the musician wrote it (an added `X:1` line included). */
  seedChars: number;
}

interface Fields {
  unit: string | null;
  meter: string | null;
  key: string | null;
}

/** The unit length, meter and key in force at the end of an ABC tune text (header lines, field lines in the body, inline fields). */
function fieldsAtEnd(text: string): Fields {
  const f: Fields = { unit: null, meter: null, key: null };
  const set = (name: string, value: string) => {
    const v = value.replace(/%.*$/, '').trim();
    if (name === 'L') f.unit = v.replace(/\s+/g, '');
    else if (name === 'M') f.meter = canonicalMeter(v);
    else if (name === 'K') f.key = canonicalKey(v) ?? v;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^%/.test(line)) continue;
    const field = /^([A-Za-z]):(.*)$/.exec(line);
    if (field) {
      set(field[1], field[2]);
      continue;
    }
    const music = line.replace(/%.*$/, '').replace(/"[^"]*"/g, '');
    for (const m of music.matchAll(/\[([LMK]):([^\]]*)\]/g)) set(m[1], m[2]);
  }
  return f;
}

/** The unit length ABC gives a tune with no L: field: 1/16 under a meter below 3/4, else 1/8. */
function defaultUnit(meter: string | null): string {
  const m = meter ? /^(\d+)\/(\d+)$/.exec(meter) : null;
  return m && Number(m[1]) / Number(m[2]) < 0.75 ? '1/16' : '1/8';
}

function unitValue(u: string): number | null {
  const m = /^(\d+)\/(\d+)$/.exec(u);
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : null;
}

const sameNotes = (a: readonly Note[], b: readonly Note[]): boolean => {
  if (a.length !== b.length) return false;
  const order = (n: readonly Note[]) => [...n].sort((x, y) => x.start - y.start || x.pitch - y.pitch);
  const x = order(a);
  const y = order(b);
  return x.every((n, i) => n.pitch === y[i].pitch && Math.abs(n.start - y[i].start) < 1e-6 && Math.abs(n.end - y[i].end) < 1e-6);
};

/**
 * Music lines of four bars each (a bar line is a run of '|', ':' and ']' with a '|' in it, or
 * '::'); text with a field line or a comment is left as it is.
 */
function fourBarsALine(music: string): string {
  if (/(^|\n)\s*[A-Za-z]:/.test(music) || music.includes('%') || music.includes('"')) return music;
  const flat = music.replace(/\n/g, '');
  let out = '';
  let from = 0;
  let bars = 0;
  for (const m of flat.matchAll(/::|[|:\]]*\|[|:\]]*/g)) {
    const end = m.index! + m[0].length;
    if (++bars % 4 === 0 && end < flat.length) {
      out += flat.slice(from, end) + '\n';
      from = end;
    }
  }
  out += flat.slice(from);
  // A music line that starts like a field ("A:|") would be read as one.
  return out
    .split('\n')
    .map((l) => (/^[A-Za-z]:/.test(l) ? ' ' + l : l))
    .join('\n');
}

/**
 * The take as text: `seedText` as written, then what the model wrote after `primeIds` in
 * `takeIds` (which start with `primeIds`). Null when the seed cannot stand as written (more than
 * one tune or voices in it, or the joined text would not play the take's notes).
 */
export function takeWithSeedAsWritten(encoding: Encoding, seedText: string, primeIds: readonly number[], takeIds: readonly number[]): TakeText | null {
  if (encoding.name !== 'abc-token' && encoding.name !== 'abc-char') return null;
  if (takeIds.length < primeIds.length || primeIds.some((id, i) => takeIds[i] !== id)) return null;
  const seedRead = parseAbc(/^\s*X:/m.test(seedText) ? seedText : `X:1\n${seedText}`, { file: 'seed' });
  if (seedRead.tunes.length !== 1 || seedRead.tunes[0].voiceCount > 1 || /^V:|\[V:/m.test(seedText)) return null;
  const whole = encoding.decode(takeIds);
  const seedPart = encoding.decode(primeIds).abc.replace(/\s+$/, '');
  if (!whole.abc.startsWith(seedPart)) return null;
  let continuation = whole.abc.slice(seedPart.length).replace(/\s+$/, '');
  if (/^\s*$/.test(continuation)) continuation = '';
  // The seed as written: a tune needs its X: line; trailing blank lines would end the tune.
  let seed = seedText.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  if (!/^\s*X:/m.test(seed)) seed = `X:1\n${seed}`;
  const seedChars = seed.length;
  if (continuation === '') return sameNotes(seedRead.tunes[0].sequence.notes, whole.sequence.notes) ? { abc: seed + '\n', seedChars } : null;
  // Fields the continuation is written under that the seed does not end with, inline before it.
  const mine = fieldsAtEnd(seed);
  const model = fieldsAtEnd(seedPart);
  // Written as field lines, not inline [L:..]: abc2midi (4.84) ignores an inline L: in the body.
  const fields: string[] = [];
  const myUnit = mine.unit ?? defaultUnit(mine.meter);
  const modelUnit = model.unit ?? defaultUnit(model.meter);
  if (unitValue(myUnit) !== unitValue(modelUnit)) fields.push(`L:${modelUnit}`);
  if (model.meter && model.meter !== (mine.meter ?? 'none')) fields.push(`M:${model.meter}`);
  if (model.key && model.key !== (mine.key ?? 'Cmaj')) fields.push(`K:${model.key}`);
  // A seed that ends with a bar line at the end of its line: the continuation starts a line of its
  // own, as the musician's next line would. What glues onto the seed's last sign stays on its line:
  // a length (the seed's last note's), and ']' ':' '|' after a bar sign ('|' ']' reads as '|]').
  const lastLine = seed.slice(seed.lastIndexOf('\n') + 1);
  const endsBar = /[|\]:]$/.test(lastLine) && !/^[A-Za-z]:/.test(lastLine);
  const glues = /^[\d/]/.test(continuation) || (endsBar && /^[\]:|]/.test(continuation));
  // A comment at the end of the seed's last line would swallow a continuation on that line.
  const commented = /%/.test(lastLine.replace(/"[^"]*"/g, ''));
  if ((commented || fields.length) && glues) return null;
  const startsMusic = /^[A-Ga-gzZxX^_=([{"!~.]/.test(continuation) && !/^\[\d/.test(continuation);
  let join = '';
  if (commented || fields.length || (endsBar && startsMusic)) join = '\n';
  let rest = continuation;
  // A bar sign that glues onto the seed's ('|' ']' is '|]', the close the tune constraints ask for
  // at a section's end) stays there; the music after it starts the next line.
  const glue = !join && endsBar ? /^[\]:|]+(?=[A-Ga-gzZxX^_=([{"!~.])(?!\[\d)/.exec(continuation)?.[0] : undefined;
  if (glue) {
    join = glue + '\n';
    rest = continuation.slice(glue.length);
    if (/^[A-Za-z]:/.test(rest)) rest = ' ' + rest;
  } else if (join === '\n' || /^\n/.test(rest)) {
    rest = rest.replace(/^\n/, '');
    join = '\n';
    // A music line that starts like a field ("A:|") would be read as one.
    if (/^[A-Za-z]:/.test(rest)) rest = ' ' + rest;
  }
  // The model's spelling breaks lines every four bars of the whole tune, which can leave the first
  // line of the continuation a bar or two long: counted again from the line it starts on.
  if (join.endsWith('\n')) rest = fourBarsALine(rest);
  const abc = seed + join + fields.map((f) => f + '\n').join('') + rest + '\n';
  const read = parseAbc(abc, { file: 'take' });
  if (read.errors.length || read.tunes.length !== 1) return null;
  if (!sameNotes(read.tunes[0].sequence.notes, whole.sequence.notes)) return null;
  // A continuation section that repeats from the seed's closing || or |] (after its endings) gets
  // its |: written, so that abc2midi-based players repeat it too; the seed itself stays as typed.
  return { abc: writeImpliedRepeatStarts(abc, seedChars), seedChars };
}
