#!/usr/bin/env bash
# Issue 3 benchmark: /coverage for the county and a township, and /households.geojson for a
# township, on PostgreSQL with $HOUSEHOLDS households (default 300 000) and about 1 M captures,
# each beside a hand-written SQL query of the same figures run through pgbench in the same run.
# Goal: county coverage < 100 ms and within 1.5x of the raw query.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
bench_setup fangpin_bench_300k "$HOUSEHOLDS"

if [ "$(psql_b -c 'SELECT count(*) FROM locations')" -lt 100 ]; then
  log "generating 3-4 captures per household and homes for 85 % of households (SQL, bench data only)"
  psql_b <<'SQL'
INSERT INTO locations (id, household_id, client_id, lat, lon, orig_lat, orig_lon, orig_crs, accuracy_m,
  altitude_m, captured_at, source, mock_location, flags, moved_m, status, captured_by, captured_by_name, created_at)
SELECT gen_random_uuid()::text, h.id, NULL, p.lat, p.lon, p.lat, p.lon, 'wgs84', p.acc, NULL,
  now() - (random() * 1500) * interval '1 day', 'gps', false,
  CASE WHEN p.acc > 50 THEN '["low_accuracy"]' ELSE '[]' END, NULL,
  CASE WHEN p.acc > 50 THEN 'flagged' ELSE 'home' END, 'bench', 'bench', now()
FROM households h
CROSS JOIN LATERAL generate_series(1, 3 + (abs(hashtext(h.id)) % 2)) g
CROSS JOIN LATERAL (SELECT 37.3 + random() * 0.6 AS lat, 109.8 + random() * 0.6 AS lon, 3 + random() * 70 AS acc) p;
UPDATE households h SET home_location_id = l.id, home_lat = l.lat, home_lon = l.lon, home_accuracy_m = l.accuracy_m,
  home_captured_at = l.captured_at, has_location = true
FROM (SELECT DISTINCT ON (household_id) * FROM locations WHERE status = 'home' ORDER BY household_id, captured_at DESC) l
WHERE l.household_id = h.id AND abs(hashtext(h.id)) % 100 < 85;
UPDATE households SET last_capture_low_accuracy = true WHERE home_location_id IS NULL AND abs(hashtext(id)) % 3 = 0;
VACUUM ANALYZE households;
VACUUM ANALYZE locations;
SQL
fi
echo "captures in the database: $(psql_b -c 'SELECT count(*) FROM locations')"
bench_serve

COUNTY=610831000000
TOWNSHIP=$(psql_b -c "SELECT township_code FROM households GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
counts_sql() { # $1 group column, $2 filter column, $3 code
  cat <<SQL
SELECT $1, count(*),
  sum(CASE WHEN home_location_id IS NOT NULL THEN 1 ELSE 0 END),
  sum(CASE WHEN home_captured_at < now() - interval '1095 days' THEN 1 ELSE 0 END),
  sum(CASE WHEN last_capture_low_accuracy THEN 1 ELSE 0 END),
  sum(CASE WHEN pending_move_id IS NOT NULL THEN 1 ELSE 0 END)
FROM households WHERE $2 = '$3' GROUP BY $1;
SQL
}
counts_sql township_code county_code "$COUNTY" >"$WORK/county.sql"
counts_sql village_code township_code "$TOWNSHIP" >"$WORK/township.sql"
cat >"$WORK/geojson.sql" <<SQL
SELECT id, number, head_name, category, home_lat, home_lon, home_accuracy_m, home_captured_at, pending_move_id
FROM households WHERE township_code = '$TOWNSHIP' AND home_lat IS NOT NULL ORDER BY id;
SQL

api_county=$(api_ms "/api/v1/coverage?division=$COUNTY")
raw_county=$(sql_ms "$WORK/county.sql")
api_town=$(api_ms "/api/v1/coverage?division=$TOWNSHIP")
raw_town=$(sql_ms "$WORK/township.sql")
api_geo=$(api_ms "/api/v1/households.geojson?division=$TOWNSHIP" 5)
raw_geo=$(sql_ms "$WORK/geojson.sql" 5)
homes=$(psql_b -c "SELECT count(*) FROM households WHERE township_code = '$TOWNSHIP' AND home_lat IS NOT NULL")

printf '\n%-46s %10s %10s %7s\n' "median of sequential requests" "API ms" "raw SQL ms" "ratio"
printf '%-46s %10.1f %10.1f %7.2f\n' "/coverage county ($HOUSEHOLDS households)" "$api_county" "$raw_county" "$(ratio "$api_county" "$raw_county")"
printf '%-46s %10.1f %10.1f %7.2f\n' "/coverage township $TOWNSHIP" "$api_town" "$raw_town" "$(ratio "$api_town" "$raw_town")"
printf '%-46s %10.1f %10.1f %7.2f\n' "/households.geojson township ($homes homes)" "$api_geo" "$raw_geo" "$(ratio "$api_geo" "$raw_geo")"
