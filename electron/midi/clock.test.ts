import { describe, expect, it } from 'vitest';
import { FakeClock, realClock } from './clock';

describe('realClock', () => {
  it('never fires early, fires each wake-up once, and honours cancel', async () => {
    const clock = realClock();
    const late: number[] = [];
    let cancelledRan = false;
    const start = clock.now();
    await new Promise<void>((resolve) => {
      let left = 20;
      for (let i = 0; i < 20; i++) {
        const target = start + 5 + i * 7;
        clock.at(target, () => {
          late.push(clock.now() - target);
          if (--left === 0) resolve();
        });
      }
      const cancel = clock.at(start + 50, () => (cancelledRan = true));
      cancel();
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(late).toHaveLength(20);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
    expect(cancelledRan).toBe(false);
  });
});

describe('FakeClock', () => {
  it('runs wake-ups in time order, ties in the order they were set, reading their exact time', () => {
    const clock = new FakeClock(100);
    const seen: string[] = [];
    clock.at(130, () => seen.push(`b@${clock.now()}`));
    clock.at(110, () => {
      seen.push(`a@${clock.now()}`);
      clock.at(130, () => seen.push(`c@${clock.now()}`));
    });
    clock.at(50, () => seen.push(`past@${clock.now()}`));
    clock.advance(50);
    expect(seen).toEqual(['past@100', 'a@110', 'b@130', 'c@130']);
    expect(clock.now()).toBe(150);
    expect(clock.pending).toBe(0);
  });
});
