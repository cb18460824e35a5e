/**
 * Runs in the bench page: abcjs renders a tune into a div as ScoreArea does — whole, and in the
 * score panel's chunks (first chunk at once: what the musician waits for) — and each is timed.
 */
import abcjs from 'abcjs';
import { splitAbc } from '../../renderer/src/lib/score/chunks';

const options = { add_classes: true, responsive: 'resize' as const, paddingtop: 8, paddingbottom: 8, paddingleft: 12, paddingright: 12 };

function run(abc: string, runs: number): { whole: number[]; first: number[]; chunked: number[]; chunks: number } {
  const div = document.createElement('div');
  div.style.width = '750px';
  document.body.append(div);
  const whole: number[] = [];
  const first: number[] = [];
  const chunked: number[] = [];
  const chunks = splitAbc(abc, 8);
  for (let i = 0; i < runs + 2; i++) {
    let t0 = performance.now();
    abcjs.renderAbc(div, abc, options);
    div.getBoundingClientRect(); // layout of the new SVG
    if (i >= 2) whole.push(performance.now() - t0);
    div.replaceChildren();
    t0 = performance.now();
    for (let c = 0; c < chunks.length; c++) {
      const part = document.createElement('div');
      div.append(part);
      abcjs.renderAbc(part, chunks[c].text, options);
      if (c === 0) {
        div.getBoundingClientRect();
        if (i >= 2) first.push(performance.now() - t0);
      }
    }
    div.getBoundingClientRect();
    if (i >= 2) chunked.push(performance.now() - t0);
    div.replaceChildren();
  }
  return { whole, first, chunked, chunks: chunks.length };
}

(window as unknown as { benchScore: typeof run }).benchScore = run;
