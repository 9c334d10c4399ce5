#!/usr/bin/env bash
# Upgrades without loss (README "Upgrading"): the previous release — the commit before the last
# one that changed migrations/ — is built from git, fills a database through its own API (the
# demo county, photos, a location, a yearly record, cases, problems found by the rules and by
# people), and answers a snapshot of it; then the current binary starts on the same database and
# files (its migrations run at start) and must answer every value the previous one did, field for
# field, and every photo with the same SHA-256. On SQLite + local files and on PostgreSQL.
#
#   scripts/upgrade-test.sh [path/to/current/fangpin]     (default target/debug/fangpin)
#
# The previous release is built into this target folder (its dependencies are those already
# compiled: only the fangpin crate is compiled, ~2 min on 2 cores) and kept in
# target/upgrade-previous/ for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=$(realpath "${1:-target/debug/fangpin}")
PORT=${UPGRADE_PORT:-18090}
BASE=http://127.0.0.1:$PORT
COUNTY=610831000000
PY=${VENV:-$PWD/target/venv}/bin/python
export PYTHONDONTWRITEBYTECODE=1
DRIVER=scripts/upgrade/snapshots.py

last_change=$(git log -1 --format=%H -- migrations)
PREVIOUS=$(git rev-parse "$last_change^")
log "upgrade from $(git log -1 --format='%h %s' "$PREVIOUS" | cut -c1-90)"

OLD=target/upgrade-previous/fangpin
if [ "$(cat target/upgrade-previous/commit 2>/dev/null)" != "$PREVIOUS" ] || [ ! -x "$OLD" ]; then
  rm -rf target/upgrade-previous
  SRC=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-previous.XXXXXX")
  git archive "$PREVIOUS" | tar -x -C "$SRC"
  # Built into this target folder, so the compiled dependencies are reused and only the fangpin
  # crate is compiled; the previous binary lands on target/debug/fangpin, so the current one is
  # kept aside and put back.
  keep=target/debug/fangpin
  [ ! -e "$keep" ] || cp -p "$keep" "$keep.current"
  restore() { [ ! -e "$keep.current" ] || mv "$keep.current" "$keep"; }
  log "building the previous release"
  (cd "$SRC" && CARGO_TARGET_DIR=$OLDPWD/target cargo build --locked -q --bin fangpin) || { restore; exit 1; }
  mkdir -p target/upgrade-previous
  cp target/debug/fangpin "$OLD"
  restore
  rm -rf "$SRC"
  echo "$PREVIOUS" >target/upgrade-previous/commit
fi

[ -x "$PY" ] || { python3 -m venv "$(dirname "$(dirname "$PY")")"; }
"$PY" -c 'import PIL' 2>/dev/null || "$(dirname "$PY")/pip" install -q --disable-pip-version-check "pillow==11.3.0"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-upgrade.XXXXXX")
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

token() {
  curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"Admin-pass-1"}' | "$PY" -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'
}

stop_server() {
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
}

# One backend: $1 names it; DATABASE_URL is set for PostgreSQL, unset for SQLite.
upgrade() {
  local name=$1 dir=$WORK/$1
  mkdir -p "$dir"
  export FANGPIN_DATA_DIR=$dir/data FANGPIN_BIND=127.0.0.1:$PORT FANGPIN_ADMIN_PASSWORD='Admin-pass-1' RUST_LOG=warn FANGPIN_STORAGE=local
  log "$name: the previous release fills the database"
  "$OLD" demo --per-village 3 >/dev/null
  start_fangpin "$OLD" "$dir/previous.log"
  local t
  t=$(token)
  "$PY" "$DRIVER" fill "$BASE" "$t" "$COUNTY"
  "$PY" "$DRIVER" snapshot "$BASE" "$t" "$COUNTY" "$dir/before.json"
  stop_server
  log "$name: the current binary on the same data"
  start_fangpin "$BIN" "$dir/current.log"
  t=$(token)
  "$PY" "$DRIVER" snapshot "$BASE" "$t" "$COUNTY" "$dir/after.json"
  "$PY" "$DRIVER" compare "$dir/before.json" "$dir/after.json" || { tail -n 20 "$dir/current.log" >&2; exit 1; }
  stop_server
}

unset DATABASE_URL
upgrade sqlite

ensure_postgres fangpin_upgrade_test
as_postgres dropdb --if-exists -f fangpin_upgrade_test
as_postgres createdb fangpin_upgrade_test
export DATABASE_URL=$PG_URL
upgrade postgres
as_postgres dropdb --if-exists -f fangpin_upgrade_test
log "upgrade test passed"
