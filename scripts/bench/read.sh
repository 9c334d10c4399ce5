#!/usr/bin/env bash
# Issue 2 benchmark: API reads under 32 concurrent clients beside raw indexed reads of the same
# rows with pgbench, in the same run, on PostgreSQL with $HOUSEHOLDS households (default 100 000).
# Prints each throughput and the ratio API / raw. Goal: ≥ 0.5.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh

HOUSEHOLDS=${HOUSEHOLDS:-100000}
DURATION=${DURATION:-15}
CLIENTS=${CLIENTS:-32}
PORT=${PORT:-18181}
ensure_packages wrk:wrk bc:bc curl:curl pgbench:postgresql-contrib
ensure_postgres fangpin_bench
psql_b() { psql "$PG_URL" -qAtX "$@"; }

log "building the release binary"
cargo build --release --locked -q
BIN=$PWD/target/release/fangpin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-bench.XXXXXX")
# The bench database outlives a run: keep its keys fixed so the sealed data stays readable.
export DATABASE_URL=$PG_URL FANGPIN_DATA_DIR=$WORK FANGPIN_BIND=127.0.0.1:$PORT RUST_LOG=warn
export FANGPIN_ADMIN_PASSWORD='Bench-pass-1'
export FANGPIN_JWT_SECRET='bench-secret-bench-secret-bench-secret-0123'
export FANGPIN_DATA_KEY='YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDE='

log "loading $HOUSEHOLDS households (idempotent)"
"$BIN" demo --scale "$HOUSEHOLDS"
psql_b -c ANALYZE
echo "households in the database: $(psql_b -c 'SELECT count(*) FROM households')"

"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
export TOKEN
TOKEN=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$FANGPIN_ADMIN_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')

psql_b -c "DROP TABLE IF EXISTS bench_ids" \
  -c "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM (SELECT id FROM households ORDER BY random() LIMIT 1000) s" \
  -c "CREATE UNIQUE INDEX ON bench_ids (n)"
export IDS_FILE=$WORK/ids.txt DIVISION
psql_b -c "SELECT id FROM bench_ids" >"$IDS_FILE"
DIVISION=$(psql_b -c "SELECT township_code FROM households GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")

cat >"$WORK/get.sql" <<SQL
\set n random(1, 1000)
SELECT * FROM households WHERE id = (SELECT id FROM bench_ids WHERE n = :n);
SELECT * FROM members WHERE household_id = (SELECT id FROM bench_ids WHERE n = :n);
SQL
cat >"$WORK/list.sql" <<SQL
SELECT * FROM households WHERE township_code = '$DIVISION' ORDER BY id LIMIT 50;
SELECT * FROM members WHERE household_id IN (SELECT id FROM households WHERE township_code = '$DIVISION' ORDER BY id LIMIT 50);
SQL

rps() { wrk -t2 -c"$CLIENTS" -d"${DURATION}s" -s "$1" "http://127.0.0.1:$PORT" | tee -a "$WORK/wrk.log" | awk '/Requests\/sec/ {print $2}'; }
tps() { pgbench -n -c "$CLIENTS" -j 2 -T "$DURATION" -f "$1" "$PG_URL" 2>/dev/null | awk '/^tps/ {print $3; exit}'; }

log "GET /households/{id}: API"
api_get=$(rps scripts/bench/get_household.lua)
log "GET /households/{id}: raw (pgbench)"
raw_get=$(tps "$WORK/get.sql")
log "GET /households?division=$DIVISION (first page of 50): API"
api_list=$(rps scripts/bench/list_households.lua)
log "first page: raw (pgbench)"
raw_list=$(tps "$WORK/list.sql")
non200=$(grep -c 'Non-2xx' "$WORK/wrk.log" || true)

printf '\n%-44s %12s %12s %8s\n' "read ($CLIENTS clients, ${DURATION}s each)" "API req/s" "raw tx/s" "ratio"
printf '%-44s %12.0f %12.0f %8.2f\n' "GET /households/{id}" "$api_get" "$raw_get" "$(echo "$api_get / $raw_get" | bc -l)"
printf '%-44s %12.0f %12.0f %8.2f\n' "GET /households?division=<township> page 1" "$api_list" "$raw_list" "$(echo "$api_list / $raw_list" | bc -l)"
echo "wrk runs with non-2xx answers: $non200"
