/**
 * Piano roll frame time with 10,000 notes in Chromium: median and p95 while panning, while
 * zooming out and back, and at the widest zoom the roll allows (2 px per quarter: the bench tune's
 * 5,600 quarters do not fit on one screen, so that frame shows the ~600 notes of its first minutes),
 * and a dense tune whose 10,000 notes all fit on that screen (target <= 8 ms).
 *   npx tsx bench/roll.ts [--json] [--size 1920x1080]
 */
import { here, openBenchPage, stats } from './browser/chromium';

const json = process.argv.includes('--json');
const sizeArg = process.argv[process.argv.indexOf('--size') + 1];
const [width, height] = (process.argv.includes('--size') ? sizeArg : '1280x800').split('x').map(Number);
// The roll gets the centre column's top three fifths of the window, as in the studio.
const canvas = { width: width - 280 - 250, height: Math.round((height - 80) * 0.6) };

const { page, close } = await openBenchPage(here('roll-page.ts'), { width, height });
try {
  const r = await page.evaluate(([w, h]) => (window as unknown as { benchRoll: (w: number, h: number, n: number) => { panTimes: number[]; zoomTimes: number[]; allTimes: number[]; denseTimes: number[]; drawnDense: number; notes: number; quarters: number; drawnAll: number; pxPerQuarterAll: number } }).benchRoll(w, h, 10_000), [canvas.width, canvas.height]);
  const rows = [
    { figure: 'roll pan frame (ms)', ...stats(r.panTimes) },
    { figure: 'roll zoom frame (ms)', ...stats(r.zoomTimes) },
    { figure: `roll zoomed-out frame (ms; ${r.drawnAll} notes on screen at ${r.pxPerQuarterAll} px/quarter, the widest zoom)`, ...stats(r.allTimes) },
    { figure: `roll dense frame (ms; ${r.drawnDense} notes on screen, a tune that fits the widest zoom)`, ...stats(r.denseTimes) },
  ];
  for (const row of rows) {
    const line = { ...row, notes: r.notes, canvas: `${canvas.width}x${canvas.height}`, target: 8 };
    if (json) console.log(JSON.stringify(line));
    else console.log(`${row.figure}: median ${row.median.toFixed(2)}  p95 ${row.p95.toFixed(2)}  max ${row.max.toFixed(2)}  (${row.n} frames, ${r.notes} notes over ${r.quarters.toFixed(0)} quarters, canvas ${canvas.width}x${canvas.height}, target <= 8)`);
  }
} finally {
  await close();
}
