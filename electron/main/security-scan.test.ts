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

function scan(dir: string, json = true) {
  const r = spawnSync(process.execPath, [script, dir, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 120_000 });
  if (!json) return { status: r.status, report: { findings: [], unparsed: [], lowered: [] }, stderr: r.stderr } as never;
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { findings: { severity: string; check: string; file: string }[]; unparsed: { file: string }[]; lowered: string[] };
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

  it('fails when it cannot read a file (a bundle nobody checked), and reads newer syntax after lowering it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-scanread-'));
    // Class private fields (as in the Svelte 5 renderer bundle): unknown to the scanner's parser.
    fs.writeFileSync(path.join(dir, 'bundle.js'), "class Tune { #notes = []; add(n) { this.#notes.push(n); } }\nconst { BrowserWindow } = require('electron');\nnew BrowserWindow({ webPreferences: { contextIsolation: false } });\n");
    const lowered = scan(dir);
    expect(lowered.report.unparsed).toEqual([]);
    expect(lowered.report.lowered.map((f) => path.basename(f))).toEqual(['bundle.js']);
    // What is in the lowered file is still checked.
    expect(lowered.report.findings.some((f) => f.check === 'CONTEXT_ISOLATION_JS_CHECK' && f.file.endsWith('bundle.js'))).toBe(true);
    expect(lowered.status).toBe(1);

    fs.writeFileSync(path.join(dir, 'bundle.js'), 'class Tune { #notes = []; }\n');
    fs.writeFileSync(path.join(dir, 'broken.js'), 'const = ;\n');
    const broken = scan(dir);
    const text = scan(dir, false) as unknown as { status: number; stderr: string };
    fs.rmSync(dir, { recursive: true, force: true });
    expect(broken.report.unparsed.map((u) => path.basename(u.file))).toEqual(['broken.js']);
    expect(broken.status).toBe(1);
    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/FAILED: 1 file\(s\) could not be read, so they were not checked/);
  }, 240_000);
});
