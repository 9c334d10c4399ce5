#!/usr/bin/env bash
# Issue 17 benchmark (not part of CI): household creates on PostgreSQL, the API beside the same
# writes as plain SQL in the same run. The demo county ($HOUSEHOLDS households, default 10 000)
# is loaded into its own database; wrk posts new households (create_household.lua: three
# members, no number, an Idempotency-Key each, a village at random) at c=16 and c=32 for
# $DURATION s (default 20); pgbench then runs at the same concurrency the writes a create makes,
# as the API makes them: one transaction with the idempotency claim, the village's number
# counter, the household, its three members in one INSERT and the audit row, then the kept
# answer (its own commit, which does not wait for the disk). Prints req/s, tx/s, the ratio (goal >= 0.5), and the
# CPU per create of the server, PostgreSQL and the load generator, with commits and rows
# written per create. Rows created by an earlier run are removed first.
# Usage: scripts/bench/writes.sh   (HOUSEHOLDS, DURATION, CONCURRENCY="16 32" may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-10000}
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-16 32}
THREADS=2
bench_setup fangpin_bench_writes "$HOUSEHOLDS"
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600
bench_serve
TCK=$(getconf CLK_TCK)

log "removing what earlier runs created"
psql_b <<'SQL'
DELETE FROM audit_log WHERE household_id IN (SELECT id FROM households WHERE address IN ('writes-bench', 'writes-bench-sql'));
DELETE FROM members WHERE household_id IN (SELECT id FROM households WHERE address IN ('writes-bench', 'writes-bench-sql'));
DELETE FROM households WHERE address IN ('writes-bench', 'writes-bench-sql');
DELETE FROM idempotency_keys;
-- Counters at least the highest number of each village (the demo loader typed its numbers).
INSERT INTO household_number_counters (village_code, last_sequence)
  SELECT village_code, max(substr(number, 13)::bigint) FROM households WHERE number ~ '^[0-9]{16}$' GROUP BY village_code
  ON CONFLICT (village_code) DO UPDATE SET last_sequence = GREATEST(household_number_counters.last_sequence, excluded.last_sequence);
DROP TABLE IF EXISTS bench_villages;
CREATE TABLE bench_villages AS
  SELECT row_number() OVER (ORDER BY village_code) AS n, village_code, min(township_code) AS township_code, min(county_code) AS county_code
  FROM households GROUP BY village_code;
CREATE UNIQUE INDEX ON bench_villages (n);
VACUUM ANALYZE;
SQL
VILLAGES=$(psql_b -c "SELECT count(*) FROM bench_villages")
psql_b -c "SELECT village_code FROM bench_villages ORDER BY n" >"$WORK/villages.txt"
echo "villages: $VILLAGES"

# The reference: what a create writes, as plain SQL, with the sizes the API writes (a sealed
# ID number ~90 characters, keyed hashes 64, an audit snapshot ~1 KB, a kept answer ~2 KB).
cat >"$WORK/create.sql" <<SQL
\set v random(1, $VILLAGES)
\set k random(1, 1000000000000000)
BEGIN;
INSERT INTO idempotency_keys (user_id, key, request, status, created_at) VALUES ('bench', :client_id || '-' || :k, 'POST /api/v1/households q:' || md5(:k::text), 0, now());
INSERT INTO household_number_counters (village_code, last_sequence) SELECT village_code, 1 FROM bench_villages WHERE n = :v
  ON CONFLICT (village_code) DO UPDATE SET last_sequence = household_number_counters.last_sequence + 1 RETURNING last_sequence AS seq \gset
INSERT INTO households (id, number, village_code, township_code, county_code, address, category, head_name, created_by, created_at, updated_at, sync_seq)
  SELECT 'sql-' || :client_id || '-' || :k, village_code || lpad(:seq::text, 4, '0'), village_code, township_code, county_code, 'writes-bench-sql', 'monitored_unstable', '王建国', 'bench', now(), now(), pg_current_xact_id()::text::bigint
  FROM bench_villages WHERE n = :v;
INSERT INTO members (id, household_id, name, relation, sex, birth_date, id_number_enc, id_number_hmac, phone_enc, created_at, updated_at) VALUES
  (md5(random()::text), 'sql-' || :client_id || '-' || :k, '王建国', 'head', 'male', '1971-01-01', repeat(md5(random()::text), 3), md5(random()::text) || md5(random()::text), NULL, now(), now()),
  (md5(random()::text), 'sql-' || :client_id || '-' || :k, '李秀英', 'spouse', 'female', '1972-01-01', repeat(md5(random()::text), 3), md5(random()::text) || md5(random()::text), NULL, now(), now()),
  (md5(random()::text), 'sql-' || :client_id || '-' || :k, '王小龙', 'child', 'male', '1995-01-01', repeat(md5(random()::text), 3), md5(random()::text) || md5(random()::text), NULL, now(), now());
INSERT INTO audit_log (id, at, actor_id, actor_name, action, entity_type, entity_id, household_id, before_json, after_json)
  VALUES (md5(random()::text), now(), 'bench', 'admin', 'create', 'household', 'sql-' || :client_id || '-' || :k, 'sql-' || :client_id || '-' || :k, NULL, repeat('{"name":"王建国","id_number":"6201**********123X"}', 20));
COMMIT;
UPDATE idempotency_keys SET status = 201, headers_json = repeat('x', 200), body = decode(repeat('ab', 2000), 'hex') WHERE user_id = 'bench' AND key = :client_id || '-' || :k AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off';
SQL

# CPU ticks (user + system) of the server, and of PostgreSQL: its live processes plus the
# children its postmaster reaped (pgbench's backends end with their run).
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
pg_ticks() {
  local total=0 pid
  for pid in $(pgrep -x postgres); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  local master
  master=$(pgrep -o -x postgres)
  echo $((total + $(awk '{print $16 + $17}' "/proc/$master/stat")))
}
stat_db() { psql_b -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }
rows_written() { psql_b -c "SELECT sum(n_tup_ins + n_tup_upd) FROM pg_stat_user_tables"; }

# measure LABEL COMMAND...: runs it, prints "count server_ms pg_ms client_ms commits rows" per unit.
declare -A RESULT
measure() {
  local label=$1; shift
  local s0 p0 c0 r0 s1 p1 c1 r1 client
  sleep 1
  s0=$(server_ticks); p0=$(pg_ticks); c0=$(stat_db); r0=$(rows_written)
  TIMEFORMAT='%U %S'
  { time "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"; } 2>"$WORK/$label.time"
  sleep 1 # pg_stat counters are flushed at the end of a transaction, at most each second
  s1=$(server_ticks); p1=$(pg_ticks); c1=$(stat_db); r1=$(rows_written)
  client=$(awk '{printf "%d", ($1 + $2) * 1000}' "$WORK/$label.time")
  RESULT[$label]="$((s1 - s0)) $((p1 - p0)) $client $((c1 - c0)) $((r1 - r0))"
}

offset=0
for c in $CONCURRENCY; do
  log "API: POST /households, $c connections, $DURATION s"
  offset=$((offset + 5000000))
  measure "api$c" env VILLAGES_FILE="$WORK/villages.txt" TOKEN="$TOKEN" THREADS=$THREADS OFFSET=$offset \
    wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency -s scripts/bench/create_household.lua "$BASE"
  cat "$WORK/api$c.out"; head -n 5 "$WORK/api$c.err"
  log "raw SQL (pgbench), $c clients, $DURATION s"
  measure "sql$c" pgbench -n -c "$c" -j "$THREADS" -T "$DURATION" -f "$WORK/create.sql" "$PG_URL"
  grep -E '^(tps|number of (transactions|failed))' "$WORK/sql$c.out" || true; head -n 5 "$WORK/sql$c.err"
done

echo
printf '%-6s %10s %10s %7s | %-35s | %s\n' "conns" "API req/s" "SQL tx/s" "ratio" "CPU ms per create: server PG client" "per create: commits, rows written (API / SQL)"
for c in $CONCURRENCY; do
  api=$(awk '/Requests\/sec/ {print $2}' "$WORK/api$c.out")
  n_api=$(awk '/requests in/ {print $1}' "$WORK/api$c.out")
  bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/api$c.out")
  sql=$(awk '/^tps/ {print $3; exit}' "$WORK/sql$c.out")
  n_sql=$(awk '/number of transactions actually processed/ {split($NF, a, "/"); print a[1]}' "$WORK/sql$c.out")
  read -r as ap ac acm arw <<<"${RESULT[api$c]}"
  read -r ss sp sc scm srw <<<"${RESULT[sql$c]}"
  printf '%-6s %10.0f %10.0f %7.2f | API %5.2f %5.2f %5.2f  SQL %5.2f %5.2f %5.2f | %.1f / %.1f commits, %.1f / %.1f rows%s\n' \
    "$c" "$api" "$sql" "$(ratio "$api" "$sql")" \
    "$(echo "$as * 1000 / $TCK / $n_api" | bc -l)" "$(echo "$ap * 1000 / $TCK / $n_api" | bc -l)" "$(echo "$ac / $n_api" | bc -l)" \
    "$(echo "$ss * 1000 / $TCK / $n_sql" | bc -l)" "$(echo "$sp * 1000 / $TCK / $n_sql" | bc -l)" "$(echo "$sc / $n_sql" | bc -l)" \
    "$(echo "$acm / $n_api" | bc -l)" "$(echo "$scm / $n_sql" | bc -l)" "$(echo "$arw / $n_api" | bc -l)" "$(echo "$srw / $n_sql" | bc -l)" \
    "${bad:+  (non-2xx: $bad)}"
done
echo "machine load at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared by wrk/pgbench, the server and PostgreSQL)"
