import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { resolve } from 'node:path';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import type { Plugin } from 'vite';
import { WORKER_ENTRIES } from './shared/worker/entries';

// electron-vite reads Electron's major version from node_modules/electron to pick build targets.
// Where the Electron binary could not be installed (electron is an optional dependency), take the
// version from package.json so that the renderer, main and preload still build.
if (!process.env.ELECTRON_MAJOR_VER) {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  const wanted: string = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? '38';
  process.env.ELECTRON_MAJOR_VER = wanted.replace(/^[^\d]*/, '').split('.')[0];
}

const alias = { '@shared': resolve('shared') };

/**
 * The bundled SoundFont lives in resources/soundfonts (with its license note) and is served to the
 * page as soundfonts/<file>: copied into the build, and answered by the dev server.
 */
function soundFonts(): Plugin {
  const dir = resolve('resources/soundfonts');
  const files = () => readdirSync(dir).filter((f) => /\.(sf2|sf3)$/i.test(f));
  return {
    name: 'seedsong-soundfonts',
    generateBundle() {
      for (const file of files()) this.emitFile({ type: 'asset', fileName: `soundfonts/${file}`, source: readFileSync(resolve(dir, file)) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.match(/\/soundfonts\/([\w.-]+\.sf[23])$/i)?.[1];
        if (!name || !files().includes(name)) return next();
        res.setHeader('content-type', 'application/octet-stream');
        createReadStream(resolve(dir, name)).pipe(res);
      });
    },
  };
}

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // Every worker entry (shared/worker/entries.ts) is built to out/main/<name>.js, where
        // startWorker (shared/worker/start.ts) finds it at run time: the built app needs no tsx.
        input: {
          index: resolve('electron/main/index.ts'),
          engine: resolve('electron/engine/process.ts'),
          ...Object.fromEntries(Object.entries(WORKER_ENTRIES).map(([name, source]) => [name, resolve(source)])),
        },
        // Native and optional modules are loaded at run time, never bundled.
        external: ['electron', '@julusian/midi', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        // Sandboxed preloads must be a single CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: 'renderer',
    resolve: { alias },
    plugins: [svelte(), soundFonts()],
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
