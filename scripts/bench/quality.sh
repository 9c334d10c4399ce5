#!/usr/bin/env bash
# Issue 7 benchmark, on PostgreSQL:
# - two full cleaning runs (`fangpin quality run`: the first opens the ledger, the second
#   finds it unchanged) over the 300 000-household county of the
#   coverage benchmark, beside one SQL statement reading the same data (households, members,
#   this year's records, pairings, photos) through psql; peak RSS of the run;
# - an import (`fangpin import`) of a generated spreadsheet of $IMPORT_HOUSEHOLDS households of
#   4 members (default 75 000: 300 000 rows) into a fresh database, beside psql `\copy` of the
#   same rows as CSV into a plain table; peak RSS of the import.
# Goals: run < 30 s, import < 60 s, RSS < 500 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
IMPORT_HOUSEHOLDS=${IMPORT_HOUSEHOLDS:-75000}
ensure_packages time:time
bench_setup fangpin_bench_300k "$HOUSEHOLDS"
trap 'rm -rf "$WORK"; stop_services' EXIT
COUNTY=610831000000
YEAR=$(date +%Y)

timed() { # label, command...: prints seconds and peak RSS (MB) of the command
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  read -r secs kb <"$WORK/time"
  echo "$label: $(tail -n 1 "$WORK/out")" >&2
  echo "$secs $((kb / 1024))"
}

log "cleaning runs over the county: the first opens the ledger, the second finds it unchanged"
psql_b -c "TRUNCATE problems" >/dev/null
read -r run_s run_mb < <(timed "first run" "$BIN" quality run --division "$COUNTY")
read -r run2_s run2_mb < <(timed "second run" "$BIN" quality run --division "$COUNTY")
cat >"$WORK/scan.sql" <<SQL
SELECT count(*), sum(length(m.agg)), sum(CASE WHEN y.id IS NULL THEN 0 ELSE 1 END),
       sum(CASE WHEN p.household_id IS NULL THEN 0 ELSE 1 END), sum(coalesce(ph.n, 0))
FROM households h
JOIN LATERAL (SELECT string_agg(id_number_enc || coalesce(phone_enc, ''), ',') AS agg FROM members WHERE household_id = h.id) m ON true
LEFT JOIN yearly_records y ON y.household_id = h.id AND y.year = $YEAR
LEFT JOIN pairings p ON p.household_id = h.id AND p.end_date IS NULL
LEFT JOIN LATERAL (SELECT count(*) AS n FROM photos WHERE household_id = h.id AND year = $YEAR) ph ON true
WHERE h.county_code = '$COUNTY';
SQL
start=$(date +%s.%N); psql_b -f "$WORK/scan.sql" >/dev/null; raw_run=$(echo "$(date +%s.%N) - $start" | bc -l)

log "generating the import spreadsheet ($IMPORT_HOUSEHOLDS households)"
cargo build --release --locked -q --example gen_import
./target/release/examples/gen_import "$WORK/import.xlsx" "$IMPORT_HOUSEHOLDS"
as_postgres psql -qc "DROP DATABASE IF EXISTS fangpin_bench_import" >/dev/null
as_postgres psql -qc "CREATE DATABASE fangpin_bench_import" >/dev/null
IMPORT_URL=${PG_URL%/*}/fangpin_bench_import
DATABASE_URL=$IMPORT_URL "$BIN" migrate >/dev/null
log "importing"
read -r imp_s imp_mb < <(DATABASE_URL=$IMPORT_URL timed "import" "$BIN" import "$WORK/import.xlsx")
psql "$IMPORT_URL" -qc "CREATE TABLE copy_reference (number text, village text, category text, name text, id_number text, relation text, sex text, birth text)"
start=$(date +%s.%N); psql "$IMPORT_URL" -qc "\\copy copy_reference FROM '$WORK/import.csv' WITH (FORMAT csv, HEADER true)"; raw_imp=$(echo "$(date +%s.%N) - $start" | bc -l)
rows=$(psql "$IMPORT_URL" -qAtX -c "SELECT count(*) FROM members")

printf '\n%-52s %9s %9s %7s %8s\n' "" "fangpin s" "ref s" "ratio" "RSS MB"
printf '%-52s %9.1f %9.1f %7.1f %8d\n' "first cleaning run, $HOUSEHOLDS households" "$run_s" "$raw_run" "$(ratio "$run_s" "$raw_run")" "$run_mb"
printf '%-52s %9.1f %9.1f %7.1f %8d\n' "second cleaning run (data unchanged)" "$run2_s" "$raw_run" "$(ratio "$run2_s" "$raw_run")" "$run2_mb"
printf '%-52s %9.1f %9.1f %7.1f %8d\n' "import, $rows members (xlsx vs \\copy of the CSV)" "$imp_s" "$raw_imp" "$(ratio "$imp_s" "$raw_imp")" "$imp_mb"
