/**
 * Journeys 2 and 3 of the brief through the real studio: a model trained from the Train panel on
 * dropped files, a seed recorded from the on-screen keyboard (the studio's loopback MIDI input),
 * continued by that model into takes that stream into the roll, auditioned, kept, compared and
 * exported (checked with the music core).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseAbc, readMidi } from '@shared/music/index';
import { TINY_CORPUS, artifactPath, chromiumMissingReason, grabDownload, openStudio } from './fixtures';

const missing = chromiumMissingReason();
if (missing) console.log(`e2e (studio journeys) skipped: ${missing}`);

/**
 * Synthetic clicks are not a steady player: the recorded seed may hold a rest or a longer note
 * here and there. This tune gives the tiny model the words for those (G B d g held 1-3 eighths,
 * rests of 1-3 eighths), so that any honest recording of the arpeggio can be encoded.
 */
const RESTS_TUNE = 'X:5\nT:Rests\nM:6/8\nL:1/8\nK:G\n|:GBz dgd|B2z g2z|G3 B3|d3 g3:|\n|:z3 GBd|z2G B2d|gdB z3|G2B d2g:|\n|G4 z2|B4 z2|d4 z2|g4 z2|z6|G6|B5 z|d5 z|]\n';

const rollNotes = async (page: Page) => Number(await page.getByTestId('roll').getAttribute('data-notes'));

describe.skipIf(missing !== null)('studio journeys in Chromium through `seedsong serve`', () => {
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    ({ page, consoleErrors, close } = await openStudio());
  });

  afterAll(() => close());

  it('trains a small model in the Train panel', { timeout: 150_000 }, async () => {
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 15_000 }).toMatch(/Engine: .* MIDI: /);
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByLabel('Corpus files').setInputFiles([{ name: 'tiny.abc', mimeType: 'text/plain', buffer: Buffer.from(TINY_CORPUS + '\n' + RESTS_TUNE) }]);
    await expect.poll(() => page.getByLabel('Corpus stats').textContent(), { timeout: 20_000 }).toMatch(/5\s*tunes/);
    await page.getByRole('combobox', { name: 'Preset' }).selectOption('abc-token-lstm');
    await page.getByLabel('Model name').fill('tiny');
    await page.getByLabel('Layer sizes').fill('32');
    for (const [label, value] of [['Epochs', '3'], ['Batch size', '2'], ['Sequence length', '8'], ['Embedding size', '16'], ['Early-stopping patience', '0']]) {
      await page.getByRole('spinbutton', { name: label, exact: true }).fill(value);
    }
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => page.getByLabel('Run state').textContent(), { timeout: 120_000 }).toMatch(/done|failed/);
    expect(await page.getByLabel('Run state').textContent()).toBe('done');
    await page.screenshot({ path: artifactPath('journey-train.png') });
    await page.getByRole('combobox', { name: 'Model' }).selectOption('tiny');
  });

  it('records a seed from the on-screen keyboard (count-in off) and shows it quantized', async () => {
    // The tiny model knows 6/8 tunes in D and G: the seed is played in that metre and key.
    await page.getByRole('combobox', { name: 'Meter' }).selectOption('6/8');
    await page.getByRole('combobox', { name: 'Key' }).selectOption('G');
    // Slow enough that the jitter of synthetic clicks stays well inside a sixteenth.
    await page.getByRole('spinbutton', { name: 'Tempo' }).fill('60');
    await page.getByRole('tab', { name: 'Devices' }).click();
    await expect.poll(() => page.getByRole('combobox', { name: 'MIDI input' }).inputValue()).toBe('On-screen keyboard');
    await page.getByRole('spinbutton', { name: 'Count-in bars' }).fill('0');
    await page.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => page.getByLabel('Recording state').textContent(), { timeout: 30_000 }).toMatch(/Recording/);
    for (const key of ['G4', 'B4', 'D5', 'G5', 'D5', 'B4']) {
      const button = page.getByRole('button', { name: `Key ${key}` });
      const box = (await button.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height - 5);
      await page.mouse.down();
      await page.waitForTimeout(420);
      await page.mouse.up();
      await page.waitForTimeout(40);
    }
    await page.getByRole('button', { name: 'Record' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(/Recorded a seed of 6 notes/);
    expect(await rollNotes(page)).toBe(6);
    const seed = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes.map((n) => n.pitch);
    expect(seed).toEqual([67, 71, 74, 79, 74, 71]);
    await page.screenshot({ path: artifactPath('journey-seed.png') });
  });

  it('tidies the seed on the eighth-note grid and continues it into takes that stream into the roll', async () => {
    await page.getByRole('tab', { name: 'Generate' }).click();
    expect(await page.getByRole('combobox', { name: 'Seed source' }).inputValue()).toBe('keyboard');
    await page.getByRole('combobox', { name: 'Grid' }).selectOption('2');
    await page.getByRole('button', { name: 'Quantize' }).click();
    const tidy = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes;
    expect(tidy.map((n) => n.pitch)).toEqual([67, 71, 74, 79, 74, 71]);
    expect(tidy.every((n) => Number.isInteger(n.start * 2) && Number.isInteger(n.end * 2))).toBe(true);
    await page.getByRole('spinbutton', { name: 'Takes' }).fill('3');
    await page.getByRole('spinbutton', { name: 'Length' }).fill('64');
    await page.getByRole('checkbox', { name: 'Lock RNG seed' }).check();
    await page.getByRole('button', { name: 'Continue this tune' }).click();
    await expect.poll(async () => (await page.getByRole('status').first().textContent()) ?? '', { timeout: 30_000 }).toMatch(/3 new takes|failed|error|cannot/i);
    const status = await page.getByRole('status').first().evaluate((el) => el.textContent);
    expect(status, `seed:\n${await page.getByLabel('ABC text').inputValue()}`).toMatch(/3 new takes/);
    expect(await page.getByRole('button', { name: /^Take \d+$/ }).count()).toBe(3);
    // The roll takes the first take on its next update: wait for it rather than race it.
    await expect.poll(() => rollNotes(page), { timeout: 30_000, message: `the roll still shows only the seed; ABC shown:\n${await page.getByLabel('ABC text').inputValue()}` }).toBeGreaterThan(6);
    // The take starts with the seed's own pitches, as played.
    const take = parseAbc(await page.getByLabel('ABC text').inputValue()).tunes[0].sequence.notes.map((n) => n.pitch);
    expect(take.slice(0, 6)).toEqual([67, 71, 74, 79, 74, 71]);
    await page.screenshot({ path: artifactPath('journey-takes.png') });
  });

  it('auditions, keeps, compares and discards takes', async () => {
    await page.getByRole('button', { name: 'Take 2', exact: true }).click();
    expect(await page.getByRole('button', { name: 'Take 2', exact: true }).getAttribute('aria-current')).toBe('true');
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Play', exact: true }).getAttribute('aria-pressed'), { timeout: 30_000 }).toBe('true');
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.getByRole('button', { name: 'Keep take 1' }).click();
    await page.getByRole('button', { name: 'Keep take 2' }).click();
    await page.getByRole('checkbox', { name: 'Compare take 1' }).check();
    await page.getByRole('checkbox', { name: 'Compare take 2' }).check();
    expect(await page.getByRole('table', { name: 'Comparison' }).textContent()).toMatch(/notes ·.*bars/);
    await page.getByRole('button', { name: 'Discard take 3' }).click();
    expect(await page.getByRole('button', { name: /^Take \d+$/ }).count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Discard take 1' }).isDisabled()).toBe(true);
    await page.screenshot({ path: artifactPath('journey-compare.png') });
  });

  it('exports the kept takes as one .mid (a track each) and one .abc (a tune each)', async () => {
    await page.getByRole('combobox', { name: 'Export what' }).selectOption('kept');
    const grab = async (name: string) => (await grabDownload(page, name, 'journey-')).bytes;
    const mid = readMidi(new Uint8Array(await grab('Export .mid')), { tracks: 'all' });
    expect(mid.tracks.filter((t) => t.noteCount > 0)).toHaveLength(2);
    const abc = parseAbc((await grab('Export .abc')).toString('utf8'));
    expect(abc.tunes).toHaveLength(2);
    expect(abc.tunes.every((t) => t.sequence.notes.length > 0)).toBe(true);
  });

  it('logged no page errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
