#!/usr/bin/env bash
# Benchmarks: `bash scripts/bench.sh ingest` (npm run bench:ingest). Sets up like the tests, then runs
# the compiled benchmark; figures go to bench/results/<name>.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
export KAFKAJS_NO_PARTITIONER_WARNING=1
node "dist/bench/$1/run.js"
