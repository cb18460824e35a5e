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
   * with setTimeout and then waits precisely for the last few milliseconds, because setTimeout
   * alone wakes 1-2 ms late (too much jitter for music).
   */
  at(atMs: number, cb: () => void): Cancel;
  /** Runs `cb` at about `atMs` (no precise wait: housekeeping such as the scheduler's look-ahead tick). */
  around?(atMs: number, cb: () => void): Cancel;
}

export interface RealClockOptions {
  /** How long before the target to stop sleeping on setTimeout and wait precisely. */
  approachMs?: number;
  /**
   * The last stretch is spun, not slept: a thread woken from a futex still has to get a core, and
   * on a busy machine that takes up to a millisecond or two; a spinning thread is already on one.
   * Default 0.15 ms (the main thread should not burn CPU); the playback thread spins longer.
   */
  spinMs?: number;
}

/**
 * The last stretch is waited out with Atomics.wait (a futex sleep with sub-millisecond wake-up)
 * and then a very short spin. Measured here under heavy CPU contention (load average 6 on 2
 * cores): setTimeout + setImmediate polling was 30-60 ms late at p99, because each poll allocates
 * and the resulting garbage collections stall when the GC helper threads are starved; a pure
 * busy-wait had the same problem (performance.now allocates too); futex sleep: 0 collections,
 * p99 under 3 ms. A sleeping thread is also woken ahead of busy ones by the kernel.
 * The approach is 4 ms because setTimeout itself wakes up to ~3 ms late at p99 here (quiet
 * machine, no load: approach 2 ms gave p99 4.5 ms, 4 ms gave p99 0.36 ms). The price: the thread
 * is blocked up to 4 ms before each send, so run this where no UI waits on the same loop.
 */
export function realClock(options: RealClockOptions = {}): Clock {
  const approachMs = options.approachMs ?? 4;
  const spinMs = Math.max(0, Math.min(options.spinMs ?? 0.15, approachMs));
  const now = () => performance.now();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let canBlock = true;
  const waitUntil = (atMs: number) => {
    const sleepMs = atMs - now() - spinMs;
    if (canBlock && sleepMs > 0) {
      try {
        Atomics.wait(cell, 0, 0, sleepMs);
      } catch {
        canBlock = false; // a thread that may not block (a browser main thread): spin instead
      }
    }
    const limit = now() + spinMs + approachMs + 1;
    let t = now();
    while (t < atMs && t < limit) t = now();
    return t >= atMs;
  };
  return {
    now,
    around(atMs, cb) {
      const t = setTimeout(cb, Math.max(0, atMs - now()));
      return () => clearTimeout(t);
    },
    at(atMs, cb) {
      let cancelled = false;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        timeout = undefined;
        if (cancelled) return;
        if (waitUntil(atMs)) cb();
        else timeout = setTimeout(finish, 0);
      };
      const sleepMs = atMs - now() - approachMs;
      timeout = setTimeout(finish, Math.max(0, sleepMs));
      return () => {
        cancelled = true;
        if (timeout !== undefined) clearTimeout(timeout);
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
