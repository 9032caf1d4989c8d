#!/usr/bin/env bash
# Local Kafka for development, tests, benchmarks and CI: librdkafka's built-in mock cluster, run through kcat.
# See /work/shared/kafka.md (what the mock supports) and docker/compose.yaml (the real cluster for production).
#
#   scripts/kafka-mock.sh start [--brokers N]   start (or reuse) the mock cluster; prints the bootstrap address
#   scripts/kafka-mock.sh stop                  stop it
#   scripts/kafka-mock.sh status                exit 0 and describe it when running, exit 1 otherwise
#   scripts/kafka-mock.sh env                   print `export KAFKA_BROKERS=...` (use: eval "$(scripts/kafka-mock.sh env)")
#
# Only the address goes to stdout, so `KAFKA_BROKERS=$(scripts/kafka-mock.sh start)` works; progress goes to stderr.
# State lives in .run/ (git-ignored): kafka.env (KAFKA_BROKERS=host:port[,host:port...]), kafka.pid, kafka-mock.log.
#
# Environment:
#   KAFKA_MOCK_RUN_DIR        state directory (default: <repo>/.run)
#   KAFKA_MOCK_START_TIMEOUT  seconds to wait for the bootstrap address (default: 10)
#   KAFKA_MOCK_DEBUG=1        add librdkafka's `-d mock` protocol trace to the log (verbose: a line per request)
set -euo pipefail

readonly SCRIPT_NAME="scripts/kafka-mock.sh"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly RUN_DIR="${KAFKA_MOCK_RUN_DIR:-$REPO_ROOT/.run}"
readonly ENV_FILE="$RUN_DIR/kafka.env"
readonly PID_FILE="$RUN_DIR/kafka.pid"
readonly LOG_FILE="$RUN_DIR/kafka-mock.log"
readonly LOCK_FILE="$RUN_DIR/kafka.lock"
readonly START_TIMEOUT_SECONDS="${KAFKA_MOCK_START_TIMEOUT:-10}"

log() { printf '[kafka-mock] %s\n' "$*" >&2; }
die() { printf '[kafka-mock] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $SCRIPT_NAME start [--brokers N] | stop | status | env
EOF
}

# ---------------------------------------------------------------------------------------------------------------------
# kcat installation (Debian/Ubuntu). Older releases ship the same tool as `kafkacat`.

KCAT_BIN=""

find_kcat() {
  KCAT_BIN="$(command -v kcat || command -v kafkacat || true)"
  [[ -n "$KCAT_BIN" ]]
}

ensure_kcat() {
  find_kcat && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "kcat is not installed and apt-get is not available: install kcat (librdkafka's CLI) by hand"

  local -a as_root=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "kcat is not installed; installing it needs root or sudo (run: apt-get install -y kcat)"
    # -n: never wait for a password prompt (CI and scripts must not hang).
    as_root=(sudo -n)
  fi

  log "kcat not found: installing it with apt-get"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
    die "apt-get update failed (as $(id -un)${as_root:+ via sudo -n})"
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends kcat >&2; then
    log "package kcat unavailable, trying its former name kafkacat"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends kafkacat >&2 || die "could not install kcat or kafkacat with apt-get"
  fi
  find_kcat || die "kcat was installed but is not on PATH"
}

# ---------------------------------------------------------------------------------------------------------------------
# Recorded state

recorded_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  printf '%s' "$pid"
}

recorded_brokers() {
  [[ -f "$ENV_FILE" ]] || return 1
  local brokers
  brokers="$(sed -n 's/^KAFKA_BROKERS=//p' "$ENV_FILE" | head -n 1)"
  [[ -n "$brokers" ]] || return 1
  printf '%s' "$brokers"
}

# True when $1 is a live kcat process: guards against the pid having been reused by something else.
is_mock_process() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 1
  local comm state
  # A killed kcat whose parent (often a container's init) has not reaped it yet is a zombie: not running.
  state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
  [[ "$state" != Z* ]] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || ps -o comm= -p "$pid" 2>/dev/null || true)"
  [[ "$comm" == kcat || "$comm" == kafkacat ]]
}

# True when every host:port of the comma-separated list $1 accepts a TCP connection.
brokers_answer() {
  local address host port
  local -a addresses
  IFS=',' read -r -a addresses <<<"$1"
  for address in "${addresses[@]}"; do
    host="${address%:*}"
    port="${address##*:}"
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null || return 1
  done
}

broker_count() {
  local -a addresses
  IFS=',' read -r -a addresses <<<"$1"
  printf '%s' "${#addresses[@]}"
}

# Prints "pid brokers" of a healthy recorded cluster; fails when there is none.
running_cluster() {
  local pid brokers
  pid="$(recorded_pid)" || return 1
  brokers="$(recorded_brokers)" || return 1
  is_mock_process "$pid" || return 1
  brokers_answer "$brokers" || return 1
  printf '%s %s' "$pid" "$brokers"
}

# The mock announces its listeners in a NOTICE line ("... replaced with 127.0.0.1:P1,127.0.0.1:P2"); with
# `-d mock` there is also a debug line "bootstrap.servers=...". Accept either so the script does not depend
# on the debug flag or on the librdkafka version's exact wording of one of them.
bootstrap_from_log() {
  [[ -f "$LOG_FILE" ]] || return 1
  local address
  address="$(sed -n -E \
    -e 's/.*Mock cluster enabled:.* replaced with ([0-9A-Za-z.:,_-]+).*/\1/p' \
    -e 's/.*Mock cluster .* bootstrap\.servers=([0-9A-Za-z.:,_-]+).*/\1/p' \
    "$LOG_FILE" | head -n 1)"
  [[ "$address" =~ ^[^,:]+:[0-9]+(,[^,:]+:[0-9]+)*$ ]] || return 1
  printf '%s' "$address"
}

terminate() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM for 5 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

forget_state() { rm -f "$PID_FILE" "$ENV_FILE"; }

# Serialises concurrent start/stop calls (parallel test runners) so only one cluster is ever started.
take_lock() {
  mkdir -p "$RUN_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    flock -w 30 9 || die "another $SCRIPT_NAME call holds $LOCK_FILE for more than 30 s"
  fi
}

# ---------------------------------------------------------------------------------------------------------------------
# Commands

cmd_start() {
  local requested_brokers=""
  while (($# > 0)); do
    case "$1" in
      --brokers) [[ $# -ge 2 ]] || die "--brokers needs a value"; requested_brokers="$2"; shift 2 ;;
      --brokers=*) requested_brokers="${1#--brokers=}"; shift ;;
      *) usage; die "unknown option for start: $1" ;;
    esac
  done
  if [[ -n "$requested_brokers" ]] && ! [[ "$requested_brokers" =~ ^[1-9][0-9]?$ ]]; then
    die "--brokers must be an integer from 1 to 99, got '$requested_brokers'"
  fi
  [[ "$START_TIMEOUT_SECONDS" =~ ^[1-9][0-9]*$ ]] ||
    die "KAFKA_MOCK_START_TIMEOUT must be a positive integer (seconds), got '$START_TIMEOUT_SECONDS'"

  take_lock

  local running pid brokers
  if running="$(running_cluster)"; then
    pid="${running%% *}"
    brokers="${running#* }"
    local current_count
    current_count="$(broker_count "$brokers")"
    if [[ -n "$requested_brokers" && "$requested_brokers" != "$current_count" ]]; then
      die "a mock cluster with $current_count broker(s) is already running (pid $pid, $brokers); run '$SCRIPT_NAME stop' first to start one with $requested_brokers"
    fi
    log "reusing the running mock cluster (pid $pid, $current_count broker(s))"
    printf '%s\n' "$brokers"
    return 0
  fi

  # Stale state: the recorded process died or stopped answering. Stop what is left of it and start afresh.
  if pid="$(recorded_pid)"; then
    if is_mock_process "$pid"; then
      log "recorded mock cluster (pid $pid) does not answer on its port; restarting it"
      terminate "$pid"
    fi
  fi
  forget_state

  ensure_kcat
  local num_brokers="${requested_brokers:-1}"
  local -a debug_flags=()
  [[ "${KAFKA_MOCK_DEBUG:-0}" == 1 ]] && debug_flags=(-d mock)

  # The consumer on a throwaway topic keeps kcat (and with it the in-memory cluster) alive; `-o end` so it reads
  # nothing. setsid detaches it from the caller's process group: Ctrl-C in a terminal or a test runner tearing down
  # its group must not take the shared broker with it. Every inherited descriptor above stderr is closed (the lock
  # on fd 9, and any pipe of the caller's): a long-lived child holding a caller's pipe would keep `$(...)` or a
  # test runner's exec waiting for an end of file that never comes.
  : >"$LOG_FILE"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  (
    for fd_path in /proc/self/fd/*; do
      fd="${fd_path##*/}"
      if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec "${launcher[@]}" "$KCAT_BIN" -b ignored:9092 -X "test.mock.num.brokers=$num_brokers" \
      -C -t __keepalive -o end "${debug_flags[@]}"
  ) </dev/null >/dev/null 2>>"$LOG_FILE" &
  pid=$!

  local deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  brokers=""
  until brokers="$(bootstrap_from_log)"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "kcat exited before announcing the mock cluster; last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "the Kafka mock cluster did not start"
    fi
    if ((SECONDS >= deadline)); then
      terminate "$pid"
      log "last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "no bootstrap address in $LOG_FILE after ${START_TIMEOUT_SECONDS} s (is this kcat built with librdkafka >= 1.4?)"
    fi
    sleep 0.1
  done

  if ! brokers_answer "$brokers"; then
    terminate "$pid"
    die "the mock cluster announced $brokers but does not accept connections there"
  fi

  # Write to temporary files then rename, so a concurrent reader never sees a half-written file.
  printf 'KAFKA_BROKERS=%s\n' "$brokers" >"$ENV_FILE.tmp" && mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  printf '%s\n' "$pid" >"$PID_FILE.tmp" && mv -f "$PID_FILE.tmp" "$PID_FILE"
  log "mock cluster started: pid $pid, $num_brokers broker(s), KAFKA_BROKERS=$brokers (log: $LOG_FILE)"
  printf '%s\n' "$brokers"
}

cmd_stop() {
  take_lock
  local pid
  if pid="$(recorded_pid)" && is_mock_process "$pid"; then
    terminate "$pid"
    log "mock cluster stopped (pid $pid)"
  else
    log "no mock cluster running"
  fi
  forget_state
}

cmd_status() {
  local running
  if running="$(running_cluster)"; then
    local brokers="${running#* }"
    printf 'running: pid %s, %s broker(s), KAFKA_BROKERS=%s\n' "${running%% *}" "$(broker_count "$brokers")" "$brokers"
    return 0
  fi
  printf 'not running\n'
  return 1
}

cmd_env() {
  local running
  running="$(running_cluster)" || die "no mock cluster running (start it with: $SCRIPT_NAME start)"
  printf 'export KAFKA_BROKERS=%s\n' "${running#* }"
}

main() {
  local command="${1:-}"
  (($# > 0)) && shift
  case "$command" in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h | --help | help) usage ;;
    *) usage; exit 2 ;;
  esac
}

main "$@"
