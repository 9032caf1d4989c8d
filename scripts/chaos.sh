#!/usr/bin/env bash
# The chaos run: `npm run chaos` (full profile, figures to bench/results/chaos.json and docs/RELIABILITY.md) or
# `bash scripts/chaos.sh short`. Sets up like the tests (dependencies, compile, kcat), then runs the compiled
# harness, which starts its own PostgreSQL cluster, Redis server and Kafka mock cluster (docs/RELIABILITY.md).
# Environment: CHAOS_EVENTS, CHAOS_RATE, CHAOS_KILLS, CHAOS_TIME_LIMIT_SECONDS, CHAOS_SEED, CHAOS_RANDOM_SEED,
# CHAOS_IDLE_GRACE_SECONDS, CHAOS_CALM=1 (the same run without any disruption: a control).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
export KAFKAJS_NO_PARTITIONER_WARNING=1
node dist/scripts/chaos/main.js "${1:-full}"
