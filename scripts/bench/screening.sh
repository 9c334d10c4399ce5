#!/usr/bin/env bash
# Issue 23 benchmark (not part of CI): the risk screening 集中摸排 of a county of $HOUSEHOLDS
# households (default 300 000, the county of the coverage and records benchmarks,
# fangpin_bench_300k) with a yearly record per household for $YEAR and the year before, on
# PostgreSQL: `GET /api/v1/screening?division=<county>&year=$YEAR` paged through every row (500
# a page, cursor after cursor) and the whole list as `GET /screening.xlsx`, beside a raw SQL read
# of the same figures (each household with its two records' per-capita income, net income,
# transfers, rigid and disaster expenses and its members' health, read out of the stored records
# by SQL) in the same run. Goal: < 10 s and ≤ 3× the SQL.
#
# The records are generated in SQL (bench data only): incomes, transfers and rigid expenses
# drawn per household and year, a few members seriously ill or disabled, a few disasters; the
# monitored households get a risk status (half eliminated). $YEAR defaults to 2024 (and 2023) so
# that the records benchmark's 2025 records are left alone.
# Usage: scripts/bench/screening.sh   (BENCH_DB: another database than fangpin_bench_300k, e.g. beside another benchmark)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
YEAR=${YEAR:-2024}
COUNTY=610831000000
bench_setup "${BENCH_DB:-fangpin_bench_300k}" "$HOUSEHOLDS"

for y in $((YEAR - 1)) "$YEAR"; do
  if [ "$(psql_b -c "SELECT count(*) FROM yearly_records WHERE year = $y")" -lt "$((HOUSEHOLDS / 2))" ]; then
    log "generating a $y yearly record per household (SQL, bench data only)"
    psql_b -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE bench_m AS
SELECT household_id, count(*) AS n, json_agg(json_build_object(
    'member_id', id, 'education', 'junior',
    'health', CASE WHEN abs(hashtext(id || '$y')) % 100 < 3 THEN 'serious_illness'
                   WHEN abs(hashtext(id)) % 100 < 4 THEN 'disabled' ELSE 'healthy' END,
    'disability_grade', CASE WHEN abs(hashtext(id || '$y')) % 100 >= 3 AND abs(hashtext(id)) % 100 < 4 THEN 3 END,
    'in_school', 'not_in_school', 'labour_skill', 'ordinary', 'work_status', 'out_of_province',
    'months_away', 6, 'medical_insurance', true, 'pension_insurance', true,
    'work_province', '江苏省', 'work_county', '昆山市') ORDER BY created_at, id) AS members
FROM members WHERE removed_at IS NULL GROUP BY household_id;
-- Yuan, whole: a household's wages, production (gross) and its costs, transfers; rigid expenses
-- for one household in ten, a disaster for one in fifty.
CREATE TEMP TABLE bench_f AS
SELECT h.id, m.n, m.members,
  floor(random() * 40000) AS wages, floor(random() * 12000) AS production, floor(random() * 3000) AS costs,
  floor(random() * 500) AS property, floor(random() * 8000) AS transfers,
  CASE WHEN random() < 0.1 THEN floor(random() * 20000) ELSE floor(random() * 1000) END AS medical,
  floor(random() * 2000) AS education,
  CASE WHEN random() < 0.02 THEN floor(random() * 10000) ELSE 0 END AS disaster
FROM households h JOIN bench_m m ON m.household_id = h.id
WHERE h.county_code = '$COUNTY'
  AND NOT EXISTS (SELECT 1 FROM yearly_records y WHERE y.household_id = h.id AND y.year = $y);
INSERT INTO yearly_records (id, household_id, year, record_json, per_capita_net_income_fen,
  per_capita_after_rigid_expenses_fen, version, updated_by, created_at, updated_at)
SELECT gen_random_uuid()::text, f.id, $y, json_build_object(
    'income', json_build_object('wages', f.wages, 'production', f.production, 'production_costs', f.costs, 'property', f.property, 'transfers', f.transfers),
    'rigid_expenses', json_build_object('medical', f.medical, 'education', f.education, 'disaster', f.disaster, 'other', 0),
    'members', f.members,
    'guarantees', json_build_object(
      'food_clothing', json_build_object('ok', true, 'reason', NULL),
      'drinking_water', json_build_object('ok', true, 'reason', NULL),
      'compulsory_education', json_build_object('ok', true, 'reason', NULL),
      'basic_medical', json_build_object('ok', true, 'reason', NULL),
      'housing_safety', json_build_object('ok', random() < 0.95, 'reason', NULL)),
    'living', json_build_object('housing', 'safe', 'water', 'tap', 'electricity', true, 'paved_road', true, 'broadband', false)
  )::text,
  round((f.wages + f.production - f.costs + f.property + f.transfers) * 100 / f.n),
  round((f.wages + f.production - f.costs + f.property + f.transfers - f.medical - f.education - f.disaster) * 100 / f.n),
  1, 'bench', now(), now()
FROM bench_f f;
UPDATE households SET risk_status = CASE WHEN abs(hashtext(id)) % 2 = 0 THEN 'eliminated' ELSE 'not_eliminated' END
WHERE category LIKE 'monitored%' AND risk_status IS NULL;
VACUUM ANALYZE yearly_records;
VACUUM ANALYZE households;
SQL
  fi
done
echo "households: $(psql_b -c "SELECT count(*) FROM households WHERE county_code = '$COUNTY'"), records $((YEAR - 1)): $(psql_b -c "SELECT count(*) FROM yearly_records WHERE year = $((YEAR - 1))"), records $YEAR: $(psql_b -c "SELECT count(*) FROM yearly_records WHERE year = $YEAR")"

bench_serve
secs() { python3 -c 'import time; print(time.monotonic())'; }

log "API: GET /screening?division=$COUNTY&year=$YEAR, every page of 500"
wait_quiet
uptime
t0=$(secs)
pages=$(python3 - "$BASE" "$TOKEN" "$COUNTY" "$YEAR" >"$WORK/rows" <<'PY'
import json, sys, urllib.request
base, token, county, year = sys.argv[1:]
cursor, pages, rows, proposals = None, 0, 0, {}
while True:
    url = f"{base}/api/v1/screening?division={county}&year={year}&limit=500" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        page = json.load(r)
    pages += 1
    rows += len(page["items"])
    for item in page["items"]:
        proposals[item["criterion"]] = proposals.get(item["criterion"], 0) + 1
    cursor = page.get("next_cursor")
    if not cursor:
        break
print(pages, rows, " ".join(f"{k}={v}" for k, v in sorted(proposals.items())))
PY
)
t1=$(secs)
api_pages=$(echo "$t1 - $t0" | bc -l)
read -r n_pages n_rows criteria <"$WORK/rows"
echo "$n_pages pages, $n_rows rows: $criteria"

log "API: GET /screening.xlsx?division=$COUNTY&year=$YEAR"
wait_quiet
t0=$(secs)
curl -fsS -o "$WORK/screening.xlsx" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/screening.xlsx?division=$COUNTY&year=$YEAR"
t1=$(secs)
api_xlsx=$(echo "$t1 - $t0" | bc -l)
xlsx_kb=$(du -k "$WORK/screening.xlsx" | cut -f1)
rss_mb=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status")

log "raw SQL: the same figures, every household of the county with its two records"
figures() { # the figures of the records of year $1 as columns with prefix $2 (each record parsed once)
  local y=$1 p=$2
  echo "LEFT JOIN (SELECT household_id, per_capita_net_income_fen AS ${p}_pc,
      (j->'income'->>'wages')::numeric + (j->'income'->>'production')::numeric - (j->'income'->>'production_costs')::numeric
        + (j->'income'->>'property')::numeric + (j->'income'->>'transfers')::numeric AS ${p}_net,
      (j->'income'->>'transfers')::numeric AS ${p}_transfers,
      (j->'rigid_expenses'->>'medical')::numeric + (j->'rigid_expenses'->>'education')::numeric
        + (j->'rigid_expenses'->>'disaster')::numeric + (j->'rigid_expenses'->>'other')::numeric AS ${p}_rigid,
      (j->'rigid_expenses'->>'disaster')::numeric AS ${p}_disaster,
      (SELECT bool_and((g.value->>'ok')::boolean) FROM jsonb_each(j->'guarantees') g) AS ${p}_guarantees,
      (SELECT string_agg(m->>'member_id', ',') FROM jsonb_array_elements(j->'members') m WHERE m->>'health' = 'serious_illness') AS ${p}_ill,
      (SELECT string_agg(m->>'member_id', ',') FROM jsonb_array_elements(j->'members') m WHERE m->>'health' = 'disabled') AS ${p}_disabled
    FROM (SELECT household_id, per_capita_net_income_fen, record_json::jsonb AS j FROM yearly_records WHERE year = $y OFFSET 0) r) $p
    ON $p.household_id = h.id"
}
cat >"$WORK/figures.sql" <<SQL
COPY (SELECT h.id, h.number, h.head_name, h.village_code, h.category, h.risk_status, t.*, l.*
  FROM households h $(figures "$YEAR" t) $(figures $((YEAR - 1)) l)
  WHERE h.county_code = '$COUNTY' ORDER BY h.id) TO STDOUT;
SQL
# For scale: the same rows read without looking into the records.
cat >"$WORK/rows.sql" <<SQL
COPY (SELECT h.*, t.per_capita_net_income_fen, t.record_json, l.per_capita_net_income_fen, l.record_json
  FROM households h LEFT JOIN yearly_records t ON t.household_id = h.id AND t.year = $YEAR
  LEFT JOIN yearly_records l ON l.household_id = h.id AND l.year = $((YEAR - 1))
  WHERE h.county_code = '$COUNTY' ORDER BY h.id) TO STDOUT;
SQL
wait_quiet
t0=$(secs)
psql_b -f "$WORK/rows.sql" >/dev/null
t1=$(secs)
rows_only=$(echo "$t1 - $t0" | bc -l)
wait_quiet
t0=$(secs)
psql_b -f "$WORK/figures.sql" >/dev/null
t1=$(secs)
raw=$(echo "$t1 - $t0" | bc -l)
load=$(cut -d' ' -f1-3 /proc/loadavg)

printf '\n%-62s %8s %10s %7s\n' "screening of $COUNTY, $YEAR (and $((YEAR - 1)))" "API s" "raw SQL s" "ratio"
printf '%-62s %8.2f %10.2f %7.2f\n' "GET /screening, $n_pages pages of 500, $n_rows rows" "$api_pages" "$raw" "$(ratio "$api_pages" "$raw")"
printf '%-62s %8.2f %10.2f %7.2f\n' "GET /screening.xlsx ($xlsx_kb kB)" "$api_xlsx" "$raw" "$(ratio "$api_xlsx" "$raw")"
printf '%-62s %8s %10.2f\n' "(the same rows read without looking into the records)" "" "$rows_only"
printf 'goal: < 10 s and <= 3x the SQL   server peak RSS %s MB   load average: %s\n' "$rss_mb" "$load"
