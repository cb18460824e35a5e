/**
 * A played seed -> a tune-ready quantized performance: tempo and beat, meter, pickup, onsets and
 * lengths on a grid the model can spell, chords reduced as the encoding says, the key, and a report
 * of what was found and changed in a musician's words. See README.md ("Transcribing a played seed").
 */
import { MusicError } from '../errors';
import { guessKey } from '../key';
import { compareNotes } from '../sequence';
import type { KeySignature, Note, NoteSequence, TempoChange } from '../types';
import { barQuarters, beatQuarters, fitMeters, type MeterFit } from './meter';
import { groupOnsets, intervalPeaks, playedNotes, removeGhosts, removeGraces, shortenLongGaps, typicalInterval, type Onset, type PlayedNote } from './onsets';
import { quarterCandidates, tactusCost, tempoCost, unitGrid, type UnitGrid } from './track';
import { placeOnBeats, trackBeatTimes } from './beats';
import type { ChordPolicy, Meter, MeterCandidate, SeedGrid, Source, TranscribeChanges, TranscribeOptions, Transcription } from './types';

/**
 * The meters tried when the caller gives none: a folk-tune mix (Irish, Nottingham and Essen ABC
 * corpora, rounded). A model's own corpus counts are better; the studio passes them.
 */
export const DEFAULT_METERS: readonly MeterCandidate[] = [
  { numerator: 4, denominator: 4, weight: 36 },
  { numerator: 6, denominator: 8, weight: 22 },
  { numerator: 2, denominator: 4, weight: 14 },
  { numerator: 3, denominator: 4, weight: 14 },
  { numerator: 2, denominator: 2, weight: 4 },
  { numerator: 9, denominator: 8, weight: 3 },
  { numerator: 12, denominator: 8, weight: 3 },
  { numerator: 6, denominator: 4, weight: 2 },
  { numerator: 3, denominator: 2, weight: 2 },
];

export const DEFAULT_GRID: SeedGrid = { stepsPerQuarter: 4, triplets: false };
export const DEFAULT_MAX_NOTES = 5000;
const DEFAULT_MIN_NOTE_MS = 40;
/** Onsets used to choose the tempo among the candidates (the rest follow the winner): a seed's worth. */
const HYPOTHESIS_ONSETS = 160;

interface Checked {
  clock: 'free' | 'metronome';
  qpm?: number;
  meter?: Meter;
  meters?: MeterCandidate[];
  pickup?: number;
  grid: SeedGrid & { triplets: boolean };
  chords: ChordPolicy;
  key?: KeySignature | null;
  minNoteMs: number;
  maxNotes: number;
}

const bad = (message: string) => new MusicError('bad-option', message);

function isMeter(m: unknown): m is Meter {
  const x = m as Meter;
  return !!x && Number.isInteger(x.numerator) && x.numerator >= 1 && x.numerator <= 64 && [1, 2, 4, 8, 16, 32, 64].includes(x.denominator);
}

function checkOptions(o: TranscribeOptions): Checked {
  if (o === null || typeof o !== 'object') throw bad('transcription options must be an object');
  const clock = o.clock ?? 'free';
  if (clock !== 'free' && clock !== 'metronome') throw bad(`clock must be "free" or "metronome", got ${JSON.stringify(o.clock)}`);
  if (o.qpm !== undefined && !(Number.isFinite(o.qpm) && o.qpm >= 10 && o.qpm <= 1000)) throw bad(`tempo must be between 10 and 1000 quarter notes per minute, got ${o.qpm}`);
  if (o.meter !== undefined && !isMeter(o.meter)) throw bad(`meter must look like 4/4 or 6/8 (numerator 1-64, denominator a power of two up to 64), got ${JSON.stringify(o.meter)}`);
  if (o.meters !== undefined) {
    if (!Array.isArray(o.meters) || o.meters.length === 0) throw bad('meters must be a non-empty list of candidate meters');
    for (const m of o.meters) {
      if (!isMeter(m) || !(Number.isFinite(m.weight) && m.weight >= 0)) throw bad(`each candidate meter needs a numerator, a denominator and a weight >= 0, got ${JSON.stringify(m)}`);
    }
    if (!o.meters.some((m) => m.weight > 0)) throw bad('at least one candidate meter must have a weight above 0');
  }
  if (o.pickup !== undefined && !(Number.isFinite(o.pickup) && o.pickup >= 0)) throw bad(`pickup must be a number of quarter notes >= 0, got ${o.pickup}`);
  const g = o.grid ?? DEFAULT_GRID;
  if (!g || !Number.isInteger(g.stepsPerQuarter) || g.stepsPerQuarter < 1 || g.stepsPerQuarter > 48) throw bad(`the grid must have a whole number of steps per quarter note from 1 to 48, got ${JSON.stringify(g?.stepsPerQuarter)}`);
  const triplets = !!g.triplets;
  if (triplets && g.stepsPerQuarter % 2 === 1) throw bad(`triplets need an even number of steps per quarter note (the triplet grid is 3/2 of it), got ${g.stepsPerQuarter}`);
  if (g.lengths !== undefined && (!Array.isArray(g.lengths) || g.lengths.length === 0 || g.lengths.some((l) => !(Number.isFinite(l) && l > 0 && l <= 64)))) {
    throw bad('grid lengths must be a non-empty list of note lengths in quarter notes (0 < length <= 64)');
  }
  const chords = o.chords ?? 'top';
  if (chords !== 'top' && chords !== 'keep') throw bad(`chords must be "top" or "keep", got ${JSON.stringify(o.chords)}`);
  const minNoteMs = o.minNoteMs ?? DEFAULT_MIN_NOTE_MS;
  if (!(Number.isFinite(minNoteMs) && minNoteMs >= 0 && minNoteMs <= 1000)) throw bad(`minNoteMs must be between 0 and 1000, got ${o.minNoteMs}`);
  const maxNotes = o.maxNotes ?? DEFAULT_MAX_NOTES;
  if (!(Number.isInteger(maxNotes) && maxNotes >= 1)) throw bad(`maxNotes must be a whole number >= 1, got ${o.maxNotes}`);
  return { clock, qpm: o.qpm, meter: o.meter, meters: o.meters, pickup: o.pickup, grid: { ...g, triplets }, chords, key: o.key, minNoteMs, maxNotes };
}

function zeroChanges(): TranscribeChanges {
  return { leadingSilence: 0, ghostsDropped: 0, ghostsMerged: 0, gracesDropped: 0, chordsReduced: 0, overlapsCut: 0, gapsClosed: 0, lengthsSnapped: 0, invalidDropped: 0, longGapsShortened: 0, longNotesCut: 0 };
}

/** A file written by a notation program: its notes already sit on its own grid of 48ths of a quarter. */
function isNotated(notes: PlayedNote[]): boolean {
  if (notes.length < 4) return false;
  const on = (x: number) => Math.abs(x * 48 - Math.round(x * 48)) < 0.02;
  return notes.filter((n) => on(n.q) && on(n.qEnd)).length >= 0.9 * notes.length;
}

/** Velocity accents in robust standard deviations, or undefined when the velocities hardly vary. */
function accentsOf(onsets: Onset[]): number[] | undefined {
  const v = onsets.map((o) => Math.max(...o.notes.map((n) => n.velocity)));
  if (v.length < 4) return undefined;
  const sorted = [...v].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  const mad = [...v.map((x) => Math.abs(x - median))].sort((a, b) => a - b)[v.length >> 1];
  const spread = Math.max(1.4826 * mad, 4);
  if (1.4826 * mad < 3 && sorted[sorted.length - 1] - sorted[0] < 8) return undefined;
  return v.map((x) => Math.max(-3, Math.min(3, (x - median) / spread)));
}

function nearestAllowed(u: number, grid: UnitGrid): number {
  const R = grid.R;
  for (let k = 0; k <= R; k++) {
    if (grid.allowed[(((Math.round(u) - k) % R) + R) % R]) return Math.round(u) - k;
    if (grid.allowed[(((Math.round(u) + k) % R) + R) % R]) return Math.round(u) + k;
  }
  return Math.round(u);
}

/** Where every onset is on the grid (R units per quarter) and the seconds per quarter around it. */
interface Track {
  units: number[];
  period: number[];
  /** Negative log-likelihood of the reading (for comparing candidate tempi). */
  cost: number;
}

/** The beat: where it comes from and the grid position of every onset. */
interface Beat {
  track: Track;
  source: Source;
  /** Bar lines at multiples of the bar from unit 0 are likely (the metronome's, a notated file's): a bonus for that downbeat, in nats. */
  barsFromZero: number;
}

/** The input's tempo at its start (0 when it has none that makes sense). */
function fileQpmOf(perf: NoteSequence): number {
  const t = Array.isArray(perf.tempos) ? perf.tempos.find((x) => x && x.time <= 0 && Number.isFinite(x.qpm) && x.qpm > 0) : undefined;
  return t ? t.qpm : 0;
}

/**
 * The click's bar lines are strong evidence (the player heard the downbeat); a notated file's are
 * weaker, since a pickup is often written from time 0 (MIDI has no short first bar).
 */
const CLICK_BARS_BONUS = 8;
const FILE_BARS_BONUS = 0.5;

/** How strongly each onset draws a beat: longer notes more (they tend to start on beats). */
function beatWeights(times: number[], period: number): number[] {
  return times.map((t, i) => 1 + 0.5 * Math.min(1, i + 1 < times.length ? (times[i + 1] - t) / period : 1));
}

/** Tracks beats at `period`, places the onsets between them; units in R per quarter from beat 0. */
function trackAt(times: number[], period: number, grid: UnitGrid, retune = true): Track & { beats: number[] } {
  let p = period;
  let placed;
  for (let round = 0; ; round++) {
    const beats = trackBeatTimes(times, beatWeights(times, p), p);
    placed = placeOnBeats(times, beats, grid, p);
    // The candidate tempo came from a histogram peak; the placed onsets say what it really is.
    const quarters = (placed.units[placed.units.length - 1] - placed.units[0]) / grid.R;
    const elapsed = times[times.length - 1] - times[0];
    const measured = quarters > 0 && elapsed > 0 ? elapsed / quarters : p;
    if (!retune || round >= 2 || Math.abs(Math.log(measured / p)) < 0.01) break;
    p = measured;
  }
  return { units: placed.units, period: periodsAt(placed.beats, placed.units, grid.R), cost: placed.cost, beats: placed.beats };
}

/** Seconds per quarter around each onset, from the beats on either side of it. */
function periodsAt(beats: number[], units: number[], R: number): number[] {
  return units.map((u) => {
    const k = Math.max(0, Math.min(beats.length - 2, Math.floor(u / R)));
    return beats[k + 1] - beats[k];
  });
}

function findBeat(onsets: Onset[], perf: NoteSequence, notes: PlayedNote[], grid: UnitGrid, o: Checked): Beat {
  const times = onsets.map((x) => x.time);
  const R = grid.R;
  const fileQpm = fileQpmOf(perf) || 120;
  if (o.clock === 'free' && o.qpm === undefined && isNotated(notes)) {
    // Keep the file's own beats: positions straight from its quarter notes.
    const units = onsets.map((x) => nearestAllowed(Math.min(...x.notes.map((n) => n.q)) * R, grid));
    for (let i = 1; i < units.length; i++) if (units[i] <= units[i - 1]) units[i] = units[i - 1] + 1;
    // Its bars are likely to start at 0, but a pickup is often written from 0 too (MIDI has no
    // short first bar): the playing's evidence decides, with a bonus for the file's bar lines.
    return { track: { units, period: onsets.map(() => 60 / fileQpm), cost: 0 }, source: 'file', barsFromZero: FILE_BARS_BONUS };
  }
  if (onsets.length < 2) {
    const period = 60 / (o.qpm ?? fileQpm);
    const unit = o.clock === 'metronome' ? nearestAllowed((times[0] / period) * R, grid) : 0;
    return { track: { units: [unit], period: [period], cost: 0 }, source: o.qpm !== undefined || o.clock === 'metronome' ? 'given' : 'file', barsFromZero: o.clock === 'metronome' ? CLICK_BARS_BONUS : 0 };
  }
  if (o.clock === 'metronome') {
    // The click's beats, numbered as the click counts them (time 0 is a downbeat), are where the
    // placement starts; refitting them to the onsets follows the player's drift from the click.
    const period = 60 / (o.qpm ?? fileQpm);
    const first = Math.floor(times[0] / period) - 1;
    const clickBeats: number[] = [];
    for (let k = first; (k - 1) * period <= times[times.length - 1] + period; k++) clickBeats.push(k * period);
    const placed = placeOnBeats(times, clickBeats, grid, period);
    const units = placed.units.map((u) => u + first * R);
    return { track: { units, period: periodsAt(placed.beats, placed.units, R), cost: placed.cost }, source: 'given', barsFromZero: CLICK_BARS_BONUS };
  }
  if (o.qpm !== undefined) return { track: trackAt(times, 60 / o.qpm, grid, false), source: 'given', barsFromZero: 0 };
  const head = times.slice(0, HYPOTHESIS_ONSETS);
  const iois: number[] = [];
  for (let i = 1; i < head.length; i++) if (head[i] - head[i - 1] > 0.04) iois.push(head[i] - head[i - 1]);
  const candidates = quarterCandidates(intervalPeaks(iois, 3), [60 / fileQpm]);
  let best: { period: number; score: number } | undefined;
  for (const period of candidates) {
    const t = trackAt(head, period, grid);
    const elapsed = head[head.length - 1] - head[0];
    const quarters = (t.units[t.units.length - 1] - t.units[0]) / R;
    const qpm = quarters > 0 && elapsed > 0 ? (60 * quarters) / elapsed : 60 / period;
    // With the user's meter, the beat it implies should be one a player taps (a 3/4 air at 80 is
    // not a 3/8 at 40 with twice as many notes per beat).
    const score = t.cost + tempoCost(qpm) + (o.meter ? tactusCost((60 / qpm) * beatQuarters(o.meter)) : 0);
    if (!best || score < best.score) best = { period, score };
  }
  const period = best?.period ?? 60 / fileQpm;
  return { track: trackAt(times, period, grid), source: 'played', barsFromZero: 0 };
}

/** Seconds -> grid units, through the onsets' positions (and the local tempo past either end). */
function unitsMap(times: number[], track: Track, R: number): (t: number) => number {
  const u = track.units;
  const n = times.length;
  return (t) => {
    if (n === 1 || t <= times[0]) return u[0] + ((t - times[0]) / track.period[0]) * R;
    if (t >= times[n - 1]) return u[n - 1] + ((t - times[n - 1]) / track.period[n - 1]) * R;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) lo = mid;
      else hi = mid;
    }
    return u[lo] + ((t - times[lo]) / (times[hi] - times[lo])) * (u[hi] - u[lo]);
  };
}

const LENGTH_NAMES: [number, string][] = [
  [0.25, 'a 16th'],
  [1 / 3, 'a triplet eighth'],
  [0.5, 'an eighth'],
  [0.75, 'a dotted eighth'],
  [1, 'a quarter'],
  [1.5, 'a dotted quarter'],
  [2, 'a half note'],
  [3, 'a dotted half note'],
  [4, 'a whole note'],
];

/** A length in quarter notes in words: "an eighth", "a dotted quarter", "5 16ths". */
export function lengthInWords(q: number): string {
  const hit = LENGTH_NAMES.find(([l]) => Math.abs(l - q) < 1e-6);
  if (hit) return hit[1];
  if (Math.abs(q * 4 - Math.round(q * 4)) < 1e-6) return `${Math.round(q * 4)} 16ths`;
  if (Math.abs(q * 12 - Math.round(q * 12)) < 1e-6) return `${Math.round(q * 3)} triplet eighths`;
  return `${+q.toFixed(3)} quarter notes`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function meterText(m: Meter): string {
  return `${m.numerator}/${m.denominator}`;
}

/**
 * Transcribes a played seed. `performance` is in quarter notes at its tempo map (a recording at the
 * studio's tempo, or a .mid as read). Throws MusicError ('bad-seed', 'bad-option') with a clear
 * message, never anything else.
 */
export function transcribe(performance: NoteSequence, options: TranscribeOptions = {}): Transcription {
  const o = checkOptions(options ?? {});
  if (!performance || typeof performance !== 'object' || !Array.isArray(performance.notes)) throw new MusicError('bad-seed', 'the seed is not a sequence of notes');
  const count = performance.notes.length;
  if (count === 0) throw new MusicError('bad-seed', 'the seed has no notes: play or open a phrase first');
  if (count > o.maxNotes) throw new MusicError('bad-seed', `the seed has ${count.toLocaleString('en')} notes; a seed is at most ${o.maxNotes.toLocaleString('en')} (a few bars to a few minutes of playing): use a shorter phrase`);
  const changes = zeroChanges();
  let notes = playedNotes(performance, changes);
  if (!notes.length) throw new MusicError('bad-seed', `none of the seed's ${plural(count, 'note', 'notes')} can be used (times or pitches that are not numbers, or notes that end before they start)`);
  shortenLongGaps(notes, changes);
  notes = removeGhosts(notes, o.minNoteMs / 1000, changes);
  let onsets = groupOnsets(notes);
  onsets = removeGraces(onsets, typicalInterval(onsets), changes);
  const grid = unitGrid(o.grid.stepsPerQuarter, o.grid.triplets);
  const R = grid.R;
  const times = onsets.map((x) => x.time);
  const beat = findBeat(onsets, performance, notes, grid, o);
  const track = beat.track;
  const units = track.units;
  const toUnits = unitsMap(times, track, R);

  // Meter and pickup.
  const fileMeter = Array.isArray(performance.timeSignatures) ? performance.timeSignatures.find((t) => t && isMeter(t)) : undefined;
  let meterSource: Source = 'played';
  let candidates: MeterCandidate[];
  if (o.meter) {
    candidates = [{ ...o.meter, weight: 1 }];
    meterSource = 'given';
  } else if (o.clock === 'metronome' && fileMeter) {
    candidates = [{ numerator: fileMeter.numerator, denominator: fileMeter.denominator, weight: 1 }];
    meterSource = 'given';
  } else if (beat.source === 'file' && fileMeter) {
    candidates = [{ numerator: fileMeter.numerator, denominator: fileMeter.denominator, weight: 1 }];
    meterSource = 'file';
  } else candidates = (o.meters ?? DEFAULT_METERS).filter((m) => m.weight > 0);
  const spellable = candidates.filter((m) => Math.abs(barQuarters(m) * R - Math.round(barQuarters(m) * R)) < 1e-9);
  if (!spellable.length) throw bad(`${candidates.map(meterText).join(', ')} cannot be barred on a grid of ${o.grid.stepsPerQuarter} steps per quarter note: choose a finer grid`);
  let pickupUnits: number | undefined;
  if (o.pickup !== undefined) {
    pickupUnits = Math.round(o.pickup * R);
    const shortest = Math.min(...spellable.map((m) => barQuarters(m)));
    if (o.pickup >= shortest - 1e-9) throw bad(`a pickup of ${lengthInWords(o.pickup)} is not shorter than a bar of ${meterText(spellable[0])}: it must be less than ${lengthInWords(shortest)}`);
  }
  const fits = fitMeters({ grid, units, accents: accentsOf(onsets), candidates: spellable, barsFromZero: pickupUnits === undefined ? beat.barsFromZero : 0, pickupUnits });
  const chosen: MeterFit = fits[0];
  const meter = chosen.meter;
  const L = Math.round(barQuarters(meter) * R);
  const pickupFinal = chosen.pickupUnits;

  // Notes: onsets on the grid, chords reduced, ends snapped.
  const first = units[0];
  const minStep = Math.min(...grid.allowed.map((ok, k) => (ok && k > 0 ? k : R)));
  const lengthUnits = o.grid.lengths?.map((l) => Math.round(l * R)).filter((l) => l > 0);
  const out: Note[] = [];
  const beatUnits = Math.round(beatQuarters(meter) * R) || R;
  for (let i = 0; i < onsets.length; i++) {
    const u = units[i];
    const next = i + 1 < onsets.length ? units[i + 1] : undefined;
    let kept = onsets[i].notes;
    if (o.chords === 'top' && kept.length > 1) {
      const pitches = new Set(kept.map((n) => n.pitch));
      if (pitches.size > 1) changes.chordsReduced++;
      kept = [kept.reduce((a, b) => (b.pitch > a.pitch ? b : a))];
    }
    const seen = new Map<number, Note>();
    for (const n of kept) {
      const performedEnd = toUnits(n.off);
      let end: number;
      if (next !== undefined) {
        const ioi = next - u;
        const gap = next - performedEnd;
        if (gap < 0.45 * ioi || gap < R / 2) {
          end = next;
          if (n.off > times[i + 1] + 0.01) changes.overlapsCut++;
          else if (gap * (track.period[i] / R) > 0.03 && gap > minStep / 2) changes.gapsClosed++;
        } else {
          end = snapRestEnd(u, performedEnd, next, grid, minStep, lengthUnits, changes);
        }
      } else {
        end = snapLastEnd(u, performedEnd, grid, minStep, lengthUnits, L, chosen.phase, beatUnits);
      }
      const note: Note = { pitch: n.pitch, start: (u - first) / R, end: (end - first) / R, velocity: n.velocity, voice: o.chords === 'keep' ? n.voice : 0 };
      const dup = seen.get(n.pitch);
      if (dup) dup.end = Math.max(dup.end, note.end);
      else {
        seen.set(n.pitch, note);
        out.push(note);
      }
    }
  }
  out.sort(compareNotes);
  const totalTime = out.reduce((m, n) => Math.max(m, n.end), 0);

  // Tempo: the whole playing's, with a change where a bar departs more than 8% from the tempo in force
  // (drift of a few percent is the player's, not the tune's).
  let qpm: number;
  if (beat.source === 'given') qpm = o.qpm ?? (fileQpmOf(performance) || 60 / track.period[0]);
  else if (onsets.length > 1 && times[times.length - 1] > times[0] && units[units.length - 1] > first) qpm = (60 * (units[units.length - 1] - first)) / R / (times[times.length - 1] - times[0]);
  else qpm = 60 / track.period[0];
  if (beat.source !== 'given') qpm = Math.round(qpm);
  const tempos: TempoChange[] = [{ time: 0, qpm }];
  if (beat.source === 'played') {
    let current = qpm;
    for (let bar = chosen.phase + Math.ceil((first - chosen.phase) / L) * L; bar < units[units.length - 1]; bar += L) {
      const inBar = units.map((x, i) => [x, times[i]]).filter(([x]) => x >= bar && x < bar + L);
      if (inBar.length < 3) continue;
      const [u0, t0] = inBar[0];
      const [u1, t1] = inBar[inBar.length - 1];
      if (u1 - u0 < 1.5 * R || t1 <= t0) continue;
      const local = Math.round((60 * (u1 - u0)) / R / (t1 - t0));
      if (Math.abs(Math.log(local / current)) > 0.08) {
        tempos.push({ time: (bar - first) / R, qpm: local });
        current = local;
      }
    }
  }

  const sequence: NoteSequence = {
    notes: out,
    tempos,
    timeSignatures: [{ time: 0, numerator: meter.numerator, denominator: meter.denominator }],
    keySignatures: [],
    totalTime,
  };
  if (typeof performance.title === 'string' && performance.title.trim()) sequence.title = performance.title;
  let key: KeySignature | undefined;
  let keySource: Transcription['found']['key'];
  const fileKey = Array.isArray(performance.keySignatures) ? performance.keySignatures.find((k) => k && Number.isInteger(k.tonic) && typeof k.mode === 'string') : undefined;
  if (o.key !== undefined) {
    key = o.key ?? undefined;
    keySource = o.key ? 'given' : 'none';
  } else if (fileKey) {
    key = { ...fileKey, time: 0 };
    keySource = 'file';
  } else {
    key = guessKey(sequence);
    keySource = key ? 'played' : 'none';
  }
  if (key) sequence.keySignatures = [{ ...key, time: 0 }];
  changes.leadingSilence = Math.max(0, times[0]);

  const meters = fits.map((f) => ({ meter: f.meter, pickup: f.pickupUnits / R, score: f.score - chosen.score }));
  const result: Transcription = {
    sequence,
    pickup: pickupFinal / R,
    meter,
    qpm,
    grid: { stepsPerQuarter: o.grid.stepsPerQuarter, triplets: o.grid.triplets, ...(o.grid.lengths ? { lengths: [...o.grid.lengths] } : {}) },
    key,
    found: { tempo: beat.source, meter: meterSource, pickup: o.pickup !== undefined ? 'given' : 'played', key: keySource },
    meters,
    changes,
    report: [],
  };
  result.report = describe(result, out, onsets.length, o);
  return result;
}

/** A note followed by a rest: its end on the grid (or at a length the encoding spells), leaving at least one step of rest. */
function snapRestEnd(u: number, performedEnd: number, next: number, grid: UnitGrid, minStep: number, lengthUnits: number[] | undefined, changes: TranscribeChanges): number {
  const want = Math.max(performedEnd - u, minStep);
  if (lengthUnits?.length) {
    const fit = lengthUnits.filter((l) => u + l <= next - minStep);
    if (fit.length) {
      const best = fit.reduce((a, b) => (Math.abs(Math.log(b / want)) < Math.abs(Math.log(a / want)) ? b : a));
      const plain = Math.min(Math.max(nearestAllowed(performedEnd, grid), u + minStep), next - minStep);
      if (plain - u !== best) changes.lengthsSnapped++;
      return u + best;
    }
  }
  return Math.min(Math.max(nearestAllowed(performedEnd, grid), u + minStep), Math.max(u + minStep, next - minStep));
}

/**
 * The last note is often held past its written value (the player waits for the answer): its end
 * goes to a spelled length, preferring one that ends on a bar line or a beat.
 */
function snapLastEnd(u: number, performedEnd: number, grid: UnitGrid, minStep: number, lengthUnits: number[] | undefined, L: number, phase: number, beatUnits: number): number {
  const want = Math.max(performedEnd - u, minStep);
  const options = new Set<number>();
  if (lengthUnits?.length) for (const l of lengthUnits) options.add(l);
  else {
    if (want < beatUnits) options.add(Math.max(minStep, nearestAllowed(performedEnd, grid) - u));
    for (let e = Math.ceil((u + minStep - phase) / beatUnits) * beatUnits + phase; e - u <= want * 1.6 + beatUnits; e += beatUnits) if (e > u) options.add(e - u);
  }
  let best = -1;
  let bestCost = Infinity;
  for (const l of options) {
    const end = u + l;
    const onBar = (((end - phase) % L) + L) % L === 0;
    const onBeat = (((end - phase) % beatUnits) + beatUnits) % beatUnits === 0;
    // The phrase ends at a bar line when it can: the hold after the last note is the player waiting.
    const cost = Math.abs(Math.log(l / want)) - (onBar ? 0.5 : onBeat ? 0.1 : 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = l;
    }
  }
  return u + best;
}

function describe(t: Transcription, notes: Note[], onsetCount: number, o: Checked): string[] {
  const lines: string[] = [];
  const c = t.changes;
  const bpm = Math.round(t.qpm);
  if (onsetCount < 2 && t.found.tempo !== 'given') lines.push(`tempo: ${bpm} bpm (one note: nothing to find it from)`);
  else if (t.found.tempo === 'played') {
    const drift = t.sequence.tempos.length > 1 ? ` (drifting: ${t.sequence.tempos.map((x) => x.qpm).join(', ')})` : '';
    lines.push(`tempo found: ${bpm} bpm${drift}`);
  } else if (t.found.tempo === 'given') lines.push(o.clock === 'metronome' ? `tempo: ${bpm} bpm (the metronome's)` : `tempo: ${bpm} bpm (as set)`);
  else lines.push(`tempo: ${bpm} bpm (the file's own beat)`);
  const alternatives = t.meters.slice(1, 3).filter((m) => m.score > -3);
  const also = alternatives.length ? ` (also possible: ${alternatives.map((m) => meterText(m.meter)).join(', ')})` : '';
  if (t.found.meter === 'played') lines.push(`meter found: ${meterText(t.meter)}${also}`);
  else if (t.found.meter === 'given') lines.push(`meter: ${meterText(t.meter)} (as set)`);
  else lines.push(`meter: ${meterText(t.meter)} (from the file)`);
  const pickupWords = t.pickup > 0 ? `a pickup of ${lengthInWords(t.pickup)} before the first downbeat` : 'no pickup: starts on the downbeat';
  lines.push(t.found.pickup === 'played' ? `${t.pickup > 0 ? 'pickup found' : 'pickup'}: ${pickupWords}` : `pickup: ${pickupWords} (${t.found.pickup === 'given' ? 'as set' : 'from the file'})`);
  if (t.key) lines.push(`key: ${keyWords(t.key)}${t.found.key === 'played' ? ' (from the pitches)' : t.found.key === 'file' ? ' (from the file)' : ''}`);
  if (c.leadingSilence >= 0.05) lines.push(`dropped ${c.leadingSilence.toFixed(1)} s of silence before the first note`);
  if (c.invalidDropped) lines.push(`left out ${plural(c.invalidDropped, 'note', 'notes')} with impossible times or pitches`);
  if (c.longNotesCut) lines.push(`cut ${plural(c.longNotesCut, 'note', 'notes')} held longer than 30 s`);
  if (c.longGapsShortened) lines.push(`shortened ${plural(c.longGapsShortened, 'long silence', 'long silences')} in the middle to 3 s`);
  if (c.ghostsDropped) lines.push(`dropped ${plural(c.ghostsDropped, 'very short note', 'very short notes')} (under ${o.minNoteMs} ms)`);
  if (c.ghostsMerged) lines.push(`merged ${plural(c.ghostsMerged, 'very short repeated note', 'very short repeated notes')} into the note before`);
  if (c.gracesDropped) lines.push(`dropped ${plural(c.gracesDropped, 'grace note', 'grace notes')}`);
  if (c.chordsReduced) lines.push(o.chords === 'top' ? `merged ${plural(c.chordsReduced, 'chord', 'chords')} into ${c.chordsReduced === 1 ? 'its top note' : 'their top notes'}` : `kept ${plural(c.chordsReduced, 'chord', 'chords')}`);
  if (c.overlapsCut) lines.push(`cut ${plural(c.overlapsCut, 'overlapping note', 'overlapping notes')} (legato) at the next note`);
  if (c.gapsClosed) lines.push(`closed ${plural(c.gapsClosed, 'small gap', 'small gaps')} between notes`);
  if (c.lengthsSnapped) lines.push(`gave ${plural(c.lengthsSnapped, 'note a length', 'notes lengths')} the model spells (a rest takes the rest)`);
  const grid = `${t.grid.stepsPerQuarter === 4 ? '16ths' : t.grid.stepsPerQuarter === 2 ? 'eighths' : t.grid.stepsPerQuarter === 8 ? '32nds' : `${t.grid.stepsPerQuarter} steps per quarter`}${t.grid.triplets ? ' and triplets' : ''}`;
  lines.push(`on a grid of ${grid}: ${plural(notes.length, 'note', 'notes')}, ${barsWords(t)}`);
  return lines;
}

function barsWords(t: Transcription): string {
  const bar = barQuarters(t.meter);
  const full = (t.sequence.totalTime - t.pickup) / bar;
  const whole = Math.floor(full + 1e-9);
  const rest = full - whole;
  const parts = [t.pickup > 0 ? 'the pickup and ' : '', plural(whole, 'bar', 'bars'), rest > 1e-9 ? ` and ${lengthInWords(rest * bar)}` : ''];
  return parts.join('');
}

const PITCH_NAMES_SHARP = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
const PITCH_NAMES_FLAT = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B'];

function keyWords(k: KeySignature): string {
  const names = k.accidentals < 0 ? PITCH_NAMES_FLAT : PITCH_NAMES_SHARP;
  return `${names[((k.tonic % 12) + 12) % 12]} ${k.mode}`;
}

/**
 * The same notes with the pickup's rest before them, so that time 0 is a bar line: for writers
 * that start counting bars at 0 (today's writeAbc). Tempo, meter and key changes move with them.
 */
export function barAligned(t: Transcription): NoteSequence {
  const bar = barQuarters(t.meter);
  const lead = t.pickup > 1e-9 ? bar - t.pickup : 0;
  const s = t.sequence;
  if (lead === 0) return { ...s, notes: s.notes.map((n) => ({ ...n })) };
  const shift = <T extends { time: number }>(xs: T[]) => xs.map((x, i) => ({ ...x, time: i === 0 && x.time === 0 ? 0 : x.time + lead }));
  return {
    ...s,
    notes: s.notes.map((n) => ({ ...n, start: n.start + lead, end: n.end + lead })),
    tempos: shift(s.tempos),
    timeSignatures: shift(s.timeSignatures),
    keySignatures: shift(s.keySignatures),
    totalTime: s.totalTime + lead,
  };
}
