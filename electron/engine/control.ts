/** Pause, resume and cancel for a long run; checked between batches and between sampled tokens. */
export class RunControl {
  private paused = false;
  private cancelled = false;
  private wake: (() => void) | null = null;
  /**
   * Told when the run really stops between batches for a pause, and when it goes on: a pause is
   * asked for at once but takes effect at the next batch, and the studio shows which it is.
   */
  onPausedChange: ((paused: boolean) => void) | null = null;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
    this.wake = null;
  }

  cancel(): void {
    this.cancelled = true;
    this.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Also lets queued messages (pause, cancel) arrive: each call yields to the event loop once. */
  async checkpoint(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    if (!this.paused || this.cancelled) return;
    this.onPausedChange?.(true);
    while (this.paused && !this.cancelled) await new Promise<void>((r) => (this.wake = r));
    this.onPausedChange?.(false);
  }

  /** Ties cancel() to an AbortSignal (Ctrl+C in the CLI). */
  static fromSignal(signal?: AbortSignal): RunControl {
    const c = new RunControl();
    if (signal) {
      if (signal.aborted) c.cancel();
      else signal.addEventListener('abort', () => c.cancel(), { once: true });
    }
    return c;
  }
}
