#!/usr/bin/env bash
# A local Prometheus (and promtool) from Debian's prometheus package, to scrape the services.
#   prometheus.sh install   apt-get install prometheus if it is missing (idempotent)
#   prometheus.sh start     start it on PROMETHEUS_PORT with PROMETHEUS_CONFIG (default
#                           deploy/prometheus/prometheus.yml), its data in NEWSWATCH_RUN_DIR/prometheus
#   prometheus.sh stop      shut it down
#   prometheus.sh status    say whether it runs; exit 0 if it does
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
PROMETHEUS_CONFIG="${PROMETHEUS_CONFIG:-$NEWSWATCH_ROOT/deploy/prometheus/prometheus.yml}"
RUN="$NEWSWATCH_RUN_DIR/prometheus"
PIDFILE="$RUN/prometheus.pid"
PROMETHEUS="${NEWSWATCH_PROMETHEUS:-/usr/bin/prometheus}"

install() {
  [ -x "$PROMETHEUS" ] && command -v promtool >/dev/null && return 0
  command -v apt-get >/dev/null || die "prometheus not found at $PROMETHEUS and no apt-get: install Prometheus 2 and set NEWSWATCH_PROMETHEUS"
  say "prometheus: installing Debian's prometheus"
  # RUNLEVEL=1 keeps the package from starting a system-wide Prometheus on port 9090;
  # no recommends: the node exporter and friends are not ours to run.
  local apt=(env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends prometheus)
  as_root "${apt[@]}" >/dev/null 2>&1 || {
    as_root apt-get update -qq >/dev/null
    as_root "${apt[@]}" >/dev/null
  } || die "prometheus: apt-get install prometheus failed"
}

ready() { curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; }

start() {
  if pid_alive "$PIDFILE" && ready; then say "prometheus: already running (pid $(cat "$PIDFILE"), port $PROMETHEUS_PORT)"; return 0; fi
  if port_open "$PROMETHEUS_PORT"; then die "prometheus: port $PROMETHEUS_PORT is taken by another process; set PROMETHEUS_PORT"; fi
  install
  [ -f "$PROMETHEUS_CONFIG" ] || die "prometheus: no config at $PROMETHEUS_CONFIG"
  mkdir -p "$RUN/data"
  # setsid: its own session, so a Ctrl-C meant for the caller does not reach it.
  setsid "$PROMETHEUS" --config.file="$PROMETHEUS_CONFIG" --storage.tsdb.path="$RUN/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle \
    --log.level=warn >"$RUN/prometheus.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_for 30 ready || { tail -n 20 "$RUN/prometheus.log" >&2; die "prometheus: not ready within 30 s"; }
  say "prometheus: running on http://127.0.0.1:$PROMETHEUS_PORT (pid $(cat "$PIDFILE"), config $PROMETHEUS_CONFIG)"
}

stop() {
  pid_alive "$PIDFILE" || { rm -f "$PIDFILE"; return 0; }
  say "prometheus: stopping (pid $(cat "$PIDFILE"))"
  stop_pid "$PIDFILE" 15
}

status() {
  if pid_alive "$PIDFILE" && ready; then
    say "prometheus: running on http://127.0.0.1:$PROMETHEUS_PORT (pid $(cat "$PIDFILE"))"
  else
    say "prometheus: not running"; return 1
  fi
}

case "${1:-}" in
  install|start|stop|status) "$1" ;;
  *) say "usage: $0 install|start|stop|status"; exit 2 ;;
esac
