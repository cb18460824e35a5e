/**
 * abcjs render time of a 200-bar tune in Chromium (target <= 100 ms), as the score panel renders
 * it (add_classes for the playback cursor, responsive width): whole, and in the panel's chunks
 * (time until the first chunk is on screen, and until all are).
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
  type Result = { whole: number[]; first: number[]; chunked: number[]; chunks: number };
  const r = await page.evaluate(([text]) => (window as unknown as { benchScore: (a: string, n: number) => Result }).benchScore(text, 15), [abc]);
  const rows = [
    { figure: 'abcjs render of a 200-bar tune, whole (ms)', ...stats(r.whole) },
    { figure: `score panel: first of ${r.chunks} chunks on screen (ms)`, ...stats(r.first) },
    { figure: `score panel: all ${r.chunks} chunks (ms)`, ...stats(r.chunked) },
  ];
  for (const row of rows) {
    if (json) console.log(JSON.stringify({ ...row, bars: 200, chars: abc.length, target: 100 }));
    else console.log(`${row.figure}: median ${row.median.toFixed(1)}  p95 ${row.p95.toFixed(1)}  max ${row.max.toFixed(1)}  (${row.n} renders, ${abc.length} chars, target <= 100)`);
  }
} finally {
  await close();
}
