/**
 * The transport in Chromium: Play, seek (the roll's ruler), Loop and the Metronome through the
 * built-in synth, checked on the MIDI messages the page sends to the synth's AudioWorklet (recorded
 * from its message port), so the test sees what the transport core (shared/transport) decided: a
 * note held where playback starts is chased, a loop comes back, clicks go to channel 10.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifactPath, chromiumMissingReason, openStudio } from './fixtures';

const missing = chromiumMissingReason();
if (missing) console.log(`e2e (studio transport) skipped: ${missing}`);

// A whole-note C held over beats 0-4, then E, G (two beats each), then a whole c; 4/4 at 240 qpm.
const TUNE = ['X:1', 'T:Transport test', 'M:4/4', 'L:1/4', 'Q:1/4=240', 'K:C', 'C4|E2 G2|c4|'].join('\n');

interface SynthMessage {
  status: number;
  pitch: number;
  velocity: number;
  /** Seconds on the AudioContext clock. */
  time: number;
}

/** Records every MIDI message posted to the synth's worklet (spessasynth's 'midiMessage' posts). */
function recordSynthMessages(): void {
  const log: SynthMessage[] = [];
  (window as unknown as { __synth: SynthMessage[] }).__synth = log;
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, ...rest: unknown[]) {
    const m = message as { type?: string; data?: { messageData?: Uint8Array; options?: { time?: number } } };
    if (m?.type === 'midiMessage' && m.data?.messageData) {
      const [status, pitch = 0, velocity = 0] = Array.from(m.data.messageData);
      log.push({ status, pitch, velocity, time: m.data.options?.time ?? 0 });
    }
    return (post as (...a: unknown[]) => void).call(this, message, ...rest);
  } as typeof MessagePort.prototype.postMessage;
}

const synthLog = (page: Page) => page.evaluate(() => (window as unknown as { __synth: SynthMessage[] }).__synth.slice());
const clearLog = (page: Page) => page.evaluate(() => void ((window as unknown as { __synth: SynthMessage[] }).__synth.length = 0));
const noteOns = (log: SynthMessage[], channel = 0) => log.filter((m) => m.status === (0x90 | channel) && m.velocity > 0);
const playButton = (page: Page) => page.getByRole('button', { name: 'Play', exact: true });
const rollData = (page: Page, key: string) => page.getByTestId('roll').evaluate((el, k) => (el as HTMLElement).dataset[k], key);

async function stop(page: Page): Promise<void> {
  if ((await playButton(page).getAttribute('aria-pressed')) === 'true') await playButton(page).click();
  await expect.poll(() => playButton(page).getAttribute('aria-pressed')).toBe('false');
}

/** Moves the playhead to `beat` by clicking the roll's ruler there, and waits until it is there. */
async function seekTo(page: Page, beat: number): Promise<void> {
  const g = await page.getByTestId('roll').evaluate((el) => {
    const r = el.getBoundingClientRect();
    const d = (el as HTMLElement).dataset;
    return { left: r.left, top: r.top, time: +d.time!, ppq: +d.ppq!, keys: +d.keys!, ruler: +d.ruler! };
  });
  await page.mouse.click(g.left + g.keys + (beat - g.time) * g.ppq + 1, g.top + g.ruler / 2);
  await expect.poll(async () => Number(await rollData(page, 'playhead'))).toBeCloseTo(beat, 1);
}

describe.skipIf(missing !== null)('transport in Chromium through `seedsong serve`', () => {
  let page: Page;
  let consoleErrors: string[] = [];
  let close = async () => {};

  beforeAll(async () => {
    const studio = await openStudio({ goto: false });
    ({ page, consoleErrors, close } = studio);
    await page.addInitScript(recordSynthMessages);
    await page.goto(studio.serve.url);
  });

  afterAll(() => close());

  it('takes a typed tune', async () => {
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 30_000 }).toMatch(/Engine: .* MIDI: /);
    await page.getByLabel('ABC text').fill(TUNE);
    await expect.poll(() => rollData(page, 'notes'), { timeout: 30_000 }).toBe('4');
    await page.getByRole('button', { name: 'Fit' }).click();
  });

  it('plays from the top, and the playhead moves', async () => {
    await playButton(page).click();
    await expect.poll(async () => noteOns(await synthLog(page)).map((m) => m.pitch), { timeout: 30_000 }).toContain(64);
    expect(Number(await rollData(page, 'playhead'))).toBeGreaterThan(0);
    expect(noteOns(await synthLog(page))[0].pitch).toBe(60);
    await stop(page);
  });

  it('a seek into the held C sounds it from there (note chase), then the notes after it', async () => {
    await seekTo(page, 2);
    await clearLog(page);
    await playButton(page).click();
    await expect.poll(async () => noteOns(await synthLog(page)).map((m) => m.pitch), { timeout: 30_000 }).toContain(64);
    const ons = noteOns(await synthLog(page));
    expect(ons[0].pitch).toBe(60); // the C held at beat 2 is heard...
    const e = ons.find((m) => m.pitch === 64)!;
    expect(e.time - ons[0].time).toBeCloseTo(0.5, 2); // ...for its last two beats (0.5 s at 240 qpm), then E
    await stop(page);
  });

  it('Loop comes back to the start, and the Metronome clicks on channel 10 with an accented downbeat', async () => {
    // From the top: the previous test stops wherever its poll saw the E (the look-ahead queues it
    // ahead of time, so the playhead may still be inside the C, which a new Play would then chase).
    await seekTo(page, 0);
    await page.getByRole('button', { name: 'Loop' }).click();
    await page.getByRole('button', { name: 'Metronome' }).click();
    await clearLog(page);
    await playButton(page).click();
    // The tune is 3 s long (12 quarters): after one pass, C sounds again.
    await expect.poll(async () => noteOns(await synthLog(page)).filter((m) => m.pitch === 60).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: artifactPath('studio-transport-loop.png') });
    const log = await synthLog(page);
    const clicks = noteOns(log, 9);
    expect(clicks.length).toBeGreaterThan(4);
    expect(clicks.filter((c) => c.pitch === 76).length).toBeGreaterThan(0); // downbeats
    expect(clicks.filter((c) => c.pitch === 77).length).toBeGreaterThan(0); // other beats
    const cs = noteOns(log).filter((m) => m.pitch === 60);
    expect(cs[1].time - cs[0].time).toBeCloseTo(3, 1); // 12 quarters at 240 qpm
    expect(Number(await rollData(page, 'playhead'))).toBeLessThan(12);
    await stop(page);
    await page.getByRole('button', { name: 'Loop' }).click();
    await page.getByRole('button', { name: 'Metronome' }).click();
    expect(consoleErrors).toEqual([]);
  });
});
