/** Runs in the bench page: abcjs renders a tune into a div (as ScoreArea does) and is timed. */
import abcjs from 'abcjs';

function run(abc: string, runs: number): number[] {
  const div = document.createElement('div');
  div.style.width = '750px';
  document.body.append(div);
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    abcjs.renderAbc(div, abc, { add_classes: true, responsive: 'resize', paddingtop: 8, paddingbottom: 8, paddingleft: 12, paddingright: 12 });
    div.getBoundingClientRect(); // layout of the new SVG
    if (i >= 2) times.push(performance.now() - t0);
    div.replaceChildren();
  }
  return times;
}

(window as unknown as { benchScore: typeof run }).benchScore = run;
