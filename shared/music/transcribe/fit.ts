/**
 * The last step of a played seed for an ABC model: the quantized seed written as ABC in words the
 * model's vocabulary has. A learned abc-token vocabulary spells a note and its length as one token
 * ("B3/2" may be missing while "A3/2" is there), and may lack the tie "-", some rests ("z3/2", a
 * bar of rest "z8") or the tuplet mark. Timing jitter must not decide whether a seed can be
 * continued, so the seed is written, read back token by token against the vocabulary, and each
 * word the model does not know is respelled in the notes (a held note ends at the bar line, a
 * length is shortened to one the pitch has, a rest is taken into the note before it, an empty bar
 * is dropped, triplets go to the straight grid) until every token is known. Each change is told in
 * words. What cannot be respelled (a pitch or a header the model never saw) is a SeedSpellingError
 * that says what and which fix to offer.
 *
 * The writer (shared/music/abc/write.ts) writes the pickup as the short first bar a tune has.
 */
import { writeAbc } from '../abc/write';
import { parseAbc } from '../abc/read';
import { diatonicScale, parseKey } from '../key';
import { MusicError } from '../errors';
import { tokenizeAbc } from '../encodings/abc-text';
import { tokenizeAbcV2 } from '../encodings/abc-tokens';
import type { Note, NoteSequence } from '../types';
import { barQuarters } from './meter';
import type { Meter } from './types';

/** What the fix for an unspellable seed is, for the studio to offer as a button. */
export type SeedFix = 'quantize' | 'drop-chords' | 'change-meter' | 'transpose' | 'none';

export class SeedSpellingError extends MusicError {
  constructor(
    detail: string,
    readonly fix: SeedFix,
    readonly token: string,
  ) {
    super('unencodable', detail, { file: 'seed' });
    this.name = 'SeedSpellingError';
  }
}

export interface SeedToFit {
  /** The quantized seed from its first note (time 0), in quarter notes. */
  sequence: NoteSequence;
  meter: Meter;
  /** Quarter notes from the first note to the first downbeat. */
  pickup: number;
}

export interface FitOptions {
  /** The encoding: its name (abc-token or abc-char), vocabulary and (abc-token) spelling version. */
  encoding: { name: string; tokens: readonly string[]; version?: number };
  /** L:1/unitDenominator; default 8. */
  unitDenominator?: number;
  /** The K: token to write instead of the writer's spelling of the key (a vocabulary's "K:G Major"). */
  keyToken?: string;
  title?: string;
}

export interface FittedSeed {
  /** The seed as ABC, every token of it in the vocabulary. */
  abc: string;
  /** The meter and pickup it is written in (the meter may be one the model knows instead of the seed's). */
  meter: Meter;
  pickup: number;
  /** The notes as written (from the first note, time 0). */
  sequence: NoteSequence;
  /** What was changed to spell it, one line each ("2 held notes end at the bar line: ..."). */
  changes: string[];
}

/** The seed as ABC with its pickup as a short first bar (see the module comment). */
export function writeSeedAbc(seed: SeedToFit, options: { unitDenominator?: number; keyToken?: string; meterToken?: string; title?: string } = {}): string {
  const bar = barQuarters(seed.meter);
  const pickup = seed.pickup > 1e-9 && seed.pickup < bar - 1e-9 ? seed.pickup : 0;
  const s = seed.sequence;
  const written: NoteSequence = {
    ...s,
    timeSignatures: [{ time: 0, numerator: seed.meter.numerator, denominator: seed.meter.denominator }],
    tempos: [],
    keySignatures: s.keySignatures.slice(0, 1).map((k) => ({ ...k, time: 0 })),
    totalTime: Math.max(0, ...s.notes.map((n) => n.end)),
  };
  // The pickup is the writer's short first bar; a seed is never folded into repeats (the model continues it as played).
  let text = writeAbc(written, { pickup, repeats: false, finalBar: false, tempo: false, title: options.title ?? s.title ?? 'Seed', unitDenominator: options.unitDenominator ?? 8 });
  const lines = text.split('\n');
  const body = lines.findIndex((l) => /^K:/.test(l));
  if (body >= 0 && options.keyToken) lines[body] = options.keyToken;
  const meterLine = lines.findIndex((l) => /^M:/.test(l));
  if (meterLine >= 0 && options.meterToken) lines[meterLine] = options.meterToken;
  // The seed stays open where the playing stopped: the rest the writer fills the last bar with (and
  // its bar line) is not part of the seed, and the model continues from the last note.
  let last = lines.length - 1;
  while (last > body && lines[last].trim() === '') last--;
  if (last > body) lines[last] = lines[last].replace(/(?:\s*z[\d/]*)+\s*\|?\s*$/, '').replace(/\s+$/, '');
  text = lines.join('\n');
  return text;
}

/** One token of the written seed, with where it sits in quarter notes (bar-aligned time). */
interface Placed {
  text: string;
  kind: 'note' | 'rest' | 'tie' | 'tuplet' | 'bar' | 'header' | 'other';
  start: number;
  end: number;
  /** For notes: the index of the seed note it belongs to, and whether a tie joined it to the token before. */
  note?: number;
  tiedFromBefore?: boolean;
  /** For notes and rests: the part before the length ("B", "^c'", "z") and the length in L units. */
  prefix?: string;
  units?: number;
}

const NOTE = /^((?:\^\^|\^|__|_|=)?[A-Ga-g][,']*|[zx])(\d*)(\/*)(\d*)$/;

function lengthUnits(digits: string, slashes: string, den: string): number {
  const num = digits ? Number(digits) : 1;
  if (den) return num / Number(den);
  return num / 2 ** slashes.length;
}

/** Default q of a tuplet (p:q:r) as ABC 2.1 gives it (compound meters: 3 for 5, 7, 9). */
function tupletQ(p: number, compound: boolean): number {
  if (p === 2 || p === 4 || p === 8) return 3;
  if (p === 3 || p === 6) return 2;
  return compound ? 3 : 2;
}

/** The tokens of a written seed with their times; `lead` is the time of the first body token. */
function place(abc: string, unitQuarters: number, lead: number, compound: boolean): Placed[] {
  const out: Placed[] = [];
  let t = lead;
  let noteIndex = -1;
  let tuplet: { factor: number; left: number } | null = null;
  let tie = false;
  let inBody = false;
  for (const text of tokenizeAbc(abc)) {
    if (!inBody) {
      out.push({ text, kind: 'header', start: 0, end: 0 });
      if (text.startsWith('K:')) inBody = true;
      continue;
    }
    const m = NOTE.exec(text);
    if (m) {
      const units = lengthUnits(m[2], m[3], m[4]);
      let d = units * unitQuarters;
      if (tuplet) {
        d *= tuplet.factor;
        if (--tuplet.left <= 0) tuplet = null;
      }
      const rest = m[1] === 'z' || m[1] === 'x';
      const p: Placed = { text, kind: rest ? 'rest' : 'note', start: t, end: t + d, prefix: m[1], units };
      if (!rest) {
        if (!tie) noteIndex++;
        p.note = noteIndex;
        p.tiedFromBefore = tie;
      }
      tie = false;
      out.push(p);
      t += d;
    } else if (text === '-') {
      tie = true;
      out.push({ text, kind: 'tie', start: t, end: t });
    } else if (/^\(\d/.test(text)) {
      const [p, q, r] = text.slice(1).split(':').map((x) => (x ? Number(x) : NaN));
      const qq = Number.isFinite(q) ? q : tupletQ(p, compound);
      tuplet = { factor: qq / p, left: Number.isFinite(r) ? r : p };
      out.push({ text, kind: 'tuplet', start: t, end: t });
    } else out.push({ text, kind: /\|/.test(text) ? 'bar' : 'other', start: t, end: t });
  }
  return out;
}

const EPS = 1e-6;

/** The lengths (in L units) the vocabulary has for each note prefix ("B", "^c'", "z"). */
function lengthsByPrefix(tokens: readonly string[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const t of tokens) {
    const m = NOTE.exec(t);
    if (!m) continue;
    const u = lengthUnits(m[2], m[3], m[4]);
    if (!(u > 0)) continue;
    const list = map.get(m[1]) ?? [];
    list.push(u);
    map.set(m[1], list);
  }
  for (const list of map.values()) list.sort((a, b) => a - b);
  return map;
}

/** A version-1 token in version-2 pieces (`B3/2` -> `B`, `3/2`; `K:G` -> `K:Gmaj`; `L:1/8` -> none), L:1/8. */
const pieceCache = new Map<string, string[]>();
function piecesV2(token: string): string[] {
  let p = pieceCache.get(token);
  if (!p) {
    if (/^[A-Za-z]:/.test(token)) p = token.startsWith('K:') ? tokenizeAbcV2(`${token}\n`) : tokenizeAbcV2(`${token}\nK:C\n`).slice(0, -1);
    else p = tokenizeAbcV2(`L:1/8\nK:C\n${token}`).slice(1);
    if (pieceCache.size > 5000) pieceCache.clear();
    pieceCache.set(token, p);
  }
  return p;
}

/**
 * For a version-2 vocabulary, the lengths (in L units, L:1/unitDen) every pitch it has can take:
 * one eighth (no length token) and each length token's.
 */
function lengthsFactored(tokens: readonly string[], unitDen: number): Map<string, number[]> & { get(prefix: string): number[] | undefined } {
  const eighths = [1];
  for (const t of tokens) if (/^(\d+|\d*\/\d*)$/.test(t)) {
    const m = /^(\d*)(?:\/(\d*))?$/.exec(t)!;
    const v = (m[1] ? Number(m[1]) : 1) / (m[2] === undefined ? 1 : m[2] === '' ? 2 : Number(m[2]));
    if (v > 0) eighths.push(v);
  }
  const units = eighths.map((e) => (e * unitDen) / 8).sort((a, b) => a - b);
  const vocab = new Set(tokens);
  const map = new Map<string, number[]>();
  const get = (prefix: string) => (vocab.has(prefix) || (prefix === 'z' && vocab.has('z')) ? units : undefined);
  return Object.assign(map, { get });
}

/** The meters of a vocabulary's M: tokens, with their text ("M:C|" is 2/2). */
function knownMeters(tokens: readonly string[]): { meter: Meter; token: string }[] {
  const out: { meter: Meter; token: string }[] = [];
  for (const t of tokens) {
    const m = /^M:(?:(\d+)\/(\d+)|(C\|?))$/.exec(t);
    if (!m) continue;
    out.push({ token: t, meter: m[3] === 'C' ? { numerator: 4, denominator: 4 } : m[3] === 'C|' ? { numerator: 2, denominator: 2 } : { numerator: Number(m[1]), denominator: Number(m[2]) } });
  }
  return out;
}

/** The key signatures of a vocabulary's K: tokens (the one key table, shared/music/key.ts), read once per vocabulary. */
const vocabularyKeys = new WeakMap<readonly string[], { token: string; key: NoteSequence['keySignatures'][number] }[]>();
function keysOf(tokens: readonly string[]): { token: string; key: NoteSequence['keySignatures'][number] }[] {
  let keys = vocabularyKeys.get(tokens);
  if (!keys) {
    keys = [];
    for (const t of tokens) {
      if (!t.startsWith('K:')) continue;
      const key = parseKey(t.slice(2));
      if (key) keys.push({ token: t, key });
    }
    vocabularyKeys.set(tokens, keys);
  }
  return keys;
}

/**
 * The K: token of the vocabulary for the seed's key (corpora spell keys their own way: "K:D Major",
 * "K:Ador"): the same key if the vocabulary has it, else the key whose scale holds most of the notes.
 */
export function keyTokenFor(seq: NoteSequence, tokens: readonly string[]): { token: string; key: NoteSequence['keySignatures'][number] } | undefined {
  const ks = seq.keySignatures[0];
  let best: { key: NoteSequence['keySignatures'][number]; token: string; fit: number } | undefined;
  for (const { token: t, key } of keysOf(tokens)) {
    const scale = diatonicScale(key.accidentals);
    const same = ks && key.tonic === ks.tonic && key.mode === ks.mode ? 100 : 0;
    const fit = same + seq.notes.filter((n) => scale.has(n.pitch % 12)).length + (key.tonic === (seq.notes[0]?.pitch ?? -1) % 12 ? 0.5 : 0);
    if (!best || fit > best.fit) best = { key: { ...key, time: 0 }, token: t, fit };
  }
  return best && { token: best.token, key: best.key };
}

/** Keeps the highest note of notes struck together and ends each note where the next begins. */
function melodyOf(notes: readonly Note[]): { notes: Note[]; dropped: number } {
  const sorted = [...notes].sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const out: Note[] = [];
  let dropped = 0;
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.start - n.start) < EPS) {
      dropped++;
      continue;
    }
    if (last && last.end > n.start) last.end = n.start;
    out.push({ ...n, voice: 0 });
  }
  return { notes: out.filter((n) => n.end > n.start + EPS), dropped };
}

/**
 * Writes the seed for an ABC model so that every token is in its vocabulary, respelling the notes
 * where needed (see the module comment). Throws SeedSpellingError when it cannot.
 */
export function fitSeedToVocabulary(seed: SeedToFit, options: FitOptions): FittedSeed {
  const { encoding } = options;
  const unitDen = options.unitDenominator ?? 8;
  const unitQuarters = 4 / unitDen;
  const vocab = new Set(encoding.tokens);
  const chars = encoding.name === 'abc-char';
  // abc-token version 2 spells a written token (the seed is written and placed in version-1 words,
  // whose note tokens carry their lengths) as its canonical pieces: pitch, then length.
  const factored = encoding.name === 'abc-token' && encoding.version === 2;
  const known = (t: string) => (chars ? Array.from(t).every((c) => vocab.has(c)) : factored ? piecesV2(t).every((p) => vocab.has(p)) : vocab.has(t));
  const byPrefix = factored ? lengthsFactored(encoding.tokens, unitDen) : lengthsByPrefix(encoding.tokens);
  const changes = new Map<string, number>();
  const change = (what: string) => changes.set(what, (changes.get(what) ?? 0) + 1);
  // The header first: a meter and a key the model knows (its own spelling of them, or the nearest).
  let meter = seed.meter;
  let meterToken: string | undefined;
  let keyToken = options.keyToken;
  let sequence = seed.sequence;
  {
    const first = tokenizeAbc(writeSeedAbc(seed, { unitDenominator: unitDen, keyToken, title: options.title }));
    const m = first.find((t) => t.startsWith('M:'));
    if (m && !known(m)) {
      const meters = knownMeters(encoding.tokens);
      const same = meters.find((k) => k.meter.numerator === meter.numerator && k.meter.denominator === meter.denominator);
      const sameBar = meters.find((k) => Math.abs(barQuarters(k.meter) - barQuarters(meter)) < EPS);
      const want = meter.numerator / meter.denominator;
      const nearest = [...meters].sort((x, y) => Math.abs(x.meter.numerator / x.meter.denominator - want) - Math.abs(y.meter.numerator / y.meter.denominator - want))[0];
      const pick = same ?? sameBar ?? nearest;
      if (!pick) throw new SeedSpellingError(`the seed's meter ${JSON.stringify(m)} is not in this model's vocabulary (${encoding.name}), which has no meter at all`, 'change-meter', m);
      if (!same) change(`written in ${pick.meter.numerator}/${pick.meter.denominator}: this model has not learned ${meter.numerator}/${meter.denominator}`);
      meter = pick.meter;
      meterToken = pick.token;
    }
    const k = first.find((t) => t.startsWith('K:'));
    if (k && !known(keyToken ?? k)) {
      const fit = keyTokenFor(seed.sequence, encoding.tokens);
      if (!fit) throw new SeedSpellingError(`the seed's key ${JSON.stringify(k)} is not in this model's vocabulary (${encoding.name})`, 'none', k);
      keyToken = fit.token;
      sequence = { ...sequence, keySignatures: [fit.key] };
      if (fit.token !== k) change(`written with ${fit.token}: this model has not learned ${k}`);
    }
  }
  const bar = barQuarters(meter);
  const pickup = seed.pickup > EPS && seed.pickup < bar - EPS ? seed.pickup : 0;
  const lead = pickup > 0 ? bar - pickup : 0;
  const compound = meter.numerator % 3 === 0 && meter.numerator > 3 && meter.denominator === 8;

  const melody = melodyOf(sequence.notes);
  if (melody.dropped) change('a chord was reduced to its top note');
  // Bar-aligned working copy: time `lead` is the first note.
  let notes = melody.notes.map((n) => ({ ...n, start: n.start + lead, end: n.end + lead }));
  const hasTie = known('-');

  const text = (): string =>
    writeSeedAbc(
      { sequence: { ...sequence, notes: notes.map((n) => ({ ...n, start: n.start - lead, end: n.end - lead })) }, meter, pickup },
      { unitDenominator: unitDen, keyToken, meterToken, title: options.title },
    );
  const fits = (units: number, prefix: string) => chars || (byPrefix.get(prefix) ?? []).some((u) => Math.abs(u - units) < EPS);
  const restFits = (q: number) => q < EPS || fits(q / unitQuarters, 'z') || (chars && q > 0);
  const snap = (x: number) => Math.round(x * 48) / 48;

  for (let round = 0; round < 400; round++) {
    let abc = text();
    // What the encoding reads is the text as the ABC reader gives it back (as seedToTune does).
    if (chars) {
      // abc-char reads every character, the title's too: a title it cannot spell is left out.
      const title = abc.split('\n').find((l) => /^T:/.test(l));
      if (title && !known(title)) {
        abc = abc.replace(/^T:.*\n/m, '');
        change('the seed has no title (this model cannot spell it)');
      }
    }
    // What the encoding reads: the text as written (seedToTune keeps a tune's own text; the writer
    // writes no final |] here).
    const readText = abc.replace(/\|\]\s*$/, '|\n');
    const placed = place(readText, unitQuarters, lead, compound);
    const badIndex = placed.findIndex((p) => !known(p.text));
    if (badIndex < 0 && chars && !known(readText.replace(/\n/g, ''))) {
      const odd = Array.from(readText).find((c) => c !== '\n' && !vocab.has(c))!;
      throw new SeedSpellingError(`the seed needs the character ${JSON.stringify(odd)}, which this model (${encoding.name}) has never seen`, 'none', odd);
    }
    if (badIndex < 0) {
      return {
        abc,
        meter,
        pickup,
        sequence: { ...sequence, timeSignatures: [{ time: 0, ...meter }], notes: notes.map((n) => ({ ...n, start: n.start - lead, end: n.end - lead })), totalTime: Math.max(0, ...notes.map((n) => n.end - lead)) },
        changes: [...changes].map(([what, n]) => (n > 1 ? `${what} (${n} times)` : what)),
      };
    }
    const bad = placed[badIndex];
    const name = encoding.name;
    if (bad.kind === 'header') {
      const field = bad.text.slice(0, 2);
      const fix: SeedFix = field === 'M:' ? 'change-meter' : 'none';
      throw new SeedSpellingError(`the seed's ${field === 'M:' ? 'meter' : field === 'K:' ? 'key' : 'header'} ${JSON.stringify(bad.text)} is not in this model's vocabulary (${name})${field === 'M:' ? ': choose a meter the model knows' : ''}`, fix, bad.text);
    }
    if (bad.kind === 'tie') {
      // No tie in this vocabulary: every note held over a bar line (or split by the writer) ends where its first part ends.
      let cut = 0;
      for (let i = 0; i < placed.length; i++) {
        if (placed[i].kind !== 'tie') continue;
        const before = placed.slice(0, i).reverse().find((p) => p.kind === 'note');
        if (before?.note === undefined) continue;
        const n = notes[before.note];
        if (n && n.end > before.end + EPS) {
          n.end = snap(before.end);
          cut++;
        }
      }
      if (!cut) throw new SeedSpellingError(`the seed needs a tie ("-"), which this model's vocabulary (${name}) does not have`, 'quantize', '-');
      change('held notes end at the bar line (this model has no ties)');
      continue;
    }
    if (bad.kind === 'tuplet') {
      notes = notes.map((n) => ({ ...n, start: Math.round(n.start * 4) / 4, end: Math.max(Math.round(n.start * 4) / 4 + 0.25, Math.round(n.end * 4) / 4) }));
      notes = melodyOf(notes).notes;
      change(`triplets moved to the straight grid (this model has no ${JSON.stringify(bad.text)})`);
      continue;
    }
    if (bad.kind === 'note' && bad.note !== undefined) {
      const n = notes[bad.note];
      const lengths = byPrefix.get(bad.prefix!) ?? [];
      if (!n || !lengths.length) {
        throw new SeedSpellingError(`the seed's note ${JSON.stringify(bad.prefix)} is outside what this model has learned (${name}): transpose the seed or leave that note out`, 'transpose', bad.text);
      }
      if (bad.tiedFromBefore) {
        // The unspellable part is the tail of a held note: the note ends before it.
        n.end = snap(bad.start);
        change('a held note was shortened to a length this model spells');
        continue;
      }
      const shorter = [...lengths].reverse().find((u) => u < bad.units! - EPS);
      const nextOnset = Math.min(...notes.filter((m) => m.start > n.start + EPS).map((m) => m.start), Infinity);
      const barEnd = Math.ceil((n.start + EPS) / bar) * bar;
      const longer = lengths.find((u) => u > bad.units! + EPS && n.start + u * unitQuarters <= Math.min(nextOnset, hasTie ? Infinity : barEnd) + EPS);
      // Tuplet notes sound shorter than written: keep their proportion.
      const factor = (bad.end - bad.start) / (bad.units! * unitQuarters);
      if (shorter !== undefined) {
        n.end = snap(bad.start + shorter * unitQuarters * factor);
        change('a note was shortened to a length this model spells');
      } else if (longer !== undefined) {
        n.end = snap(bad.start + longer * unitQuarters * factor);
        change('a note was lengthened to a length this model spells');
      } else throw new SeedSpellingError(`the seed's ${JSON.stringify(bad.text)} has a length this model cannot spell (${name}): quantize the seed to a coarser grid`, 'quantize', bad.text);
      continue;
    }
    if (bad.kind === 'rest') {
      const len = bad.end - bad.start;
      const before = notes.find((m) => Math.abs(m.end - bad.start) < EPS);
      const after = notes.find((m) => Math.abs(m.start - bad.end) < EPS);
      const atBar = Math.abs(bad.start / bar - Math.round(bad.start / bar)) < EPS;
      if (atBar && Math.abs(len - bar) < EPS && after) {
        // A whole bar of silence the model cannot write: the bar is left out.
        for (const m of notes) if (m.start >= bad.end - EPS) Object.assign(m, { start: snap(m.start - bar), end: snap(m.end - bar) });
        change('an empty bar was left out');
        continue;
      }
      const step = 1 / 12;
      const onGrid = (q: number) => Math.abs(q * 12 - Math.round(q * 12)) < EPS;
      // The token a neighbouring note is written with: its new length must be one its pitch has.
      const tokenOf = (m: Note | undefined, last: boolean) => {
        const i = m ? notes.indexOf(m) : -1;
        const parts = placed.filter((p) => p.kind === 'note' && p.note === i);
        return last ? parts[parts.length - 1] : parts[0];
      };
      let fixed = false;
      const bt = tokenOf(before, true);
      if (before && bt) {
        for (let x = step; x <= len + EPS && !fixed; x += step) {
          const r = len - x;
          if (!onGrid(r) || !restFits(r) || !fits(bt.units! + x / unitQuarters, bt.prefix!)) continue;
          before.end = snap(before.end + x);
          fixed = true;
          change('a rest was taken into the note before it');
        }
      }
      const at = tokenOf(after, false);
      if (!fixed && after && at && !at.tiedFromBefore) {
        for (let x = step; x <= len + EPS && !fixed; x += step) {
          if (!onGrid(len - x) || !restFits(len - x) || !fits(at.units! + x / unitQuarters, at.prefix!) || placed.some((p) => p.kind === 'note' && p.note === notes.indexOf(after) && p.tiedFromBefore)) continue;
          after.start = snap(after.start - x);
          fixed = true;
          change('a note after a rest comes in earlier');
        }
      }
      if (!fixed) throw new SeedSpellingError(`the seed's rest ${JSON.stringify(bad.text)} cannot be spelled by this model (${name}): quantize the seed`, 'quantize', bad.text);
      continue;
    }
    throw new SeedSpellingError(`the seed's ${JSON.stringify(bad.text)} is not in this model's vocabulary (${name})`, bad.text.startsWith('[') ? 'drop-chords' : 'none', bad.text);
  }
  throw new SeedSpellingError(`the seed could not be spelled for this model (${encoding.name}) after many changes: quantize it to a coarser grid`, 'quantize', '');
}
