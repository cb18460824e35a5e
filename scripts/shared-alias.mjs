// Rewrites every import of shared/ from outside it ('../../../../shared/music/types') to the
// '@shared/...' alias (tsconfig paths, Vite and Vitest aliases, TSX_TSCONFIG_PATH for tsx at run
// time: bin/seedsong.js sets it). Inside shared/ imports stay relative (the folder stands alone).
// Idempotent: run it again after merging other work (`node scripts/shared-alias.mjs`; `--check`
// lists what it would change and exits 1 if anything, without writing).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.join(root, 'shared');
const FOLDERS = ['electron', 'renderer/src', 'bench', 'scripts', 'e2e', 'engine-torch'];
const SKIP = new Set(['node_modules', 'out', 'dist', '.git', 'test-results']);
const check = process.argv.includes('--check');

function* sources(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) yield* sources(p);
    } else if (/\.(ts|mts|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield p;
  }
}

// `from '...'`, `import '...'`, `import('...')`, `vi.mock('...')`: a relative specifier only.
const SPEC = /((?:\bfrom|\bimport|\bvi\.mock)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

let files = 0;
let imports = 0;
for (const folder of FOLDERS) {
  for (const file of sources(path.join(root, folder))) {
    const text = fs.readFileSync(file, 'utf8');
    let changed = 0;
    const next = text.replace(SPEC, (all, head, quote, spec) => {
      const target = path.resolve(path.dirname(file), spec);
      if (target !== shared && !target.startsWith(shared + path.sep)) return all;
      changed++;
      const rest = path.relative(shared, target).split(path.sep).join('/');
      return `${head}${quote}@shared${rest ? '/' + rest : ''}${quote}`;
    });
    if (!changed) continue;
    files++;
    imports += changed;
    if (check) console.log(`${path.relative(root, file)}: ${changed}`);
    else fs.writeFileSync(file, next);
  }
}
console.log(`${check ? 'would rewrite' : 'rewrote'} ${imports} import(s) of shared/ in ${files} file(s) to @shared/...`);
if (check && imports) process.exitCode = 1;
