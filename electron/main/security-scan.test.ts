/**
 * Electronegativity over electron/ (the whole project, with the build, is `npm run security`'s job; this
 * keeps the test short): no high-severity finding, and the scan really does catch a bad window.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../../scripts/security-scan.js');

function scan(dir: string) {
  const r = spawnSync(process.execPath, [script, dir, '--json'], { encoding: 'utf8', timeout: 120_000 });
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { findings: { severity: string; check: string }[] };
  return { status: r.status, report };
}

describe('security scan (electronegativity)', () => {
  it('finds no high-severity problem in electron/ (main, preload, server...)', () => {
    // One scan of the folder: the global checks (navigation limits, CSP) look across files.
    const { status, report } = scan(path.resolve(here, '..'));
    expect(report.findings.filter((f) => f.severity === 'HIGH')).toEqual([]);
    expect(status).toBe(0);
  }, 120_000);

  it('fails on a window without context isolation', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-badapp-'));
    fs.writeFileSync(path.join(dir, 'main.js'), "const { BrowserWindow } = require('electron');\nnew BrowserWindow({ webPreferences: { contextIsolation: false, nodeIntegration: true } });\n");
    const { status, report } = scan(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(report.findings.some((f) => f.severity === 'HIGH' && f.check === 'CONTEXT_ISOLATION_JS_CHECK')).toBe(true);
    expect(status).toBe(1);
  }, 120_000);
});
