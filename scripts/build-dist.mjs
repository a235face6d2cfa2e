// Builds dist/ (JavaScript + .d.ts) from src/ with tsc, from scratch so that no file of a removed
// source survives. Run by `npm pack` / `npm publish` / git installs (`prepare`) and `npm run build:ts`.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'dist');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit', cwd: root });

// Files the code reads at run time beside itself (src/serve/web/*.html, .css, .js, …): tsc does not
// copy them, so they go to the same place under dist/.
const src = path.join(root, 'src');
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const rel = path.relative(src, path.join(entry.parentPath ?? entry.path, entry.name));
  if (rel.split(path.sep).includes('test-support') || /\.test\./.test(entry.name)) continue;
  mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
  copyFileSync(path.join(src, rel), path.join(out, rel));
}
process.exit(r.status ?? 1);
