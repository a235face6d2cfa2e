#!/usr/bin/env node
// The `facenet` command. An installed package runs the compiled JavaScript in dist/ (built by
// `npm pack` / `prepare`). A development checkout (src/ present and tsx installed) runs the
// TypeScript sources through tsx instead, so a stale dist/ never shadows the code being edited.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function loadMain() {
  if (existsSync(source)) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
      return (await import(source.href)).main;
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(compiled)) throw e;
    }
  }
  if (!existsSync(compiled)) {
    process.stderr.write(`facenet: ${compiled.pathname} is missing: run \`npm run build:ts\` in the package folder\n`);
    process.exit(1);
  }
  return (await import(compiled.href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
