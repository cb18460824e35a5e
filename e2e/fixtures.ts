/**
 * Fixtures for end-to-end specs: a `seedsong serve` process with its own temporary user-data
 * folder, and Debian Chromium driven by playwright-core (Playwright's own browser download does not
 * work on these machines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

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

export async function startServe(extraArgs: string[] = []): Promise<ServeProcess> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-e2e-'));
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
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/);
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
    token: parsed.searchParams.get('token')!,
    userDataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(userDataDir, { recursive: true, force: true });
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
