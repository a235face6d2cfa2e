// Prints build flags for binding.gyp: which libtorch to build against.
// LIBTORCH=/path/to/libtorch (a folder with include/ and lib/, e.g. a CUDA build or the `torch`
// Python wheel's torch/ folder) overrides Debian's system libtorch (apt-get install libtorch-dev).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = process.env.LIBTORCH;
const what = process.argv[2];

function system() {
  return { include: '/usr/include', lib: '/usr/lib/x86_64-linux-gnu' };
}

function custom(dir) {
  return { include: path.join(dir, 'include'), lib: path.join(dir, 'lib') };
}

const where = root ? custom(root) : system();
const has = (name) => fs.existsSync(path.join(where.lib, name));

if (what === 'include') {
  console.log([where.include, path.join(where.include, 'torch/csrc/api/include')].join(' '));
} else if (what === 'libs') {
  const libs = ['-L' + where.lib, '-Wl,-rpath,' + where.lib, '-ltorch', '-ltorch_cpu', '-lc10'];
  // A CUDA build of libtorch splits its CUDA kernels into these; linking them with
  // --no-as-needed makes their static initialisers register the CUDA backend.
  if (has('libtorch_cuda.so')) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  console.log(libs.join(' '));
} else if (what === 'defines') {
  // The pip wheels of PyTorch < 2.7 are built with the old C++ ABI; Debian's libtorch with the new one.
  const abi = process.env.LIBTORCH_CXX11_ABI ?? (root ? '' : '1');
  console.log(abi === '' ? '' : `_GLIBCXX_USE_CXX11_ABI=${abi}`);
} else {
  console.error('usage: node config.cjs include|libs|defines');
  process.exit(2);
}
