/**
 * abcjs render time of a 200-bar tune in Chromium (target <= 100 ms), as the score panel renders
 * it (renderer/src/lib/score: chunks, the one in view first, one per task, unchanged chunks kept):
 * until the first chunk is on screen, the longest single step, until all are, and after a one-bar
 * edit; and abcjs on the whole tune in one call for reference.
 *   npx tsx bench/score.ts [--json]
 */
import { here, openBenchPage, stats } from './browser/chromium';

const json = process.argv.includes('--json');

/** A 200-bar jig in D with the variety of a real tune: runs, leaps, rolls of dotted notes, accidentals, repeats. */
function tune(bars: number): string {
  const figures = ['DEF GAB', 'AFD D2E', 'FAd fed', 'cBA ^GAB', 'd2e f2g', 'a3 f3', 'gfe dcB', 'A>BA G>FE', '=c2B A2G', 'FED E3'];
  const lines: string[] = [];
  for (let b = 0; b < bars; b += 4) {
    const line = [0, 1, 2, 3].map((k) => figures[(b * 7 + k * 3) % figures.length]).join('|');
    lines.push(b % 16 === 0 ? `|:${line}:|` : `${line}|`);
  }
  return ['X:1', 'T:Two hundred bars', 'M:6/8', 'L:1/8', 'Q:3/8=110', 'K:D', ...lines].join('\n') + '\n';
}

const { page, close } = await openBenchPage(here('score-page.ts'));
try {
  const abc = tune(200);
  // One bar of bar 100 rewritten, as a musician's edit in the ABC panel.
  const lines = abc.split('\n');
  const at = lines.findIndex((l, i) => i > 6 + 25 && l.includes('|'));
  lines[at] = lines[at].replace(/^(\|:)?[^|]+/, (m, rep) => `${rep ?? ''}a3 f3`);
  const edited = lines.join('\n');
  type Result = { whole: number[]; first: number[]; longest: number[]; all: number[]; edit: number[]; editChunks: number[]; chunks: number };
  const r = await page.evaluate(([text, changed]) => (window as unknown as { benchScore: (a: string, e: string, n: number) => Promise<Result> }).benchScore(text, changed, 30), [abc, edited]);
  const rows = [
    { figure: 'abcjs render of the 200-bar tune in one call, for reference (ms)', ...stats(r.whole) },
    { figure: `score panel: first chunk (the one in view) on screen, of ${r.chunks} (ms)`, ...stats(r.first) },
    { figure: 'score panel: longest single render step (input waits at most this) (ms)', ...stats(r.longest) },
    { figure: `score panel: all ${r.chunks} chunks on screen, one per task (ms)`, ...stats(r.all) },
    { figure: `score panel: re-render after a one-bar edit at bar 100 (${Math.max(...r.editChunks)} chunk redrawn) (ms)`, ...stats(r.edit) },
  ];
  for (const row of rows) {
    if (json) console.log(JSON.stringify({ ...row, bars: 200, chars: abc.length, target: 100 }));
    else console.log(`${row.figure}: median ${row.median.toFixed(1)}  p95 ${row.p95.toFixed(1)}  max ${row.max.toFixed(1)}  (${row.n} renders, ${abc.length} chars, target <= 100)`);
  }
} finally {
  await close();
}
