#!/usr/bin/env bash
# A local single-node Apache Kafka (KRaft) from Maven Central jars: no Docker, no tarball.
#   kafka.sh install   fetch the broker's jars once into the cache (needs java 17+ and mvn)
#   kafka.sh start     format storage if new, start the broker, wait until it serves
#   kafka.sh stop      stop it cleanly (TERM, then KILL after 30 s)
#   kafka.sh status    say whether it runs; exit 0 if it does
# Settings (environment): KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_HEAP, KAFKA_VERSION,
# NEWSWATCH_RUN_DIR (data, logs, pid), NEWSWATCH_CACHE_DIR (jars).
# KAFKA_EXTRA_PROPERTIES: lines appended to server.properties (a later key wins, so this can
# replace listeners, e.g. to add a SASL_SSL one); KAFKA_FORMAT_ARGS: extra arguments to the
# first storage format, split on spaces, e.g. --add-scram SCRAM-SHA-512=[name=u,password=p].
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

HERE="$NEWSWATCH_ROOT/deploy/local"
LIBS="$NEWSWATCH_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
RUN="$NEWSWATCH_RUN_DIR/kafka"
PIDFILE="$RUN/kafka.pid"
LOG="$RUN/broker.log"

install() {
  [ -f "$LIBS/.complete" ] && return 0
  command -v java >/dev/null || die "java not found: Kafka needs Java 17 or newer (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found: kafka.sh fetches Kafka through Maven (apt-get install maven)"
  say "kafka: fetching Apache Kafka $KAFKA_VERSION jars through Maven (once; cached in $LIBS)"
  local tmp="$LIBS.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2 || { rm -rf "$tmp"; die "kafka: Maven could not fetch the jars"; }
  rm -rf "$LIBS"; mv "$tmp" "$LIBS"; touch "$LIBS/.complete"
}

java_opts() {
  echo "-Xms256m -Xmx$KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true" \
       "-Dlog4j2.configurationFile=$HERE/log4j2.properties -Dkafka.logs.dir=$RUN/logs"
}

start() {
  if pid_alive "$PIDFILE"; then say "kafka: already running (pid $(cat "$PIDFILE"), port $KAFKA_PORT)"; return 0; fi
  if port_open "$KAFKA_PORT"; then die "kafka: port $KAFKA_PORT is taken by another process; set KAFKA_PORT"; fi
  install
  mkdir -p "$RUN/data" "$RUN/logs"
  sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$RUN/data#g" "$HERE/server.properties.in" >"$RUN/server.properties"
  if [ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]; then printf '%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$RUN/server.properties"; fi
  if [ ! -f "$RUN/data/meta.properties" ]; then
    local cluster_id format_args=()
    # Split on spaces without glob expansion ([name=...] is a glob pattern to the shell).
    read -r -a format_args <<<"${KAFKA_FORMAT_ARGS:-}"
    # A URL-safe base64 id may begin with '-', which the storage tool's argument parser reads as
    # an option (1 start in 64 failed so); Kafka's own Uuid.randomUuid redraws such ids, so do we.
    cluster_id=$(python3 -c '
import base64, uuid
while (cid := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"):
    pass
print(cid)')
    # shellcheck disable=SC2046
    java $(java_opts) -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$RUN/server.properties" --ignore-formatted ${format_args[@]+"${format_args[@]}"} \
      >"$RUN/format.log" 2>&1 \
      || { cat "$RUN/format.log" >&2; die "kafka: formatting storage failed"; }
  fi
  : >"$LOG"
  # setsid: the broker gets no Ctrl-C of its own; whoever started it stops it with `kafka.sh stop`.
  # shellcheck disable=SC2046
  setsid java $(java_opts) -cp "$LIBS/*" kafka.Kafka "$RUN/server.properties" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ! wait_for 90 grep -q "Kafka Server started" "$LOG"; then
    tail -n 30 "$LOG" >&2
    stop_pid "$PIDFILE" 10
    die "kafka: broker did not start within 90 s (log: $LOG)"
  fi
  say "kafka: running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PIDFILE"), log $LOG)"
}

stop() {
  if pid_alive "$PIDFILE"; then say "kafka: stopping (pid $(cat "$PIDFILE"))"; fi
  stop_pid "$PIDFILE" 30
}

status() {
  if pid_alive "$PIDFILE" && port_open "$KAFKA_PORT"; then
    say "kafka: running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PIDFILE"))"
  else
    say "kafka: not running"; return 1
  fi
}

case "${1:-}" in
  install|start|stop|status) "$1" ;;
  *) say "usage: $0 install|start|stop|status"; exit 2 ;;
esac
