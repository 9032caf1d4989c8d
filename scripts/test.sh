#!/usr/bin/env bash
# The test command (README, .ci/run): installs and starts what it needs, then runs every jest project
# (unit + integration/e2e against real PostgreSQL, Redis and the Kafka mock cluster).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
# The dashboard's browser test drives Debian's Chromium (never a downloaded browser build).
if ! command -v chromium >/dev/null 2>&1; then
  printf '\033[1m[setup]\033[0m installing chromium (Debian package) for the browser test\n' >&2
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/courier_test}"
export NODE_ENV=test
# Tests run one file at a time: the e2e suites share one broker and start real processes.
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --coverage "$@"
