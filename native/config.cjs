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

// Gloo's headers: inside a libtorch folder, else Debian's libgloo-dev (which matches Debian's libtorch).
function glooInclude() {
  for (const dir of [where.include, '/usr/include']) if (fs.existsSync(path.join(dir, 'gloo/algorithm.h'))) return dir;
  return null;
}

// nccl.h: inside a libtorch folder, beside the torch wheel (site-packages/nvidia/nccl), or the system's.
function ncclInclude() {
  const candidates = [where.include, path.join(where.include, '../../nvidia/nccl/include'), '/usr/include', '/usr/local/cuda/include'];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'nccl.h'))) return path.resolve(dir);
  return null;
}

if (what === 'include') {
  const dirs = [where.include, path.join(where.include, 'torch/csrc/api/include')];
  for (const extra of [glooInclude(), has('libtorch_cuda.so') ? ncclInclude() : null]) if (extra && !dirs.includes(extra)) dirs.push(extra);
  // CUDA builds: c10d's NCCL headers include cuda_runtime.h.
  if (has('libtorch_cuda.so')) for (const cuda of [process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean)) {
    if (fs.existsSync(path.join(cuda, 'include/cuda_runtime.h'))) { dirs.push(path.join(cuda, 'include')); break; }
  }
  console.log(dirs.join(' '));
} else if (what === 'libs') {
  const libs = ['-L' + where.lib, '-Wl,-rpath,' + where.lib, '-ltorch', '-ltorch_cpu', '-lc10'];
  // A CUDA build of libtorch splits its CUDA kernels into these; linking them with
  // --no-as-needed makes their static initialisers register the CUDA backend.
  if (has('libtorch_cuda.so')) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  console.log(libs.join(' '));
} else if (what === 'defines') {
  // The pip wheels of PyTorch < 2.7 are built with the old C++ ABI; Debian's libtorch with the new one.
  const abi = process.env.LIBTORCH_CXX11_ABI ?? (root ? '' : '1');
  const defines = abi === '' ? [] : [`_GLIBCXX_USE_CXX11_ABI=${abi}`];
  // c10d's headers compile their Gloo / NCCL backends only under these macros (native/src/distributed.cc).
  if (glooInclude()) defines.push('USE_C10D_GLOO');
  if (has('libtorch_cuda.so') && ncclInclude()) defines.push('USE_C10D_NCCL');
  console.log(defines.join(' '));
} else {
  console.error('usage: node config.cjs include|libs|defines');
  process.exit(2);
}
