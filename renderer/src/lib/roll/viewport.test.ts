import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clampViewport, fitTo, follow, gridStep, pan, pitchToY, snap, snapFloor, timeToX, visiblePitches, visibleTime, xToTime, yToPitch, zoomPitch, zoomTime, type Viewport } from './viewport';

const vp: Viewport = { time: 4, pxPerQuarter: 50, pitchTop: 72, rowHeight: 10, width: 500, height: 240 };

describe('roll viewport', () => {
  it('maps time and pitch to pixels and back', () => {
    expect(timeToX(vp, 4)).toBe(0);
    expect(timeToX(vp, 6)).toBe(100);
    expect(xToTime(vp, 125)).toBe(6.5);
    expect(pitchToY(vp, 72)).toBe(0);
    expect(pitchToY(vp, 70)).toBe(20);
    // row 72 is y in [0, 10), row 71 is [10, 20)
    expect(yToPitch(vp, 0)).toBe(72);
    expect(yToPitch(vp, 9.99)).toBe(72);
    expect(yToPitch(vp, 10)).toBe(71);
  });

  it('round-trips any point through pixels', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), fc.integer({ min: 0, max: 127 }), (t, p) => {
        expect(xToTime(vp, timeToX(vp, t))).toBeCloseTo(t, 9);
        expect(yToPitch(vp, pitchToY(vp, p) + vp.rowHeight / 2)).toBe(p);
      }),
    );
  });

  it('reports the visible window', () => {
    expect(visibleTime(vp)).toEqual({ from: 4, to: 14 });
    expect(visiblePitches(vp)).toEqual({ low: 49, high: 72 });
  });

  it('zooms around the pointer: the time under it stays put', () => {
    const z = zoomTime(vp, 2, 200);
    expect(z.pxPerQuarter).toBe(100);
    expect(xToTime(z, 200)).toBeCloseTo(xToTime(vp, 200), 9);
    const p = zoomPitch(vp, 1.5, 120);
    expect(p.rowHeight).toBe(15);
    expect(p.pitchTop - 120 / p.rowHeight).toBeCloseTo(vp.pitchTop - 120 / vp.rowHeight, 9);
  });

  it('clamps zoom, time and pitch', () => {
    expect(zoomTime(vp, 1e6, 0).pxPerQuarter).toBe(800);
    expect(zoomTime(vp, 1e-6, 0).pxPerQuarter).toBe(2);
    expect(pan(vp, -10_000, 0).time).toBe(0);
    expect(pan(vp, 0, -1e6).pitchTop).toBe(127);
    // cannot scroll below pitch 0: the bottom row is pitch 0 at most
    const low = pan(vp, 0, 1e6);
    expect(yToPitch(low, low.height - 1)).toBe(0);
    expect(clampViewport({ ...vp, time: -3 }).time).toBe(0);
  });

  it('fits a range and follows a playhead', () => {
    const f = fitTo(vp, { start: 0, end: 32, low: 60, high: 76 });
    expect(visibleTime(f).to).toBeGreaterThanOrEqual(32);
    const { low, high } = visiblePitches(f);
    expect(low).toBeLessThanOrEqual(60);
    expect(high).toBeGreaterThanOrEqual(76);
    expect(follow(vp, 5)).toBe(vp);
    const moved = follow(vp, 20);
    expect(visibleTime(moved).from).toBeLessThan(20);
    expect(visibleTime(moved).to).toBeGreaterThan(20);
  });

  it('snaps to the grid', () => {
    expect(snap(1.13, 4)).toBe(1.25);
    expect(snap(1.13, 0)).toBe(1.13);
    expect(snapFloor(1.24, 4)).toBe(1);
    expect(snapFloor(1.25, 4)).toBe(1.25);
    expect(gridStep({ ...vp, pxPerQuarter: 4 }, 1, 4)).toBe(4);
    expect(gridStep({ ...vp, pxPerQuarter: 400 }, 1, 4)).toBe(1 / 16);
  });
});
