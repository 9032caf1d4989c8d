#!/usr/bin/env bash
# The test command (README, .ci/run): installs and starts what it needs, then runs every jest project
# (unit + integration/e2e against real PostgreSQL, Redis and the Kafka mock cluster).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/courier_test}"
export NODE_ENV=test
# Tests run one file at a time: the e2e suites share one broker and start real processes.
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --coverage "$@"
