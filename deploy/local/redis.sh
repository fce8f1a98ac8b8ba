#!/usr/bin/env bash
# A local Redis with append-only persistence, from Debian's redis-server package.
#   redis.sh install   apt-get install redis-server if it is missing
#   redis.sh start     start it on REDIS_PORT with its data in NEWSWATCH_RUN_DIR/redis
#   redis.sh stop      shut it down (it saves its append-only file first)
#   redis.sh status    say whether it runs; exit 0 if it does
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

RUN="$NEWSWATCH_RUN_DIR/redis"
PIDFILE="$RUN/redis.pid"

install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  command -v apt-get >/dev/null || die "redis-server not found and no apt-get: install Redis 7 and put redis-server on PATH"
  say "redis: installing Debian's redis-server"
  # RUNLEVEL=1 keeps the package from starting a system-wide Redis on port 6379.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq redis-server >/dev/null 2>&1 || {
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq redis-server >/dev/null
  } || die "redis: apt-get install redis-server failed"
}

ping() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start() {
  if pid_alive "$PIDFILE" && ping; then say "redis: already running (pid $(cat "$PIDFILE"), port $REDIS_PORT)"; return 0; fi
  if port_open "$REDIS_PORT"; then die "redis: port $REDIS_PORT is taken by another process; set REDIS_PORT"; fi
  install
  mkdir -p "$RUN"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN" \
    --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$RUN/redis.log"
  wait_for 20 ping || { tail -n 20 "$RUN/redis.log" >&2; die "redis: did not answer PING within 20 s"; }
  say "redis: running on 127.0.0.1:$REDIS_PORT (pid $(cat "$PIDFILE"), data $RUN)"
}

stop() {
  pid_alive "$PIDFILE" || { rm -f "$PIDFILE"; return 0; }
  say "redis: stopping (pid $(cat "$PIDFILE"))"
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  stop_pid "$PIDFILE" 15
}

status() {
  if pid_alive "$PIDFILE" && ping; then
    say "redis: running on 127.0.0.1:$REDIS_PORT (pid $(cat "$PIDFILE"))"
  else
    say "redis: not running"; return 1
  fi
}

case "${1:-}" in
  install|start|stop|status) "$1" ;;
  *) say "usage: $0 install|start|stop|status"; exit 2 ;;
esac
