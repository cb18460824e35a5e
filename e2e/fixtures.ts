/**
 * Fixtures for end-to-end specs: a `seedsong serve` process with its own temporary user-data
 * folder, and Debian Chromium driven by playwright-core (Playwright's own browser download does not
 * work on these machines).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '..');
export const artifactsDir = path.join(repoRoot, 'test-results');

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  userDataDir: string;
  output: () => string;
  stop(): Promise<void>;
}

/** A few tunes written for these tests (no corpus needed): scales and arpeggios in D and G. */
export const TINY_CORPUS = [
  'X:1\nT:Up and down\nM:6/8\nL:1/8\nK:D\n|:DEF GAB|AFD D3:|\n|:ABc dcB|AFD D3:|\n',
  'X:2\nT:Arpeggio\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|DFA d3:|\n|:fed AFD|EFG A3:|\n',
  'X:3\nT:Gee\nM:6/8\nL:1/8\nK:G\n|:GAB cde|dBG G3:|\n|:gfe dcB|AGF G3:|\n',
  'X:4\nT:Steps\nM:6/8\nL:1/8\nK:G\n|:GBd gdB|GBd g3:|\n|:BAG FGA|BAG G3:|\n',
].join('\n');

/** Sixteenths, dotted eighths, quarters and rests, as a phrase played on a keyboard quantizes to. */
export const KEYBOARD_TUNE = 'X:5\nT:Played\nM:4/4\nL:1/8\nK:D\nD/E/F/ z/ A3/ z/ d2 | F3/ z/ A/ z/ d z A2 | D/F/A/ z/ d3/ z/ A2 | F z/ D/ E2 D4 |]\n';

/** Trains a very small model with the real `seedsong train` into <userDataDir>/models/NAME. */
export function trainTinyModel(userDataDir: string, name = 'tiny'): void {
  const corpus = path.join(userDataDir, 'tiny-corpus.abc');
  fs.writeFileSync(corpus, TINY_CORPUS + '\n' + KEYBOARD_TUNE);
  const args = [path.join(repoRoot, 'bin/seedsong.js'), 'train', '--preset', 'abc-token-lstm', '--corpus', corpus, '--out', path.join(userDataDir, 'models', name)];
  args.push('--units', '32', '--embedding', '16', '--seq', '8', '--batch', '2', '--epochs', '2', '--validation', '0.25', '--seed', '1');
  const run = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`seedsong train failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
}

/**
 * Starts `seedsong serve` on a new temporary user-data folder, or on `reuse.userDataDir` (a studio
 * restarted on the same folder); `reuse.keep` leaves the folder in place when it stops.
 */
export async function startServe(extraArgs: string[] = [], prepare?: (userDataDir: string) => void, reuse: { userDataDir?: string; keep?: boolean } = {}): Promise<ServeProcess> {
  const userDataDir = reuse.userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-e2e-'));
  prepare?.(userDataDir);
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin/seedsong.js'), 'serve', '--port', '0', '--user-data', userDataDir, ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, SEEDSONG_HOME: userDataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`seedsong serve did not print its URL within 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`seedsong serve exited with ${code}:\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: new URLSearchParams(parsed.hash.slice(1)).get('token')!,
    userDataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (!reuse.keep) fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumMissingReason(): string | null {
  return fs.existsSync(chromiumPath) ? null : `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export function artifactPath(name: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}

/** A studio page on its own `seedsong serve`: what every Chromium spec starts from. */
export interface StudioPage {
  serve: ServeProcess;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions of the page, for the specs' last check. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Starts `seedsong serve` (prepare runs on its user-data folder first, e.g. trainTinyModel),
 * launches Chromium, and opens the studio at 1280x800 (or `viewport`) with downloads accepted.
 * goto: false leaves the page blank (for specs that first check what the server refuses);
 * keepUserData leaves the user-data folder for a studio restarted on it (startServe's reuse).
 */
export async function openStudio(
  options: { serveArgs?: string[]; prepare?: (userDataDir: string) => void; goto?: boolean; viewport?: { width: number; height: number }; keepUserData?: boolean } = {},
): Promise<StudioPage> {
  const serve = await startServe(options.serveArgs ?? [], options.prepare, { keep: options.keepUserData });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    if (options.goto !== false) await page.goto(serve.url);
    const opened = browser;
    return {
      serve,
      browser: opened,
      page,
      consoleErrors,
      async close() {
        await opened.close();
        await serve.stop();
      },
    };
  } catch (e) {
    await browser?.close();
    await serve.stop();
    throw e;
  }
}

/** Clicks the button named `button`, waits for the download it starts, keeps it under test-results/ (prefix + its name). */
export async function grabDownload(page: Page, button: string, prefix = ''): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: button }).click()]);
  const name = download.suggestedFilename();
  const file = artifactPath(prefix + name);
  await download.saveAs(file);
  return { name, bytes: fs.readFileSync(file) };
}
