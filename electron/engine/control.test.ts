import { describe, expect, it } from 'vitest';
import { RunControl } from './control';

describe('RunControl', () => {
  it('says when a run really stops for a pause and when it goes on (once each), and not for a pause undone in time', async () => {
    const control = new RunControl();
    const told: boolean[] = [];
    control.onPausedChange = (paused) => told.push(paused);
    await control.checkpoint();
    control.pause();
    control.resume(); // undone before the run reached a checkpoint
    await control.checkpoint();
    expect(told).toEqual([]);
    control.pause();
    const waiting = control.checkpoint();
    await new Promise((r) => setImmediate(r));
    expect(told).toEqual([true]);
    control.resume();
    await waiting;
    expect(told).toEqual([true, false]);
  });

  it('a cancel while paused wakes the run, which then sees it is cancelled', async () => {
    const control = new RunControl();
    control.pause();
    const waiting = control.checkpoint();
    await new Promise((r) => setImmediate(r));
    control.cancel();
    await waiting;
    expect(control.isCancelled).toBe(true);
  });
});
