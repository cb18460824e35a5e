// `npm start`: build, then launch the studio in Electron. Where the Electron binary is not installed
// (it is an optional dependency whose download can fail), say so and point to serve mode.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let electronPath;
try {
  electronPath = require('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath !== 'string') {
  console.error(
    [
      'seedsong: Electron is not installed on this machine (its binary could not be downloaded during `npm ci`),',
      'so the desktop window cannot open. The same studio runs in your browser:',
      '',
      '    npx seedsong serve',
      '',
      'then open the link it prints. (To get the desktop app, run `npm ci` where Electron can be downloaded.)',
    ].join('\n'),
  );
  process.exit(1);
}
const build = spawnSync(process.execPath, [electronViteBin(require), 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(electronPath, ['.'], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));

/** electron-vite's CLI (its package "exports" hide bin/, so go through package.json). */
function electronViteBin(req) {
  return path.join(path.dirname(req.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
}
