/**
 * A tempo map for the players, which play at one tempo: notes are moved to where they fall at the
 * first tempo (`toPlayed`), and the playhead read back (`toWritten`), so tempo changes (a .mid's
 * tempo map, an ABC tune's [Q:] fields) are heard without touching the scheduler. Pure.
 */
import type { TempoChange } from '@shared/music/types';

export interface TempoWarp {
  /** The first tempo: the players play at it. */
  qpm: number;
  /** Written quarters -> quarters at the first tempo. */
  toPlayed(quarters: number): number;
  /** Quarters at the first tempo -> written quarters (the playhead). */
  toWritten(played: number): number;
  /** True when the map has a change (else both directions are the identity). */
  changes: boolean;
}

/** The warp of a tempo map (time-sorted; the first entry's tempo holds from time 0). */
export function tempoWarp(tempos: readonly TempoChange[], fallbackQpm = 120): TempoWarp {
  const map = tempos.filter((t) => t.qpm > 0 && Number.isFinite(t.qpm) && t.time >= 0).sort((a, b) => a.time - b.time);
  const qpm = map[0]?.qpm ?? fallbackQpm;
  // Segment starts: written time, played time, and the speed ratio (played per written quarter).
  const at: number[] = [0];
  const played: number[] = [0];
  const ratio: number[] = [1];
  for (const t of map.slice(1)) {
    const i = at.length - 1;
    if (t.time <= at[i] + 1e-12) {
      ratio[i] = qpm / t.qpm;
      continue;
    }
    played.push(played[i] + (t.time - at[i]) * ratio[i]);
    at.push(t.time);
    ratio.push(qpm / t.qpm);
  }
  const changes = ratio.some((r) => Math.abs(r - 1) > 1e-9);
  const find = (xs: number[], v: number): number => {
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (xs[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    qpm,
    changes,
    toPlayed: (q) => {
      if (!changes) return q;
      const i = find(at, q);
      return played[i] + (q - at[i]) * ratio[i];
    },
    toWritten: (p) => {
      if (!changes) return p;
      const i = find(played, p);
      return at[i] + (p - played[i]) / ratio[i];
    },
  };
}
