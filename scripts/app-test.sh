#!/usr/bin/env bash
# Browser tests of the cadre's phone app (issue 21): a real `fangpin serve` on a temporary SQLite
# database with the demo county, Debian's chromium with a phone profile (360×640, touch,
# geolocation, offline) driven by playwright-core (npm, pinned in tests/app/package-lock.json; no
# browser download). Screenshots: target/app-screens/.
# Usage: scripts/app-test.sh [path/to/fangpin]   (default: target/debug/fangpin)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=${1:-target/debug/fangpin}
PORT=${APP_PORT:-18071}
start_browser_test_server "$BIN" tests/app "$PORT"
grep -q "/app/" "$WORK/server.log" || { echo "serve did not print the app's address" >&2; exit 1; }
rm -rf target/app-screens
log "phone app tests in headless chromium"
BASE="http://127.0.0.1:$PORT" ADMIN_PASSWORD='Admin-pass-1' SCREENS=target/app-screens \
  node --test --test-reporter=spec --test-concurrency=1 tests/app/*.test.mjs || { tail -n 30 "$WORK/server.log" >&2; exit 1; }
ls target/app-screens
