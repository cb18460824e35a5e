/**
 * Opening files (#14 item 5): a tune book from the shared corpora opens the tune picker (search,
 * arrows, Enter); the chosen tune is on the desk as its author wrote it. A multi-track .mid opens
 * the track chooser; the chosen track's notes are on the desk with the file's tempo map (shown,
 * played, exported) and the status line says what was left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { openMidi, parseAbc, readMidi } from '@shared/music/index';
import { Abc2midi, compareMelodies, findAbc2midi } from '@shared/music/abc/abc2midi';
import { artifactPath, chromiumMissingReason, grabDownload, openStudio } from './fixtures';

const BOOK = '/work/shared/corpora/abc_nottingham/ABC_cleaned/jigs.abc';
const MIDI = '/work/shared/corpora/midi_piano_midi_de/bach_846.mid';
const corpora = [BOOK, MIDI].filter((f) => !fs.existsSync(f));
const missing = chromiumMissingReason() ?? (corpora.length ? `the shared corpora are not here (${corpora.join(', ')})` : null);
if (missing) console.log(`e2e (studio open) skipped: ${missing}`);

async function rollPoint(page: Page, time: number, pitch: number): Promise<{ x: number; y: number }> {
  return page.getByTestId('roll').evaluate(
    (el, [t, p]) => {
      const r = el.getBoundingClientRect();
      const d = (el as HTMLElement).dataset;
      return { x: r.left + +d.keys! + (t - +d.time!) * +d.ppq!, y: r.top + +d.ruler! + (+d.pitchTop! - p) * +d.rowHeight! + +d.rowHeight! / 2 };
    },
    [time, pitch],
  );
}

const rollData = (page: Page, key: string) => page.getByTestId('roll').evaluate((el, k) => (el as HTMLElement).dataset[k], key);

describe.skipIf(missing !== null)('opening a tune book and a multi-track .mid in Chromium through `seedsong serve`', () => {
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    ({ page, consoleErrors, close } = await openStudio());
  });

  afterAll(() => close());

  it('a book of 305 jigs opens the tune picker: search, arrows and Enter open the tune as written', async () => {
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Engine: .* MIDI: /);
    await page.getByLabel('Seed source').selectOption('file');
    const text = fs.readFileSync(BOOK, 'utf8');
    await page.getByLabel('Seed file').setInputFiles({ name: 'jigs.abc', mimeType: 'text/plain', buffer: Buffer.from(text) });
    const dialog = page.getByRole('dialog', { name: /Choose a tune from jigs\.abc/ });
    await dialog.waitFor({ timeout: 10_000 });
    expect(await dialog.textContent()).toMatch(/305 tunes/);
    const search = page.getByRole('combobox', { name: 'Search the tunes' });
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByRole('listbox', { name: 'Tunes' }).getByRole('option').count()).toBe(300); // a book is searched, not scrolled
    await page.keyboard.type('ladies');
    await expect.poll(() => page.getByRole('listbox', { name: 'Tunes' }).getByRole('option').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/X:48\s*Cherish The Ladies/)]));
    const options = await page.getByRole('listbox', { name: 'Tunes' }).getByRole('option').allTextContents();
    const target = options.findIndex((o) => /Cherish The Ladies/.test(o));
    for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('listbox', { name: 'Tunes' }).getByRole('option', { selected: true }).textContent()).toMatch(/Cherish The Ladies/);
    await page.screenshot({ path: artifactPath('studio-open-book.png') });
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const abc = await page.getByLabel('ABC text').inputValue();
    expect(abc.startsWith('X: 48\nT:Cherish The Ladies\n% Nottingham Music Database\nS:Trad, arr Phil Rowe\nM:6/8\nK:D\nB/2c/2|"D"dFF AGF|')).toBe(true);
    // 16 bars played twice (each part repeated) plus the pickups.
    await expect.poll(() => rollData(page, 'notes'), { timeout: 5000 }).not.toBe('0');
    expect(await page.getByRole('status').textContent()).toMatch(/Seed: Cherish The Ladies \(jigs\.abc, \d+ notes\)/);
    await page.screenshot({ path: artifactPath('studio-open-book-tune.png') });
  });

  it('a note edited in the roll changes only its bar of the text as written; the export reads in abc2midi', async () => {
    const before = await page.getByLabel('ABC text').inputValue();
    // Bar 2 ("D"dFF AGF) is played from the pickup's end (two 16ths: half a quarter) on; its second note F# (66) at 1.
    const p = await rollPoint(page, 1.2, 66);
    await page.mouse.click(p.x, p.y);
    expect(await rollData(page, 'selected')).toBe('1');
    await page.getByTestId('roll').focus();
    await page.keyboard.press('ArrowUp'); // F# -> G
    await expect.poll(() => page.getByLabel('ABC text').inputValue()).not.toBe(before);
    const after = await page.getByLabel('ABC text').inputValue();
    expect(after).toBe(before.replace('B/2c/2|"D"dFF AGF|', 'B/2c/2|"D"dGF AGF|'));
    // The part is repeated: both passes play the edit.
    const played = parseAbc(after).tunes[0].sequence.notes;
    expect(played.filter((n) => n.pitch === 67).length).toBe(parseAbc(before).tunes[0].sequence.notes.filter((n) => n.pitch === 67).length + 2);
    await page.screenshot({ path: artifactPath('studio-open-book-edit.png') });
    const abc = await grabDownload(page, 'Export .abc', 'open-');
    const exported = abc.bytes.toString('utf8');
    expect(exported).toBe(after.replace(/\s*$/, '\n'));
    if (!findAbc2midi()) {
      console.log('abc2midi check skipped: abc2midi is not installed');
      return;
    }
    const oracle = new Abc2midi();
    try {
      const theirs = oracle.melody(exported);
      expect(theirs).not.toBeNull();
      expect(compareMelodies(parseAbc(exported).tunes[0].sequence, theirs!)).toEqual({ kind: 'none' });
    } finally {
      oracle.dispose();
    }
  });

  it('Escape closes the picker and leaves the desk as it was', async () => {
    const before = await page.getByLabel('ABC text').inputValue();
    await page.getByLabel('Seed file').setInputFiles({ name: 'jigs.abc', mimeType: 'text/plain', buffer: fs.readFileSync(BOOK) });
    await page.getByRole('dialog').waitFor();
    await page.keyboard.type('x:2');
    expect(await page.getByRole('listbox', { name: 'Tunes' }).getByRole('option').allTextContents()).toEqual([expect.stringMatching(/X:2\s*Abacus/)]);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.getByLabel('ABC text').inputValue()).toBe(before);
  });

  it('a six-track .mid opens the track chooser: a chosen track with the tempo map, and what was left out', async () => {
    await page.getByLabel('Seed file').setInputFiles({ name: 'bach_846.mid', mimeType: 'audio/midi', buffer: fs.readFileSync(MIDI) });
    const dialog = page.getByRole('dialog', { name: /Choose the tune's track in bach_846\.mid/ });
    await dialog.waitFor({ timeout: 10_000 });
    expect(await dialog.textContent()).toMatch(/Tempo: tempo map: starts at \d+ bpm, \d+ changes/);
    expect(await page.getByRole('radio', { name: /The melody, guessed: Fuga 1/ }).isChecked()).toBe(true);
    // The fugue voices enter after the prelude: the bars of rests before them are left out too.
    expect(await dialog.textContent()).toMatch(/Leaves out 5 other tracks and the 36 bars of rests before the first note: the tune starts at bar 37\./);
    expect(await dialog.textContent()).toMatch(/Fuga 2 — 199 notes, [^—]*?enters at bar 36/);
    await page.getByRole('radio', { name: /^Fuga 2/ }).check();
    expect(await dialog.textContent()).toMatch(/Leaves out 5 other tracks and the 35 bars of rests before the first note: the tune starts at bar 36\./);
    await page.screenshot({ path: artifactPath('studio-open-midi.png') });
    await page.getByRole('dialog').getByRole('button', { name: 'Open', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => rollData(page, 'notes'), { timeout: 5000 }).toBe('199');
    const status = await page.getByRole('status').textContent();
    expect(status).toMatch(/Seed: .* \(bach_846\.mid, 199 notes; tempo map: starts at \d+ bpm, \d+ changes \(\d+-\d+ bpm\)\)\. Left out: 5 other tracks: Piano right \(415 notes/);
    expect(status).toMatch(/the 35 bars of rests before the first note: the tune starts at bar 36/);
    expect(await page.getByTestId('tempo-map').textContent()).toMatch(/^\d+ tempo changes$/);
    expect(await page.getByTestId('tempo-map').getAttribute('title')).toMatch(/^tempo map: starts at/);
    // The score shows the lasting tempo marks, not every rubato change.
    const written = (await page.getByLabel('ABC text').inputValue()).match(/Q:/g) ?? [];
    expect(written.length).toBeLessThan(40);
    await page.screenshot({ path: artifactPath('studio-open-midi-track.png') });
    // The export keeps the tempo map.
    const mid = await grabDownload(page, 'Export .mid', 'open-');
    const back = readMidi(new Uint8Array(mid.bytes));
    const source = openMidi(fs.readFileSync(MIDI), 3);
    expect(back.sequence.notes.length).toBe(199);
    // The seed starts at the bar line before the voice's first note, not 35 bars of rests earlier.
    expect(back.sequence.notes[0].start).toBeLessThan(4);
    expect(back.sequence.tempos.length).toBe(source.sequence.tempos.length);
    for (let i = 0; i < source.sequence.tempos.length; i += 37) expect(back.sequence.tempos[i].qpm).toBeCloseTo(source.sequence.tempos[i].qpm, 0);
  });

  it('all tracks merged', async () => {
    await page.getByLabel('Seed file').setInputFiles({ name: 'bach_846.mid', mimeType: 'audio/midi', buffer: fs.readFileSync(MIDI) });
    await page.getByRole('dialog').waitFor();
    await page.getByRole('radio', { name: /All 6 tracks merged/ }).check();
    expect(await page.getByRole('dialog').textContent()).toMatch(/Leaves nothing out\./);
    await page.getByRole('dialog').getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => rollData(page, 'notes'), { timeout: 5000 }).toBe(String(415 + 134 + 220 + 199 + 175 + 141));
    expect(consoleErrors).toEqual([]);
  });
});
