#!/usr/bin/env bash
# Everything the demo, the tests and the benchmarks need on a fresh machine of this kind:
# npm dependencies (from the lockfile), the compiled apps, Kafka (librdkafka's mock cluster unless
# KAFKA_BROKERS names a real one), and PostgreSQL/Redis reachable (started if installed but down).
# Source it: `source scripts/setup.sh` exports KAFKA_BROKERS for the caller.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# npm ci refuses this registry's lockfile (platform builds missing upstream); npm install honours the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (lockfile)"
  npm install --no-audit --no-fund --loglevel=error >&2
fi

# No clean first: other processes may be running from dist/; tsc overwrites every output.
# SKIP_BUILD=1 reuses dist/ as it is (for repeated local runs).
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  say "compiling (tsc)"
  npx tsc -p tsconfig.build.json
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || true
fi

if [ -z "${KAFKA_BROKERS:-}" ]; then
  KAFKA_BROKERS="$(bash scripts/kafka-mock.sh start)"
  export KAFKA_BROKERS
fi
say "Kafka at $KAFKA_BROKERS"
