// `npm run security` / `node scripts/security-scan.js [DIR] [--json]`: runs Electronegativity (Doyensec's
// static checker for Electron misconfigurations) over the project (sources and, when built, out/),
// prints one line per finding and fails (exit 1) on any HIGH-severity finding. MEDIUM and LOW
// findings are printed for review; the ones the scanner marks "review" are patterns it cannot judge
// (e.g. shell.openExternal behind our allow-list).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const input = path.resolve(args.find((a) => !a.startsWith('--')) ?? root);

let run;
try {
  run = require('@doyensec/electronegativity');
} catch {
  console.error('security-scan: @doyensec/electronegativity is not installed (it is a devDependency: run `npm ci`)');
  process.exit(2);
}

// The scanner guesses Electron's version from node_modules/electron, which is absent where its
// download failed; the version the app is built for is in package.json.
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const electronVersion = String(pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? '38.0.0').replace(/^[^\d]*/, '');

// The scanner tries to download translations and Electron's release list; offline it says so on
// the console and carries on. Keep that noise out of our output.
const quiet = (fn) => async (...a) => {
  const { log, warn, error } = console;
  console.log = console.warn = console.error = () => {};
  try {
    return await fn(...a);
  } finally {
    Object.assign(console, { log, warn, error });
  }
};

const started = Date.now();
const result = await quiet(run)({ input, isRelative: true, electronVersionOverride: electronVersion, parserPlugins: [] }, false);
const findings = result.issues.map((i) => ({
  severity: i.severity.name,
  confidence: i.confidence.name,
  check: i.id,
  file: i.file,
  line: i.location?.line,
  review: !!i.manualReview,
}));
const high = findings.filter((f) => f.severity === 'HIGH');
const unparsed = result.errors.filter((e) => !e.tolerable);

if (json) {
  console.log(JSON.stringify({ input, electronVersion, checks: result.globalChecks + result.atomicChecks, findings, unparsed: unparsed.map((e) => ({ file: e.file, message: e.message })) }));
} else {
  for (const f of findings) console.log(`${f.severity.padEnd(13)} ${f.confidence.padEnd(9)} ${f.check.padEnd(28)} ${f.file}:${f.line}${f.review ? '  (review)' : ''}`);
  for (const e of unparsed) console.log(`not parsed    ${path.relative(input, e.file)}: ${String(e.message).slice(0, 120)}`);
  const by = (s) => findings.filter((f) => f.severity === s).length;
  console.log(
    `security-scan: ${result.globalChecks + result.atomicChecks} checks, Electron ${electronVersion}, ${findings.length} findings ` +
      `(high ${by('HIGH')}, medium ${by('MEDIUM')}, low ${by('LOW')}, info ${by('INFORMATIONAL')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (high.length) console.error(`security-scan: FAILED: ${high.length} high-severity finding(s)`);
}
process.exit(high.length ? 1 : 0);
