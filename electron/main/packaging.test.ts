/**
 * The electron-builder configuration, checked here because the package itself cannot be built on
 * machines without the Electron binary: schema-valid (electron-builder's own validator), every
 * target the issue names, icons that exist and are big enough, every file the app loads at run
 * time produced by the build and included, native modules unpacked from the asar archive, extra
 * resources present, and a license notice for every bundled data file.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

interface ExtraResource {
  from: string;
  to: string;
  filter?: string[];
}
interface BuilderConfig {
  electronFuses?: Record<string, boolean>;
  appId: string;
  productName: string;
  electronVersion?: string;
  directories: { output: string; buildResources: string };
  /** getConfig normalizes the list of patterns into file sets ({ filter: [...] }). */
  files: (string | { from?: string; filter?: string[] })[];
  extraResources: ExtraResource[];
  asar: boolean;
  asarUnpack: string[];
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
}

async function loadConfig(): Promise<BuilderConfig> {
  const { getConfig } = require('app-builder-lib/out/util/config/config');
  return (await getConfig(root, 'electron-builder.yml', null)) as BuilderConfig;
}

async function validate(config: unknown): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  await validateConfiguration(config, new DebugLogger(false));
}

/** Extra resources that a later piece of work adds; each says who and why. */
const NOT_YET: Record<string, string> = {};

function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1'), `${file} is not a PNG`).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** A tiny glob for electron-builder's patterns: **, * and literal segments. */
function matches(pattern: string, file: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')))
        .join('/')
        .replace(/\/\(\?:\.\*\)/g, '(?:/.*)?') +
      '$',
  );
  return re.test(file);
}

function included(files: BuilderConfig['files'], file: string): boolean {
  const patterns = files.flatMap((f) => (typeof f === 'string' ? [f] : f.from ? [] : (f.filter ?? [])));
  let ok = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matches(p.slice(1), file)) ok = false;
    } else if (matches(p, file)) ok = true;
  }
  return ok;
}

describe('electron-builder.yml', async () => {
  const config = await loadConfig();

  it('passes electron-builder schema validation, which catches a mistyped key', async () => {
    await expect(validate(config)).resolves.toBeUndefined();
    await expect(validate({ ...config, asarUnpak: ['x'] })).rejects.toThrow(/asarUnpak/);
  });

  it('flips the Electron fuses: no RunAsNode, NODE_OPTIONS or --inspect; asar integrity checked and the only app loaded', async () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // The fuses only take effect with the asar archive they protect.
    expect(config.asar).toBe(true);
    // electron-builder's validator knows the fuse names: a mistyped one would be refused.
    await expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } })).rejects.toThrow(/electronFuses/);
  });

  it('keeps the engine in an Electron utilityProcess, which works with RunAsNode off (no ELECTRON_RUN_AS_NODE fork)', async () => {
    const main = fs.readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toMatch(/spawnEngine: utilityProcessEngine\(utilityProcess, engineEntry\)/);
    for (const dir of ['electron/main', 'electron/studio', 'electron/server', 'electron/engine']) {
      for (const f of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
        expect(fs.readFileSync(path.join(root, dir, f), 'utf8'), `${dir}/${f}`).not.toMatch(/ELECTRON_RUN_AS_NODE/);
      }
    }
    // utilityProcessEngine forks through utilityProcess (never child_process) and carries messages both ways.
    const { utilityProcessEngine } = await import('../studio/engine-client');
    const calls: { entry: string; env?: NodeJS.ProcessEnv }[] = [];
    const sent: unknown[] = [];
    const handlers: Record<string, (v: unknown) => void> = {};
    const fake = {
      fork: (entry: string, _args?: string[], options?: { env?: NodeJS.ProcessEnv }) => {
        calls.push({ entry, env: options?.env });
        return { pid: 42, postMessage: (m: unknown) => sent.push(m), on: (event: string, h: (v: unknown) => void) => ((handlers[event] = h), undefined), kill: () => true };
      },
    };
    const child = utilityProcessEngine(fake as never, '/app/out/main/engine.js')({ SEEDSONG_X: '1' });
    const got: unknown[] = [];
    child.onMessage((m) => got.push(m));
    child.send({ type: 'ping' } as never);
    handlers.message!({ type: 'pong' });
    expect(calls).toEqual([{ entry: '/app/out/main/engine.js', env: { SEEDSONG_X: '1' } }]);
    expect(sent).toEqual([{ type: 'ping' }]);
    expect(got).toEqual([{ type: 'pong' }]);
  });

  it('names the app and builds AppImage + deb, dmg and nsis', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9]+)+$/);
    expect(config.productName).toBe(pkg.productName);
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
    expect(config.electronVersion).toBe(String(pkg.optionalDependencies.electron).replace(/^[^\d]*/, ''));
  });

  it('has icons in resources/build, at least 512x512', () => {
    expect(config.directories.buildResources).toBe('resources/build');
    for (const os of ['linux', 'mac', 'win'] as const) {
      const icon = path.join(root, config[os].icon);
      expect(fs.existsSync(icon), `${os} icon ${config[os].icon}`).toBe(true);
      expect(icon.startsWith(path.join(root, 'resources', 'build') + path.sep)).toBe(true);
      const { width, height } = pngSize(icon);
      expect(width).toBeGreaterThanOrEqual(512);
      expect(height).toBe(width);
    }
  });

  it('includes every file the app loads at run time, as the build produces them', async () => {
    // What electron-vite builds (its config names the entries) ...
    const vite = fs.readFileSync(path.join(root, 'electron.vite.config.ts'), 'utf8');
    expect(vite).toMatch(/outDir: 'out\/main'/);
    expect(vite).toMatch(/input: \{[^}]*index: resolve\('electron\/main\/index\.ts'\)/);
    expect(vite).toMatch(/engine: resolve\('electron\/engine\/process\.ts'\)/);
    expect(vite).toMatch(/outDir: 'out\/preload'/);
    expect(vite).toMatch(/entryFileNames: '\[name\]\.cjs'/);
    // ... is what main loads ...
    const main = fs.readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toContain("'../preload/index.cjs'");
    expect(main).toContain("'engine.js'");
    expect(main).toContain("'../renderer'");
    // ... and the package carries it, with the package.json that names the entry point.
    expect(pkg.main).toBe('out/main/index.js');
    for (const f of ['package.json', 'out/main/index.js', 'out/main/engine.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/soundfonts/FluidR3Mono_GM.sf3']) {
      expect(included(config.files, f), f).toBe(true);
    }
    expect(included(config.files, 'out/main/index.js.map')).toBe(false);
    expect(included(config.files, 'electron/main/index.ts')).toBe(false);
  });

  it('the bundled SoundFont is copied into the renderer build', () => {
    const vite = fs.readFileSync(path.join(root, 'electron.vite.config.ts'), 'utf8');
    expect(vite).toContain("resolve('resources/soundfonts')");
    expect(fs.readdirSync(path.join(root, 'resources/soundfonts')).some((f) => /\.sf[23]$/.test(f))).toBe(true);
  });

  it('unpacks native modules (and wasm) from the asar archive', () => {
    expect(config.asar).toBe(true);
    const natives = ['@julusian/midi', '@tensorflow/tfjs-node'];
    for (const name of natives) {
      expect(pkg.optionalDependencies[name] ?? pkg.dependencies[name], name).toBeDefined();
      expect(config.asarUnpack, name).toContain(`node_modules/${name}/**`);
    }
    // Every installed runtime dependency with compiled code must be covered.
    const deps = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)].filter((d) => d !== 'electron');
    for (const dep of deps) {
      const dir = path.join(root, 'node_modules', dep);
      if (!fs.existsSync(dir)) continue; // an optional dependency that did not install here
      const hasNative = fs.existsSync(path.join(dir, 'binding.gyp')) || fs.existsSync(path.join(dir, 'prebuilds'));
      if (hasNative) expect(config.asarUnpack.some((p) => matches(p, `node_modules/${dep}/x.node`)), `${dep} has native code`).toBe(true);
    }
    const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    const wasm = fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const f of wasm) expect(config.asarUnpack.some((p) => matches(p, `node_modules/@tensorflow/tfjs-backend-wasm/dist/${f}`)), f).toBe(true);
  });

  it('every extra resource exists (or is listed as coming later, with a reason)', () => {
    for (const r of config.extraResources) {
      const exists = fs.existsSync(path.join(root, r.from));
      if (!exists && NOT_YET[r.from]) {
        console.log(`packaging: ${r.from} is not there yet: ${NOT_YET[r.from]}`);
        continue;
      }
      expect(exists, `extraResources from ${r.from}`).toBe(true);
    }
    expect(config.extraResources.map((r) => r.to)).toEqual(expect.arrayContaining(['models', 'licenses']));
  });

  it('the "coming later" list is current (remove an entry once its folder exists)', () => {
    for (const from of Object.keys(NOT_YET)) expect(fs.existsSync(path.join(root, from)), `${from} exists now: remove it from NOT_YET`).toBe(false);
  });

  it('lists a license for every bundled data file and runtime library', () => {
    const licenses = fs
      .readdirSync(path.join(root, 'resources/licenses'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => fs.readFileSync(path.join(root, 'resources/licenses', f), 'utf8'))
      .join('\n');
    for (const f of fs.readdirSync(path.join(root, 'resources/soundfonts')).filter((x) => /\.sf[23]$/.test(x))) {
      expect(licenses, f).toContain(f);
      expect(fs.existsSync(path.join(root, 'resources/licenses', `${f}.md`)), `${f}.md notice`).toBe(true);
    }
    const models = path.join(root, 'resources/models');
    if (fs.existsSync(models)) for (const m of fs.readdirSync(models)) expect(licenses, `model ${m}`).toContain(`models/${m}`);
    for (const dep of Object.keys(pkg.dependencies)) expect(licenses, dep).toContain(dep);
  });
});

describe('npm run package', () => {
  const hasElectron = (() => {
    try {
      return typeof require('electron') === 'string';
    } catch {
      return false;
    }
  })();
  if (hasElectron) console.log('packaging: the Electron binary is installed here, so the "missing binary" message is not exercised');

  it.skipIf(hasElectron)('stops with a clear message where the Electron binary is missing', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/package.js')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot package: the Electron binary is not installed/);
  });
});
