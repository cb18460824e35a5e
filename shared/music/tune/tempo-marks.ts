/**
 * The tempo marks a musician would write for a played tempo map: a performance from a .mid often
 * carries a tempo change every few notes (rubato), which as [Q:] fields would bury the score. A
 * mark is written at a bar line when the bar's mean tempo departs from the last mark by more than
 * `threshold` (default 10%) and stays there for the next bar too. The performance keeps its map;
 * only the written text is thinned. Pure.
 */
import type { TempoChange } from '../types';

export function tempoMarks(tempos: readonly TempoChange[], barQuarters: number, threshold = 0.1): TempoChange[] {
  const map = tempos.filter((t) => t.qpm > 0 && t.time >= 0).slice().sort((a, b) => a.time - b.time);
  if (map.length <= 1 || !(barQuarters > 0)) return map.slice(0, 1).map((t) => ({ ...t, time: 0 }));
  const end = map[map.length - 1].time + barQuarters;
  // Mean tempo of each bar, weighted by time (seconds per quarter averaged, as a listener hears it).
  const bars: number[] = [];
  let j = 0;
  for (let b = 0; b * barQuarters < end; b++) {
    const from = b * barQuarters;
    const to = from + barQuarters;
    let spq = 0;
    while (j + 1 < map.length && map[j + 1].time <= from) j++;
    let k = j;
    let at = from;
    while (at < to) {
      const next = k + 1 < map.length ? Math.min(to, map[k + 1].time) : to;
      spq += (next - at) * (60 / map[k].qpm);
      at = next;
      if (k + 1 < map.length && map[k + 1].time <= at) k++;
      if (next === to) break;
    }
    bars.push((barQuarters * 60) / spq);
  }
  const round = (q: number) => Math.round(q);
  const marks: TempoChange[] = [{ time: 0, qpm: round(bars[0]) }];
  for (let b = 1; b < bars.length; b++) {
    const last = marks[marks.length - 1].qpm;
    const off = (q: number) => Math.abs(q / last - 1) > threshold;
    if (off(bars[b]) && (b + 1 >= bars.length || off(bars[b + 1]))) {
      const q = round(b + 1 < bars.length ? (bars[b] + bars[b + 1]) / 2 : bars[b]);
      if (q !== last) marks.push({ time: b * barQuarters, qpm: q });
    }
  }
  return marks;
}
