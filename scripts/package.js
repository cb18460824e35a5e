// `npm run package`: build and package the studio with electron-builder for this platform.
// electron-builder needs the Electron binary; where it could not be downloaded, stop with a reason.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let electronPath = null;
try {
  electronPath = require('electron');
} catch {
  /* reported below */
}
if (typeof electronPath !== 'string') {
  console.error('seedsong: cannot package: the Electron binary is not installed on this machine (its download failed or was skipped during `npm ci`). Package on a machine where `npm ci` can download Electron.');
  process.exit(1);
}
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;
let status = run([electronViteBin(require), 'build']);
if (status === 0) status = run([require.resolve('electron-builder/cli.js'), '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
process.exit(status);

/** electron-vite's CLI (its package "exports" hide bin/, so go through package.json). */
function electronViteBin(req) {
  return path.join(path.dirname(req.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
}
