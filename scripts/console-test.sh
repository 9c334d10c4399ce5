#!/usr/bin/env bash
# Browser tests of the review console (issue 8): a real `fangpin serve` on a temporary SQLite
# database with the demo county, Debian's chromium driven by playwright-core (npm, pinned in
# tests/console/package-lock.json; no browser download). Screenshots: target/console-screens/.
# Usage: scripts/console-test.sh [path/to/fangpin]   (default: target/debug/fangpin)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=${1:-target/debug/fangpin}
PORT=${CONSOLE_PORT:-18070}
start_browser_test_server "$BIN" tests/console "$PORT"
rm -rf target/console-screens
log "console tests in headless chromium"
BASE="http://127.0.0.1:$PORT" ADMIN_PASSWORD='Admin-pass-1' SCREENS=target/console-screens \
  node --test --test-reporter=spec tests/console/console.test.mjs tests/console/csv.test.mjs || { tail -n 30 "$WORK/server.log" >&2; exit 1; }
ls target/console-screens
