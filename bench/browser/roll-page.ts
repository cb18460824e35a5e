/**
 * Runs in the bench page: the renderer's own roll modules (draw, viewport, index) on a
 * 1280x800-class canvas with 10,000 notes; pans and zooms frame by frame and times each frame.
 * getImageData(0,0,1,1) after each draw forces Chromium to rasterize, so the time includes the
 * canvas work, not only the JavaScript that queued it.
 */
import { drawRoll, type RollColors } from '../../renderer/src/lib/roll/draw';
import { makeLayout, noteArea } from '../../renderer/src/lib/roll/layout';
import { NoteIndex, sortNotes, type RollNote } from '../../renderer/src/lib/roll/notes';
import { defaultViewport, pan, resize, zoomTime, type Viewport } from '../../renderer/src/lib/roll/viewport';

const colors: RollColors = {
  background: '#15171c', blackKeyRow: '#1b1e25', line: '#22262e', barLine: '#3a404d', text: '#e6e8ee', muted: '#9aa3b2',
  seed: '#f2b84b', take: '#6cb6ff', live: '#9be49b', selected: '#ffffff', playhead: '#ff6b6b', keyWhite: '#cfd3da', keyBlack: '#2a2e37', panel: '#1e2128',
};

function tune(count: number): RollNote[] {
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const notes: RollNote[] = [];
  let t = 0;
  let pitch = 67;
  for (let i = 0; i < count; i++) {
    const d = [0.25, 0.5, 0.5, 0.5, 1, 1.5][Math.floor(rand() * 6)];
    pitch = Math.max(48, Math.min(88, pitch + Math.round((rand() - 0.5) * 7)));
    notes.push({ pitch, start: t, end: t + d, velocity: 40 + Math.floor(rand() * 87), voice: 0, id: i + 1, seed: i < 64 });
    if (rand() < 0.25) notes.push({ pitch: pitch - 7, start: t, end: t + d, velocity: 70, voice: 1, id: count + i + 1, seed: false }), i++;
    t += d;
  }
  return sortNotes(notes.slice(0, count));
}

/** 10,000 notes packed into the widest zoom's screen: eight voices of sixteenths and eighths, ~350 quarters. */
function denseTune(count: number, quarters: number): RollNote[] {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const notes: RollNote[] = [];
  const voices = 8;
  const perVoice = Math.ceil(count / voices);
  for (let v = 0; v < voices; v++) {
    let pitch = 40 + v * 6;
    const d = quarters / perVoice;
    for (let i = 0; i < perVoice && notes.length < count; i++) {
      pitch = Math.max(30, Math.min(100, pitch + Math.round((rand() - 0.5) * 5)));
      notes.push({ pitch, start: i * d, end: (i + 1) * d, velocity: 40 + Math.floor(rand() * 87), voice: v, id: 100_000 + notes.length, seed: false });
    }
  }
  return sortNotes(notes);
}

function run(width: number, height: number, count: number) {
  const canvas = document.createElement('canvas');
  document.body.append(canvas);
  const dpr = 1;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  const layout = makeLayout(width, height);
  const area = noteArea(layout);
  const index = new NoteIndex(tune(count));
  const selection = new Set<number>(index.notes.slice(100, 400).map((n) => n.id));
  let vp: Viewport = resize({ ...defaultViewport(area.width, area.height), pitchTop: 92 }, area.width, area.height);
  let drawn = 0;
  const frame = (viewport: Viewport): number => {
    const t0 = performance.now();
    drawn = drawRoll(ctx, { layout, viewport, index, selection, barQuarters: 3, beatQuarters: 1.5, playhead: viewport.time + 4, live: [] }, colors);
    ctx.getImageData(0, 0, 1, 1);
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) frame(vp); // warm-up (JIT, font cache)
  const panTimes: number[] = [];
  for (let i = 0; i < 400; i++) {
    vp = pan(vp, 9, i % 40 < 20 ? 1.5 : -1.5);
    panTimes.push(frame(vp));
  }
  const zoomTimes: number[] = [];
  const extent = index.extent()!;
  for (let i = 0; i < 400; i++) {
    // Out to the whole tune (every note visible), then back in.
    vp = zoomTime(vp, i < 200 ? 0.985 : 1 / 0.985, area.width / 2);
    zoomTimes.push(frame(vp));
  }
  const all = { ...vp, time: 0, pxPerQuarter: Math.max(2, area.width / extent.end) };
  const allTimes: number[] = [];
  let drawnAll = 0;
  for (let i = 0; i < 100; i++) {
    allTimes.push(frame({ ...all, time: (i % 2) * 0.5 }));
    drawnAll = Math.max(drawnAll, drawn);
  }
  // Every one of 10,000 notes on screen (a dense tune that fits the widest zoom), panned a pixel at a time.
  const denseIndex = new NoteIndex(denseTune(count, (area.width / 2) * 0.95));
  const dense = { ...all, time: 0, pxPerQuarter: 2, rowHeight: 4, pitchTop: 104 };
  const denseTimes: number[] = [];
  let drawnDense = 0;
  const frameDense = (viewport: Viewport): number => {
    const t0 = performance.now();
    drawnDense = Math.max(drawnDense, drawRoll(ctx, { layout, viewport, index: denseIndex, selection, barQuarters: 3, beatQuarters: 1.5, playhead: 4, live: [] }, colors));
    ctx.getImageData(0, 0, 1, 1);
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) frameDense(dense);
  for (let i = 0; i < 100; i++) denseTimes.push(frameDense({ ...dense, time: (i % 2) * 0.5 }));
  return { panTimes, zoomTimes, allTimes, denseTimes, drawnDense, notes: index.notes.length, quarters: extent.end, drawnAll, pxPerQuarterAll: all.pxPerQuarter };
}

(window as unknown as { benchRoll: typeof run }).benchRoll = run;
