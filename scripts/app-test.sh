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
[ -x "$BIN" ] || cargo build --locked -q
ensure_packages chromium:chromium node:nodejs npm:npm fc-list:fontconfig
# Chinese text in the screenshots needs a CJK font.
fc-list :lang=zh | grep -q . || { log "installing fonts-noto-cjk"; $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; }
(cd tests/app && npm ci --no-audit --no-fund --silent)

PORT=${APP_PORT:-18071}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-app.XXXXXX")
SERVER=""
trap '[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export FANGPIN_DATA_DIR=$WORK/data FANGPIN_BIND=127.0.0.1:$PORT FANGPIN_ADMIN_PASSWORD='Admin-pass-1' RUST_LOG=warn
unset DATABASE_URL FANGPIN_STORAGE
"$BIN" demo >/dev/null
start_fangpin "$BIN" "$WORK/server.log"
grep -q "/app/" "$WORK/server.log" || { echo "serve did not print the app's address" >&2; exit 1; }
rm -rf target/app-screens
log "phone app tests in headless chromium"
BASE="http://127.0.0.1:$PORT" ADMIN_PASSWORD='Admin-pass-1' SCREENS=target/app-screens \
  node --test --test-reporter=spec --test-concurrency=1 tests/app/*.test.mjs || { tail -n 30 "$WORK/server.log" >&2; exit 1; }
ls target/app-screens
