import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { artifactPath, repoRoot } from './fixtures';

function electronBinary(): { path: string | null; reason?: string } {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' ? { path: bin } : { path: null, reason: 'the electron package did not give a binary path' };
  } catch (e) {
    return { path: null, reason: `no Electron binary on this machine (${(e as Error).message.split('\n')[0]}); the same checks ran in Chromium through seedsong serve` };
  }
}

const binary = electronBinary();
if (!binary.path) console.log(`e2e (Electron) skipped: ${binary.reason}`);

describe.skipIf(!binary.path)('studio in Electron', () => {
  it('opens the window from app:// with the same controls and a working StudioApi', async () => {
    const app = await electron.launch({ executablePath: binary.path!, args: [path.join(repoRoot, 'out/main/index.js')], cwd: repoRoot });
    try {
      const page = await app.firstWindow();
      expect(page.url()).toMatch(/^app:\/\/studio\//);
      await expect.poll(() => page.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/Engine: .* MIDI: /);
      expect(await page.getByRole('button', { name: 'Generate', exact: true }).count()).toBe(1);
      // The page has no Node and no ipcRenderer, only the bridge's named functions.
      expect(await page.evaluate(() => typeof (globalThis as any).require)).toBe('undefined');
      expect(await page.evaluate(() => Object.keys((window as any).seedsong).sort().join(','))).toContain('appInfo');
      await page.screenshot({ path: artifactPath('electron-studio.png') });
    } finally {
      await app.close();
    }
  });
});
