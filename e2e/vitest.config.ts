import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// End-to-end specs: real `seedsong serve` + Debian Chromium through playwright-core, and Electron
// where its binary exists. Run after `npm run build` (npm test does both).
export default defineConfig({
  resolve: {
    alias: { '@shared': fileURLToPath(new URL('../shared', import.meta.url)) },
  },
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
