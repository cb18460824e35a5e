/**
 * A tune form for a performance that has no notation (a MIDI file, a recording, a generated take):
 * bars from a chosen or detected meter and pickup, and repeated sections folded into repeats only
 * where they are note for note identical (so perform(notate(seq)) plays exactly the same notes).
 */
import { keyName } from './write';
import { keyAccidentals } from '../key';
import { quantize } from '../sequence';
import { fitMeters } from '../transcribe/meter';
import { unitGrid } from '../transcribe/track';
import { DEFAULT_METERS } from '../transcribe/transcribe';
import type { KeySignature, Note, NoteSequence, TimeSignature } from '../types';
import type { FormBar, FormVoice, HeaderField, TuneForm } from './form';

export interface NotateOptions {
  /** T: (default: the sequence's title, else "Untitled"). */
  title?: string;
  /** X: number (default 1). */
  x?: number | string;
  /** The meter to bar in (default: the sequence's first time signature, else detected). */
  meter?: { numerator: number; denominator: number };
  /**
   * Quarter notes before the first bar line (default 0: bars start at time 0). 'detect': the
   * leading silence is dropped and the pickup is where the meter's bar lines fall (the
   * sequence's own bar grid when it has a time signature, else the fitted downbeat).
   */
  pickup?: number | 'detect';
  /** Fold sections played twice note for note into |: :| (default true). */
  repeats?: boolean;
  /** Quantization grid, steps per quarter (default 16ths, with triplets unless `triplets: false`). */
  stepsPerQuarter?: number;
  triplets?: boolean;
  /** L: denominator (default 16 when most notes are 16ths or shorter, else 8). */
  unitDenominator?: number;
  /** Write the tempo (Q:) (default true). */
  tempo?: boolean;
  /** End with |] (default true); false ends with a plain bar line (seeds to be continued). */
  finalBar?: boolean;
}

function onGrid(t: number, spq: number): boolean {
  return Math.abs(t * spq - Math.round(t * spq)) < 1e-6;
}

const eq = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/**
 * Meter and pickup of notes without notation: Temperley's model over the folk meters (or the one
 * meter given), with velocity accents when the velocities vary (transcribe/meter.ts). The pickup
 * is in quarter notes before the first downbeat, counted from the first note. `barsFromZero`: a
 * bonus (nats) for bar lines at multiples of the bar from time 0 (a file with its own meter).
 */
export function detectMeter(notes: Note[], opts: { meter?: { numerator: number; denominator: number }; barsFromZero?: number } = {}): { meter: TimeSignature; pickup: number } {
  const grid = unitGrid(4, true);
  const byUnit = new Map<number, number>();
  for (const n of notes) {
    const u = Math.round(n.start * grid.R);
    byUnit.set(u, Math.max(byUnit.get(u) ?? 0, n.velocity));
  }
  const units = [...byUnit.keys()].sort((a, b) => a - b);
  const candidates = opts.meter ? [{ ...opts.meter, weight: 1 }] : [...DEFAULT_METERS];
  const fallback = { meter: { time: 0, numerator: opts.meter?.numerator ?? 4, denominator: opts.meter?.denominator ?? 4 }, pickup: 0 };
  if (units.length < 2) return fallback;
  const fits = fitMeters({ grid, units, accents: accentsOf(units.map((u) => byUnit.get(u)!)), candidates, barsFromZero: opts.barsFromZero });
  const best = fits[0];
  if (!best) return fallback;
  return { meter: { time: 0, numerator: best.meter.numerator, denominator: best.meter.denominator }, pickup: best.pickupUnits / grid.R };
}

/** Velocity accents in robust standard deviations, or undefined when the velocities hardly vary (as transcribe does). */
function accentsOf(v: number[]): number[] | undefined {
  if (v.length < 4) return undefined;
  const sorted = [...v].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  const mad = [...v.map((x) => Math.abs(x - median))].sort((a, b) => a - b)[v.length >> 1];
  const spread = Math.max(1.4826 * mad, 4);
  if (1.4826 * mad < 3 && sorted[sorted.length - 1] - sorted[0] < 8) return undefined;
  return v.map((x) => Math.max(-3, Math.min(3, (x - median) / spread)));
}

/** The tune form of a performance: one voice, bars from the meter(s), repeats folded where exact. */
export function notate(seq: NoteSequence, opts: NotateOptions = {}): TuneForm {
  // Quantized as the writer always did: 16ths, or 16ths and triplets where notes need them.
  let q = quantize(seq, { stepsPerQuarter: opts.stepsPerQuarter ?? 4 });
  if (opts.stepsPerQuarter === undefined && opts.triplets !== false) {
    const t = quantize(seq, { stepsPerQuarter: 4, triplets: true });
    if (t.notes.some((n) => !onGrid(n.start, 4) || !onGrid(n.end, 4))) q = t;
  }
  let notes = q.notes.map((n) => ({ ...n }));
  let totalTime = Math.max(q.totalTime, notes.reduce((m, n) => Math.max(m, n.end), 0));
  let sigs = [...seq.timeSignatures].filter((t) => t.numerator > 0 && t.denominator > 0).sort((a, b) => a.time - b.time);
  let keys = [...seq.keySignatures].sort((a, b) => a.time - b.time);
  let tempos = [...seq.tempos].filter((t) => t.qpm > 0 && Number.isFinite(t.qpm)).sort((a, b) => a.time - b.time);
  let pickup = typeof opts.pickup === 'number' ? opts.pickup : 0;
  if (opts.meter) sigs = [{ time: 0, numerator: opts.meter.numerator, denominator: opts.meter.denominator }];
  if (opts.pickup === 'detect' && notes.length) {
    // The meter's downbeats fitted to the rhythm (and accents); the leading silence is dropped.
    const own = !!seq.timeSignatures.length && !opts.meter;
    const d = detectMeter(notes, { meter: sigs[0], barsFromZero: own ? 1 : 0 });
    if (!sigs.length) sigs = [d.meter];
    pickup = d.pickup;
    const first = notes[0].start;
    if (first > 0) {
      const shift = (t: number) => Math.max(0, t - first);
      notes = notes.map((n) => ({ ...n, start: shift(n.start), end: shift(n.end) }));
      totalTime = shift(totalTime);
      sigs = reanchor(sigs.map((s) => ({ ...s, time: shift(s.time) })));
      keys = reanchor(keys.map((s) => ({ ...s, time: shift(s.time) })));
      tempos = reanchor(tempos.map((s) => ({ ...s, time: shift(s.time) })));
    }
  }
  if (!sigs.length) sigs = [{ time: 0, numerator: 4, denominator: 4 }];
  const ts = sigs.find((t) => t.time <= 0) ?? sigs[0];
  const bar = (ts.numerator * 4) / ts.denominator;
  if (!(pickup >= 0 && pickup < bar - 1e-9)) pickup = 0;
  let bars = barsOf(sigs, pickup, totalTime);

  let voiceNotes: Note[] = notes;
  let opening: FormBar['line'] | undefined;
  if (opts.repeats ?? true) {
    const folded = foldRepeats(voiceNotes, bars, sigs, keys, tempos);
    voiceNotes = folded.notes;
    bars = folded.bars;
    opening = folded.opening;
    totalTime = bars[bars.length - 1]?.end ?? totalTime;
    sigs = folded.sigs;
    keys = folded.keys;
    tempos = folded.tempos;
  }
  if (bars.length) bars[bars.length - 1].line = opts.finalBar === false ? (bars[bars.length - 1].line === ':|' ? ':|' : '|') : bars[bars.length - 1].line === ':|' ? ':|' : '|]';

  // L: the ABC 2.1 default rule would give 1/16 for short meters; a melody of 16ths reads better in 1/16 too.
  let unitDen = opts.unitDenominator;
  if (!unitDen) {
    const durs = voiceNotes.map((n) => n.end - n.start).sort((a, b) => a - b);
    const median = durs.length ? durs[durs.length >> 1] : 1;
    unitDen = median <= 0.25 + 1e-9 ? 16 : 8;
  }
  const key = keys.find((k) => k.time <= 0) ?? keys[0];
  const keyAt = (k: KeySignature) => ({ ...k, accidentals: keyAccidentals(k.tonic, k.mode) });
  const title = (opts.title ?? seq.title ?? 'Untitled').replace(/\s+/g, ' ').trim() || 'Untitled';
  const header: HeaderField[] = [
    { field: 'T', value: title },
    { field: 'M', value: `${ts.numerator}/${ts.denominator}` },
    { field: 'L', value: `1/${unitDen}` },
  ];
  const firstQpm = tempos.find((t) => t.time <= 0)?.qpm ?? tempos[0]?.qpm;
  if ((opts.tempo ?? true) && firstQpm) header.push({ field: 'Q', value: `1/4=${Math.round(firstQpm)}` });
  const voice: FormVoice = { id: '1', bars, notes: voiceNotes, chords: [], broken: [], played: voiceNotes.length };
  if (opening) voice.opening = opening;
  return {
    x: String(opts.x ?? 1),
    header,
    keyText: keyName(key ? keyAt(key) : undefined),
    title,
    unit: [1, unitDen],
    pickup,
    voices: [voice],
    timeSignatures: sigs.map((s, i) => (i === 0 ? { ...s, time: 0 } : s)),
    keySignatures: keys,
    tempos: opts.tempo === false ? [] : tempos,
  };
}

/** After a shift, the signatures at or before 0: the last of them holds from 0. */
function reanchor<T extends { time: number }>(list: T[]): T[] {
  const atZero = list.filter((s) => s.time <= 0);
  const rest = list.filter((s) => s.time > 0);
  return atZero.length ? [{ ...atZero[atZero.length - 1], time: 0 }, ...rest] : rest;
}

/** Bars from the time signatures: a short first bar for the pickup; a meter change starts a new bar (also mid-bar, which then ends short). */
function barsOf(sigs: TimeSignature[], pickup: number, end: number): FormBar[] {
  const first = sigs.find((t) => t.time <= 0) ?? sigs[0];
  const changes = sigs.filter((t) => t.time > 1e-9 && t.time < end - 1e-9);
  const bars: FormBar[] = [];
  let cur = first;
  let t = 0;
  let ci = 0;
  if (pickup > 0 && end > 0) {
    bars.push({ start: 0, end: Math.min(pickup, end), line: '|' });
    t = Math.min(pickup, end);
  }
  while (t < end - 1e-9) {
    while (ci < changes.length && changes[ci].time <= t + 1e-9) cur = changes[ci++];
    let stop = t + (cur.numerator * 4) / cur.denominator;
    if (ci < changes.length && changes[ci].time < stop - 1e-9) stop = changes[ci].time;
    bars.push({ start: t, end: stop, line: '|' });
    t = stop;
  }
  if (!bars.length) bars.push({ start: 0, end: Math.max(end, (first.numerator * 4) / first.denominator), line: '|' });
  return bars;
}

/**
 * Sections of whole bars played twice in a row note for note (no note across their edges, no
 * meter, key or tempo change inside) become |: section :| and the second copy leaves the written
 * timeline. Longest sections first (16 bars down to 2).
 */
function foldRepeats(notes: Note[], bars: FormBar[], sigs: TimeSignature[], keys: KeySignature[], tempos: { time: number; qpm: number }[]) {
  const content: string[] = [];
  const inBar: Note[][] = bars.map(() => []);
  const edges = new Set<number>();
  let b = 0;
  const sorted = [...notes].sort((x, y) => x.start - y.start || x.pitch - y.pitch);
  for (const n of sorted) {
    while (b < bars.length - 1 && bars[b].end <= n.start + 1e-9) b++;
    inBar[b].push(n);
    // A note held over a bar line: no section may start or end there.
    for (let k = b; k < bars.length && bars[k].end < n.end - 1e-9; k++) edges.add(k + 1);
  }
  bars.forEach((bar, i) => content.push(`${(bar.end - bar.start).toFixed(6)}:${inBar[i].map((n) => `${n.pitch}@${(n.start - bar.start).toFixed(6)}-${(n.end - bar.start).toFixed(6)}`).join(',')}`));
  const changeTimes = [...sigs, ...keys, ...tempos].map((s) => s.time).filter((t) => t > 1e-9);
  const changeInside = (from: number, to: number) => changeTimes.some((t) => t > bars[from].start + 1e-9 && t < bars[to - 1].end - 1e-9);
  const keep: boolean[] = bars.map(() => true);
  const starts = new Set<number>();
  const ends = new Set<number>();
  let i = 0;
  while (i < bars.length) {
    let folded = 0;
    for (let k = Math.min(16, Math.floor((bars.length - i) / 2)); k >= 2; k--) {
      if (edges.has(i) || edges.has(i + k) || edges.has(i + 2 * k)) continue;
      let same = true;
      let any = false;
      for (let j = 0; j < k && same; j++) {
        same = content[i + j] === content[i + k + j];
        any ||= inBar[i + j].length > 0;
      }
      if (!same || !any || changeInside(i, i + 2 * k)) continue;
      folded = k;
      break;
    }
    if (!folded) {
      i++;
      continue;
    }
    starts.add(i);
    ends.add(i + folded - 1);
    for (let j = i + folded; j < i + 2 * folded; j++) keep[j] = false;
    i += 2 * folded;
  }
  if (!starts.size) return { notes, bars, sigs, keys, tempos, opening: undefined };
  // The written timeline without the second copies: times after each removed copy move back.
  const removed: { start: number; length: number }[] = [];
  for (let j = 0; j < bars.length; j++) if (!keep[j]) removed.push({ start: bars[j].start, length: bars[j].end - bars[j].start });
  const shift = (t: number) => {
    let s = 0;
    for (const r of removed) if (t >= r.start + r.length - 1e-9) s += r.length;
    return t - s;
  };
  const outBars: FormBar[] = [];
  let opening: FormBar['line'] | undefined;
  for (let j = 0; j < bars.length; j++) {
    if (!keep[j]) continue;
    const bar: FormBar = { start: shift(bars[j].start), end: shift(bars[j].end), line: ends.has(j) ? ':|' : bars[j].line };
    if (starts.has(j)) {
      if (outBars.length === 0) opening = '|:';
      else {
        const prev = outBars[outBars.length - 1];
        prev.line = prev.line === ':|' ? '::' : '|:';
      }
    }
    outBars.push(bar);
  }
  const outNotes: Note[] = [];
  bars.forEach((bar, j) => {
    if (keep[j]) for (const n of inBar[j]) outNotes.push({ ...n, start: shift(n.start), end: shift(n.end) });
  });
  const move = <T extends { time: number }>(list: T[]) => list.map((s) => ({ ...s, time: shift(s.time) }));
  return { notes: outNotes, bars: outBars, sigs: move(sigs), keys: move(keys), tempos: move(tempos), opening };
}
