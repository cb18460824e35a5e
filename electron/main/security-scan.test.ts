/**
 * Electronegativity over electron/ (the whole project, with the build, is `npm run security`'s job; this
 * keeps the test short): no high-severity finding, and the scan really does catch a bad window.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../../scripts/security-scan.js');

/**
 * Runs the scan in a child process without blocking this test worker: a scan takes up to a minute
 * on a loaded machine, and a worker blocked that long cannot answer vitest's own calls (its RPC
 * gives up after 60 s and fails a green run).
 */
function scan(dir: string, json = true): Promise<{ status: number | null; report: { findings: { severity: string; check: string; file: string }[]; unparsed: { file: string }[]; lowered: string[] }; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, dir, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (error && status === null) return reject(error);
      if (!json) return resolve({ status, report: { findings: [], unparsed: [], lowered: [] }, stderr });
      try {
        resolve({ status, report: JSON.parse(stdout.trim().split('\n').pop()!), stderr });
      } catch (e) {
        reject(new Error(`the scan printed no JSON report (${(e as Error).message}); stderr: ${stderr}`));
      }
    });
  });
}

describe('security scan (electronegativity)', () => {
  it('finds no high-severity problem in electron/ (main, preload, server...)', async () => {
    // One scan of the folder: the global checks (navigation limits, CSP) look across files.
    const { status, report } = await scan(path.resolve(here, '..'));
    expect(report.findings.filter((f) => f.severity === 'HIGH')).toEqual([]);
    expect(status).toBe(0);
  }, 120_000);

  it('fails on a window without context isolation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-badapp-'));
    fs.writeFileSync(path.join(dir, 'main.js'), "const { BrowserWindow } = require('electron');\nnew BrowserWindow({ webPreferences: { contextIsolation: false, nodeIntegration: true } });\n");
    const { status, report } = await scan(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(report.findings.some((f) => f.severity === 'HIGH' && f.check === 'CONTEXT_ISOLATION_JS_CHECK')).toBe(true);
    expect(status).toBe(1);
  }, 120_000);

  it('fails when it cannot read a file (a bundle nobody checked), and reads newer syntax after lowering it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-scanread-'));
    // Class private fields (as in the Svelte 5 renderer bundle): unknown to the scanner's parser.
    fs.writeFileSync(path.join(dir, 'bundle.js'), "class Tune { #notes = []; add(n) { this.#notes.push(n); } }\nconst { BrowserWindow } = require('electron');\nnew BrowserWindow({ webPreferences: { contextIsolation: false } });\n");
    const lowered = await scan(dir);
    expect(lowered.report.unparsed).toEqual([]);
    expect(lowered.report.lowered.map((f) => path.basename(f))).toEqual(['bundle.js']);
    // What is in the lowered file is still checked.
    expect(lowered.report.findings.some((f) => f.check === 'CONTEXT_ISOLATION_JS_CHECK' && f.file.endsWith('bundle.js'))).toBe(true);
    expect(lowered.status).toBe(1);

    fs.writeFileSync(path.join(dir, 'bundle.js'), 'class Tune { #notes = []; }\n');
    fs.writeFileSync(path.join(dir, 'broken.js'), 'const = ;\n');
    const broken = await scan(dir);
    const text = await scan(dir, false);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(broken.report.unparsed.map((u) => path.basename(u.file))).toEqual(['broken.js']);
    expect(broken.status).toBe(1);
    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/FAILED: 1 file\(s\) could not be read, so they were not checked/);
  }, 240_000);
});
