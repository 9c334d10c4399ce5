#!/usr/bin/env bash
# Fault injection (issue 9) on PostgreSQL + SeaweedFS, against a real `fangpin serve`:
#   1. kill -9 of the server while 200 photo uploads and 200 location captures are in flight from
#      16 clients that retry with the same client_id until answered; restart; every acknowledged
#      write exists exactly once with its objects; `storage gc` removes only unreferenced objects;
#   2. PostgreSQL restarted under load: 503 with Retry-After during the outage, no hang beyond the
#      configured wait, recovery without a restart;
#   3. SeaweedFS killed under upload load: uploads get 503 and leave no rows, metadata reads keep
#      working, uploads recover when the store is back, without a restart.
# (Two editors on one household for 30 s: tests/api/lost_updates.rs, on both backends.)
# Usage: scripts/faults.sh [path/to/fangpin]   (default: target/debug/fangpin)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=${1:-target/debug/fangpin}
[ -x "$BIN" ] || cargo build --locked -q
ensure_packages
ensure_postgres fangpin_faults
as_postgres psql -q -c "DROP DATABASE IF EXISTS fangpin_faults WITH (FORCE)" >/dev/null
as_postgres createdb fangpin_faults
ensure_weed
"$VENV/bin/python" -c 'import PIL' 2>/dev/null || "$VENV/bin/pip" install -q --disable-pip-version-check "pillow==11.3.0"
PY=$VENV/bin/python
DRIVER=scripts/faults/driver.py

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-faults.XXXXXX")
WEED_DIR=$WORK/weed
mkdir -p "$WEED_DIR"
S3_PORT=8433 WEED_PORT_OFFSET=101 launch_weed
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill -9 "$SERVER" 2>/dev/null || true
  kill_weed
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=18090
BASE=http://127.0.0.1:$PORT
export DATABASE_URL=$PG_URL FANGPIN_DATA_DIR=$WORK/data FANGPIN_BIND=127.0.0.1:$PORT \
  FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=$S3_ENDPOINT FANGPIN_S3_BUCKET=fangpin-test FANGPIN_S3_PREFIX=faults \
  FANGPIN_ADMIN_PASSWORD='Admin-pass-1' FANGPIN_ACCESS_TOKEN_TTL_SECS=3600 FANGPIN_DB_TIMEOUT_SECS=2 \
  FANGPIN_PHOTO_WORKERS=2 RUST_LOG=warn
fail() {
  echo "FAULTS FAILED: $*" >&2
  cp "$WORK/server.log" target/faults-server.log
  grep -E "internal error|panicked" -A3 "$WORK/server.log" | head -n 40 >&2 || true
  echo "(whole server log: target/faults-server.log)" >&2
  exit 1
}

"$BIN" demo >/dev/null
start_fangpin "$BIN" "$WORK/server.log"
TOKEN=$(curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"Admin-pass-1"}' | "$PY" -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/households?limit=40" \
  | "$PY" -c 'import sys,json; print("\n".join(h["id"] for h in json.load(sys.stdin)["items"]))' >"$WORK/households.txt"

crash_under_load() {
  log "1. kill -9 during 200 uploads and 200 captures"
  # What the demo wrote before (its homes) is not part of the count.
  SINCE=$(psql "$PG_URL" -tAc "SELECT (now() AT TIME ZONE 'UTC')::text")
  "$PY" "$DRIVER" crash "$BASE" "$TOKEN" "$WORK/households.txt" "$WORK/acked.json" &
  CLIENTS=$!
  for _ in $(seq 1 600); do
    [ "$(cat "$WORK/acked.json.progress" 2>/dev/null || true)" -ge 80 ] 2>/dev/null && break
    sleep 0.1
  done
  kill -9 "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  echo "killed the server after $(cat "$WORK/acked.json.progress") acknowledged writes"
  sleep 1
  start_fangpin "$BIN" "$WORK/server.log"
  wait "$CLIENTS" || fail "clients did not all get an answer"
  "$PY" "$DRIVER" verify "$BASE" "$TOKEN" "$WORK/acked.json" "$PG_URL" "$SINCE" || fail "acknowledged writes after the crash"
  # An object no row refers to, as a crash between storing and committing leaves one.
  ORPHAN="photos/$(head -n 1 "$WORK/households.txt")/0190a0a0-0000-7000-8000-00000000dead/original.jpg"
  curl -fsS -o /dev/null -X PUT --data-binary @"$DRIVER" "$S3_ENDPOINT/fangpin-test/faults/$ORPHAN"
  "$BIN" storage gc --grace-minutes 0 >"$WORK/gc.txt"
  tail -n 1 "$WORK/gc.txt"
  grep -q "^removed $ORPHAN$" "$WORK/gc.txt" || fail "storage gc did not remove the orphan object"
  "$PY" "$DRIVER" verify "$BASE" "$TOKEN" "$WORK/acked.json" "$PG_URL" "$SINCE" || fail "storage gc removed objects of photos"
  "$BIN" storage gc --grace-minutes 0 --dry-run | tail -n 1 | grep -q " 0 unreferenced" || fail "a second gc still finds objects"
}

postgres_restart() {
  log "2. PostgreSQL restarted under load"
  PG_VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
  "$PY" "$DRIVER" pg-outage "$BASE" "$TOKEN" "$WORK/households.txt" 16 &
  CLIENTS=$!
  sleep 3
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main stop -m fast 2>/dev/null || $SUDO pg_ctlcluster "$PG_VERSION" main stop -m fast
  sleep 5
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start 2>/dev/null || $SUDO pg_ctlcluster "$PG_VERSION" main start
  wait "$CLIENTS" || fail "PostgreSQL outage"
}

object_store_outage() {
  log "3. SeaweedFS killed under upload load"
  "$PY" "$DRIVER" s3-outage "$BASE" "$TOKEN" "$WORK/households.txt" "$WORK/s3-back" "$PG_URL" &
  CLIENTS=$!
  sleep 4
  kill_weed
  sleep 5
  S3_PORT=8433 WEED_PORT_OFFSET=101 launch_weed
  touch "$WORK/s3-back"
  wait "$CLIENTS" || fail "SeaweedFS outage"
}

# FAULTS selects scenarios (default: all three).
for scenario in ${FAULTS:-crash_under_load postgres_restart object_store_outage}; do
  "$scenario"
done
curl -fsS -o /dev/null "$BASE/readyz" || fail "not ready after the outages"
log "fault injection passed"
