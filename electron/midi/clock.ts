/**
 * Time as a parameter. Everything in electron/midi asks a Clock for the time and for wake-ups, so
 * tests drive the scheduler, recorder and call-and-response with a FakeClock (no sleeping) and the
 * studio passes realClock().
 */

/** Cancels a pending wake-up; calling it twice, or after the wake-up ran, is harmless. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds on a monotonic clock (performance.now() for the real one). */
  now(): number;
  /**
   * Runs `cb` as close to `atMs` as the clock can manage, never before it. The real clock sleeps
   * with setTimeout and then polls with setImmediate for the last few milliseconds, because
   * setTimeout alone wakes 1-2 ms late (too much jitter for music).
   */
  at(atMs: number, cb: () => void): Cancel;
}

export interface RealClockOptions {
  /** How long before the target to stop sleeping and start polling. */
  spinMs?: number;
}

export function realClock(options: RealClockOptions = {}): Clock {
  const spinMs = options.spinMs ?? 3;
  const now = () => performance.now();
  return {
    now,
    at(atMs, cb) {
      let cancelled = false;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      let immediate: ReturnType<typeof setImmediate> | undefined;
      const poll = () => {
        immediate = undefined;
        if (cancelled) return;
        if (now() >= atMs) cb();
        else immediate = setImmediate(poll);
      };
      const sleepMs = atMs - now() - spinMs;
      if (sleepMs > 1) {
        timeout = setTimeout(() => {
          timeout = undefined;
          poll();
        }, sleepMs);
      } else {
        immediate = setImmediate(poll);
      }
      return () => {
        cancelled = true;
        if (timeout !== undefined) clearTimeout(timeout);
        if (immediate !== undefined) clearImmediate(immediate);
      };
    },
  };
}

/**
 * A clock that only moves when a test tells it to. Wake-ups run in time order (ties in the order
 * they were set), and the clock reads exactly their target time while they run.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: { at: number; seq: number; cb: () => void; cancelled: boolean }[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  at(atMs: number, cb: () => void): Cancel {
    const timer = { at: Math.max(atMs, this.t), seq: this.seq++, cb, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of wake-ups still waiting. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running every wake-up that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) {
        if (t.at <= targetMs && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      next.cancelled = true;
      this.t = Math.max(this.t, next.at);
      next.cb();
    }
    this.t = Math.max(this.t, targetMs);
  }
}
