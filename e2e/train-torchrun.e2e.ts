/**
 * Training with torchrun from the Train panel (issue 21): the panel offers "With torchrun" where
 * the studio finds PyTorch (else it says what to install, and this spec skips saying why), the run
 * shows its processes and live curves like a local one, and the model lands in the library.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TINY_CORPUS, artifactPath, chromiumMissingReason, openStudio } from './fixtures';

const missing = chromiumMissingReason();
if (missing) console.log(`e2e (torchrun) skipped: ${missing}`);

describe.skipIf(missing !== null)('training with torchrun in Chromium through `seedsong serve`', () => {
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    ({ page, consoleErrors, close } = await openStudio());
  });

  afterAll(() => close());

  it('trains on 2 processes from the Train panel and adds the model to the library', { timeout: 240_000 }, async (ctx) => {
    await page.getByRole('tab', { name: 'Train' }).click();
    const torchrun = page.getByRole('radio', { name: /With torchrun/ });
    const unavailable = page.getByLabel('torchrun unavailable');
    await expect.poll(async () => (await torchrun.isEnabled()) || (await unavailable.isVisible()), { timeout: 90_000 }).toBe(true);
    if (!(await torchrun.isEnabled())) {
      console.log(`e2e (torchrun) skipped: the studio found no PyTorch: ${await unavailable.textContent()}`);
      await page.screenshot({ path: artifactPath('train-torchrun-unavailable.png') });
      ctx.skip();
    }
    await page.getByLabel('Corpus files').setInputFiles([{ name: 'tiny.abc', mimeType: 'text/plain', buffer: Buffer.from(TINY_CORPUS) }]);
    await expect.poll(() => page.getByLabel('Corpus stats').textContent(), { timeout: 20_000 }).toMatch(/4\s*tunes/);
    await page.getByRole('combobox', { name: 'Preset' }).selectOption('abc-token-lstm');
    await page.getByLabel('Model name').fill('torched');
    await page.getByLabel('Layer sizes').fill('32');
    for (const [label, value] of [['Epochs', '3'], ['Batch size', '2'], ['Sequence length', '8'], ['Embedding size', '16'], ['Early-stopping patience', '0']]) {
      await page.getByRole('spinbutton', { name: label, exact: true }).fill(value);
    }
    await torchrun.check();
    await page.getByRole('spinbutton', { name: 'Processes' }).fill('2');
    await page.getByRole('spinbutton', { name: 'Processes' }).blur();
    await page.getByRole('combobox', { name: 'Device' }).selectOption('cpu');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => page.getByLabel('torchrun processes').textContent().catch(() => ''), { timeout: 180_000 }).toMatch(/2 processes \(cpu, gloo\)/);
    await expect.poll(() => page.getByLabel('Run state').textContent(), { timeout: 180_000 }).toMatch(/done|failed/);
    await page.screenshot({ path: artifactPath('train-torchrun.png') });
    expect(await page.getByLabel('Run state').textContent()).toBe('done');
    await expect.poll(() => page.getByRole('combobox', { name: 'Model' }).locator('option', { hasText: 'torched' }).count()).toBe(1);
    expect(consoleErrors).toEqual([]);
  });
});
