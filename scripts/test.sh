#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing (libtorch, npm packages, the
# native engine), typechecks, then runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm test
