#!/usr/bin/env node
// The `seedsong` command. Runs the TypeScript sources through tsx, so the CLI is always the code in
// this checkout (no separate build step for the command line).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
