#!/usr/bin/env bash
# The demo: the whole system on a simulated day of a sorting network.
#   1. set-up (npm install from the lockfile, compile, Kafka mock cluster, PostgreSQL, Redis, a fresh
#      demo database with migrations), 2. the simulator writes the network's policy and a day of
#      events, 3. every app starts as its own process, 4. the day is replayed through Kafka with a
#      progress bar, 5. a summary is printed once the pipeline has settled, 6. the dashboard stays up.
# Environment: DEMO_EVENTS (default 60000), DEMO_SEED (7), DEMO_RATE (0 = as fast as possible),
# DEMO_EXIT=1 to stop the apps after the summary (CI uses it), API_PORT (3000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
say() { printf '\033[1m[demo]\033[0m %s\n' "$*" >&2; }

RUN_DIR="$ROOT/.run/demo"
mkdir -p "$RUN_DIR"
API_PORT="${API_PORT:-3000}"
export DATABASE_URL="${DEMO_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/courier_demo}"
export REDIS_URL="${DEMO_REDIS_URL:-redis://127.0.0.1:6379/1}"
export KAFKA_GROUP_PREFIX="demo$(date +%s)"
export TOPIC_PREFIX="${KAFKA_GROUP_PREFIX}."
export KAFKAJS_NO_PARTITIONER_WARNING=1
export LOG_LEVEL="${LOG_LEVEL:-warn}"
# The day is replayed in about a minute: once ingest has read everything the brokers hold and stays quiet this long,
# the deadline service judges by the wall clock, so the day's missed deadlines show before the summary settles.
export DEADLINE_IDLE_GRACE_SECONDS="${DEADLINE_IDLE_GRACE_SECONDS:-2}"

# A previous demo still running would hold the ports: stop it first.
if [ -f "$RUN_DIR/pids" ]; then
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$RUN_DIR/pids"
  rm -f "$RUN_DIR/pids"
  sleep 1
fi

say "fresh demo database ($DATABASE_URL) and Redis db"
dropdb -h 127.0.0.1 -U postgres --if-exists courier_demo 2>/dev/null || true
node dist/libs/persistence/src/migrate.js
redis-cli -u "$REDIS_URL" flushdb >/dev/null

# The simulated day is yesterday (local): its deadlines are all due, so the day plays out in full.
# A day that is over with its follow-ups (replies and complaint answers run up to four days past it): its deadlines
# are all due by the wall clock, so the summary shows the day's whole outcome whatever the hour of the demo.
DEMO_DAY="${DEMO_DAY:-$(TZ=Asia/Shanghai date -d '6 days ago' +%F)}"
SIM_ARGS=(--seed "${DEMO_SEED:-7}" --events "${DEMO_EVENTS:-60000}" --day "$DEMO_DAY")
say "generating the network and a simulated day ($DEMO_DAY)"
node dist/apps/simulator/src/main.js "${SIM_ARGS[@]}" \
  --policy-out "$RUN_DIR/policy.json" --out "$RUN_DIR/day.ndjson" --truth "$RUN_DIR/truth.json" >&2
export POLICY_FILE="$RUN_DIR/policy.json"

# Users of the dashboard and API: an ops user, and staff of the busiest branch of the simulated network.
DEMO_BRANCH="$(node -e 'const p=require(process.argv[1]);const b=Object.entries(p.sites).filter(([,s])=>s.type==="BRANCH").map(([c])=>c);console.log(b[0])' "$POLICY_FILE")"
OPS_TOKEN="$(node dist/apps/api/src/cli/create-user.js --name demo-ops --role OPS --label demo)"
BRANCH_TOKEN="$(node dist/apps/api/src/cli/create-user.js --name "demo-$DEMO_BRANCH" --role BRANCH_STAFF --site "$DEMO_BRANCH" --label demo)"

# A loopback SMS gateway / staff relay that records what people would have received.
node dist/scripts/dev/fake-gateway.js 3900 >"$RUN_DIR/gateway.log" 2>&1 &
echo $! >"$RUN_DIR/pids"
export SMS_GATEWAY_URL="http://127.0.0.1:3900/sms" STAFF_WEBHOOK_URL="http://127.0.0.1:3900/staff"

start() {
  local name="$1" port="$2"
  HTTP_PORT="$port" node "dist/apps/$name/src/main.js" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >>"$RUN_DIR/pids"
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then say "$name up on :$port"; return 0; fi
    if ! kill -0 "$(tail -1 "$RUN_DIR/pids")" 2>/dev/null; then say "$name failed to start:"; tail -20 "$RUN_DIR/$name.log" >&2; return 1; fi
    sleep 0.5
  done
  say "$name did not become healthy"; tail -20 "$RUN_DIR/$name.log" >&2; return 1
}
stop_all() {
  [ -f "$RUN_DIR/pids" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$RUN_DIR/pids"
  rm -f "$RUN_DIR/pids"
}
trap 'stop_all' EXIT

start ingest 3001
start deadlines 3002
start notifier 3003
start api "$API_PORT"

say "replaying the day through Kafka"
# Same seed and day: the simulator regenerates the identical stream and produces it.
node dist/apps/simulator/src/main.js "${SIM_ARGS[@]}" --kafka --rate "${DEMO_RATE:-0}"

API_TOKEN="$OPS_TOKEN" node dist/scripts/demo-summary.js "http://127.0.0.1:$API_PORT"

if [ "${DEMO_EXIT:-0}" = "1" ]; then
  say "DEMO_EXIT=1: stopping"
  exit 0
fi
say "dashboard: http://127.0.0.1:$API_PORT/   (API docs: http://127.0.0.1:$API_PORT/docs)"
say "  ops token:             $OPS_TOKEN"
say "  branch $DEMO_BRANCH token:  $BRANCH_TOKEN"
say "  deadline timers (BullMQ board, ops only): linked from the ops dashboard, http://127.0.0.1:$API_PORT/ops/queues/"
say "Ctrl-C stops every app."
wait
