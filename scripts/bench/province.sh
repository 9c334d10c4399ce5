#!/usr/bin/env bash
# Issue 22 benchmark, item 5 (not part of CI): province-scale data on PostgreSQL. Two databases:
# - fangpin_bench_county: the demo county (610831 子洲县), $HOUSEHOLDS households (default
#   300 000, `fangpin demo --scale`, ≈ 850 000 members), one capture per household in SQL that is
#   its home, and the ledger of one cleaning run (`fangpin quality run`);
# - fangpin_bench_province: a copy of it (CREATE DATABASE … TEMPLATE) into which the county is
#   copied in SQL nine times (bench_counties in lib.sh: 10 counties of 榆林市, 10 × $HOUSEHOLDS
#   households, members, homes and ledgers, new ids and division codes).
# Both are kept for the next run. Then, in the same run, with one release server on each
# database, for the demo county on both (the same rows; in the province they sit beside nine
# other counties): county coverage (`GET /coverage?division=610831000000`, median of 15
# sequential requests, as the county admin), a township's first sync page (`GET /sync`, no
# cursor, the default 500 households, as a township reviewer of the county's largest township,
# median of 15), and the county's cleaning run (`fangpin quality run --division`, wall time):
# first the run over an unchanged ledger, then the run that opens the ledger again after the
# county's problems were deleted. Prints each figure on both databases and the ratio province /
# county. Goals on the province: coverage < 100 ms, first sync page < 50 ms, cleaning run < 30 s.
# BEFORE_BIN=<a fangpin binary> also times that binary's run over the unchanged ledger first.
# Usage: scripts/bench/province.sh   (HOUSEHOLDS, BEFORE_BIN may be set; the first run builds
# the databases: about 40 min and 12 GB on this machine)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
COUNTY=610831000000
PORT1=${PORT:-18181}
PORT2=$((PORT1 + 1))
ensure_packages time:time
df -h /var/lib/postgresql 2>/dev/null | tail -n 1 | awk '{print "disk: " $4 " free where PostgreSQL keeps its data"}'
bench_setup fangpin_bench_county "$HOUSEHOLDS"
COUNTY_URL=$PG_URL

if [ "$(psql_b -c 'SELECT count(*) FROM locations')" -lt "$HOUSEHOLDS" ]; then
  log "one capture per household, its home (SQL, bench data only)"
  psql_b <<'SQL'
INSERT INTO locations (id, household_id, client_id, lat, lon, orig_lat, orig_lon, orig_crs, accuracy_m,
  altitude_m, captured_at, source, mock_location, flags, moved_m, status, captured_by, captured_by_name, created_at)
SELECT md5('home/' || h.id)::uuid::text, h.id, NULL, p.lat, p.lon, p.lat, p.lon, 'wgs84', p.acc, NULL,
  now() - (random() * 1500) * interval '1 day', 'gps', false, '[]', NULL, 'home', 'bench', 'bench', now()
FROM households h
CROSS JOIN LATERAL (SELECT 37.3 + random() * 0.6 + 0 * length(h.id) AS lat, 109.8 + random() * 0.6 AS lon, 3 + random() * 20 AS acc) p
WHERE h.home_location_id IS NULL;
ANALYZE locations;
UPDATE households h SET home_location_id = l.id, home_lat = l.lat, home_lon = l.lon, home_accuracy_m = l.accuracy_m,
  home_captured_at = l.captured_at, has_location = true
FROM locations l WHERE l.id = md5('home/' || h.id)::uuid::text AND h.home_location_id IS NULL;
VACUUM ANALYZE households;
VACUUM ANALYZE locations;
SQL
fi
if [ "$(psql_b -c 'SELECT count(*) FROM problems')" = 0 ]; then
  log "the county's ledger: one cleaning run"
  "$BIN" quality run --division "$COUNTY" | tail -n 1
  psql_b -c "VACUUM ANALYZE problems"
fi

PROVINCE_URL=${COUNTY_URL%/*}/fangpin_bench_province
if [ "$(psql "$PROVINCE_URL" -qAtX -c 'SELECT count(DISTINCT county_code) FROM households' 2>/dev/null || echo 0)" != 10 ]; then
  log "the province: a copy of the county database, then nine more counties"
  as_postgres psql -qc "DROP DATABASE IF EXISTS fangpin_bench_province" >/dev/null
  as_postgres psql -qc "CREATE DATABASE fangpin_bench_province TEMPLATE fangpin_bench_county" >/dev/null
  PG_URL=$PROVINCE_URL
  time bench_counties 10
  PG_URL=$COUNTY_URL
fi
# This binary's migrations (an index built over 3 M households takes a while: not at serve).
DATABASE_URL=$PROVINCE_URL "$BIN" migrate >/dev/null
for url in "$COUNTY_URL" "$PROVINCE_URL"; do
  psql "$url" -qAtX -c "SELECT current_database(), (SELECT count(DISTINCT county_code) FROM households) AS counties, (SELECT count(*) FROM households) AS households,
    (SELECT count(*) FROM members) AS members, (SELECT count(*) FROM households WHERE home_location_id IS NOT NULL) AS homes,
    (SELECT count(*) FROM problems) AS problems, pg_size_pretty(pg_database_size(current_database())) AS size" | tr '|' ' '
done

# One server per database, the same secrets; the county's users in each.
WORK2=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-province.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK" "$WORK2"' EXIT
TOWNSHIP=$(psql_b -c "SELECT township_code FROM households WHERE county_code = '$COUNTY' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
declare -A ADMIN TOWN URL_OF
URL_OF[county]=$COUNTY_URL URL_OF[province]=$PROVINCE_URL
login() { # base user -> token
  curl -fs -X POST "$1/api/v1/auth/login" -H 'content-type: application/json' -d "{\"username\":\"$2\",\"password\":\"$3\"}" \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])'
}
port=$PORT1
for db in county province; do
  DATABASE_URL=${URL_OF[$db]} FANGPIN_BIND=127.0.0.1:$port "$BIN" serve >"$WORK2/serve-$db.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  ADMIN[$db]=$(login "http://127.0.0.1:$port" admin "$FANGPIN_ADMIN_PASSWORD")
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/users" -H "Authorization: Bearer ${ADMIN[$db]}" -H 'content-type: application/json' \
    -d "{\"username\":\"bench-township\",\"password\":\"Bench-user-pass-1\",\"display_name\":\"bench-township\",\"role\":\"township_reviewer\",\"jurisdiction\":\"$TOWNSHIP\"}" || true
  TOWN[$db]=$(login "http://127.0.0.1:$port" bench-township Bench-user-pass-1)
  eval "BASE_$db=http://127.0.0.1:$port"
  port=$PORT2
done

# median_ms db token path: median of 15 sequential GETs after one warm-up.
median_ms() {
  local base
  eval "base=\$BASE_$1"
  BASE=$base TOKEN=$2 api_ms "$3" 15
}
declare -A R
for db in county province; do R[cov_$db]=$(median_ms "$db" "${ADMIN[$db]}" "/api/v1/coverage?division=$COUNTY"); done
for db in county province; do R[town_$db]=$(median_ms "$db" "${ADMIN[$db]}" "/api/v1/coverage?division=$TOWNSHIP"); done
for db in county province; do R[sync_$db]=$(median_ms "$db" "${TOWN[$db]}" "/api/v1/sync"); done
items=$(curl -fs -H "Authorization: Bearer ${TOWN[province]}" "$BASE_province/api/v1/sync" | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["items"]))')
town_households=$(psql_b -c "SELECT count(*) FROM households WHERE township_code = '$TOWNSHIP'")

timed_run() { # db [binary] -> seconds of one cleaning run of the county
  /usr/bin/time -f "%e" -o "$WORK2/time" env DATABASE_URL="${URL_OF[$1]}" "${2:-$BIN}" quality run --division "$COUNTY" >"$WORK2/run.out" 2>&1 \
    || { cat "$WORK2/run.out"; exit 1; }
  echo "$1: $(tail -n 1 "$WORK2/run.out")" >&2
  cat "$WORK2/time"
}
if [ -n "${BEFORE_BIN:-}" ]; then
  for db in county province; do R[runb_$db]=$(timed_run "$db" "$BEFORE_BIN"); done
fi
for db in county province; do R[run2_$db]=$(timed_run "$db"); done
for db in county province; do
  psql "${URL_OF[$db]}" -qAtX -c "DELETE FROM problems WHERE county_code = '$COUNTY'" >/dev/null
  psql "${URL_OF[$db]}" -qAtX -c "VACUUM ANALYZE problems" >/dev/null
  R[run1_$db]=$(timed_run "$db")
done

printf '\n%-62s %10s %10s %7s %8s\n' "the county 610831 (median of 15 sequential requests)" "1 county" "10 counties" "ratio" "goal"
row() { printf '%-62s %10.1f %10.1f %7.2f %8s\n' "$1" "${R[$2_county]}" "${R[$2_province]}" "$(ratio "${R[$2_province]}" "${R[$2_county]}")" "$3"; }
row "/coverage county, ms" cov "< 100"
row "/coverage township $TOWNSHIP, ms" town ""
row "/sync first page ($items of $town_households households), ms" sync "< 50"
[ -z "${BEFORE_BIN:-}" ] || row "cleaning run, unchanged ledger, s, \$BEFORE_BIN" runb "< 30"
row "cleaning run, unchanged ledger, s" run2 "< 30"
row "cleaning run opening the county's ledger, s" run1 "< 30"
echo "machine load at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg)"
