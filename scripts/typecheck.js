// Type-checks the project (tsc, then svelte-check for the renderer). Electron's type declarations
// ship inside the electron package, which is an optional dependency: where its binary download
// failed, npm removed it, and electron/main and electron/preload are checked only by the build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const hasElectron = (() => {
  try {
    return fs.existsSync(require.resolve('electron/electron.d.ts'));
  } catch {
    return false;
  }
})();

let project = 'tsconfig.json';
if (!hasElectron) {
  console.log('typecheck: electron/main and electron/preload skipped: the electron package (with its types) is not installed on this machine');
  project = 'tsconfig.no-electron.json';
}
const run = (bin, args) => spawnSync(process.execPath, [require.resolve(bin), ...args], { stdio: 'inherit' }).status ?? 1;
let status = run('typescript/bin/tsc', ['--noEmit', '-p', project]);
if (status === 0) status = run('svelte-check/bin/svelte-check', ['--tsconfig', './renderer/tsconfig.json', '--threshold', 'error', '--output', 'human', '--fail-on-warnings=false']);
process.exit(status);
