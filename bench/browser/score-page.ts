/**
 * Runs in the bench page: a tune rendered as the score panel renders it (renderer/src/lib/score:
 * the sheet of chunks, abcjs per chunk, the chunk in view first, one chunk per task), in a
 * 750x420 scroll box like the panel's, plus abcjs on the whole tune in one call for reference.
 * Each render is followed by a layout read, so the browser's layout of the SVG is counted too.
 */
import abcjs from 'abcjs';
import { ScoreSheet, type SheetStats } from '../../renderer/src/lib/score/sheet';
import { renderAbcChunk, SHEET_OPTIONS } from '../../renderer/src/lib/score/render';

interface Result {
  whole: number[];
  first: number[];
  longest: number[];
  all: number[];
  edit: number[];
  editChunks: number[];
  chunks: number;
}

async function run(abc: string, edited: string, runs: number): Promise<Result> {
  const box = document.createElement('div');
  box.style.cssText = 'width:750px;height:420px;overflow:auto';
  document.body.append(box);
  const r: Result = { whole: [], first: [], longest: [], all: [], edit: [], editChunks: [], chunks: 0 };
  for (let i = 0; i < runs + 2; i++) {
    const keep = i >= 2;
    const div = document.createElement('div');
    box.append(div);
    const t0 = performance.now();
    abcjs.renderAbc(div, abc, { ...SHEET_OPTIONS, paddingtop: 8 });
    div.getBoundingClientRect();
    if (keep) r.whole.push(performance.now() - t0);
    div.remove();

    const sheetDiv = document.createElement('div');
    box.append(sheetDiv);
    let resolve: (s: SheetStats) => void = () => {};
    const sheet = new ScoreSheet(
      sheetDiv,
      (el, text, first) => {
        const out = renderAbcChunk(el, text, first);
        el.getBoundingClientRect();
        return out;
      },
      () => box.getBoundingClientRect(),
      (s) => resolve(s),
    );
    let done = new Promise<SheetStats>((res) => (resolve = res));
    const t1 = performance.now();
    sheet.update(abc);
    const s = await done;
    if (keep) {
      r.first.push(s.firstMs);
      r.longest.push(s.longestMs);
      r.all.push(performance.now() - t1);
      r.chunks = s.chunks;
    }
    // One bar changed in the middle of the tune: only its chunk is drawn again.
    done = new Promise<SheetStats>((res) => (resolve = res));
    const t2 = performance.now();
    sheet.update(edited);
    const e = await done;
    if (keep) {
      r.edit.push(performance.now() - t2);
      r.editChunks.push(e.renderedChunks);
    }
    sheet.destroy();
    sheetDiv.remove();
  }
  return r;
}

(window as unknown as { benchScore: typeof run }).benchScore = run;
