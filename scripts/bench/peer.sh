#!/usr/bin/env bash
# Issue 17 side by side (not in CI): the ODK Central backend (getodk/central-backend at a pinned
# commit, Node 24, pm2 workers as its start script runs them, its own PostgreSQL database) and
# fangpin (release build, PostgreSQL + SeaweedFS), back to back under the same wrk parameters:
#   read    one record by id      (peer: GET a submission by instance id; fangpin: GET a household)
#   create  one record            (peer: POST a submission's XML; fangpin: POST a household with a
#                                  new Idempotency-Key and no number)
#   upload  a 4.3 MB 12 MP JPEG   (peer: POST a submission's attachment; fangpin: POST a photo)
# each at 16 and 32 connections, peer then fangpin for every row. Prints a markdown table with the
# ratios, each side's peak RSS during the uploads and the failed requests (must be 0).
#
# Needs: a git copy of getodk/central-backend holding $CENTRAL_COMMIT (a clone or a bare mirror:
# $1 or CENTRAL_SRC); the npm registry (the `node` package at $NODE_VERSION into target/peer/, the
# peer's production dependencies); PostgreSQL on 127.0.0.1:5432 and the rest as the other benches.
# The peer is unpacked (git archive) into target/peer/, never committed. Everything listens on
# 127.0.0.1 only; the peer's outbound integrations (analytics, mailing list, Enketo, Sentry, e-mail,
# the XLSForm converter) are blanked in its config/local.json. Its database and role and fangpin's
# bench database are dropped before and after a run (KEEP_DATABASES=1 keeps them after).
# Usage: scripts/bench/peer.sh [CENTRAL_SRC]   DURATION (20 s per wrk run), HOUSEHOLDS, PEER_WORKERS,
#        TESTS ("read create upload")
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

CENTRAL_SRC=${1:-${CENTRAL_SRC:-/work/.mirror/getodk+central-backend/repo}}
CENTRAL_COMMIT=${CENTRAL_COMMIT:-4f5943d13dd775fcecd2e21f9b8957db885d1ca3} # master, 2026-08-21
NODE_VERSION=${NODE_VERSION:-24.16.0} # the peer's package.json "volta" pin
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
THREADS=2
HOUSEHOLDS=${HOUSEHOLDS:-10000}
PEER_RECORDS=${PEER_RECORDS:-1000}
# central's start-odk.sh: `pm2-runtime` with WORKER_COUNT=4 when the machine has over 1.1 GB.
PEER_WORKERS=${PEER_WORKERS:-4}
PEER_PORT=${PEER_PORT:-18383}
PEER_DB=fangpin_peer_central
PEER_ROLE=fangpin_peer
PEER_PASSWORD='Bench-pass-1-odk'
PEER_EMAIL=bench@example.org
FP_DB=fangpin_bench_peer
PEER_HOME=$PWD/target/peer
# The peer's driver (node-postgres, no `ssl` in its config) talks to PostgreSQL in the clear;
# fangpin's libpq would encrypt the same localhost connection (sslmode=prefer, Debian's
# PostgreSQL has TLS on): the same transport for both unless PG_SSLMODE says otherwise.
export PG_SSLMODE=${PG_SSLMODE:-disable}

ensure_packages wrk:wrk bc:bc curl:curl npm:npm git:git
sql_admin() { as_postgres psql -qAtX -p "${PG_PORT:-5432}" "$@"; }
drop_databases() {
  sql_admin -c "DROP DATABASE IF EXISTS $PEER_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $FP_DB WITH (FORCE)" \
    -c "DROP ROLE IF EXISTS $PEER_ROLE" 2>/dev/null || true
}

PEER_PID=""
SAMPLER=""
SERVER=""
WORK=""
stop_peer() {
  [ -n "$PEER_PID" ] || return 0
  # pm2-runtime stops its workers on TERM; any worker left is killed by its parent's id.
  kill -TERM "$PEER_PID" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$PEER_PID" 2>/dev/null || break; sleep 0.25; done
  pkill -KILL -P "$PEER_PID" 2>/dev/null || true
  kill -KILL "$PEER_PID" 2>/dev/null || true
  wait "$PEER_PID" 2>/dev/null || true
  PEER_PID=""
}
cleanup() {
  [ -z "$SAMPLER" ] || kill "$SAMPLER" 2>/dev/null || true
  stop_peer
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  stop_services
  [ "${KEEP_DATABASES:-0}" = 1 ] || drop_databases
  [ -z "$WORK" ] || rm -rf "$WORK"
}

log "machine: $(nproc) cores; $(uptime)"
drop_databases

# ---------------------------------------------------------------------------------------------
# fangpin: release build, demo county with $HOUSEHOLDS households (started further down).
bench_setup "$FP_DB" "$HOUSEHOLDS"
trap cleanup EXIT
cargo build --release --locked -q --example photo_bench
target/release/examples/photo_bench gen "$WORK/photo" 1 93 >/dev/null
PHOTO=$WORK/photo/photo_000.jpg
PHOTO_MB=$(stat -c %s "$PHOTO" | awk '{printf "%.1f", $1 / 1000000}')
echo "photo: 4000 x 3000 JPEG, $PHOTO_MB MB"
psql_b -c "SELECT id FROM households ORDER BY md5(id) LIMIT 1000" >"$WORK/fangpin_ids.txt"
# New records go to the county's villages at random (the creates of one village take turns on
# its household-number counter: consecutive numbers, by design).
VILLAGES=$(psql_b -c "SELECT string_agg(DISTINCT village_code, ' ') FROM households")

# ---------------------------------------------------------------------------------------------
# The peer: Node from the npm registry, the pinned source, its database, an administrator.
GIT_DIR_PEER=$(git -C "$CENTRAL_SRC" rev-parse --absolute-git-dir 2>/dev/null) \
  || { echo "CENTRAL_SRC=$CENTRAL_SRC is not a git copy of getodk/central-backend" >&2; exit 1; }
git --git-dir="$GIT_DIR_PEER" cat-file -e "$CENTRAL_COMMIT^{commit}" 2>/dev/null \
  || { echo "$CENTRAL_SRC does not hold commit $CENTRAL_COMMIT: fetch getodk/central-backend into it" >&2; exit 1; }
NODE_DIR=$PEER_HOME/node-$NODE_VERSION
if [ ! -x "$NODE_DIR/node_modules/node/bin/node" ]; then
  log "installing Node $NODE_VERSION from the npm registry (package node) into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --save-exact --prefix . "node@$NODE_VERSION" >/dev/null)
fi
export PATH=$NODE_DIR/node_modules/node/bin:$PATH
[ "$(node --version)" = "v$NODE_VERSION" ] || { echo "node $NODE_VERSION did not install (got $(node --version))" >&2; exit 1; }
PEER_SRC=$PEER_HOME/central-backend-${CENTRAL_COMMIT:0:12}
if [ ! -f "$PEER_SRC/.bench-ready" ]; then
  log "unpacking central-backend ${CENTRAL_COMMIT:0:12} into $PEER_SRC; npm ci --omit=dev"
  rm -rf "$PEER_SRC"
  mkdir -p "$PEER_SRC"
  git --git-dir="$GIT_DIR_PEER" archive "$CENTRAL_COMMIT" | tar -x -C "$PEER_SRC"
  # As its Docker image does: production dependencies only (its .npmrc ignores install scripts).
  (cd "$PEER_SRC" && npm ci --omit=dev --no-audit --no-fund >/dev/null)
  touch "$PEER_SRC/.bench-ready"
fi
# Every server a peer process opens listens on 127.0.0.1 (its run-server.js listens on all addresses).
cat >"$PEER_HOME/bind-loopback.js" <<'JS'
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
JS
# Blank URLs and keys switch the integrations off (odk-reporter, enketo and sentry init to no-ops);
# the json mail transport writes mail to the log instead of sending it.
cat >"$PEER_SRC/config/local.json" <<JSON
{
  "default": {
    "database": { "host": "127.0.0.1", "port": ${PG_PORT:-5432}, "user": "$PEER_ROLE", "password": "$PEER_ROLE", "database": "$PEER_DB" },
    "server": { "port": $PEER_PORT },
    "email": { "serviceAccount": "no-reply@example.org", "transport": "json" },
    "xlsform": { "host": "127.0.0.1", "port": 9 },
    "enketo": { "url": "", "apiKey": "" },
    "env": { "domain": "http://127.0.0.1:$PEER_PORT", "sysadminAccount": "no-reply@example.org" },
    "external": {
      "sentry": {},
      "analytics": { "url": "", "formId": "", "version": "" },
      "mailingListOptIn": { "url": "", "formId": "", "version": "" },
      "s3blobStore": {}
    }
  }
}
JSON
log "peer database $PEER_DB (role $PEER_ROLE; extensions as its create-docker-databases.js), migrations"
sql_admin -c "CREATE ROLE $PEER_ROLE LOGIN PASSWORD '$PEER_ROLE'" \
  -c "CREATE DATABASE $PEER_DB OWNER $PEER_ROLE ENCODING 'UTF8' TEMPLATE template0"
for ext in citext pg_trgm pgrowlocks pg_stat_statements; do sql_admin -d "$PEER_DB" -c "CREATE EXTENSION $ext"; done
unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE
export NODE_ENV=production NODE_OPTIONS="--require $PEER_HOME/bind-loopback.js"
(cd "$PEER_SRC" && node lib/bin/run-migrations.js >"$WORK/peer-migrations.log" 2>&1) \
  || { tail -n 30 "$WORK/peer-migrations.log" >&2; exit 1; }
(cd "$PEER_SRC" && echo "$PEER_PASSWORD" | node lib/bin/cli.js -u "$PEER_EMAIL" user-create >/dev/null 2>&1 \
  && node lib/bin/cli.js -u "$PEER_EMAIL" user-promote >/dev/null 2>&1)

log "starting the peer: pm2-runtime, $PEER_WORKERS workers, 127.0.0.1:$PEER_PORT"
mkdir -p "$PEER_HOME/pm2"
(cd "$PEER_SRC" && PM2_HOME=$PEER_HOME/pm2 WORKER_COUNT=$PEER_WORKERS exec node node_modules/pm2/bin/pm2-runtime pm2.config.js) \
  >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
PEER=http://127.0.0.1:$PEER_PORT
for _ in $(seq 1 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$PEER/v1/projects" || true)" = 401 ] && break
  kill -0 "$PEER_PID" 2>/dev/null || { tail -n 30 "$WORK/peer.log" >&2; echo "the peer did not start" >&2; exit 1; }
  sleep 0.5
done
PEER_TOKEN=$(curl -fs -X POST "$PEER/v1/sessions" -H 'content-type: application/json' \
  -d "{\"email\":\"$PEER_EMAIL\",\"password\":\"$PEER_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
curl -fs -o /dev/null -X POST "$PEER/v1/projects" -H "Authorization: Bearer $PEER_TOKEN" -H 'content-type: application/json' -d '{"name":"bench"}'
curl -fs -o /dev/null -X POST "$PEER/v1/projects/1/forms?publish=true" -H "Authorization: Bearer $PEER_TOKEN" \
  -H 'content-type: application/xml' --data-binary @scripts/bench/peer_form.xml
FORM=/v1/projects/1/forms/household
log "the peer: $PEER_RECORDS submissions of a head and two members, each expecting photo p.jpg"
python3 - "$PEER$FORM" "$PEER_TOKEN" "$PEER_RECORDS" "${VILLAGES%% *}" >"$WORK/peer_ids.txt" <<'PY'
import concurrent.futures, sys, urllib.request, uuid
url, token, n, village = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def submit(i):
    iid = f"uuid:{uuid.uuid4()}"
    members = "".join(f"<member><name>{name}</name><id_number>{idn}</id_number><relation>{rel}</relation></member>"
                      for name, idn, rel in [("王建国", "11010519491231002X", "head"), ("李秀英", "110105195203150028", "spouse"),
                                             ("王小明", "110105198001010013", "child")])
    body = (f'<data id="household" version="1"><village>{village}</village><category>lifted_out</category>{members}'
            f'<photo>p.jpg</photo><meta><instanceID>{iid}</instanceID></meta></data>').encode()
    req = urllib.request.Request(url + "/submissions", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/xml"})
    urllib.request.urlopen(req).read()
    return iid
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    for iid in pool.map(submit, range(n)):
        print(iid)
PY

# ---------------------------------------------------------------------------------------------
log "starting SeaweedFS and fangpin"
# Ports apart from the test suite's SeaweedFS, which may be running beside this.
S3_PORT=${S3_PORT:-8633} WEED_PORT_OFFSET=${WEED_PORT_OFFSET:-300}
start_seaweedfs
export FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=$S3_ENDPOINT FANGPIN_S3_BUCKET=fangpin-test FANGPIN_S3_PREFIX=peer-$(date +%s)
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600
unset NODE_OPTIONS
bench_serve
trap cleanup EXIT # bench_serve sets its own
FANGPIN=$BASE
FANGPIN_TOKEN=$TOKEN

# ---------------------------------------------------------------------------------------------
# Peak of the summed RSS (MB) of process $2 and its children, sampled every 0.2 s into file $1.
rss_sampler() {
  local out=$1 root=$2 max=0 sum p kb
  while kill -0 "$root" 2>/dev/null; do
    sum=0
    for p in "$root" $(pgrep -P "$root" || true); do
      kb=$(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
      sum=$((sum + ${kb:-0}))
    done
    if [ "$sum" -gt "$max" ]; then max=$sum; echo $((max / 1024)) >"$out"; fi
    sleep 0.2
  done
}

declare -A RPS ERRORS RSS
SERIES=0
# run_wrk SIDE TEST CONNECTIONS SECONDS: sets RPS and ERRORS[SIDE-TEST-CONNECTIONS].
run_wrk() {
  local side=$1 test=$2 c=$3 secs=$4 out base token ids
  SERIES=$((SERIES + 1))
  out=$WORK/wrk-$SERIES-$side-$test-$c.txt
  if [ "$side" = peer ]; then base=$PEER token=$PEER_TOKEN ids=$WORK/peer_ids.txt
  else base=$FANGPIN token=$FANGPIN_TOKEN ids=$WORK/fangpin_ids.txt; fi
  # What the last run left to write (the peer's 1 GB of blobs in PostgreSQL, SeaweedFS's files
  # in the page cache) is written now, not during the next side's run.
  psql_b -c CHECKPOINT >/dev/null
  sync
  wait_quiet
  SIDE=$side TEST=$test TOKEN=$token IDS_FILE=$ids FORM=$FORM VILLAGES=$VILLAGES PHOTO=$PHOTO SERIES=$SERIES THREADS=$THREADS \
    wrk -t"$THREADS" -c"$c" -d"${secs}s" --timeout 30s -s scripts/bench/peer.lua "$base" >"$out" 2>"$out.err" || true
  RPS[$side-$test-$c]=$(awk '/Requests\/sec/ {print $2}' "$out")
  ERRORS[$side-$test-$c]=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
  head -n 3 "$out.err"
}

TESTS=${TESTS:-read create upload}
for test in $TESTS; do
  for side in peer fangpin; do
    log "$side $test: warm-up ${WARMUP} s"
    run_wrk "$side" "$test" 16 "$WARMUP"
  done
  for c in 16 32; do
    for side in peer fangpin; do
      log "$side $test, $c connections, $DURATION s"
      if [ "$test" = upload ]; then
        if [ "$side" = peer ]; then root=$PEER_PID; else root=$SERVER; fi
        rss_sampler "$WORK/rss-$side-$c" "$root" &
        SAMPLER=$!
      fi
      run_wrk "$side" "$test" "$c" "$DURATION"
      if [ -n "$SAMPLER" ]; then kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; fi
      echo "${RPS[$side-$test-$c]} req/s, ${ERRORS[$side-$test-$c]} failed"
    done
  done
done
for side in peer fangpin; do
  RSS[$side]=$( (cat "$WORK"/rss-"$side"-* 2>/dev/null || true) | sort -n | tail -n 1)
done
stop_peer

label() { case $1 in read) echo "read one record by id" ;; create) echo "create one record" ;; upload) echo "upload a $PHOTO_MB MB 12 MP JPEG" ;; esac; }
echo
echo "peer: ODK Central backend ${CENTRAL_COMMIT:0:12}, Node $NODE_VERSION, pm2 $PEER_WORKERS workers, PostgreSQL (blobs in the database, its default)"
echo "fangpin: release build, PostgreSQL + SeaweedFS, $HOUSEHOLDS households; wrk -t$THREADS, ${DURATION} s per run after a ${WARMUP} s warm-up"
echo "machine: $(nproc) cores; $(uptime)"
echo
echo "| test | peer req/s | fangpin req/s | ratio | failed requests (peer / fangpin) |"
echo "|---|---:|---:|---:|---|"
for test in $TESTS; do
  for c in 16 32; do
    p=${RPS[peer-$test-$c]:-0} f=${RPS[fangpin-$test-$c]:-0}
    printf '| %s, c=%s | %.1f | %.1f | %.2f | %s / %s |\n' "$(label $test)" "$c" "$p" "$f" \
      "$(echo "if ($p > 0) $f / $p else 0" | bc -l)" "${ERRORS[peer-$test-$c]}" "${ERRORS[fangpin-$test-$c]}"
  done
done
printf '| peak RSS during the uploads, MB | %s | %s | %.2f | (peer: pm2 + %s workers; fangpin: the server) |\n' \
  "${RSS[peer]:-0}" "${RSS[fangpin]:-0}" "$(echo "if (${RSS[peer]:-0} > 0) ${RSS[fangpin]:-0} / ${RSS[peer]:-0} else 0" | bc -l)" "$PEER_WORKERS"
