#!/usr/bin/env node
// The `seedsong` command. Runs the TypeScript sources through tsx, so the CLI is always the code in
// this checkout (no separate build step for the command line).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

// The '@shared/...' imports resolve through this checkout's tsconfig.json wherever the command runs
// from; the engine process and worker threads it starts inherit the setting.
process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register({ tsconfig: process.env.TSX_TSCONFIG_PATH });
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
