/**
 * ABC out: NoteSequence -> ABC 2.1 text. Hand-written because abcjs only goes the other way.
 *
 * The timeline is cut at every onset, every end and every bar line; each piece is one note, chord or
 * rest, and notes that go on into the next piece are tied. That makes any quantized sequence
 * (polyphony included) come back note for note when it is read again. Velocities are not written.
 */
import { keyAccidentals, quantize } from '../sequence';
import type { KeySignature, Mode, NoteSequence } from '../types';

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
}

const LETTERS = ['C', 'D', 'E', 'F', 'G', 'A', 'B'] as const;
const LETTER_BASE = [0, 2, 4, 5, 7, 9, 11];
const SHARP_ORDER = [3, 0, 4, 1, 5, 2, 6]; // F C G D A E B as letter indices
const FLAT_ORDER = [6, 2, 5, 1, 4, 0, 3]; // B E A D G C F
const MODE_SUFFIX: Record<Mode, string> = { major: '', ionian: '', minor: 'm', aeolian: 'm', dorian: 'Dor', phrygian: 'Phr', lydian: 'Lyd', mixolydian: 'Mix', locrian: 'Loc' };

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
  return LETTERS[s.letter] + (s.alter > 0 ? '#' : s.alter < 0 ? 'b' : '') + MODE_SUFFIX[k.mode];
}

export function writeAbc(seq: NoteSequence, opts: AbcWriteOptions = {}): string {
  const ts = seq.timeSignatures.find((t) => t.time <= 0) ?? seq.timeSignatures[0] ?? { time: 0, numerator: 4, denominator: 4 };
  let spq = opts.stepsPerQuarter ?? 4;
  // The bar must be a whole number of steps (e.g. 3/32 needs 32nds).
  while (!Number.isInteger((ts.numerator * 4 * spq) / ts.denominator) && spq < 64) spq *= 2;
  const barSteps = Math.max(1, Math.round((ts.numerator * 4 * spq) / ts.denominator));
  const compound = ts.numerator % 3 === 0 && ts.numerator > 3 && ts.denominator >= 8;
  const beatSteps = Math.max(1, Math.round(((compound ? 3 : 1) * 4 * spq) / ts.denominator));

  const q = quantize(seq, { stepsPerQuarter: spq });
  const notes = q.notes.map((n) => ({ pitch: n.pitch, s: Math.round(n.start * spq), e: Math.round(n.end * spq) }));
  const endStep = Math.max(Math.round(q.totalTime * spq), notes.reduce((m, n) => Math.max(m, n.e), 0));

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

  const key = seq.keySignatures.find((k) => k.time <= 0) ?? seq.keySignatures[0];
  const keyAcc = key ? keyAccidentals(key.tonic, key.mode) : 0;
  const keyAlt = keyAlterations(keyAcc);
  const sharpKey = keyAcc >= 0;

  const voices = allocateVoices(notes);
  const body: string[] = [];
  voices.forEach((chords, vi) => {
    if (voices.length > 1) body.push(`V:${vi + 1}`);
    body.push(...writeVoice(chords, { endStep, barSteps, beatSteps, unitSteps: unitInt, keyAlt, sharpKey, barsPerLine: opts.barsPerLine ?? 4, final: opts.finalBar ?? true }));
  });

  const head = [`X:${opts.x ?? 1}`, `T:${(opts.title ?? seq.title ?? 'Untitled').replace(/\s+/g, ' ').trim() || 'Untitled'}`, `M:${ts.numerator}/${ts.denominator}`, `L:1/${unitDenUsed}`];
  if (opts.tempo ?? true) {
    const qpm = seq.tempos.find((t) => t.time <= 0)?.qpm ?? seq.tempos[0]?.qpm;
    if (qpm && qpm > 0) head.push(`Q:1/4=${Math.round(qpm)}`);
  }
  head.push(`K:${keyName(key ? { ...key, accidentals: keyAcc } : undefined)}`);
  return head.join('\n') + '\n' + body.join('\n') + '\n';
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
  const chords = [...groups.values()].sort((a, b) => a.s - b.s || b.pitches[0] - a.pitches[0]);
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
  barSteps: number;
  beatSteps: number;
  unitSteps: number;
  keyAlt: number[];
  sharpKey: boolean;
  barsPerLine: number;
  final: boolean;
}

function writeVoice(chords: Chord[], ctx: VoiceContext): string[] {
  const { barSteps, beatSteps, unitSteps, keyAlt, sharpKey } = ctx;
  const cuts = new Set<number>([0, ctx.endStep]);
  for (const c of chords) {
    cuts.add(c.s);
    cuts.add(c.e);
  }
  for (let b = barSteps; b < ctx.endStep; b += barSteps) cuts.add(b);
  const points = [...cuts].filter((c) => c >= 0 && c <= ctx.endStep).sort((a, b) => a - b);

  const lines: string[] = [];
  let line = '';
  let barsOnLine = 0;
  let stateLetter = new Map<number, number>(); // letter -> alteration within the bar
  let stateExact = new Map<string, number>(); // letter+octave -> alteration within the bar
  // abcjs does not let the accidental of a tied-in note carry on through the bar: such notes spell
  // themselves out but leave the bar's accidentals as they were.
  const pitchText = (p: number, tiedIn: boolean): string => {
    const sp = spellPitch(p, keyAlt, sharpKey);
    const exactKey = `${sp.letter}:${sp.octave}`;
    const curLetter = stateLetter.get(sp.letter) ?? keyAlt[sp.letter];
    const cur = stateExact.get(exactKey) ?? keyAlt[sp.letter];
    // Readers differ on whether an accidental carries to other octaves: write it whenever either reading would need it.
    let acc = '';
    if (sp.alter !== cur || sp.alter !== curLetter) {
      acc = accidentalText(sp.alter);
      if (!tiedIn) {
        stateExact.set(exactKey, sp.alter);
        stateLetter.set(sp.letter, sp.alter);
      }
    }
    return acc + noteName(sp);
  };

  let ci = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    if (a > 0 && a % barSteps === 0) {
      line += '|';
      barsOnLine++;
      stateLetter = new Map();
      stateExact = new Map();
      if (barsOnLine >= ctx.barsPerLine) {
        lines.push(line);
        line = '';
        barsOnLine = 0;
      } else line += ' ';
    } else if (a > 0 && a % beatSteps === 0 && line !== '' && !line.endsWith(' ')) line += ' ';
    while (ci < chords.length && chords[ci].e <= a) ci++;
    const c = ci < chords.length && chords[ci].s <= a ? chords[ci] : null;
    const pieces = splitDuration(b - a, unitSteps);
    for (let k = 0; k < pieces.length; k++) {
      const len = lengthText(pieces[k], unitSteps);
      if (!c) {
        line += 'z' + len;
        continue;
      }
      const tie = k < pieces.length - 1 || c.e > b ? '-' : '';
      const tiedIn = k > 0 || c.s < a;
      const names = c.pitches.map((p) => pitchText(p, tiedIn));
      line += (names.length === 1 ? names[0] : '[' + names.join('') + ']') + len + tie;
    }
  }
  line = line.replace(/\s+$/, '');
  const end = ctx.final ? '|]' : '|';
  if (line !== '' || lines.length === 0) lines.push(line + end);
  else lines[lines.length - 1] = lines[lines.length - 1].replace(/\|$/, end);
  return lines;
}
