/**
 * The package as a user gets it: `npm pack`, then install the tarball into an empty project
 * offline, type-check and run the README's library example with plain Node (no tsx), and run
 * the installed `facenet` command.
 *
 * Offline: CI's `npm ci` leaves the tarballs of our lockfile in npm's cache, not the registry
 * metadata a fresh resolution needs, so the consumer gets a lockfile made from ours (the same
 * versions this checkout is tested with) and installs with `npm ci --offline`. The lockfile
 * leaves out facenet's optional dependencies (databases, ANN index, ONNX runtime): the core must
 * work without them. The install compiles the native engine (about a minute on 2 cores).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm, mkdir } from 'node:fs/promises';
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InceptionResnetV1 } from './models/inception-resnet-v1/model.js';
import { saveModel } from './models/model-file.js';
import { ZOO } from './test-support/shared.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  link?: boolean;
  [k: string]: unknown;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

/** Runs a command; resolves with its output, rejects with the output on a non-zero exit. */
function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: o.cwd, env: o.env ?? cleanEnv(), timeout: o.timeoutMs ?? 600_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${err.message})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve({ stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The environment without the npm_* variables of an enclosing `npm test`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

/** node_modules path of `name` as seen from the package at `from` (nested first, then hoisted). */
function locate(lock: Lock, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base ? base + '/' : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function tarballUrl(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

/** A consumer lockfile: facenet from the tarball, its (non-optional) dependencies and `devDeps`, as our lockfile pins them. */
function consumerLock(ours: Lock, pkg: { version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> }, tarball: string, devDeps: Record<string, string>) {
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { facenet: `file:${tarball}` }, devDependencies: devDeps },
    'node_modules/facenet': { version: pkg.version, resolved: `file:${tarball}`, hasInstallScript: true, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  const queue: [string, Record<string, string>][] = [['', { ...pkg.dependencies, ...devDeps }]];
  while (queue.length > 0) {
    const [from, deps] = queue.shift()!;
    for (const name of Object.keys(deps)) {
      const at = locate(ours, from === 'node_modules/facenet' ? '' : from, name);
      if (!at) continue; // an optional dependency for another platform
      if (packages[at]) continue;
      const e: LockEntry = { ...ours.packages[at]! };
      const optionalOnly = e.optional === true || (e.dev === true && e.optional === true) || e.devOptional === true;
      delete e.dev;
      delete e.devOptional;
      delete e.peer;
      if (optionalOnly && (e.optional || e.devOptional)) e.optional = true;
      else delete e.optional;
      e.resolved = tarballUrl(name, e.version!);
      packages[at] = e;
      const next = { ...(e.dependencies ?? {}), ...(e.optionalDependencies ?? {}) };
      for (const [peer, meta] of Object.entries(e.peerDependencies ?? {})) if (!e.peerDependenciesMeta?.[peer]?.optional) next[peer] = e.peerDependencies![peer]!;
      queue.push([at, next]);
    }
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** The README's library example: the ```ts example block of the "Use it as a library" section. */
export function readmeExample(readme: string): string {
  const m = /## Use it as a library[\s\S]*?```ts example\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README.md has a "Use it as a library" section with a ```ts example block');
  return m[1]!;
}

test('npm pack -> offline install in a fresh project -> the README example detects, embeds and compares; the CLI runs without tsx', { timeout: 900_000 }, async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'facenet-consumer-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const timings: Record<string, number> = {};

  // 1. pack (runs `prepare`, which builds dist/ from scratch)
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo, timeoutMs: 300_000 });
  timings['pack_s'] = packed.ms / 1000;
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = info[0]!.files.map((f) => f.path);
  for (const need of ['package.json', 'README.md', 'bin/facenet.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'native/binding.gyp', 'native/install.cjs', 'native/src/addon.cc', 'dist/serve/web/index.html']) {
    assert.ok(files.includes(need), `the tarball holds ${need}`);
  }
  const unwanted = files.filter((f) => /\.test\.|^src\/|^\.ci\/|^bench\/|^scripts\/|^native\/build\/|test-support|\.py$|\.map$/.test(f));
  assert.deepEqual(unwanted, [], 'the tarball holds only what users need');
  const tarball = path.join(work, info[0]!.filename);

  // 2. a consumer project with a lockfile pinned to our versions; install offline
  const consumer = path.join(work, 'consumer');
  await mkdir(consumer);
  const ours = JSON.parse(await readFile(path.join(repo, 'package-lock.json'), 'utf8')) as Lock;
  const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
  const devDeps = { typescript: ours.packages['node_modules/typescript']!.version!, '@types/node': ours.packages['node_modules/@types/node']!.version! };
  await writeFile(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { facenet: `file:${tarball}` }, devDependencies: devDeps }, null, 2),
  );
  await writeFile(path.join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(ours, pkg, tarball, devDeps), null, 2));
  const installed = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: consumer, timeoutMs: 900_000 });
  timings['install_s'] = installed.ms / 1000;
  assert.match(installed.stderr, /facenet: native engine built in/, 'the install built the addon');
  assert.ok(existsSync(path.join(consumer, 'node_modules/facenet/native/build/Release/facenet_native.node')));

  // 3. the README example, type-checked against the installed declarations, run with plain node
  const example = readmeExample(readFileSync(path.join(repo, 'README.md'), 'utf8'));
  await writeFile(path.join(consumer, 'example.ts'), example);
  await writeFile(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out' }, include: ['example.ts'] }),
  );
  const tsc = await run(process.execPath, [path.join(consumer, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: consumer });
  timings['tsc_s'] = tsc.ms / 1000;

  const modelFile = path.join(work, 'tiny.safetensors');
  const model = new InceptionResnetV1({ variant: 'inception-resnet-v1-tiny' });
  try {
    model.eval();
    await saveModel(model, modelFile, { note: 'random weights, for the install test' });
  } finally {
    model.dispose();
  }
  const env = cleanEnv({ FACENET_MODEL: modelFile, SAMPLES: path.join(ZOO, 'samples'), FACENET_MIRROR: ZOO, FACENET_HOME: path.join(work, 'home') });
  const ran = await run(process.execPath, ['out/example.js'], { cwd: consumer, env, timeoutMs: 300_000 });
  timings['example_s'] = ran.ms / 1000;
  const faces = /multiface\.jpg: (\d+) faces/.exec(ran.stdout);
  assert.ok(faces && Number(faces[1]) >= 2, `the example found the faces of multiface.jpg:\n${ran.stdout}\n${ran.stderr}`);
  for (const label of ['same person', 'different people']) {
    const m = new RegExp(`${label}: distance (\\d+\\.\\d+), match null`).exec(ran.stdout);
    assert.ok(m, `the example printed '${label}': ${ran.stdout}`);
    const d = Number(m[1]);
    assert.ok(d > 0 && d <= 2, `${label}: a distance of unit embeddings, got ${d}`);
  }

  // 4. the installed command: compiled JS, no tsx anywhere it could be found
  const bin = path.join(consumer, 'node_modules/.bin/facenet');
  const version = await run(bin, ['--version'], { cwd: consumer, env });
  assert.equal(version.stdout.trim(), pkg.version);
  const help = await run(bin, ['--help'], { cwd: consumer, env });
  assert.match(help.stdout, /Usage: facenet <command>/);
  const embedHelp = await run(bin, ['help', 'embed'], { cwd: consumer, env });
  assert.match(embedHelp.stdout, /Usage: facenet embed/);
  t.diagnostic(`timings ${JSON.stringify(timings)}`);
});

test('the install script, without libtorch: one message with the apt command, and a failed install', async () => {
  const pkgDir = await mkdtemp(path.join(os.tmpdir(), 'facenet-nolibtorch-'));
  try {
    await mkdir(path.join(pkgDir, 'native'));
    await writeFile(path.join(pkgDir, 'native/install.cjs'), await readFile(path.join(repo, 'native/install.cjs')));
    await writeFile(path.join(pkgDir, 'native/binding.gyp'), '{}');
    await writeFile(path.join(pkgDir, 'native/config.cjs'), '');
    const r = await run(process.execPath, ['native/install.cjs'], { cwd: pkgDir, env: cleanEnv({ LIBTORCH: path.join(pkgDir, 'no-such-libtorch') }) }).then(
      () => null,
      (e: Error) => e.message,
    );
    assert.ok(r, 'the install fails');
    assert.match(r, /facenet: LIBTORCH=.*no-such-libtorch has no .*torch\.h\. The native engine needs libtorch: install it with `sudo apt-get install -y libtorch-dev`/);
    const stderr = r.slice(r.indexOf('--- stderr'));
    assert.equal(stderr.match(/apt-get install/g)?.length, 1, `one message:\n${stderr}`);
  } finally {
    await rm(pkgDir, { recursive: true, force: true });
  }
});
