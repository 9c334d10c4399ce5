#!/usr/bin/env bash
# Issue 18 benchmark: the division export 户信息导出 of a county of $HOUSEHOLDS households (default
# 300 000, about 870 000 members) with a yearly record each, and the import of what it wrote into
# an empty database, on PostgreSQL, each beside a raw-SQL reference in the same run:
#   export: GET /exports/households.xlsx (full numbers) vs `COPY (households ⋈ members ⋈
#           yearly_records) TO STDOUT` of the same rows; the server's peak RSS (VmHWM);
#   import: `fangpin import` of that workbook into an empty database vs `COPY … FROM` of the
#           same households and members (dumped with COPY TO) into empty tables.
# Goals: export < 60 s with RSS < 300 MB; import of 300 000 member rows < 60 s (reported per
# 300 000 member rows when the file has more).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
YEAR=2025
bench_setup fangpin_bench_300k "$HOUSEHOLDS"

if [ "$(psql_b -c "SELECT count(*) FROM yearly_records WHERE year = $YEAR")" -lt "$((HOUSEHOLDS / 2))" ]; then
  log "generating a $YEAR yearly record per household (SQL, bench data only)"
  psql_b <<SQL
WITH m AS (
  SELECT household_id, count(*) AS n, json_agg(json_build_object(
    'member_id', id, 'education', 'junior', 'health', 'healthy', 'disability_grade', NULL,
    'in_school', 'not_in_school', 'labour_skill', 'ordinary', 'work_status', 'out_of_province',
    'months_away', 6, 'medical_insurance', true, 'pension_insurance', true,
    'work_province', '江苏省', 'work_county', '昆山市') ORDER BY created_at, id) AS members
  FROM members WHERE removed_at IS NULL GROUP BY household_id)
INSERT INTO yearly_records (id, household_id, year, record_json, per_capita_net_income_fen,
  per_capita_after_rigid_expenses_fen, version, updated_by, created_at, updated_at)
SELECT gen_random_uuid()::text, h.id, $YEAR, json_build_object(
    'income', json_build_object('wages', 12000.5, 'production', 3000, 'production_costs', 1000, 'property', 0, 'transfers', 1200.25),
    'rigid_expenses', json_build_object('medical', 800, 'education', 0, 'disaster', 0, 'other', 0),
    'members', m.members,
    'guarantees', json_build_object(
      'food_clothing', json_build_object('ok', true, 'reason', NULL),
      'drinking_water', json_build_object('ok', true, 'reason', NULL),
      'compulsory_education', json_build_object('ok', true, 'reason', NULL),
      'basic_medical', json_build_object('ok', true, 'reason', NULL),
      'housing_safety', json_build_object('ok', false, 'reason', '危房待改造')),
    'living', json_build_object('housing', 'safe', 'water', 'tap', 'electricity', true, 'paved_road', true, 'broadband', false)
  )::text, round(1520075.0 / m.n), round(1440075.0 / m.n), 1, 'bench', now(), now()
FROM households h JOIN m ON m.household_id = h.id
WHERE NOT EXISTS (SELECT 1 FROM yearly_records y WHERE y.household_id = h.id AND y.year = $YEAR);
VACUUM ANALYZE yearly_records;
SQL
fi
MEMBERS=$(psql_b -c "SELECT count(*) FROM members WHERE removed_at IS NULL")
echo "households: $(psql_b -c 'SELECT count(*) FROM households'), current members: $MEMBERS, $YEAR records: $(psql_b -c "SELECT count(*) FROM yearly_records WHERE year = $YEAR")"

bench_serve
COUNTY=610831000000
secs() { python3 -c 'import time; print(time.monotonic())'; }

log "export: the API (full numbers)"
wait_quiet
t0=$(secs)
curl -fsS -o "$WORK/county.xlsx" -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/v1/exports/households.xlsx?division=$COUNTY&year=$YEAR&full_numbers=true"
t1=$(secs)
api_export=$(echo "$t1 - $t0" | bc -l)
rss_mb=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status")
size_mb=$(du -m "$WORK/county.xlsx" | cut -f1)

log "export: the reference (COPY of the same rows)"
wait_quiet
t0=$(secs)
psql_b -c "\\copy (SELECT h.number, h.village_code, h.category, h.address, h.profile, m.name, m.id_number_enc, m.relation, m.sex, m.birth_date, m.phone_enc, y.record_json FROM households h JOIN members m ON m.household_id = h.id AND m.removed_at IS NULL LEFT JOIN yearly_records y ON y.household_id = h.id AND y.year = $YEAR WHERE h.county_code = '$COUNTY' ORDER BY h.number, m.created_at, m.id) TO STDOUT" >/dev/null
t1=$(secs)
raw_export=$(echo "$t1 - $t0" | bc -l)
# (The server stays up, idle, until the script ends: its exit trap stops it.)

log "import: the workbook into an empty database"
as_postgres psql -q -c "DROP DATABASE IF EXISTS fangpin_bench_import WITH (FORCE)" >/dev/null
as_postgres createdb fangpin_bench_import
IMPORT_URL=${PG_URL%/*}/fangpin_bench_import
wait_quiet
t0=$(secs)
DATABASE_URL=$IMPORT_URL "$BIN" import "$WORK/county.xlsx" | tee "$WORK/import.txt"
t1=$(secs)
api_import=$(echo "$t1 - $t0" | bc -l)
imported=$(psql "$IMPORT_URL" -qAtX -c "SELECT count(*) FROM members")

log "import: the reference (COPY FROM of the same households, members and records)"
psql_b -c "\\copy (SELECT * FROM households WHERE county_code = '$COUNTY') TO '$WORK/h.copy'"
psql_b -c "\\copy (SELECT m.* FROM members m JOIN households h ON h.id = m.household_id WHERE h.county_code = '$COUNTY' AND m.removed_at IS NULL) TO '$WORK/m.copy'"
psql_b -c "\\copy (SELECT y.* FROM yearly_records y JOIN households h ON h.id = y.household_id WHERE h.county_code = '$COUNTY' AND y.year = $YEAR) TO '$WORK/y.copy'"
psql "$IMPORT_URL" -qAtX -c "CREATE TABLE ref_h (LIKE households INCLUDING ALL); CREATE TABLE ref_m (LIKE members INCLUDING ALL); CREATE TABLE ref_y (LIKE yearly_records INCLUDING ALL)"
wait_quiet
t0=$(secs)
psql "$IMPORT_URL" -qAtX -c "\\copy ref_h FROM '$WORK/h.copy'" -c "\\copy ref_m FROM '$WORK/m.copy'" -c "\\copy ref_y FROM '$WORK/y.copy'"
t1=$(secs)
raw_import=$(echo "$t1 - $t0" | bc -l)
per300k=$(echo "$api_import * 300000 / $MEMBERS" | bc -l)

printf '\n%-52s %10s %10s %7s\n' "$HOUSEHOLDS households, $MEMBERS members" "fangpin s" "raw SQL s" "ratio"
printf '%-52s %10.1f %10.1f %7.2f\n' "export (xlsx, $size_mb MB; server peak RSS $rss_mb MB)" "$api_export" "$raw_export" "$(ratio "$api_export" "$raw_export")"
printf '%-52s %10.1f %10.1f %7.2f\n' "import of the export ($imported members imported)" "$api_import" "$raw_import" "$(ratio "$api_import" "$raw_import")"
printf '%-52s %10.1f\n' "import time per 300 000 member rows" "$per300k"
