import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifactPath, chromiumMissingReason, openStudio, trainTinyModel, type ServeProcess } from './fixtures';

const missing = chromiumMissingReason();
if (missing) console.log(`e2e (serve + Chromium) skipped: ${missing}`);

describe.skipIf(missing !== null)('studio in Chromium through `seedsong serve`', () => {
  let serve: ServeProcess;
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    ({ serve, page, consoleErrors, close } = await openStudio({ prepare: (dir) => trainTinyModel(dir), goto: false }));
  });

  afterAll(() => close());

  it('serves the public page without a secret or a cookie, but its API refuses a connection without the token', async () => {
    const response = await page.goto(serve.origin + '/');
    expect(response?.status()).toBe(200);
    expect(response?.headers()['set-cookie']).toBeUndefined();
    const refused = await page.evaluate(
      (u) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(u, ['seedsong.v1']);
          ws.onopen = () => resolve(false);
          ws.onerror = () => resolve(true);
        }),
      serve.origin.replace(/^http/, 'ws') + '/api',
    );
    expect(refused).toBe(true);
  });

  it('opens the studio from the link (token in the fragment) and completes a round trip through the WebSocket API', async () => {
    await page.goto('about:blank');
    consoleErrors.length = 0; // the refused connections above are expected
    const response = await page.goto(serve.url);
    expect(response?.status()).toBe(200);
    // The token leaves the address bar once read (it stays in this tab's sessionStorage for reloads).
    await expect.poll(() => page.url()).not.toContain('token');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    // appInfo travelled page -> WebSocket -> studio -> back: the status line shows the engine and MIDI state.
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toMatch(/Engine: .* MIDI: /);
    await expect.poll(() => page.getByTestId('backend').textContent()).not.toBe('…');
    await page.screenshot({ path: artifactPath('serve-studio.png') });
  });

  it('has the studio controls, reachable by role and name', async () => {
    for (const name of ['Record', 'Play', 'Loop', 'Metronome', 'Panic', 'Generate', 'Stop']) {
      await expect.poll(() => page.getByRole('button', { name, exact: true }).count(), { message: name }).toBe(1);
    }
    for (const tab of ['Generate', 'Train', 'Models', 'Devices']) {
      expect(await page.getByRole('tab', { name: tab }).count(), tab).toBe(1);
    }
    await page.getByRole('tab', { name: 'Models' }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent()).toMatch(/Model library/);
    await page.getByRole('tab', { name: 'Devices' }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent()).toMatch(/MIDI|synth/);
    await page.getByRole('tab', { name: 'Generate' }).click();
  });

  it('generates takes from a trained model: notes in the roll, ABC in the score panel', async () => {
    await expect.poll(() => page.getByRole('combobox', { name: 'Model' }).textContent()).toContain('tiny');
    await page.getByRole('spinbutton', { name: 'Takes' }).fill('2');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(async () => (await page.getByRole('status').textContent()) ?? '', { timeout: 30_000 }).toMatch(/2 new takes/);
    expect(await page.getByRole('button', { name: /^Take \d+$/ }).count()).toBe(2);
    expect(Number(await page.getByLabel('Piano roll notes').getAttribute('data-notes'))).toBeGreaterThan(0);
    expect(await page.getByRole('textbox', { name: 'ABC text' }).inputValue()).toMatch(/^X:1\n/);
    await page.screenshot({ path: artifactPath('serve-generate.png') });
  });

  it('keeps the key and meter of the top bar when asked', async () => {
    await page.getByRole('combobox', { name: 'Meter' }).selectOption('6/8');
    await page.getByRole('combobox', { name: 'Key' }).selectOption('G');
    await page.getByRole('checkbox', { name: 'Keep the key and meter' }).check();
    await page.getByRole('spinbutton', { name: 'Takes' }).fill('1');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(async () => (await page.getByRole('status').textContent()) ?? '', { timeout: 30_000 }).toMatch(/1 new take/);
    const abc = await page.getByRole('textbox', { name: 'ABC text' }).inputValue();
    expect(abc).toMatch(/M:6\/8/);
    expect(abc).toMatch(/K:G/);
  });

  it('answers a phrase played on the on-screen keyboard (call and response)', async () => {
    await page.getByRole('tab', { name: 'Devices' }).click();
    await page.getByRole('checkbox', { name: 'Call and response' }).check();
    await expect.poll(() => page.getByLabel('Call and response state').textContent()).toMatch(/Listening/);
    for (const key of ['Key D4', 'Key F♯4', 'Key A4']) {
      const button = page.getByRole('button', { name: key, exact: true });
      // eighth notes at 120 qpm (the tiny model knows eighths and longer)
      await button.dispatchEvent('pointerdown');
      await page.waitForTimeout(250);
      await button.dispatchEvent('pointerup');
    }
    // The phrase ends, becomes a seed and reaches the model: it answers, or (when key presses under
    // heavy load give a rhythm the tiny test model never saw) the panel says why it could not.
    await expect
      .poll(async () => (await page.getByRole('tabpanel').textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/last answer began \d+ ms after your pause|the answer stopped: .+/);
    await page.screenshot({ path: artifactPath('serve-call-response.png') });
    await page.getByRole('checkbox', { name: 'Call and response' }).uncheck();
    await page.getByRole('tab', { name: 'Generate' }).click();
  });

  it('logged no page errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
