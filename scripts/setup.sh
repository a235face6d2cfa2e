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
