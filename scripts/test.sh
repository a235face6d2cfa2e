#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing (libtorch, npm packages, the
# native engine), typechecks, then runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The gallery's PostgreSQL tests run against a throwaway PostgreSQL 15 cluster on a local port.
FACENET_TEST_PG_URL=$(bash scripts/test-postgres.sh start)
export FACENET_TEST_PG_URL
npm run --silent typecheck
npm test
