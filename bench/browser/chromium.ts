/**
 * The small Chromium driver the renderer benchmarks share: bundles a page script with esbuild
 * (so it runs the renderer's own modules, unchanged), opens Debian Chromium headless through
 * playwright-core at a given window size, and runs the script in a blank page.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BenchPage {
  page: Page;
  close(): Promise<void>;
}

export async function openBenchPage(entry: string, viewport = { width: 1280, height: 800 }): Promise<BenchPage> {
  if (!fs.existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'iife', write: false, platform: 'browser', target: 'chrome120', logLevel: 'silent' });
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent('<!doctype html><html><body style="margin:0"></body></html>');
  await page.addScriptTag({ content: bundle.outputFiles[0].text });
  if (errors.length) throw new Error(`bench page failed: ${errors.join('; ')}`);
  return { page, close: () => browser.close() };
}

export function stats(samples: number[]): { median: number; p95: number; max: number; n: number } {
  const s = samples.slice().sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1], n: s.length };
}

export const here = (file: string): string => path.join(path.dirname(new URL(import.meta.url).pathname), file);
