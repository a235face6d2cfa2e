#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine, idempotently:
# libtorch (Debian's libtorch-dev, unless LIBTORCH names another build), npm packages, the addon.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ]; then
  echo "setup: installing Debian's libtorch-dev (libtorch 1.13, CPU)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libtorch-dev >/dev/null
fi

# Debian's libtorch takes its float32 matrix products from the system BLAS, which is the netlib
# reference BLAS unless an optimised one is installed. OpenBLAS (its OpenMP build, so that it
# shares libtorch's thread pool) registers itself as libblas.so.3: a matrix-vector product over a
# gallery's matrix runs 2.6x faster with it (114 -> 44 ms for 200k x 512 on an EPYC core).
if [ -z "${LIBTORCH:-}" ] && [ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ] && [ "$(uname -m)" = x86_64 ]; then
  echo "setup: installing Debian's libopenblas0-openmp (fast float32 BLAS for libtorch)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -E '^(lock|partial|auxfiles)$')" ] || $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas0-openmp >/dev/null
fi

# Data-parallel training (native/src/distributed.cc) needs Gloo's headers; its tests need `ip netns`.
missing=""
[ -n "${LIBTORCH:-}" ] || [ -f /usr/include/gloo/algorithm.h ] || missing="$missing libgloo-dev"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
if [ -n "$missing" ]; then
  echo "setup: installing$missing" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# The browser tests (src/web/browser.test.ts) drive Debian's Chromium headless through playwright-core.
if [ ! -x /usr/bin/chromium ] && [ -z "${FACENET_CHROMIUM:-}" ]; then
  echo "setup: installing Debian's chromium (browser tests)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "setup: installing Debian's postgresql-15 (the gallery's PostgreSQL store is tested against it)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

addon=native/build/Release/facenet_native.node
if [ ! -f "$addon" ] || [ -n "$(find native/src native/binding.gyp native/config.cjs -newer "$addon" 2>/dev/null | head -1)" ]; then
  echo "setup: building the native engine (about a minute)" >&2
  npm run --silent build:native >/tmp/facenet-native-build.log 2>&1 || { tail -40 /tmp/facenet-native-build.log >&2; exit 1; }
fi
