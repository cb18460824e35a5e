/**
 * From a NoteSequence as played to the onsets a listener hears: seconds instead of quarters,
 * impossible notes left out, ghosts (keys brushed for a few ms) dropped or merged, notes struck
 * together grouped as one onset, grace notes set apart. Everything after this works on onsets.
 */
import { DEFAULT_QPM } from '../sequence';
import type { NoteSequence } from '../types';
import type { TranscribeChanges } from './types';

export interface PlayedNote {
  pitch: number;
  /** Onset and end in the input's quarter notes (a notated file keeps its own grid). */
  q: number;
  qEnd: number;
  /** Seconds from the start of the input. */
  on: number;
  off: number;
  velocity: number;
  voice: number;
}

/** Notes heard as struck together (one note, or a chord). */
export interface Onset {
  /** Seconds: the median of its notes' onsets. */
  time: number;
  notes: PlayedNote[];
}

/** A silence longer than this in the middle of the playing is shortened to LONG_GAP_KEEP_S (the seed continues after a pause, not a minute later). */
export const LONG_GAP_S = 12;
const LONG_GAP_KEEP_S = 3;
/** A note held longer than this is cut to it: a key left down, or a missing note-off. */
export const MAX_HOLD_S = 30;
/** Notes whose onsets are this close and that sound together for most of their length are a chord. */
const CHORD_WINDOW_S = 0.045;

/** Quarters -> seconds through a tempo map that may be missing, unsorted or hold nonsense. */
export function secondsMap(seq: NoteSequence): (q: number) => number {
  const tempos = (Array.isArray(seq.tempos) ? seq.tempos : [])
    .filter((t) => t && Number.isFinite(t.time) && t.time >= 0 && Number.isFinite(t.qpm) && t.qpm > 0)
    .slice()
    .sort((a, b) => a.time - b.time);
  if (!tempos.length || tempos[0].time > 0) tempos.unshift({ time: 0, qpm: DEFAULT_QPM });
  const at: number[] = [];
  const secs: number[] = [];
  let s = 0;
  for (let i = 0; i < tempos.length; i++) {
    if (i > 0) s += ((tempos[i].time - tempos[i - 1].time) * 60) / tempos[i - 1].qpm;
    at.push(tempos[i].time);
    secs.push(s);
  }
  return (q) => {
    let lo = 0;
    let hi = at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (at[mid] <= q) lo = mid;
      else hi = mid - 1;
    }
    return secs[lo] + ((q - at[lo]) * 60) / tempos[lo].qpm;
  };
}

export interface Prepared {
  notes: PlayedNote[];
  onsets: Onset[];
  /** Seconds from the input's time 0 to the first onset. */
  lead: number;
}

/** Valid notes in seconds, sorted; counts what was left out. */
export function playedNotes(seq: NoteSequence, changes: TranscribeChanges): PlayedNote[] {
  const toSeconds = secondsMap(seq);
  const out: PlayedNote[] = [];
  for (const n of seq.notes) {
    const ok =
      n &&
      Number.isFinite(n.start) &&
      Number.isFinite(n.end) &&
      n.start >= 0 &&
      n.end > n.start &&
      Number.isInteger(n.pitch) &&
      n.pitch >= 0 &&
      n.pitch <= 127;
    if (!ok) {
      changes.invalidDropped++;
      continue;
    }
    const on = toSeconds(n.start);
    let off = toSeconds(n.end);
    if (!(off > on) || !Number.isFinite(off)) {
      changes.invalidDropped++;
      continue;
    }
    let qEnd = n.end;
    if (off - on > MAX_HOLD_S) {
      qEnd = n.start + ((n.end - n.start) * MAX_HOLD_S) / (off - on);
      off = on + MAX_HOLD_S;
      changes.longNotesCut++;
    }
    const v = Number.isFinite(n.velocity) ? Math.round(n.velocity) : 100;
    out.push({ pitch: n.pitch, q: n.start, qEnd, on, off, velocity: Math.max(1, Math.min(127, v)), voice: Number.isInteger(n.voice) ? n.voice : 0 });
  }
  out.sort((a, b) => a.on - b.on || b.pitch - a.pitch);
  return out;
}

/** Long silences in the middle shortened, so that one stray note a minute later does not stretch the seed. */
export function shortenLongGaps(notes: PlayedNote[], changes: TranscribeChanges): void {
  let shift = 0;
  let qShift = 0;
  let lastEnd = -Infinity;
  let lastQEnd = -Infinity;
  for (const n of notes) {
    const on = n.on - shift;
    if (Number.isFinite(lastEnd) && on - lastEnd > LONG_GAP_S) {
      const cut = on - lastEnd - LONG_GAP_KEEP_S;
      // The same cut in the input's quarter notes, in proportion (a notated file is read by its quarters).
      const qGap = n.q - qShift - lastQEnd;
      qShift += qGap > 0 ? (qGap * cut) / (on - lastEnd) : 0;
      shift += cut;
      changes.longGapsShortened++;
    }
    n.on -= shift;
    n.off -= shift;
    n.q -= qShift;
    n.qEnd -= qShift;
    if (n.off > lastEnd) {
      lastEnd = n.off;
      lastQEnd = n.qEnd;
    }
  }
}

/**
 * Ghosts: notes shorter than minSeconds. The same key struck again right after it was released (a
 * bounce) is merged into that note; anything else is dropped. When most notes are that short it is
 * the playing style (a staccato patch), not ghosts, and all are kept.
 */
export function removeGhosts(notes: PlayedNote[], minSeconds: number, changes: TranscribeChanges): PlayedNote[] {
  const short = notes.filter((n) => n.off - n.on < minSeconds).length;
  if (short === 0 || short * 2 > notes.length) return notes;
  const out: PlayedNote[] = [];
  const lastByPitch = new Map<number, PlayedNote>();
  for (const n of notes) {
    if (n.off - n.on >= minSeconds) {
      out.push(n);
      lastByPitch.set(n.pitch, n);
      continue;
    }
    const prev = lastByPitch.get(n.pitch);
    if (prev && n.on - prev.off < 0.03) {
      prev.off = Math.max(prev.off, n.off);
      changes.ghostsMerged++;
    } else changes.ghostsDropped++;
  }
  return out;
}

/**
 * Onsets: notes struck within CHORD_WINDOW_S of the group's first that also sound together for at
 * least half of the shorter one are a chord; a legato overlap (the previous key still down for a
 * moment) is not.
 */
export function groupOnsets(notes: PlayedNote[]): Onset[] {
  const onsets: Onset[] = [];
  let group: PlayedNote[] = [];
  const flush = () => {
    if (!group.length) return;
    const ons = group.map((n) => n.on).sort((a, b) => a - b);
    onsets.push({ time: ons[(ons.length - 1) >> 1], notes: group });
    group = [];
  };
  for (const n of notes) {
    if (group.length) {
      const first = group[0].on;
      const together = n.on - first <= CHORD_WINDOW_S && group.some((g) => Math.min(g.off, n.off) - n.on >= 0.5 * Math.min(g.off - g.on, n.off - n.on));
      if (!together) flush();
    }
    group.push(n);
  }
  flush();
  return onsets;
}

/** The most common time between onsets (seconds), from a smoothed histogram on a log scale. */
export function typicalInterval(onsets: Onset[]): number | undefined {
  const iois: number[] = [];
  for (let i = 1; i < onsets.length; i++) {
    const d = onsets[i].time - onsets[i - 1].time;
    if (d > 0.04 && d < 4) iois.push(d);
  }
  const peaks = intervalPeaks(iois, 1);
  return peaks[0];
}

/**
 * Peaks of a Gaussian-smoothed histogram of log intervals (Dixon's IOI clustering, in a continuous
 * form): the intervals the playing returns to, most supported first.
 */
export function intervalPeaks(iois: number[], count: number): number[] {
  if (!iois.length) return [];
  const lo = Math.log(0.05);
  const hi = Math.log(4);
  const step = 0.01;
  const bins = Math.ceil((hi - lo) / step) + 1;
  const density = new Float64Array(bins);
  const width = 0.07; // about 7%: human timing spread between two onsets
  for (const d of iois) {
    const x = Math.log(d);
    const c = Math.round((x - lo) / step);
    const span = Math.ceil((3 * width) / step);
    for (let b = Math.max(0, c - span); b <= Math.min(bins - 1, c + span); b++) {
      const z = (lo + b * step - x) / width;
      density[b] += Math.exp(-0.5 * z * z);
    }
  }
  const peaks: { at: number; v: number }[] = [];
  for (let b = 1; b < bins - 1; b++) if (density[b] > 0 && density[b] >= density[b - 1] && density[b] > density[b + 1]) peaks.push({ at: Math.exp(lo + b * step), v: density[b] });
  peaks.sort((a, b) => b.v - a.v);
  const out: number[] = [];
  for (const p of peaks) {
    if (out.length >= count) break;
    if (out.some((o) => Math.abs(Math.log(o / p.at)) < 0.15)) continue;
    if (p.v < peaks[0].v * 0.15) break;
    out.push(p.at);
  }
  return out;
}

/**
 * Grace notes: a single short note struck just before the next onset and let go around it. The
 * thresholds follow the playing's own pace (the typical interval), so that a real 16th in a fast
 * reel is not mistaken for one.
 */
export function removeGraces(onsets: Onset[], typical: number | undefined, changes: TranscribeChanges): Onset[] {
  if (onsets.length < 3 || typical === undefined) return onsets;
  const maxLength = Math.min(0.09, 0.4 * typical);
  const maxGap = Math.min(0.1, 0.45 * typical);
  // A short note struck just before the next one; several in a row are a run (a triplet, 16ths), not a grace.
  const quick = onsets.map((o, i) => {
    const next = onsets[i + 1];
    if (!next || o.notes.length !== 1) return false;
    const n = o.notes[0];
    return n.off - n.on < maxLength && next.time - o.time < maxGap && n.off < next.time + maxLength;
  });
  const out: Onset[] = [];
  for (let i = 0; i < onsets.length; i++) {
    const inRun = (i > 0 && quick[i - 1] && onsets[i].time - onsets[i - 1].time < 1.5 * maxGap) || (quick[i + 1] ?? false);
    if (quick[i] && !inRun) {
      changes.gracesDropped++;
      continue;
    }
    out.push(onsets[i]);
  }
  return out;
}
