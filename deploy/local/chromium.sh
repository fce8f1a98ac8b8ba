#!/usr/bin/env bash
# Chromium from Debian's package, for the console's browser tests and `make screenshots`
# (Playwright drives it with executable_path; Playwright's own browser downloads are never used).
#   chromium.sh install   apt-get install chromium if it is missing (idempotent)
#   chromium.sh status    print its path and version; exit 0 if it is installed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

CHROMIUM="${NEWSWATCH_CHROMIUM:-/usr/bin/chromium}"

install() {
  [ -x "$CHROMIUM" ] && return 0
  command -v apt-get >/dev/null || die "chromium not found at $CHROMIUM and no apt-get: install Chromium and set NEWSWATCH_CHROMIUM"
  say "chromium: installing Debian's chromium"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    as_root apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  } || die "chromium: apt-get install chromium failed"
}

status() {
  if [ -x "$CHROMIUM" ]; then
    say "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  else
    say "chromium: not installed ($CHROMIUM)"; return 1
  fi
}

case "${1:-}" in
  install|status) "$1" ;;
  *) say "usage: $0 install|status"; exit 2 ;;
esac
