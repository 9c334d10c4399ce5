#!/usr/bin/env bash
# Issue 2 benchmark: API reads under 32 concurrent clients beside raw indexed reads of the same
# rows with pgbench, in the same run, on PostgreSQL with $HOUSEHOLDS households (default 100 000).
# Prints each throughput and the ratio API / raw. Goal: ≥ 0.5.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-100000}
DURATION=${DURATION:-15}
CLIENTS=${CLIENTS:-32}
bench_setup fangpin_bench "$HOUSEHOLDS"
bench_serve

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

rps() { wrk -t2 -c"$CLIENTS" -d"${DURATION}s" -s "$1" "$BASE" | tee -a "$WORK/wrk.log" | awk '/Requests\/sec/ {print $2}'; }
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
printf '%-44s %12.0f %12.0f %8.2f\n' "GET /households/{id}" "$api_get" "$raw_get" "$(ratio "$api_get" "$raw_get")"
printf '%-44s %12.0f %12.0f %8.2f\n' "GET /households?division=<township> page 1" "$api_list" "$raw_list" "$(ratio "$api_list" "$raw_list")"
echo "wrk runs with non-2xx answers: $non200"
