// `npm install` hook: builds the native engine (native/build/Release/facenet_native.node) with
// node-gyp against the system libtorch (Debian's libtorch-dev) or the one LIBTORCH names.
//
// - Skips the build when the addon is already newer than its sources (a development checkout
//   running `npm install SOMETHING` should not recompile for a minute).
// - FACENET_SKIP_NATIVE_BUILD=1 skips it on purpose (e.g. for a browser-only build machine); the
//   engine then reports at load time that it is not built.
// - When libtorch is missing it prints one message with the command that installs it and fails
//   the install: a package whose engine cannot load must not look installed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawnSync } = require('node:child_process');

const here = __dirname;
const addon = path.join(here, 'build', 'Release', 'facenet_native.node');
const sources = [path.join(here, 'binding.gyp'), path.join(here, 'config.cjs'), ...listFiles(path.join(here, 'src'))];

function listFiles(dir) {
  try {
    return fs.readdirSync(dir).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

function say(line) {
  process.stderr.write(`facenet: ${line}\n`);
}

function upToDate() {
  if (!fs.existsSync(addon)) return false;
  const built = fs.statSync(addon).mtimeMs;
  return sources.every((f) => fs.statSync(f).mtimeMs <= built);
}

/** Where libtorch's headers and libraries are, or null with the reason. */
function findLibtorch() {
  const root = process.env.LIBTORCH;
  if (root) {
    const header = path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h');
    const lib = path.join(root, 'lib', 'libtorch.so');
    if (!fs.existsSync(header) || !fs.existsSync(lib)) return { missing: `LIBTORCH=${root} has no ${fs.existsSync(header) ? lib : header}` };
    return { where: root };
  }
  const header = '/usr/include/torch/csrc/api/include/torch/torch.h';
  if (!fs.existsSync(header)) return { missing: `libtorch was not found (${header} is missing)` };
  return { where: 'system (/usr)' };
}

/** node-gyp: the one npm runs scripts with, else our devDependency, else the PATH's. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [path.join(here, '..')] })];
  } catch {
    return ['node-gyp'];
  }
}

/** Node's headers, offline: npm's nodedir setting, else the ones installed beside this node. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function main() {
  if (process.env.FACENET_SKIP_NATIVE_BUILD === '1') {
    say('FACENET_SKIP_NATIVE_BUILD=1: not building the native engine (run `npm rebuild facenet` later)');
    return 0;
  }
  if (upToDate()) return 0;
  const torch = findLibtorch();
  if (torch.missing) {
    say(
      `${torch.missing}. The native engine needs libtorch: install it with ` +
        '`sudo apt-get install -y libtorch-dev` (Debian/Ubuntu), or set LIBTORCH=/path/to/libtorch ' +
        '(a folder with include/ and lib/), then run `npm rebuild facenet`.',
    );
    return 1;
  }
  const [cmd, ...pre] = nodeGyp();
  const args = [...pre, 'rebuild', '--directory', here, `-j`, String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length))];
  const dir = nodeDir();
  if (dir) args.push(`--nodedir=${dir}`);
  say(`building the native engine against libtorch at ${torch.where} (about a minute)`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: here, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
    process.stderr.write(log.split('\n').slice(-40).join('\n') + '\n');
    say('building the native engine failed (output above); fix the cause, then run `npm rebuild facenet`');
    return 1;
  }
  say(`native engine built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return 0;
}

process.exitCode = main();
