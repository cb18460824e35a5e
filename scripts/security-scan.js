// `npm run security` / `node scripts/security-scan.js [DIR] [--json]`: runs Electronegativity (Doyensec's
// static checker for Electron misconfigurations) over the project (sources and, when built, out/),
// prints one line per finding and fails (exit 1) on any HIGH-severity finding. MEDIUM and LOW
// findings are printed for review; the ones the scanner marks "review" are patterns it cannot judge
// (e.g. shell.openExternal behind our allow-list).
//
// A file the scanner cannot read is a failure too (exit 1): a bundle it skips is a bundle nobody
// checked. Its parser does not know newer syntax (class private fields, which Svelte 5 and the
// bundler emit); such a file is lowered to ES2021 with esbuild and scanned again, and only a file
// that still cannot be read fails the scan.
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
let unparsed = result.errors.filter((e) => !e.tolerable);
const lowered = [];

// Lower each unreadable file and scan the lowered copies (atomic checks only: the global ones, such
// as the CSP check, were done on the whole project above).
if (unparsed.length) {
  let esbuild = null;
  try {
    esbuild = require('esbuild');
  } catch {
    /* no esbuild: the files stay unparsed and the scan fails */
  }
  if (esbuild) {
    const os = await import('node:os');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-scan-'));
    const copies = new Map();
    try {
      for (const e of unparsed) {
        const rel = path.relative(input, e.file) || path.basename(e.file);
        const out = path.join(tmp, rel);
        try {
          const code = fs.readFileSync(e.file, 'utf8');
          const r = await esbuild.transform(code, { loader: 'js', target: 'es2021', format: e.file.endsWith('.cjs') ? 'cjs' : 'esm', minify: false });
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, r.code);
          copies.set(out, e.file);
        } catch (err) {
          e.message = `${e.message}; lowering it with esbuild failed too (${String(err.message).split('\n')[0]})`;
        }
      }
      if (copies.size) {
        const again = await quiet(run)({ input: tmp, isRelative: true, electronVersionOverride: electronVersion, parserPlugins: [] }, false);
        const stillUnparsed = new Set(again.errors.filter((e) => !e.tolerable).map((e) => copies.get(e.file) ?? e.file));
        for (const i of again.issues) {
          const original = copies.get(i.file) ?? copies.get(path.join(tmp, i.file));
          if (!original || i.id.includes('GLOBAL')) continue;
          findings.push({ severity: i.severity.name, confidence: i.confidence.name, check: i.id, file: path.relative(input, original), line: i.location?.line, review: !!i.manualReview, lowered: true });
        }
        for (const original of copies.values()) if (!stillUnparsed.has(original)) lowered.push(original);
        unparsed = unparsed.filter((e) => !copies.has(path.join(tmp, path.relative(input, e.file) || path.basename(e.file))) || stillUnparsed.has(e.file));
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}
const high = findings.filter((f) => f.severity === 'HIGH');

if (json) {
  console.log(JSON.stringify({ input, electronVersion, checks: result.globalChecks + result.atomicChecks, findings, lowered, unparsed: unparsed.map((e) => ({ file: e.file, message: e.message })) }));
} else {
  for (const f of findings) console.log(`${f.severity.padEnd(13)} ${f.confidence.padEnd(9)} ${f.check.padEnd(28)} ${f.file}:${f.line}${f.review ? '  (review)' : ''}`);
  for (const f of lowered) console.log(`lowered       ${path.relative(input, f)}: read after lowering to ES2021 (newer syntax the scanner does not know)`);
  for (const e of unparsed) console.log(`not parsed    ${path.relative(input, e.file)}: ${String(e.message).slice(0, 200)}`);
  const by = (s) => findings.filter((f) => f.severity === s).length;
  console.log(
    `security-scan: ${result.globalChecks + result.atomicChecks} checks, Electron ${electronVersion}, ${findings.length} findings ` +
      `(high ${by('HIGH')}, medium ${by('MEDIUM')}, low ${by('LOW')}, info ${by('INFORMATIONAL')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (high.length) console.error(`security-scan: FAILED: ${high.length} high-severity finding(s)`);
  if (unparsed.length) console.error(`security-scan: FAILED: ${unparsed.length} file(s) could not be read, so they were not checked`);
}
process.exit(high.length || unparsed.length ? 1 : 0);
