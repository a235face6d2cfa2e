#!/usr/bin/env node
// The `facenet` command. Runs the TypeScript sources through tsx, so no build step is needed
// beyond the native engine (`npm run build:native`, done by `scripts/setup.sh`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
