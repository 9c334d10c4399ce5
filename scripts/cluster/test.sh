# `scripts/cluster.sh test`, sourced by it (its functions and variables). Three parts, on one
# fresh cluster with the demo county:
#   1. a rolling restart of the instances under load through nginx, zero failed requests, an
#      upload in flight during each SIGTERM (issue 22, item 7);
#   2. faults under a retrying load through nginx: an API instance SIGKILLed and restarted, a
#      volume server killed (every stored photo read while it is down) and restarted, the
#      cluster's own PostgreSQL restarted; then every acknowledged write exactly once, only
#      retriable errors, and no object left that `storage gc` does not remove (item 4);
#   3. backup (pg_dump, the objects through the S3 API, the secrets), destruction of every
#      process and data folder, restore into a fresh cluster: the same households field for
#      field and the same photos by SHA-256 (item 6).
# Each step times out instead of hanging; on failure the last lines of every component's log
# are printed and the logs are kept in target/cluster-test-logs.
PY=$PWD/target/venv/bin/python
DRIVER=scripts/cluster/driver.py
LB=http://127.0.0.1:$LB_PORT
W=$CLUSTER_DIR/work

fail() {
  FAILED=1
  fail_logs "$*"
  exit 1
}

fail_logs() {
  echo "CLUSTER TEST FAILED: $*" >&2
  local f
  for f in "$LOGS"/*.log "$RUN"/nginx/error.log; do
    [ -f "$f" ] || continue
    echo "--- $f (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
  rm -rf target/cluster-test-logs
  cp -r "$LOGS" target/cluster-test-logs 2>/dev/null || true
  echo "(all logs: target/cluster-test-logs)" >&2
}

# On any failure (a `fail` or a command that stops the script): the logs, then the cleanup.
cleanup_test() {
  local status=$?
  trap - EXIT
  [ "$status" -eq 0 ] || [ -n "${FAILED:-}" ] || fail_logs "exit status $status"
  [ -z "${LOAD:-}" ] || kill "$LOAD" 2>/dev/null || true
  down >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
}
trap cleanup_test EXIT

login() {
  curl -fsS --retry 5 --retry-all-errors --max-time 10 -X POST "$LB/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$FANGPIN_ADMIN_PASSWORD\"}" | "$PY" -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'
}

# The time on the database's clock (naive UTC, as rows store it): what is written after it is
# what `verify` counts.
db_now() { psql "$PG_URL" -tAc "SELECT (now() AT TIME ZONE 'UTC')::text"; }

[ -x "$BIN" ] || { log "building $BIN"; cargo build --locked -q; }
BIN=$(realpath "$BIN")
ensure_packages nginx:nginx
ensure_weed
"$PY" -c 'import PIL' 2>/dev/null || "$VENV/bin/pip" install -q --disable-pip-version-check "pillow==11.3.0"
TEST_STARTED=$(date +%s)

up
mkdir -p "$W"
instance_env
log "demo county"
timeout 300 "$BIN" demo --per-village 4 >/dev/null || fail "fangpin demo"
TOKEN=$(login) || fail "login through nginx"
curl -fsS -H "Authorization: Bearer $TOKEN" "$LB/api/v1/households?limit=40" \
  | "$PY" -c 'import sys,json; print("\n".join(h["id"] for h in json.load(sys.stdin)["items"]))' >"$W/households.txt"

rolling_restart() {
  log "1. rolling restart of the instances under load (zero failed requests)"
  local since i port pid started status
  since=$(db_now)
  rm -f "$W/stop"
  timeout 300 "$PY" "$DRIVER" load "$LB" "$TOKEN" "$W/households.txt" "$W/stop" "$W/acked.json" once &
  LOAD=$!
  sleep 3
  for i in "${INSTANCES[@]}"; do
    port=$(instance_port "$i")
    echo "instance $i: drained from nginx"
    nginx_upstreams "$i"
    nginx_reload || fail "nginx reload"
    rm -f "$W/started"
    timeout 60 "$PY" "$DRIVER" slow-upload "http://127.0.0.1:$port" "$TOKEN" "$(head -n 1 "$W/households.txt")" "$W/started" "$W/slow.json" &
    SLOW=$!
    for _ in $(seq 1 40); do [ -f "$W/started" ] && break; sleep 0.25; done
    [ -f "$W/started" ] || fail "the upload to instance $i did not start"
    pid=$(cat "$RUN/fangpin$i.pid")
    started=$(date +%s%N)
    kill -TERM "$pid"
    status=0
    timeout 60 tail --pid="$pid" -f /dev/null || fail "instance $i still running 60 s after SIGTERM"
    wait "$pid" || status=$?
    echo "instance $i: SIGTERM with an upload in flight, exited $status after $((($(date +%s%N) - started) / 1000000)) ms"
    [ "$status" -eq 0 ] || fail "instance $i exited $status after SIGTERM"
    wait "$SLOW" || fail "the upload in flight during the SIGTERM of instance $i"
    rm -f "$RUN/fangpin$i.pid"
    start_instance "$i" || fail "instance $i did not restart"
    nginx_upstreams
    nginx_reload || fail "nginx reload"
    echo "instance $i: back in nginx"
    sleep 2
  done
  touch "$W/stop"
  wait "$LOAD" || fail "requests failed during the rolling restart"
  LOAD=""
  "$PY" "$DRIVER" merge "$W/acked.json" "$W/slow.json"
  "$PY" scripts/faults/driver.py verify "$LB" "$TOKEN" "$W/acked.json" "$PG_URL" "$since" \
    || fail "acknowledged writes after the rolling restart"
}

faults_under_load() {
  log "2. faults under a retrying load: SIGKILL of an instance, a volume server down, PostgreSQL restarted"
  local since pid
  since=$(db_now)
  rm -f "$W/stop" "$W/faults.json"
  timeout 300 "$PY" "$DRIVER" load "$LB" "$TOKEN" "$W/households.txt" "$W/stop" "$W/faults.json" retry &
  LOAD=$!
  sleep 4

  echo "(a) SIGKILL of instance 1"
  pid=$(cat "$RUN/fangpin1.pid")
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$RUN/fangpin1.pid"
  sleep 2
  start_instance 1 || fail "instance 1 did not restart after SIGKILL"
  echo "instance 1 restarted"
  sleep 3

  echo "(b) SIGKILL of volume server 3"
  pid=$(cat "$RUN/weed-volume3.pid")
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$RUN/weed-volume3.pid"
  sleep 3
  # Every photo stored so far has its second copy on another rack: all readable now.
  timeout 120 "$PY" "$DRIVER" read-photos "$LB" "$TOKEN" "$PG_URL" \
    || fail "photos unreadable while volume server 3 is down"
  sleep 2
  start_weed || fail "volume server 3 did not restart"
  echo "volume server 3 restarted"
  sleep 3

  echo "(c) restart of PostgreSQL"
  stop_postgres fast || fail "stopping PostgreSQL"
  sleep 4
  start_postgres || fail "PostgreSQL did not start again"
  echo "PostgreSQL restarted"
  sleep 6

  touch "$W/stop"
  wait "$LOAD" || fail "the retrying clients saw errors that are not retriable, or a retry that did not succeed"
  LOAD=""
  "$PY" scripts/faults/driver.py verify "$LB" "$TOKEN" "$W/faults.json" "$PG_URL" "$since" \
    || fail "acknowledged writes after the faults"

  # A crash between storing a photo's objects and committing its row leaves objects no row
  # refers to; `storage gc` removes those (and a planted one) and nothing that is referenced.
  local orphan
  orphan="photos/$(head -n 1 "$W/households.txt")/0190a0a0-0000-7000-8000-00000000dead/original.jpg"
  curl -fsS -o /dev/null -X PUT --data-binary @"$DRIVER" "http://127.0.0.1:$S3_PORT/$BUCKET/$orphan" || fail "planting an orphan object"
  timeout 120 "$BIN" storage gc --grace-minutes 0 >"$W/gc.txt" || fail "storage gc"
  tail -n 1 "$W/gc.txt"
  grep -q "^removed $orphan$" "$W/gc.txt" || fail "storage gc did not remove the orphan object"
  timeout 120 "$PY" "$DRIVER" read-photos "$LB" "$TOKEN" "$PG_URL" || fail "storage gc removed objects of photos"
  "$BIN" storage gc --grace-minutes 0 --dry-run | tail -n 1 | grep -q " 0 unreferenced" || fail "a second gc still finds objects"
}

backup_restore() {
  log "3. backup: pg_dump, the objects through the S3 API, the secrets"
  local backup=$W/backup
  mkdir -p "$backup"
  timeout 120 "$PY" "$DRIVER" snapshot "$LB" "$TOKEN" "$W/before.json" || fail "snapshot before the backup"
  timeout 120 pg_dump --format=custom --file="$backup/fangpin.dump" "$PG_URL" || fail "pg_dump"
  timeout 120 "$PY" "$DRIVER" s3-backup "http://127.0.0.1:$S3_PORT" "$BUCKET" "" "$backup" || fail "copying the objects out"
  cp "$CLUSTER_DIR/secrets.env" "$backup/"

  log "destroying the cluster: every process, the PostgreSQL and SeaweedFS data, the secrets"
  down
  rm -rf "$DATA" "$RUN" "$CLUSTER_DIR/secrets.env"

  log "restore into a fresh cluster"
  mkdir -p "$RUN" "$LOGS" "$DATA"
  start_postgres || fail "a fresh PostgreSQL"
  timeout 120 pg_restore --no-owner --exit-on-error --dbname="$PG_URL" "$backup/fangpin.dump" || fail "pg_restore"
  start_weed || fail "a fresh SeaweedFS"
  timeout 120 "$PY" "$DRIVER" s3-restore "http://127.0.0.1:$S3_PORT" "$BUCKET" "$backup" || fail "copying the objects back"
  (umask 077 && cp "$backup/secrets.env" "$CLUSTER_DIR/secrets.env")
  up
  TOKEN=$(login) || fail "login after the restore"
  timeout 120 "$PY" "$DRIVER" snapshot "$LB" "$TOKEN" "$W/after.json" || fail "snapshot after the restore"
  "$PY" "$DRIVER" compare "$W/before.json" "$W/after.json" || fail "the restored cluster serves different data"
}

# CLUSTER_PARTS selects parts (default: all three, in this order).
for part in ${CLUSTER_PARTS:-rolling_restart faults_under_load backup_restore}; do
  "$part"
done
log "cluster test passed in $(($(date +%s) - TEST_STARTED)) s"
