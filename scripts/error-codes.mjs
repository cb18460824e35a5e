// One error-code style: the engine (TypeScript and the PyTorch trainer) throws the contract's own
// codes (shared/ipc/result.ts, snake_case), so no table translates them on the way to the window.
// Rewrites the old kebab-case engine codes where they are used as error codes (EngineError(...),
// TrainerError(...), `code: '...'`, `code === '...'`); hyperparameter and preset errors become
// HyperparameterError (code invalid_request; the CLI answers them as usage errors). Idempotent: run
// it again after merging work written with the old codes (`--check` lists, writes nothing).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const CODES = {
  'bad-request': 'invalid_request',
  'bad-corpus': 'bad_input',
  'bad-model': 'bad_input',
  'not-found': 'not_found',
  exists: 'busy',
  backend: 'unsupported',
  'engine-crashed': 'engine_failed',
  internal: 'engine_failed',
  'unknown-preset': 'invalid_request',
  'bad-hyperparameters': 'invalid_request',
};
const alt = Object.keys(CODES).map((c) => c.replace(/-/g, '\\-')).join('|');
// 'internal' is also a contract code (a bug in the studio): only the engine's own throws change.
const altNoInternal = Object.keys(CODES).filter((c) => c !== 'internal').map((c) => c.replace(/-/g, '\\-')).join('|');
const rules = [
  // new EngineError('bad-hyperparameters', ...) / ('unknown-preset', ...) -> new HyperparameterError(...)
  [/new EngineError\(\s*'(?:bad-hyperparameters|unknown-preset)',\s*/g, () => 'new HyperparameterError('],
  [new RegExp(`(EngineError\\(\\s*)'(${alt})'`, 'g'), (_, head, c) => `${head}'${CODES[c]}'`],
  // subclasses of EngineError: super('bad-request', message)
  [new RegExp(`(\\bsuper\\(\\s*)'(${altNoInternal})'`, 'g'), (_, head, c) => `${head}'${CODES[c]}'`],
  [new RegExp(`(\\bcode: )'(${altNoInternal})'`, 'g'), (_, head, c) => `${head}'${CODES[c]}'`],
  [new RegExp(`(\\.code === )'(${altNoInternal})'`, 'g'), (_, head, c) => `${head}'${CODES[c]}'`],
];
const pyRules = [
  [/TrainerError\(\s*"bad-hyperparameters",\s*/g, () => 'HyperparameterError('],
  [new RegExp(`(TrainerError\\(\\s*)"(${alt}|unsupported)"`, 'g'), (_, head, c) => `${head}"${CODES[c] ?? c}"`],
  [new RegExp(`("code": )"(${alt})"`, 'g'), (_, head, c) => `${head}"${CODES[c]}"`],
];
const SKIP = new Set(['node_modules', 'out', 'dist', '.git', 'test-results', '__pycache__']);
function* walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) yield* walk(p);
    } else yield p;
  }
}
let changed = 0;
for (const folder of ['electron', 'engine-torch', 'bench', 'scripts']) {
  for (const file of walk(path.join(root, folder))) {
    const ts = /\.ts$/.test(file);
    const py = /\.py$/.test(file);
    if ((!ts && !py) || file === fileURLToPath(import.meta.url)) continue;
    const text = fs.readFileSync(file, 'utf8');
    let next = text;
    for (const [re, to] of ts ? rules : pyRules) next = next.replace(re, to);
    if (py && next.includes('HyperparameterError(') && !next.includes('import HyperparameterError') && !/import .*HyperparameterError/.test(next)) {
      next = next.replace(/from \.errors import TrainerError\b/, 'from .errors import HyperparameterError, TrainerError');
    }
    if (ts && next.includes('new HyperparameterError(') && !/\bHyperparameterError\b[^(]/.test(next.replace(/new HyperparameterError\(/g, ''))) {
      // Import it beside EngineError from the same module.
      next = next.replace(/import \{([^}]*)\bEngineError\b([^}]*)\} from '([^']*errors)';/, (all, a, b, from) => `import {${a}EngineError, HyperparameterError${b}} from '${from}';`);
    }
    if (next === text) continue;
    changed++;
    if (check) console.log(path.relative(root, file));
    else fs.writeFileSync(file, next);
  }
}
console.log(`${check ? 'would change' : 'changed'} ${changed} file(s)`);
if (check && changed) process.exitCode = 1;
