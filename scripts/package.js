// `npm run package`: build and package the studio with electron-builder for this platform.
// electron-builder needs the Electron binary; where it could not be downloaded, stop with a reason.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

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
let status = run([require.resolve('electron-vite/bin/electron-vite.js'), 'build']);
if (status === 0) status = run([require.resolve('electron-builder/cli.js'), '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
process.exit(status);
