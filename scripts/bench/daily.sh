#!/usr/bin/env bash
# Issue 20 benchmark (not part of CI): a township's daily rectification list 问题整改清单
# (`GET /api/v1/quality/daily?division=<township>`) over a county of $HOUSEHOLDS households
# (default 300 000) and $PROBLEMS problems (default 700 000), on PostgreSQL, beside a raw SQL
# read of the same four lists (opened today, unsettled and due in the next 3 days, overdue,
# closed today, each row with its household's number and head) in the same run.
# Goal: the API's list < 200 ms.
#
# The data is generated in SQL straight into the tables (`fangpin migrate`, the demo county's
# divisions by `fangpin demo --per-village 0`, then INSERT … SELECT generate_series) into the
# database fangpin_bench_daily, which is kept between runs. The problems are spread over two
# years relative to the day of the run (found_on, created_at, deadlines 7–60 days after, most
# closed or dismissed before or a little after their deadline, by every source), so each list
# has tens to hundreds of rows per township; they are generated again when the day changes.
# Usage: scripts/bench/daily.sh [SECONDS per timed run, default 15]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
PROBLEMS=${PROBLEMS:-700000}
DURATION=${1:-15}
COUNTY=610831000000
ensure_packages wrk:wrk bc:bc curl:curl pgbench:postgresql-contrib
ensure_postgres fangpin_bench_daily
log "building the release binary"
cargo build --release --locked -q
BIN=$PWD/target/release/fangpin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export DATABASE_URL=$PG_URL FANGPIN_DATA_DIR=$WORK FANGPIN_BIND=127.0.0.1:${PORT:-18181} RUST_LOG=warn
export FANGPIN_ADMIN_PASSWORD='Bench-pass-1'
export FANGPIN_JWT_SECRET='bench-secret-bench-secret-bench-secret-0123'
export FANGPIN_DATA_KEY='YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDE='
# The server's day (its time zone, Asia/Shanghai by default): the lists are relative to it.
TZNAME=${FANGPIN_TIMEZONE:-Asia/Shanghai}
"$BIN" migrate >/dev/null
"$BIN" demo --per-village 0 >/dev/null

if [ "$(psql_b -c "SELECT count(*) FROM households WHERE created_by = 'bench-daily'")" -lt "$HOUSEHOLDS" ]; then
  log "generating $HOUSEHOLDS households over the county's villages (SQL, bench data only)"
  psql_b -v ON_ERROR_STOP=1 <<SQL
DELETE FROM problems; DELETE FROM households WHERE created_by = 'bench-daily';
WITH v AS (SELECT code, count(*) OVER () AS n FROM divisions WHERE level = 'village' AND code LIKE '610831%')
INSERT INTO households (id, number, village_code, township_code, county_code, category, head_name, has_location,
  version, created_by, created_at, updated_at, last_capture_low_accuracy, sync_seq, profile)
SELECT gen_random_uuid()::text, v.code || lpad(g::text, 5, '0'), v.code, substr(v.code, 1, 9) || '000',
  substr(v.code, 1, 6) || '000000',
  (ARRAY['lifted_out', 'lifted_out', 'lifted_out', 'monitored_unstable', 'monitored_marginal', 'ordinary'])[1 + g % 6],
  (ARRAY['王', '李', '张', '刘', '陈', '杨', '赵', '黄'])[1 + g % 8] || '建' || (ARRAY['国', '军', '华', '平', '明'])[1 + g % 5],
  false, 1, 'bench-daily', now(), now(), false, 0, '{}'
FROM v CROSS JOIN LATERAL generate_series(90001, 90000 + ceil($HOUSEHOLDS::numeric / v.n)::int) g;
VACUUM ANALYZE households;
SQL
fi
TODAY=$(psql_b -c "SELECT (now() AT TIME ZONE '$TZNAME')::date")
psql_b -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS bench_daily_generated (day date NOT NULL, problems bigint NOT NULL)"
if [ "$(psql_b -c "SELECT count(*) FROM bench_daily_generated WHERE day = '$TODAY' AND problems = $PROBLEMS")" != 1 ]; then
  log "generating $PROBLEMS problems relative to $TODAY (SQL, bench data only)"
  # found_on: a day of the last two years; created_at: that day, local time, stored as naive UTC;
  # deadline: 7–60 days later; the rectification takes a share 0–1.1 of that time (about 9 %
  # run a little late), and 5 % are stuck for 1–5 times that time (they make the overdue list). Those whose end falls before now are settled (closed, a few dismissed, the rules'
  # ones resolved by data) at that time; the others are open, verified or rectified.
  psql_b -v ON_ERROR_STOP=1 <<SQL
DELETE FROM problems;
DELETE FROM bench_daily_generated;
CREATE TEMP TABLE bench_hh AS SELECT row_number() OVER (ORDER BY number) AS i, id, village_code, township_code, county_code
  FROM households WHERE created_by = 'bench-daily';
CREATE UNIQUE INDEX ON bench_hh (i);
ANALYZE bench_hh;
INSERT INTO problems (id, household_id, village_code, township_code, county_code, rule_id, subject, severity, detail,
  status, fingerprint, deadline, opened_run, last_run, version, created_at, status_changed_at, status_changed_by,
  source, category, found_by, found_on)
SELECT gen_random_uuid()::text, h.id, h.village_code, h.township_code, h.county_code,
  CASE WHEN x.source = 'cleaning' THEN x.rule ELSE '' END, CASE WHEN x.source = 'cleaning' THEN 'members' ELSE '' END,
  CASE WHEN x.r3 < 0.7 THEN 'error' ELSE 'warning' END,
  CASE WHEN x.source = 'cleaning' THEN '生成的问题' ELSE '自查发现：住房安全待核实' END,
  CASE WHEN x.ended_at < now() AT TIME ZONE 'UTC' THEN
         CASE WHEN x.r3 < 0.05 THEN 'dismissed' WHEN x.source = 'cleaning' AND x.r3 < 0.25 THEN 'resolved_by_data' ELSE 'closed' END
       ELSE (ARRAY['open', 'verified', 'rectified'])[1 + floor(x.r3 * 3)::int] END,
  CASE WHEN x.source = 'cleaning' THEN md5(h.id || x.rule) ELSE '' END,
  x.found_on + x.span, '', '', 1, x.created_at,
  CASE WHEN x.ended_at < now() AT TIME ZONE 'UTC' THEN x.ended_at ELSE x.created_at END, 'bench',
  x.source, CASE WHEN x.source = 'cleaning' THEN NULL ELSE 'inaccurate_data' END,
  CASE WHEN x.source = 'cleaning' THEN NULL ELSE '镇自查组' END, x.found_on
FROM (
  SELECT b.*, b.created_at + b.span * (CASE WHEN random() < 0.05 THEN 1 + random() * 4 ELSE random() * 1.1 END) * interval '1 day' AS ended_at FROM (
    SELECT a.*, ((a.found_on::timestamp + random() * interval '1 day') AT TIME ZONE '$TZNAME') AT TIME ZONE 'UTC' AS created_at FROM (
      SELECT g,
        CASE WHEN r1 < 0.60 THEN 'cleaning' WHEN r1 < 0.80 THEN 'self_check' WHEN r1 < 0.85 THEN 'audit'
             WHEN r1 < 0.92 THEN 'inspection' WHEN r1 < 0.97 THEN 'third_party' ELSE 'complaint' END AS source,
        (ARRAY['id_invalid', 'head_count', 'birth_date_mismatch', 'sex_mismatch'])[1 + g % 4] AS rule,
        found_on, span, r3
      FROM (SELECT g, random() AS r1, '$TODAY'::date - floor(random() * 730)::int AS found_on,
              7 + floor(random() * 54)::int AS span, random() AS r3
            FROM generate_series(1, $PROBLEMS) g) r) a) b) x
JOIN bench_hh h ON h.i = 1 + (x.g::bigint * 7919) % (SELECT count(*) FROM bench_hh);
INSERT INTO bench_daily_generated VALUES ('$TODAY', $PROBLEMS);
VACUUM ANALYZE problems;
SQL
fi
echo "households: $(psql_b -c 'SELECT count(*) FROM households'), problems: $(psql_b -c 'SELECT count(*) FROM problems')"
TOWNSHIP=$(psql_b -c "SELECT township_code FROM problems GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")

# The four lists as the server computes them (today in its time zone; opened and closed in
# [start of today, start of tomorrow) as naive UTC).
FROM_TS="(('$TODAY'::date)::timestamp AT TIME ZONE '$TZNAME') AT TIME ZONE 'UTC'"
TO_TS="((('$TODAY'::date + 1))::timestamp AT TIME ZONE '$TZNAME') AT TIME ZONE 'UTC'"
UNSETTLED="('open', 'verified', 'rectified')"
cat >"$WORK/lists.sql" <<SQL
SELECT p.*, h.number, h.head_name FROM problems p LEFT JOIN households h ON h.id = p.household_id
  WHERE p.township_code = '$TOWNSHIP' AND p.created_at >= $FROM_TS AND p.created_at < $TO_TS ORDER BY p.created_at;
SELECT p.*, h.number, h.head_name FROM problems p LEFT JOIN households h ON h.id = p.household_id
  WHERE p.township_code = '$TOWNSHIP' AND p.status IN $UNSETTLED AND p.deadline >= '$TODAY' AND p.deadline <= '$TODAY'::date + 3 ORDER BY p.deadline, p.id;
SELECT p.*, h.number, h.head_name FROM problems p LEFT JOIN households h ON h.id = p.household_id
  WHERE p.township_code = '$TOWNSHIP' AND p.status IN $UNSETTLED AND p.deadline < '$TODAY' ORDER BY p.deadline, p.id;
SELECT p.*, h.number, h.head_name FROM problems p LEFT JOIN households h ON h.id = p.household_id
  WHERE p.township_code = '$TOWNSHIP' AND p.status = 'closed' AND p.status_changed_at >= $FROM_TS AND p.status_changed_at < $TO_TS ORDER BY p.status_changed_at;
SQL
counts=$(psql_b -F ' ' -c "SELECT
  (SELECT count(*) FROM problems p WHERE p.township_code = '$TOWNSHIP' AND p.created_at >= $FROM_TS AND p.created_at < $TO_TS),
  (SELECT count(*) FROM problems p WHERE p.township_code = '$TOWNSHIP' AND p.status IN $UNSETTLED AND p.deadline >= '$TODAY' AND p.deadline <= '$TODAY'::date + 3),
  (SELECT count(*) FROM problems p WHERE p.township_code = '$TOWNSHIP' AND p.status IN $UNSETTLED AND p.deadline < '$TODAY'),
  (SELECT count(*) FROM problems p WHERE p.township_code = '$TOWNSHIP' AND p.status = 'closed' AND p.status_changed_at >= $FROM_TS AND p.status_changed_at < $TO_TS),
  (SELECT count(*) FROM problems p WHERE p.township_code = '$TOWNSHIP')")
read -r n_opened n_due n_overdue n_closed n_township <<<"$counts"
echo "township $TOWNSHIP on $TODAY: $n_township problems; opened today $n_opened, due in 3 days $n_due, overdue $n_overdue, closed today $n_closed"

bench_serve
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
PATH_DAILY="/api/v1/quality/daily?division=$TOWNSHIP"
got=$(curl -fs -H "Authorization: Bearer $TOKEN" "$BASE$PATH_DAILY" | python3 -c 'import sys, json
d = json.load(sys.stdin); print(len(d["opened_today"]), len(d["due_soon"]), len(d["overdue"]), len(d["closed_today"]))')
echo "the API's lists: $got (opened, due soon, overdue, closed)"
[ "$got" = "$n_opened $n_due $n_overdue $n_closed" ] || { echo "the API's lists differ from the SQL's" >&2; exit 1; }

pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f", a[i]}'; }
log "API: one client, ${DURATION} s of GET $PATH_DAILY"
wait_quiet
uptime
# Sequential requests from one client, each timed by curl (ms).
api_times=$WORK/api.ms
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE$PATH_DAILY"
end=$((SECONDS + DURATION))
while [ $SECONDS -lt $end ]; do
  curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$BASE$PATH_DAILY"
done | awk '{print $1 * 1000}' >"$api_times"
api_n=$(wc -l <"$api_times"); api_p50=$(pct 50 <"$api_times"); api_p99=$(pct 99 <"$api_times")

log "raw SQL: one pgbench client, ${DURATION} s of the four lists"
wait_quiet
pgbench -n -c 1 -t 1 -f "$WORK/lists.sql" "$PG_URL" >/dev/null 2>&1
(cd "$WORK" && pgbench -n -c 1 -T "$DURATION" -l --log-prefix=sql -f lists.sql "$PG_URL" >/dev/null 2>&1)
sql_times=$WORK/sql.ms
cat "$WORK"/sql.* | awk '{print $3 / 1000}' >"$sql_times"
sql_n=$(wc -l <"$sql_times"); sql_p50=$(pct 50 <"$sql_times"); sql_p99=$(pct 99 <"$sql_times")
load=$(cut -d' ' -f1-3 /proc/loadavg)

rows=$((n_opened + n_due + n_overdue + n_closed))
printf '\n%-58s %6s %9s %9s\n' "daily list of $TOWNSHIP ($rows rows)" "runs" "p50 ms" "p99 ms"
printf '%-58s %6d %9.1f %9.1f\n' "API GET /quality/daily (JSON, one client)" "$api_n" "$api_p50" "$api_p99"
printf '%-58s %6d %9.1f %9.1f\n' "raw SQL, the four lists with households (pgbench)" "$sql_n" "$sql_p50" "$sql_p99"
printf 'ratio API / SQL at p50: %.2f   goal: API < 200 ms   load average: %s\n' "$(ratio "$api_p50" "$sql_p50")" "$load"
