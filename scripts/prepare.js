// `prepare` runs after `npm ci` / `npm install`: it builds the studio (so `npm start` and
// `seedsong serve` work) and links the `seedsong` command into node_modules/.bin, where `npx`
// finds it at once (npm does not link a project's own bin; without the link `npx seedsong` would
// look the name up in the registry and re-run this script on every call).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.npm_command === 'exec') process.exit(0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(root, 'node_modules', '.bin');
const link = path.join(binDir, 'seedsong');
try {
  fs.mkdirSync(binDir, { recursive: true });
  fs.rmSync(link, { force: true });
  if (process.platform === 'win32') fs.writeFileSync(link + '.cmd', '@node "%~dp0\\..\\..\\bin\\seedsong.js" %*\r\n');
  else fs.symlinkSync(path.relative(binDir, path.join(root, 'bin', 'seedsong.js')), link);
} catch (e) {
  console.warn(`seedsong: could not link the seedsong command (${e.message}); use \`node bin/seedsong.js\``);
}
const require = createRequire(import.meta.url);
const result = spawnSync(process.execPath, [electronViteBin(require), 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);

/** electron-vite's CLI (its package "exports" hide bin/, so go through package.json). */
function electronViteBin(req) {
  return path.join(path.dirname(req.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
}
