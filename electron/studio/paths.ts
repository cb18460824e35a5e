/**
 * Where the app's own files are: the repository (development, CLI, serve) or the packaged app's
 * resources. Electron's main passes its resources folder in; everything else finds the repo root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The folder holding Seedsong's package.json, found upwards from this module. */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        if (JSON.parse(fs.readFileSync(candidate, 'utf8')).name === 'seedsong') return (cachedRoot = dir);
      } catch {
        /* keep looking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Seedsong installation folder (package.json)');
    dir = parent;
  }
}

/** The built renderer served by `seedsong serve` and loaded by Electron. */
export const rendererDir = () => path.join(appRoot(), 'out', 'renderer');
/** Bundled resources: default model, SoundFont, icons. */
export const resourcesDir = () => path.join(appRoot(), 'resources');
/** The built-in default model, used by the studio and the CLI when no model is chosen. */
export const defaultModelDir = () => path.join(resourcesDir(), 'models', 'default');

/** The folder used outside Electron when none is given: SEEDSONG_HOME, else ~/.seedsong. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SEEDSONG_HOME ? path.resolve(env.SEEDSONG_HOME) : path.join(os.homedir(), '.seedsong');
}

/**
 * A message for the user without the machine's absolute paths: each known root (and anything under
 * it) is replaced by a name the user knows, e.g. [[libraryRoot, 'the model library']].
 */
export function hidePaths(message: string, roots: [root: string, name: string][]): string {
  let out = message;
  for (const [root, name] of roots.sort((a, b) => b[0].length - a[0].length)) {
    if (!root) continue;
    const r = path.resolve(root);
    // "<root>/a/b" becomes "a/b in <name>"; "<root>" alone becomes "<name>".
    out = out.split(r + path.sep).join(`${name}${path.sep}`).split(r).join(name);
  }
  return out;
}
