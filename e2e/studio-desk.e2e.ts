/**
 * The desk: ABC text -> score and piano roll, editing in the roll (select, move, add, delete,
 * velocity, quantize, transpose, undo/redo, shortcuts), ABC edits back into the roll with errors at
 * their line, the built-in synth under the page's CSP, and exports checked with the music core.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { parseAbc, readMidi } from '@shared/music/index';
import path from 'node:path';
import { TINY_CORPUS, artifactPath, chromiumMissingReason, grabDownload, openStudio, trainTinyModel, type ServeProcess } from './fixtures';

const missing = chromiumMissingReason();
if (missing) console.log(`e2e (studio desk) skipped: ${missing}`);

/** The project the studio autosaved (null while there is none, or while it is being written). */
function autosaved(dir: string): { desk: { notes: unknown[] }; sampling: { count: number; length: number } } | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'projects', 'autosave.json'), 'utf8')).project;
  } catch {
    return null;
  }
}

const TUNE = ['X:1', 'T:Desk test', 'M:6/8', 'L:1/8', 'Q:3/8=100', 'K:D', 'DEF GAB|c2d e2f|gfe dcB|A3 A3|'].join('\n');

interface RollGeometry {
  left: number;
  top: number;
  time: number;
  ppq: number;
  pitchTop: number;
  rowHeight: number;
  keys: number;
  ruler: number;
  lane: number;
  height: number;
}

async function geometry(page: Page): Promise<RollGeometry> {
  return page.getByTestId('roll').evaluate((el) => {
    const r = el.getBoundingClientRect();
    const d = (el as HTMLElement).dataset;
    return { left: r.left, top: r.top, height: r.height, time: +d.time!, ppq: +d.ppq!, pitchTop: +d.pitchTop!, rowHeight: +d.rowHeight!, keys: +d.keys!, ruler: +d.ruler!, lane: +d.lane! };
  });
}

/** Page coordinates of (time in quarters, pitch) in the roll, at the middle of the row. */
function at(g: RollGeometry, time: number, pitch: number): { x: number; y: number } {
  return { x: g.left + g.keys + (time - g.time) * g.ppq, y: g.top + g.ruler + (g.pitchTop - pitch) * g.rowHeight + g.rowHeight / 2 };
}

const rollData = (page: Page, key: string) => page.getByTestId('roll').evaluate((el, k) => (el as HTMLElement).dataset[k], key);

describe.skipIf(missing !== null)('studio desk in Chromium through `seedsong serve`', () => {
  let serve: ServeProcess;
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    ({ serve, page, consoleErrors, close } = await openStudio());
  });

  afterAll(() => close());

  it('shows empty states that say what to do', async () => {
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Engine: .* MIDI: /);
    expect(await page.getByRole('region', { name: 'Piano roll' }).textContent()).toMatch(/No notes yet/);
    expect(await page.getByRole('region', { name: 'Score' }).textContent()).toMatch(/score of the tune/);
    await page.screenshot({ path: artifactPath('studio-empty-1280.png') });
  });

  it('typed ABC fills the score and the roll', async () => {
    await page.getByLabel('ABC text').fill(TUNE);
    await expect.poll(() => rollData(page, 'notes'), { timeout: 30_000 }).toBe('18');
    await expect.poll(() => page.locator('.sheet svg path').count()).toBeGreaterThan(18); // staff lines, clef, key, notes
    expect(await page.getByRole('button', { name: 'Undo' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.screenshot({ path: artifactPath('studio-abc-1280.png') });
  });

  it('a long tune: an edit redraws only the part of the score it touched', async () => {
    const line = 'DEF GAB|AFD D2E|FAd fed|cBA ^GAB|';
    const long = ['X:1', 'T:Long', 'M:6/8', 'L:1/8', 'K:D', ...Array.from({ length: 40 }, () => line)].join('\n');
    const sheetData = (key: string) => page.locator('.sheet').evaluate((el, k) => (el as HTMLElement).dataset[k], key);
    await page.getByLabel('ABC text').fill(long);
    await expect.poll(() => sheetData('renderedChunks'), { timeout: 10_000 }).toBe('10');
    await expect.poll(() => page.locator('.sheet svg').count()).toBe(10);
    await page.getByLabel('ABC text').fill(long.replace(/cBA \^GAB\|$/, 'cBA a3|'));
    await expect.poll(() => sheetData('renderedChunks'), { timeout: 10_000 }).toBe('1');
    expect(await page.locator('.sheet svg').count()).toBe(10);
    await expect.poll(() => rollData(page, 'notes'), { timeout: 30_000 }).toBe(String(40 * 23 - 2));
    await page.waitForTimeout(300);
    expect(await sheetData('renderedChunks')).toBe('1'); // the roll's update did not redraw the score
    await page.screenshot({ path: artifactPath('studio-long-tune.png') });
    await page.getByLabel('ABC text').fill(TUNE);
    await expect.poll(() => rollData(page, 'notes'), { timeout: 30_000 }).toBe('18');
  });

  it('an ABC edit that does not read shows its line and keeps the notes', async () => {
    await page.getByLabel('ABC text').fill(TUNE.replace('c2d e2f|', 'c2d e2f| ¤ |'));
    await expect.poll(() => page.getByRole('list', { name: 'ABC problems' }).textContent(), { timeout: 30_000 }).toMatch(/Line 7/);
    expect(await rollData(page, 'notes')).toBe('18');
    expect(await page.getByLabel('ABC text').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: artifactPath('studio-abc-error.png') });
    await page.getByLabel('ABC text').fill(TUNE);
    await expect.poll(() => page.getByLabel('ABC text').getAttribute('aria-invalid'), { timeout: 30_000 }).toBe('false');
  });

  it('selects, moves, transposes, deletes and adds notes in the roll, with undo and redo', async () => {
    let g = await geometry(page);
    // The first note: D4 (62) at 0, an eighth long (0.5 quarters).
    let p = at(g, 0.2, 62);
    await page.mouse.click(p.x, p.y);
    expect(await rollData(page, 'selected')).toBe('1');

    // Drag it one quarter later and up two semitones.
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + g.ppq * 0.5, p.y - g.rowHeight, { steps: 4 });
    await page.mouse.move(p.x + g.ppq * 1, p.y - g.rowHeight * 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => page.getByLabel('ABC text').inputValue()).not.toBe(TUNE);
    const moved = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes;
    expect(moved.some((n) => n.pitch === 64 && Math.abs(n.start - 1) < 1e-6)).toBe(true);

    // Arrow up transposes, Delete removes, Ctrl+Z brings each back.
    await page.getByTestId('roll').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Delete');
    expect(await rollData(page, 'notes')).toBe('17');
    await page.keyboard.press('Control+z');
    expect(await rollData(page, 'notes')).toBe('18');
    await page.keyboard.press('Control+z'); // the transpose
    await page.keyboard.press('Control+z'); // the move
    const back = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes;
    expect(back[0]).toMatchObject({ pitch: 62, start: 0 });
    await page.keyboard.press('Control+Shift+z');
    const redone = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes;
    expect(redone.some((n) => n.pitch === 64 && Math.abs(n.start - 1) < 1e-6)).toBe(true);

    // Double-click on empty space adds a note on the grid.
    g = await geometry(page);
    p = at(g, 0.1, 70);
    await page.mouse.dblclick(p.x, p.y);
    expect(await rollData(page, 'notes')).toBe('19');
    await page.keyboard.press('Control+z');
    expect(await rollData(page, 'notes')).toBe('18');
  });

  it('shapes velocities in the lane, quantizes and transposes the selection', async () => {
    const g = await geometry(page);
    const laneY = g.top + g.height - g.lane / 4; // a low velocity
    await page.mouse.click(g.left + 5, g.top + 5); // focus; nothing selected
    await page.keyboard.press('Escape');
    const x0 = at(g, 0, 60).x + 1;
    await page.mouse.move(x0, laneY);
    await page.mouse.down();
    await page.mouse.move(at(g, 2.9, 60).x, laneY, { steps: 6 });
    await page.mouse.up();
    expect(await page.getByRole('button', { name: 'Undo' }).getAttribute('title')).toMatch(/Velocity of \d+ notes/);

    await page.keyboard.press('Control+a');
    expect(await rollData(page, 'selected')).toBe('18');
    await page.getByRole('button', { name: 'Transpose up an octave' }).click();
    const up = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes;
    expect(Math.min(...up.map((n) => n.pitch))).toBeGreaterThanOrEqual(74);
    await page.getByRole('button', { name: 'Quantize' }).click();
    expect(await page.getByRole('button', { name: 'Undo' }).getAttribute('title')).toMatch(/Quantize 18 notes/);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.screenshot({ path: artifactPath('studio-edit-1280.png') });
  });

  it('zooms and scrolls the roll with the wheel', async () => {
    const g = await geometry(page);
    const p = at(g, 2, 70);
    await page.mouse.move(p.x, p.y);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await expect.poll(async () => +(await rollData(page, 'ppq'))!).toBeGreaterThan(g.ppq);
    await page.mouse.wheel(0, 120);
    await expect.poll(async () => +(await rollData(page, 'pitchTop'))!).toBeLessThan(g.pitchTop);
    await page.getByRole('button', { name: 'Fit' }).click();
  });

  it('plays through the built-in synth (AudioWorklet + SoundFont under the CSP)', async () => {
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).getAttribute('aria-pressed'), { timeout: 30_000 }).toBe('true');
    await expect.poll(async () => page.locator('.sheet .sounding').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: artifactPath('studio-playing.png') });
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByRole('status').textContent()).not.toMatch(/synth could not start/);
  });

  it('exports .mid, .abc and .wav as downloads that the music core reads back', { timeout: 120_000 }, async () => {
    const grab = (name: string) => grabDownload(page, name);
    const abc = await grab('Export .abc');
    expect(abc.name).toMatch(/\.abc$/);
    expect(parseAbc(abc.bytes.toString('utf8')).tunes[0].sequence.notes).toHaveLength(18);
    const mid = await grab('Export .mid');
    const seq = readMidi(new Uint8Array(mid.bytes)).sequence;
    expect(seq.notes).toHaveLength(18);
    expect(seq.timeSignatures[0]).toMatchObject({ numerator: 6, denominator: 8 });
    const wav = await grab('Export .wav');
    expect(wav.bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.bytes.length).toBeGreaterThan(44_100 * 4); // more than a second of 16-bit stereo
  });

  it('drops a non-music file with a readable message and keeps the tune', async () => {
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([0, 1, 2, 3, 255])], 'photo.jpg', { type: 'image/jpeg' }));
      document.querySelector('.studio')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/photo\.jpg is not a music file/);
    expect(await rollData(page, 'notes')).toBe('18');
  });

  it('reads well in the light theme and at 1920x1080', async () => {
    await page.getByRole('button', { name: /Switch to light theme/ }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: artifactPath('studio-light-1280.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: artifactPath('studio-light-1920.png') });
    await page.getByRole('button', { name: /Switch to dark theme/ }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: artifactPath('studio-dark-1920.png') });
    // Nothing in the layout overflows the window.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth || document.documentElement.scrollHeight > innerHeight);
    expect(overflow).toBe(false);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('trains on dropped files with live curves, then lists the model', { timeout: 120_000 }, async () => {
    await page.getByRole('tab', { name: 'Train' }).click();
    expect(await page.getByRole('main', { name: 'Training charts' }).textContent()).toMatch(/Train a model on your own tunes/);
    await page.getByLabel('Corpus files').setInputFiles([
      { name: 'tiny.abc', mimeType: 'text/plain', buffer: Buffer.from(TINY_CORPUS) },
      { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff]) },
    ]);
    await expect.poll(() => page.getByLabel('Corpus stats').textContent(), { timeout: 20_000 }).toMatch(/4\s*tunes/);
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/1 non-music file skipped/);
    await page.getByLabel('Model name').fill('desk-model');
    await page.getByLabel('Layer sizes').fill('16');
    for (const [label, value] of [['Epochs', '2'], ['Batch size', '2'], ['Sequence length', '8'], ['Embedding size', '8']]) await page.getByRole('spinbutton', { name: label, exact: true }).fill(value);
    await page.getByRole('spinbutton', { name: 'Epochs', exact: true }).fill('0');
    await expect.poll(() => page.getByRole('list', { name: 'Form problems' }).textContent()).toMatch(/Epochs: between 1/);
    await page.getByRole('spinbutton', { name: 'Epochs', exact: true }).fill('2');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => page.getByLabel('Run state').textContent(), { timeout: 90_000 }).toMatch(/done|failed/);
    await page.screenshot({ path: artifactPath('studio-train-1280.png') });
    expect(await page.getByLabel('Run state').textContent()).toBe('done');
    expect(await page.locator('.u-over').count()).toBe(2);
    await page.getByRole('tab', { name: 'Models' }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent()).toMatch(/desk-model/);
    await page.getByRole('tab', { name: 'Generate' }).click();
  });

  it('imports a model folder chosen in the Models panel, and refuses a folder that is not a model', { timeout: 180_000 }, async () => {
    // A model written by `seedsong train`, outside the library; its top level (model.json, weight
    // shards, the seedsong.json vocabulary) is what a converted Keras model folder holds.
    const outside = path.join(serve.userDataDir, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    trainTinyModel(outside, 'trained');
    const trained = path.join(outside, 'models', 'trained');
    const folder = path.join(outside, 'folk-lstm');
    fs.mkdirSync(folder);
    for (const f of fs.readdirSync(trained, { withFileTypes: true })) if (f.isFile()) fs.copyFileSync(path.join(trained, f.name), path.join(folder, f.name));
    await page.getByRole('tab', { name: 'Models' }).click();
    const notModel = path.join(outside, 'photos');
    fs.mkdirSync(notModel, { recursive: true });
    fs.writeFileSync(path.join(notModel, 'cat.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
    await page.getByTestId('model-folder').setInputFiles(notModel);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/photos has no model\.json/);

    await page.getByTestId('model-folder').setInputFiles(folder);
    await expect.poll(() => page.getByRole('form', { name: 'Model to import' }).textContent()).toMatch(/folk-lstm: \d+ files?/);
    expect(await page.getByLabel('Name of the imported model').inputValue()).toBe('folk-lstm');
    await page.getByLabel('Name of the imported model').fill('imported-folk');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent(), { timeout: 60_000 }).toMatch(/Imported folk-lstm as imported-folk|was not imported/);
    expect(await page.getByRole('tabpanel').textContent()).toMatch(/Imported folk-lstm as imported-folk/);
    expect(await page.getByRole('button', { name: /^imported-folk/ }).getAttribute('aria-pressed')).toBe('true');
    await page.screenshot({ path: artifactPath('studio-import-model.png') });
    expect(fs.existsSync(path.join(serve.userDataDir, 'models', 'imported-folk'))).toBe(true);

    // The same name again: the studio's refusal, in words.
    await page.getByTestId('model-folder').setInputFiles(folder);
    await page.getByLabel('Name of the imported model').fill('imported-folk');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/already a model called imported-folk|already exists/);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('tab', { name: 'Generate' }).click();
  });

  it('exports the project as a file (a download in serve mode) that opens again when dropped', async () => {
    const project = await grabDownload(page, 'Export project');
    expect(project.name).toMatch(/\.seedsong\.json$/);
    const data = JSON.parse(project.bytes.toString('utf8'));
    expect(data.version).toBe(2); // each seed stored once (shared/ipc/channels/project.ts)
    const notes = data.desk.notes.length;
    expect(notes).toBe(Number(await rollData(page, 'notes')));
    await page.getByLabel('ABC text').fill('X:1\nT:Other\nM:4/4\nL:1/4\nK:C\nCDEF|\n');
    await expect.poll(() => rollData(page, 'notes')).toBe('4');
    await page.evaluate(
      ([name, text]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'application/json' }));
        document.querySelector('.studio')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [project.name, project.bytes.toString('utf8')],
    );
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Opened .*\.seedsong\.json/);
    expect(await rollData(page, 'notes')).toBe(String(notes));
  });

  it('closing the window mid-generation loses nothing: the desk reopens and the next take still comes', { timeout: 180_000 }, async () => {
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption('default');
    const notes = await rollData(page, 'notes');
    await page.getByRole('spinbutton', { name: 'Length', exact: true }).fill('2048');
    // 16 takes: the default model ends a tune by itself after a few hundred tokens, and one take
    // could arrive before the window closes; 16 sampled together take seconds.
    await page.getByRole('spinbutton', { name: 'Takes', exact: true }).fill('16');
    // The desk as it is now (and these settings) is autosaved before the window closes.
    await expect.poll(() => {
      const p = autosaved(serve.userDataDir);
      return p ? `${p.desk.notes.length} notes, ${p.sampling.count} takes, length ${p.sampling.length}` : 'no autosave';
    }, { timeout: 30_000 }).toBe(`${notes} notes, 16 takes, length 2048`);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Generating/);
    const context = page.context();
    await page.close({ runBeforeUnload: true });
    // What the studio holds for this desk when the window is gone (the takes, had they come first).
    const kept = String(autosaved(serve.userDataDir)?.desk.notes.length);

    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(serve.url);
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Reopened your last session/);
    expect(await rollData(page, 'notes')).toBe(kept);
    // The orphaned run does not hold the engine hostage: a short take still arrives.
    await page.getByRole('spinbutton', { name: 'Takes', exact: true }).fill('1');
    await page.getByRole('spinbutton', { name: 'Length', exact: true }).fill('32');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 120_000 }).toMatch(/new take|failed|error|busy/i);
    expect(await page.getByRole('status').textContent()).toMatch(/1 new take/);
  });

  it('autosaves the project and reopens it on the next start', async () => {
    await page.getByRole('tab', { name: 'Generate' }).click();
    const notes = await page.getByTestId('roll').getAttribute('data-notes');
    // The autosave runs a moment after the last change: wait until it holds this desk.
    await expect.poll(() => String(autosaved(serve.userDataDir)?.desk.notes.length ?? 'no autosave'), { timeout: 30_000 }).toBe(notes);
    await page.reload();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Reopened your last session/);
    expect(await page.getByTestId('roll').getAttribute('data-notes')).toBe(notes);
    expect(fs.readdirSync(serve.userDataDir + '/projects')).toEqual(['autosave.json']);
  });

  it('logged no page errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
