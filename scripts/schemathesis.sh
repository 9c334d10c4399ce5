#!/usr/bin/env bash
# Property-based API testing (issue 9): Schemathesis over the whole openapi/openapi.json against a
# live `fangpin serve` on a temporary SQLite database with the demo county, once as the county
# administrator and once as a cadre paired with households. Every check is on: no 5xx, status
# codes, content types, headers and bodies as documented, invalid input refused, valid input
# accepted. Bounded by examples per operation (SCHEMATHESIS_EXAMPLES, default 8).
# Usage: scripts/schemathesis.sh [path/to/fangpin]   (default: target/debug/fangpin)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=${1:-target/debug/fangpin}
[ -x "$BIN" ] || cargo build --locked -q
VENV=$PWD/target/venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" show schemathesis 2>/dev/null | grep -q '^Version: 4.32.5$' \
  || { log "installing Schemathesis into $VENV"; "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==4.32.5"; }

PORT=${SCHEMATHESIS_PORT:-18080}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-st.XXXXXX")
SERVER=""
cleanup() {
  [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export FANGPIN_DATA_DIR=$WORK/data FANGPIN_BIND=127.0.0.1:$PORT FANGPIN_ADMIN_PASSWORD='Admin-pass-1' \
  FANGPIN_ACCESS_TOKEN_TTL_SECS=7200 FANGPIN_LOGIN_MAX_FAILURES_PER_ADDRESS=1000000 \
  FANGPIN_LOGIN_MAX_FAILURES_PER_USER=1000000 RUST_LOG=warn
unset DATABASE_URL FANGPIN_STORAGE
log "demo county and server on $BASE"
"$BIN" demo >/dev/null
start_fangpin "$BIN" "$WORK/server.log"

json() { "$VENV/bin/python" -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json 'd["access_token"]'; }
ADMIN=$(login admin 'Admin-pass-1')
auth=(-H "Authorization: Bearer $ADMIN" -H 'content-type: application/json')

# A cadre of 双湖峪街道 linked to a user and paired with three households there.
VILLAGE=$(curl -fsS "${auth[@]}" "$BASE/api/v1/households?limit=1" | json 'd["items"][0]["village_code"]')
FANGPIN_NEW_PASSWORD='Cadre-pass-1' "$BIN" admin create-user --username st-cadre --role cadre --jurisdiction "$VILLAGE" >/dev/null
USER_ID=$(curl -fsS "${auth[@]}" "$BASE/api/v1/users?limit=500" | json '[u["id"] for u in d["items"] if u["username"]=="st-cadre"][0]')
CADRE_ID=$(curl -fsS "${auth[@]}" -X POST "$BASE/api/v1/cadres" \
  -d "{\"name\":\"测试干部\",\"work_unit\":\"子洲县乡村振兴局\",\"user_id\":\"$USER_ID\"}" | json 'd["id"]')
for H in $(curl -fsS "${auth[@]}" "$BASE/api/v1/households?division=$VILLAGE&limit=3" | json '" ".join(h["id"] for h in d["items"])'); do
  curl -fsS -o /dev/null "${auth[@]}" -X POST "$BASE/api/v1/pairings" \
    -d "{\"cadre_id\":\"$CADRE_ID\",\"household_id\":\"$H\",\"start_date\":\"2026-01-15\"}"
done
CADRE=$(login st-cadre 'Cadre-pass-1')

# Real records for the operations on one record, so fuzzed bodies reach real rows too (not only
# 404): a paired household with a home capture and a photo, and a problem of the ledger.
H1=$(curl -fsS "${auth[@]}" "$BASE/api/v1/pairings?cadre_id=$CADRE_ID&limit=1" | json 'd["items"][0]["household_id"]')
LOC=$(curl -fsS "${auth[@]}" -X POST "$BASE/api/v1/households/$H1/locations" -d "{\"lat\":37.61,\"lon\":110.03,\"accuracy_m\":8,\"captured_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"source\":\"gps\",\"client_id\":\"$(python3 -c 'import uuid; print(uuid.uuid4())')\"}" | json 'd["id"]')
printf '{"kind":"door_with_cadre","taken_at":"%s","client_id":"%s"}' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(python3 -c 'import uuid; print(uuid.uuid4())')" >"$WORK/meta.json"
PHOTO=$(curl -fsS -H "Authorization: Bearer $ADMIN" -F "meta=@$WORK/meta.json;type=application/json" \
  -F "file=@tests/console/fixtures/photo.jpg;type=image/jpeg" "$BASE/api/v1/households/$H1/photos" | json 'd["id"]')
curl -fsS -o /dev/null "${auth[@]}" -X POST "$BASE/api/v1/quality/runs?division=$VILLAGE"
PROBLEM=$(curl -fsS "${auth[@]}" "$BASE/api/v1/quality/problems?division=$VILLAGE&limit=1" | json 'd["items"][0]["id"]')
CONFIG=$WORK/schemathesis.toml
cat openapi/schemathesis.toml - >"$CONFIG" <<TOML

[[operations]]
include-path-regex = "^/api/v1/households/[{]id[}]"
parameters = { id = "$H1", loc = "$LOC" }

[[operations]]
include-path-regex = "^/api/v1/photos/[{]id[}]"
parameters = { id = "$PHOTO" }

[[operations]]
include-path = "/api/v1/quality/problems/{id}"
parameters = { id = "$PROBLEM" }
TOML

# Operations that end the caller's own session or password would stop the run from testing the
# rest with that caller: they are covered by the API tests (tests/api/auth.rs) instead.
run_as() {
  local who=$1 token=$2
  log "Schemathesis as $who"
  "$VENV/bin/schemathesis" --config-file "$CONFIG" run openapi/openapi.json --url "$BASE" \
    -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance --max-examples "${SCHEMATHESIS_EXAMPLES:-8}" --workers 2 \
    --phases examples,coverage,fuzzing \
    --exclude-path /api/v1/auth/logout --exclude-path /api/v1/me/password \
    --seed 20261122 --no-color --generation-database none \
    --report junit --report-dir "target/schemathesis/$who"
}
status=0
run_as admin "$ADMIN" || status=1
run_as cadre "$CADRE" || status=1
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail)" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit $status
