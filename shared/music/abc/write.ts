/**
 * ABC out: NoteSequence -> ABC 2.1 text. Hand-written because abcjs only goes the other way.
 *
 * The timeline is cut at every onset, every end and every bar line; each piece is one note, chord or
 * rest, and notes that go on into the next piece are tied. That makes any quantized sequence
 * (polyphony included) come back note for note when it is read again. Velocities are not written.
 */
import { keyAccidentals, MODES } from '../key';
import { quantize } from '../sequence';
import type { KeySignature, NoteSequence, TimeSignature } from '../types';

export interface AbcWriteOptions {
  /** X: number (default 1). */
  x?: number;
  /** T: (default: the sequence's title, else "Untitled"). */
  title?: string;
  /** Quantization grid before writing, steps per quarter (default 4 = 16ths; use 8 for 32nds). */
  stepsPerQuarter?: number;
  /** L: denominator (8 -> L:1/8). Default: 16 when most notes are 16ths, else 8. */
  unitDenominator?: number;
  /** End with |] (default true). Seeds are written open-ended, with a plain bar line. */
  finalBar?: boolean;
  /** Bars per line of music (default 4). */
  barsPerLine?: number;
  /** Write the Q: field (default true). */
  tempo?: boolean;
  /**
   * Triplets: by default, notes on the 16th-triplet grid but not on the 16th grid are written as
   * (3 tuplets (only when stepsPerQuarter is not given); false quantizes them to 16ths.
   */
  triplets?: boolean;
}

const LETTERS = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;
const LETTER_BASE = [0, 2, 4, 5, 7, 9, 11];
const SHARP_ORDER = [3, 0, 4, 1, 5, 2, 6]; // F C G D A E B as letter indices
const FLAT_ORDER = [6, 2, 5, 1, 4, 0, 3]; // B E A D G C F

/** Per-letter alteration (-1, 0, +1) of a key signature with this many sharps (>0) or flats (<0). */
export function keyAlterations(accidentals: number): number[] {
  const alt = [0, 0, 0, 0, 0, 0, 0];
  const n = Math.max(-7, Math.min(7, Math.round(accidentals)));
  for (let i = 0; i < Math.abs(n); i++) alt[n > 0 ? SHARP_ORDER[i] : FLAT_ORDER[i]] = n > 0 ? 1 : -1;
  return alt;
}

interface Spelling {
  letter: number; // 0-6
  alter: number; // -2..2
  octave: number; // scientific octave of the letter (C4 = middle C)
}

/** Spells a pitch in a key: the key's own note if any, else a natural, else sharps in sharp keys and flats in flat keys. */
export function spellPitch(pitch: number, keyAlt: number[], sharpKey: boolean): Spelling {
  const pc = ((pitch % 12) + 12) % 12;
  let best: Spelling | null = null;
  let bestScore = Infinity;
  for (let l = 0; l < 7; l++) {
    let alter = pc - LETTER_BASE[l];
    if (alter > 6) alter -= 12;
    if (alter < -6) alter += 12;
    if (Math.abs(alter) > 1) continue;
    const score = alter === keyAlt[l] ? 0 : alter === 0 ? 1 : (alter > 0) === sharpKey ? 2 : 3;
    if (score < bestScore) {
      bestScore = score;
      best = { letter: l, alter, octave: Math.floor((pitch - alter) / 12) - 1 };
    }
  }
  return best!;
}

function noteName(s: Spelling): string {
  const letter = LETTERS[s.letter];
  if (s.octave >= 5) return letter.toLowerCase() + "'".repeat(s.octave - 5);
  return letter + ','.repeat(Math.max(0, 4 - s.octave));
}

function accidentalText(alter: number): string {
  return alter === 0 ? '=' : alter > 0 ? '^'.repeat(alter) : '_'.repeat(-alter);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Length text for a duration of `steps` grid steps when L is `unitSteps` steps ("", "2", "3/2", "/2"). */
function lengthText(steps: number, unitSteps: number): string {
  const g = gcd(steps, unitSteps);
  const num = steps / g;
  const den = unitSteps / g;
  if (den === 1) return num === 1 ? '' : String(num);
  if (num === 1 && den === 2) return '/';
  return (num === 1 ? '' : String(num)) + '/' + den;
}

/** Splits a duration into lengths a reader expects to see (1, 2, 3, 4, 6, 8 ... units, halves, dotted halves). */
function splitDuration(steps: number, unitSteps: number): number[] {
  const nice = new Set<number>();
  for (let j = -6; j <= 6; j++) {
    for (const k of [1, 3]) {
      const s = unitSteps * k * 2 ** j;
      if (Number.isInteger(s) && s > 0) nice.add(s);
    }
  }
  const sorted = [...nice].sort((a, b) => b - a);
  const out: number[] = [];
  let left = steps;
  while (left > 0) {
    const s = sorted.find((x) => x <= left) ?? left;
    out.push(s);
    left -= s;
  }
  return out;
}

export function keyName(k: KeySignature | undefined): string {
  if (!k) return 'C';
  const alt = keyAlterations(k.accidentals);
  const s = spellPitch(k.tonic + 60, alt, k.accidentals >= 0);
  return LETTERS[s.letter] + (s.alter > 0 ? '#' : s.alter < 0 ? 'b' : '') + MODES[k.mode].abc;
}

export function writeAbc(seq: NoteSequence, opts: AbcWriteOptions = {}): string {
  const sigs = [...seq.timeSignatures].filter((t) => t.numerator > 0 && t.denominator > 0).sort((a, b) => a.time - b.time);
  const ts = sigs.find((t) => t.time <= 0) ?? sigs[0] ?? { time: 0, numerator: 4, denominator: 4 };
  // Triplets: when the notes sit on the 16th-triplet grid and not on the 16th grid, write on a
  // grid of 12 per quarter and group the triplet spans as (3 tuplets.
  let triplets = false;
  let q = quantize(seq, { stepsPerQuarter: opts.stepsPerQuarter ?? 4 });
  if (opts.stepsPerQuarter === undefined && opts.triplets !== false) {
    const t = quantize(seq, { stepsPerQuarter: 4, triplets: true });
    if (t.notes.some((n) => !onGrid(n.start, 4) || !onGrid(n.end, 4))) {
      triplets = true;
      q = t;
    }
  }
  let spq = triplets ? 12 : (opts.stepsPerQuarter ?? 4);
  // Every bar must be a whole number of steps (e.g. 3/32 needs 32nds).
  const whole = (t: { numerator: number; denominator: number }) => Number.isInteger((t.numerator * 4 * spq) / t.denominator);
  while (![ts, ...sigs].every(whole) && spq < 192) spq *= 2;
  const notes = q.notes.map((n) => ({ pitch: n.pitch, s: Math.round(n.start * spq), e: Math.round(n.end * spq) }));
  let endStep = Math.max(Math.round(q.totalTime * spq), notes.reduce((m, n) => Math.max(m, n.e), 0));
  // Triplet spans are whole quarters or halves: the tune ends on a quarter.
  if (triplets) endStep = Math.ceil(endStep / spq) * spq;

  // L: the ABC 2.1 default rule would give 1/16 for short meters; a melody of 16ths reads better in 1/16 too.
  let unitDen = opts.unitDenominator;
  if (!unitDen) {
    const durs = notes.map((n) => n.e - n.s).sort((a, b) => a - b);
    const median = durs.length ? durs[durs.length >> 1] : spq;
    unitDen = median * 4 <= spq ? 16 : 8;
  }
  const unitSteps = (4 * spq) / unitDen; // may be fractional for L:1/64 with a 16th grid; lengthText needs integers
  const unitInt = Number.isInteger(unitSteps) ? unitSteps : 1;
  const unitDenUsed = Number.isInteger(unitSteps) ? unitDen : 4 * spq;

  const keys = [...seq.keySignatures].sort((a, b) => a.time - b.time);
  const key = keys.find((k) => k.time <= 0) ?? keys[0];
  const keyAt = (k: KeySignature) => ({ ...k, accidentals: keyAccidentals(k.tonic, k.mode) });
  const keyChanges = new Map<number, KeySignature>();
  for (const k of keys) {
    const step = Math.round(k.time * spq);
    if (step > 0 && step < endStep) keyChanges.set(step, keyAt(k));
  }
  const bars = barsOf(sigs, ts, spq, endStep);
  const tempos = [...seq.tempos].filter((t) => t.qpm > 0 && Number.isFinite(t.qpm)).sort((a, b) => a.time - b.time);
  const firstQpm = tempos.find((t) => t.time <= 0)?.qpm ?? tempos[0]?.qpm;
  const tempoChanges = new Map<number, number>();
  if (opts.tempo ?? true) {
    let last = firstQpm !== undefined ? Math.round(firstQpm) : undefined;
    for (const t of tempos) {
      const step = Math.round(t.time * spq);
      const qpm = Math.round(t.qpm);
      if (step <= 0 || step >= endStep || qpm === last) continue;
      tempoChanges.set(step, qpm);
      last = qpm;
    }
  }

  const voices = allocateVoices(notes);
  const body: string[] = [];
  voices.forEach((chords, vi) => {
    if (voices.length > 1) body.push(`V:${vi + 1}`);
    body.push(...writeVoice(chords, { endStep, bars, unitSteps: unitInt, key: key ? keyAt(key) : undefined, keyChanges, tempoChanges: vi === 0 ? tempoChanges : new Map(), triplets, barsPerLine: opts.barsPerLine ?? 4, final: opts.finalBar ?? true }));
  });

  const head = [`X:${opts.x ?? 1}`, `T:${(opts.title ?? seq.title ?? 'Untitled').replace(/\s+/g, ' ').trim() || 'Untitled'}`, `M:${ts.numerator}/${ts.denominator}`, `L:1/${unitDenUsed}`];
  if ((opts.tempo ?? true) && firstQpm) head.push(`Q:1/4=${Math.round(firstQpm)}`);
  head.push(`K:${keyName(key ? keyAt(key) : undefined)}`);
  return head.join('\n') + '\n' + body.join('\n') + '\n';
}

/**
 * Steps of the writer's loops since the last reset: the linear-time test counts them (a count, not
 * a wall time, so it holds on a loaded machine).
 */
export const work = { steps: 0 };

function onGrid(t: number, spq: number): boolean {
  return Math.abs(t * spq - Math.round(t * spq)) < 1e-6;
}

interface Bar {
  start: number;
  end: number;
  beatSteps: number;
  /** The meter written at the start of this bar ([M:3/4]) when it changes here. */
  meter?: string;
}

/**
 * The bars of the timeline, from the time signatures: a meter change starts a new bar, also in the
 * middle of one (which then ends short).
 */
function barsOf(sigs: TimeSignature[], first: TimeSignature, spq: number, endStep: number): Bar[] {
  const changes = sigs.map((t) => ({ ...t, step: Math.round(t.time * spq) })).filter((t) => t.step > 0 && t.step < endStep);
  const bars: Bar[] = [];
  let cur = first;
  let written = `${first.numerator}/${first.denominator}`;
  let t = 0;
  let ci = 0;
  while (t < endStep) {
    let meter: string | undefined;
    while (ci < changes.length && changes[ci].step <= t) {
      cur = changes[ci++];
      const m = `${cur.numerator}/${cur.denominator}`;
      if (m !== written) meter = written = m;
    }
    const barSteps = Math.max(1, Math.round((cur.numerator * 4 * spq) / cur.denominator));
    const compound = cur.numerator % 3 === 0 && cur.numerator > 3 && cur.denominator >= 8;
    const beatSteps = Math.max(1, Math.round(((compound ? 3 : 1) * 4 * spq) / cur.denominator));
    let end = t + barSteps;
    if (ci < changes.length && changes[ci].step < end) end = changes[ci].step;
    bars.push({ start: t, end, beatSteps, meter });
    t = end;
  }
  if (!bars.length) bars.push({ start: 0, end: Math.max(1, endStep), beatSteps: spq });
  return bars;
}

interface Chord {
  s: number;
  e: number;
  pitches: number[];
}

/**
 * One ABC voice can only tie reliably from a note or chord to the same chord: abcjs matches ties
 * inside chords by position. So notes with the same onset and end form a chord, and chords that
 * overlap go to separate voices (V:1, V:2 ...). A melody stays one voice.
 */
function allocateVoices(notes: { pitch: number; s: number; e: number }[]): Chord[][] {
  const groups = new Map<string, Chord>();
  for (const n of notes) {
    const k = `${n.s}:${n.e}`;
    const g = groups.get(k);
    if (g) {
      if (!g.pitches.includes(n.pitch)) g.pitches.push(n.pitch);
    } else groups.set(k, { s: n.s, e: n.e, pitches: [n.pitch] });
  }
  // Two notes a semitone apart may share a letter (G ^G), and abcjs then mixes up their ties: such
  // notes go to chords of their own (hence other voices).
  const split: Chord[] = [];
  for (const g of groups.values()) {
    const parts: Chord[] = [];
    for (const p of [...g.pitches].sort((x, y) => x - y)) {
      let part = parts.find((c) => c.pitches.every((q) => Math.abs(q - p) > 1));
      if (!part) parts.push((part = { s: g.s, e: g.e, pitches: [] }));
      part.pitches.push(p);
    }
    split.push(...parts);
  }
  const chords = split.sort((a, b) => a.s - b.s || b.pitches[0] - a.pitches[0]);
  const voices: Chord[][] = [];
  const voiceEnd: number[] = [];
  for (const c of chords) {
    c.pitches.sort((a, b) => a - b);
    let v = voiceEnd.findIndex((end) => end <= c.s);
    if (v < 0) {
      v = voices.length;
      voices.push([]);
      voiceEnd.push(0);
    }
    voices[v].push(c);
    voiceEnd[v] = c.e;
  }
  if (voices.length === 0) voices.push([]);
  return voices;
}

interface VoiceContext {
  endStep: number;
  bars: Bar[];
  unitSteps: number;
  key: KeySignature | undefined;
  /** Key changes by step (after 0). */
  keyChanges: Map<number, KeySignature>;
  /** Tempo changes by step (after 0), in quarter notes per minute: written in the first voice only. */
  tempoChanges: Map<number, number>;
  /** The grid is 12 per quarter and triplet spans are written as tuplets. */
  triplets: boolean;
  barsPerLine: number;
  final: boolean;
}

/**
 * Triplet spans on the 12-per-quarter grid: a quarter whose cuts are all on thirds becomes one
 * (3 span of eighths, and a half-quarter whose cuts are on sixths a (3 span of 16ths. Cuts that
 * mix both in one half-quarter are moved to the nearest sixth (documented limit). A span never
 * crosses a bar line. Returns the spans (start -> end) and the cuts to add or move.
 */
function tripletSpans(points: number[], barStarts: Set<number>, endStep: number): { spans: Map<number, number>; moved: Map<number, number> } {
  work.steps++;
  const spans = new Map<number, number>();
  const moved = new Map<number, number>();
  // One pass over the sorted points and bar starts (a 10,000-bar silence has 40,000 quarters and
  // 10,000 points: filtering all points per quarter was quadratic, issue #18).
  const bars = [...barStarts].sort((a, b) => a - b);
  let pi = 0;
  let bi = 0;
  const inside = (a: number, b: number, from: number) => {
    const out: number[] = [];
    for (let i = from; i < points.length && points[i] < b; i++) {
      work.steps++;
      if (points[i] > a) out.push(points[i]);
    }
    return out;
  };
  const barInside = (a: number, b: number, from: number) => {
    for (let i = from; i < bars.length && bars[i] < b; i++) {
      work.steps++;
      if (bars[i] > a) return true;
    }
    return false;
  };
  for (let q = 0; q < endStep; q += 12) {
    work.steps++;
    const qEnd = Math.min(endStep, q + 12);
    while (pi < points.length && points[pi] <= q) pi++;
    while (bi < bars.length && bars[bi] <= q) bi++;
    // A quarter without cuts inside is plain: skip straight to the quarter of the next cut.
    if (pi >= points.length || points[pi] >= qEnd) {
      const next = pi < points.length ? points[pi] : endStep;
      if (next - q > 24) q += Math.floor((next - q) / 12 - 1) * 12;
      continue;
    }
    const pts = inside(q, qEnd, pi);
    if (pts.every((p) => p % 3 === 0)) continue;
    if (qEnd - q === 12 && pts.every((p) => p % 4 === 0) && !pts.some((p) => barStarts.has(p)) && !barInside(q, qEnd, bi)) {
      spans.set(q, qEnd);
      continue;
    }
    for (const h of [q, q + 6]) {
      const hEnd = Math.min(qEnd, h + 6);
      if (h >= qEnd) break;
      const hp = inside(h, hEnd, pi);
      if (hp.every((p) => p % 3 === 0)) continue;
      if (hEnd - h !== 6 || barInside(h, hEnd, bi)) {
        for (const p of hp) if (p % 3 !== 0) moved.set(p, Math.round(p / 3) * 3);
        continue;
      }
      for (const p of hp) if (p % 2 !== 0) moved.set(p, Math.round(p / 2) * 2);
      spans.set(h, hEnd);
    }
  }
  return { spans, moved };
}

function writeVoice(chordsIn: Chord[], ctx: VoiceContext): string[] {
  const { unitSteps, bars } = ctx;
  let keyAcc = ctx.key ? ctx.key.accidentals : 0;
  let keyAlt = keyAlterations(keyAcc);
  let sharpKey = keyAcc >= 0;
  const barStarts = new Set(bars.map((b) => b.start));
  const meterChanges = bars.some((b) => b.meter);
  let chords = chordsIn;
  const cuts = new Set<number>([0, ctx.endStep]);
  const addChordCuts = () => {
    for (const c of chords) {
      cuts.add(c.s);
      cuts.add(c.e);
    }
  };
  addChordCuts();
  for (const b of bars) if (b.start > 0) cuts.add(b.start);
  for (const k of ctx.keyChanges.keys()) cuts.add(k);
  for (const t of ctx.tempoChanges.keys()) cuts.add(t);
  let spans = new Map<number, number>();
  if (ctx.triplets) {
    const t = tripletSpans([...cuts].sort((a, b) => a - b), barStarts, ctx.endStep);
    spans = t.spans;
    if (t.moved.size) {
      const mv = (x: number) => t.moved.get(x) ?? x;
      chords = chords.map((c) => ({ ...c, s: mv(c.s), e: mv(c.e) })).filter((c) => c.e > c.s);
      cuts.clear();
      cuts.add(0).add(ctx.endStep);
      addChordCuts();
      for (const b of bars) if (b.start > 0) cuts.add(b.start);
      for (const k of ctx.keyChanges.keys()) cuts.add(mv(k));
      for (const t of ctx.tempoChanges.keys()) cuts.add(mv(t));
    }
    for (const [a, b] of spans) cuts.add(a).add(b);
  }
  const points = [...cuts].filter((c) => c >= 0 && c <= ctx.endStep).sort((a, b) => a - b);

  const lines: string[] = [];
  let line = '';
  let barsOnLine = 0;
  let bar = 0;
  let stateLetter = new Map<number, number>(); // letter -> alteration within the bar
  let stateExact = new Map<string, number>(); // letter+octave -> alteration within the bar
  // After a key change inside a bar, readers differ on what the earlier accidentals of the bar
  // still mean: every note spells its accidental out until the bar line.
  let explicit = false;
  // abcjs does not let the accidental of a tied-in note carry on through the bar: such notes spell
  // themselves out but leave the bar's accidentals as they were.
  // A tied-in note keeps the spelling of the note it is tied from (C#- [K:F] ^C, not _D): a tie
  // joins notes of the same letter.
  const spelled = new Map<number, Spelling>();
  const pitchText = (p: number, tiedIn: boolean): string => {
    const sp = (tiedIn && spelled.get(p)) || spellPitch(p, keyAlt, sharpKey);
    spelled.set(p, sp);
    const exactKey = `${sp.letter}:${sp.octave}`;
    const curLetter = stateLetter.get(sp.letter) ?? keyAlt[sp.letter];
    const cur = stateExact.get(exactKey) ?? keyAlt[sp.letter];
    // Readers differ on whether an accidental carries to other octaves: write it whenever either reading would need it.
    let acc = '';
    if (explicit || sp.alter !== cur || sp.alter !== curLetter) {
      acc = accidentalText(sp.alter);
      if (!tiedIn) {
        stateExact.set(exactKey, sp.alter);
        stateLetter.set(sp.letter, sp.alter);
      }
    }
    return acc + noteName(sp);
  };

  let ci = 0;
  let tuplet: { end: number; start: number; count: number } | null = null;
  for (let i = 0; i + 1 < points.length; i++) {
    work.steps++;
    const a = points[i];
    const b = points[i + 1];
    while (bar + 1 < bars.length && bars[bar + 1].start <= a) {
      bar++;
      line += '|';
      barsOnLine++;
      stateLetter = new Map();
      stateExact = new Map();
      explicit = false;
      if (barsOnLine >= ctx.barsPerLine) {
        lines.push(line);
        line = '';
        barsOnLine = 0;
      } else line += ' ';
      if (bars[bar].meter) line += `[M:${bars[bar].meter}]`;
    }
    if (a > 0 && a !== bars[bar].start && (a - bars[bar].start) % bars[bar].beatSteps === 0 && line !== '' && !line.endsWith(' ')) line += ' ';
    const qpm = ctx.tempoChanges.get(a);
    if (qpm) line += `[Q:1/4=${qpm}]`;
    const k = ctx.keyChanges.get(a);
    if (k) {
      line += `[K:${keyName(k)}]`;
      keyAcc = k.accidentals;
      keyAlt = keyAlterations(keyAcc);
      sharpKey = keyAcc >= 0;
      if (a !== bars[bar].start) explicit = true;
    }
    const spanEnd = spans.get(a);
    if (spanEnd !== undefined) tuplet = { start: line.length, end: spanEnd, count: 0 };
    while (ci < chords.length && chords[ci].e <= a) ci++;
    const c = ci < chords.length && chords[ci].s <= a ? chords[ci] : null;
    // Inside a triplet span every length is written 3/2 as long: (3 plays three in the time of two.
    let pieces = splitDuration(tuplet ? ((b - a) * 3) / 2 : b - a, unitSteps);
    // abcjs 6.7 plays a rest that fills a bar for the length of the tune's first meter, also after
    // an [M:] change; two rests are read at their written length.
    if (!c && meterChanges && a === bars[bar].start && b === bars[bar].end && pieces.length === 1 && pieces[0] % 2 === 0) pieces = [pieces[0] / 2, pieces[0] / 2];
    for (let k = 0; k < pieces.length; k++) {
      const len = lengthText(pieces[k], unitSteps);
      if (tuplet) tuplet.count++;
      if (!c) {
        line += 'z' + len;
        continue;
      }
      const tie = k < pieces.length - 1 || c.e > b ? '-' : '';
      const tiedIn = k > 0 || c.s < a;
      const names = c.pitches.map((p) => pitchText(p, tiedIn));
      line += (names.length === 1 ? names[0] : '[' + names.join('') + ']') + len + tie;
    }
    if (tuplet && b >= tuplet.end) {
      const mark = tuplet.count === 3 ? '(3' : `(3:2:${tuplet.count}`;
      line = line.slice(0, tuplet.start) + mark + line.slice(tuplet.start);
      tuplet = null;
    }
  }
  line = line.replace(/\s+$/, '');
  const end = ctx.final ? '|]' : '|';
  if (line !== '' || lines.length === 0) lines.push(line + end);
  else lines[lines.length - 1] = lines[lines.length - 1].replace(/\|$/, end);
  return lines;
}
