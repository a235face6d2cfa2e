// Builds dist/ (JavaScript + .d.ts) from src/ with tsc, from scratch so that no file of a removed
// source survives. Run by `npm pack` / `npm publish` / git installs (`prepare`) and `npm run build:ts`.
import { cpSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
// Static files that code beside them reads at run time (facenet serve's web page).
if (r.status === 0) cpSync(path.join(root, 'src/serve/web'), path.join(root, 'dist/serve/web'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
process.exit(r.status ?? 1);
