#!/usr/bin/env bash
# `make run`: Kafka, Redis, the demo servers and the three services, alerts in this terminal.
# Ctrl-C stops everything this script started, and nothing else.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$NEWSWATCH_ROOT"
# `make run 2>&1 | tee run.log`, then Ctrl-C: tee dies first, and a write to its pipe must not
# kill this script before it has stopped Kafka and Redis. Ignore SIGPIPE, and let a status line
# that cannot be written go (it is in run.log below too).
trap '' PIPE

BIN="$NEWSWATCH_ROOT/.venv/bin"
LOGS="$NEWSWATCH_RUN_DIR/logs"
DEMO_HTTP_PORT="${DEMO_HTTP_PORT:-18080}"
DEMO_SMTP_PORT="${DEMO_SMTP_PORT:-18025}"
FIRST_ALERT_TIMEOUT="${FIRST_ALERT_TIMEOUT:-120}"
mkdir -p "$LOGS"
: >"$LOGS/run.log"
say() { printf '%s\n' "$*" >>"$LOGS/run.log"; printf '%s\n' "$*" >&2 2>/dev/null || true; }
# The demo feed list names the demo server's port: write it for the port it really serves on.
DEMO_FEEDS="$NEWSWATCH_RUN_DIR/demo-feeds.yaml"
sed "s/127\.0\.0\.1:18080/127.0.0.1:$DEMO_HTTP_PORT/g" deploy/local/demo/feeds.yaml >"$DEMO_FEEDS"
RECEIVED="$LOGS/received.log"  # what the demo receivers got: the proof alerts flow
rm -f "$RECEIVED"

export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export NEWSWATCH_FETCHER_FEEDS_FILE="${NEWSWATCH_FETCHER_FEEDS_FILE:-$DEMO_FEEDS}"
export NEWSWATCH_ALERTER_SMTP_HOST=127.0.0.1 NEWSWATCH_ALERTER_SMTP_PORT="$DEMO_SMTP_PORT"
export NEWSWATCH_ALERTER_BACKOFF_BASE_SECONDS=0.5
# The demo receivers listen on localhost, which subscriber URLs may not reach by default.
export NEWSWATCH_ALERTER_ALLOWED_NETWORKS="127.0.0.0/8"
export NEWSWATCH_ALERTER_FOLLOWUP_SECONDS=20
# The demo wire tells the same stories on every run: close stories after a minute, so the
# next `make run` alerts on them afresh instead of folding them into the last run's.
export NEWSWATCH_ALERTER_STORY_WINDOW_MINUTES=1
export NEWSWATCH_ALERTER_API_PORT="${NEWSWATCH_ALERTER_API_PORT:-18787}"
# The demo wire publishes every few seconds; let the fetcher keep up with it, and never
# park it for long (its schedule survives in Redis from one `make run` to the next).
export NEWSWATCH_FETCHER_MIN_INTERVAL_SECONDS=1 NEWSWATCH_FETCHER_MAX_INTERVAL_SECONDS=5
export PYTHONUNBUFFERED=1
# One host, several services: each its own /healthz, /readyz and /metrics port, the ones
# deploy/prometheus/prometheus.yml scrapes (fetcher 9108, classifier 9109, alerter 9110; the
# API serves /metrics on its own port). NEWSWATCH_HEALTH_PORT=0 turns them all off.
HEALTH_PORT="${NEWSWATCH_HEALTH_PORT:-9108}"
health_port() { [ "$HEALTH_PORT" = 0 ] && echo 0 || echo $(( HEALTH_PORT + $1 )); }

started_kafka=0; started_redis=0; pids=()
deploy/local/kafka.sh status 2>/dev/null || started_kafka=1
deploy/local/redis.sh status 2>/dev/null || started_redis=1

cleanup() {
  # Once stopping, a second Ctrl-C or a closed terminal must not abandon Kafka and Redis.
  trap '' INT TERM HUP
  trap - EXIT
  say ""; say "stopping newswatch…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # With none started yet (Ctrl-C during start-up) there is nothing to wait for: "kill -0 0"
  # would ask about the whole process group and wait out the 20 s.
  if [ "${#pids[@]}" -gt 0 ] && ! wait_for 20 bash -c "! kill -0 ${pids[*]} 2>/dev/null"; then
    say "some services did not stop within 20 s; killing them"
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  [ -n "${api_key_id:-}" ] && "$BIN/newswatch" keys revoke "$api_key_id" >/dev/null 2>&1 || true
  # Through `say`, so a closed terminal cannot make the stop scripts fail half-way.
  [ "$started_redis" = 1 ] && { deploy/local/redis.sh stop 2>&1 | while IFS= read -r l; do say "$l"; done; } || true
  [ "$started_kafka" = 1 ] && { deploy/local/kafka.sh stop 2>&1 | while IFS= read -r l; do say "$l"; done; } || true
  say "stopped. Logs: $LOGS"
}
# Ctrl-C is the normal way out: clean up and exit 0. Any other exit cleans up too.
trap 'cleanup; exit 0' INT TERM HUP
trap cleanup EXIT

started=$(date +%s)
deploy/local/kafka.sh start 2>&1 | while IFS= read -r l; do say "$l"; done
deploy/local/redis.sh start 2>&1 | while IFS= read -r l; do say "$l"; done
"$BIN/newswatch" topics create >"$LOGS/topics.log"
"$BIN/newswatch" subscriptions remove demo >/dev/null 2>&1 || true
"$BIN/newswatch" subscriptions add demo --name "Demo: all four tags" \
  --tags strike,diplomatic_protest,sanctions,arms_approval \
  --channel console \
  --channel "slack:http://127.0.0.1:$DEMO_HTTP_PORT/slack" \
  --channel "email:watch-officer@example.org" \
  --channel "webhook:http://127.0.0.1:$DEMO_HTTP_PORT/webhook;secret=demo-secret" >/dev/null

"$BIN/newswatch" demo-servers --http-port "$DEMO_HTTP_PORT" --smtp-port "$DEMO_SMTP_PORT" \
  --received-file "$RECEIVED" 2>"$LOGS/demo-servers.log" &
pids+=($!)
NEWSWATCH_HEALTH_PORT=$(health_port 1) "$BIN/newswatch" classifier >"$LOGS/classifier.log" 2>&1 &
pids+=($!)
NEWSWATCH_HEALTH_PORT=$(health_port 2) "$BIN/newswatch" alerter 2>"$LOGS/alerter.log" &
pids+=($!)
NEWSWATCH_HEALTH_PORT=$(health_port 0) "$BIN/newswatch" fetcher 2>"$LOGS/fetcher.log" &
pids+=($!)
NEWSWATCH_HEALTH_PORT=0 "$BIN/newswatch" api >"$LOGS/api.log" 2>&1 &
pids+=($!)
api_key=$("$BIN/newswatch" keys create --team default --name "make run" 2>/dev/null)
api_key_id=$(cut -d_ -f2 <<<"$api_key")

# "Up" means an alert came all the way through: feed -> fetcher -> Kafka -> classifier ->
# alerter -> the demo receivers. Not just that the processes started.
say "services started; waiting for the first demo story to reach the receivers" \
  "(fetcher -> classifier -> alerter; up to ${FIRST_ALERT_TIMEOUT}s)..."
deadline=$(( $(date +%s) + FIRST_ALERT_TIMEOUT ))
until [ -s "$RECEIVED" ]; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a newswatch process exited before the first alert; see $LOGS"; exit 1; }
  done
  if [ "$(date +%s)" -ge "$deadline" ]; then
    say "NOT UP: no alert reached the demo receivers within ${FIRST_ALERT_TIMEOUT}s;" \
      "the services keep running. See $LOGS/fetcher.log, classifier.log, alerter.log."
    break
  fi
  sleep 0.5
done
[ -s "$RECEIVED" ] &&
  say "newswatch is up ($(( $(date +%s) - started ))s): the first alert came through (above); more appear below as the demo wire publishes."
say "Watch-officer console: http://127.0.0.1:$NEWSWATCH_ALERTER_API_PORT/ (sign in with the key below)"
say "Subscriptions API: http://127.0.0.1:$NEWSWATCH_ALERTER_API_PORT/docs · a key for team default, valid until Ctrl-C:"
# The key goes to the terminal only, never to run.log.
printf '%s\n' "  curl -H 'Authorization: Bearer $api_key' http://127.0.0.1:$NEWSWATCH_ALERTER_API_PORT/v1/subscriptions" >&2 2>/dev/null || true
say "Service logs: $LOGS/*.log · Ctrl-C stops everything."
say ""
# Any service dying takes the demo down with a pointer to its log, rather than hanging silently.
status=0
wait -n "${pids[@]}" || status=$?
# Ctrl-C reaches the services too (one process group), and they stop cleanly (status 0, or
# 130/143 by the signal). bash then leaves its own INT trap unrun, since the child it waited
# for dealt with the signal: so a clean stop is the user's Ctrl-C, not a crash.
case "$status" in
  0 | 130 | 143) cleanup; exit 0 ;;
esac
say "a newswatch process exited (status $status); see $LOGS"
exit 1
