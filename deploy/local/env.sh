# Shared settings of the local stack; every value can be overridden from the environment.
# Sourced by kafka.sh, redis.sh and run.sh.
NEWSWATCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NEWSWATCH_RUN_DIR="${NEWSWATCH_RUN_DIR:-$NEWSWATCH_ROOT/.run}"
NEWSWATCH_CACHE_DIR="${NEWSWATCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newswatch}"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.2}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${KAFKA_HEAP:-768m}"
REDIS_PORT="${REDIS_PORT:-16379}"

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Wait until "$@" succeeds, up to $1 seconds; returns non-zero on time-out.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop the process whose pid is in $1: TERM, then KILL after $2 seconds.
stop_pid() {
  local pidfile=$1 grace=$2 pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for "$grace" bash -c "! kill -0 $pid 2>/dev/null"; then
    say "pid $pid did not stop within ${grace}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
