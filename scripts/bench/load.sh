#!/usr/bin/env bash
# Issue 9 load benchmark (not part of CI): a release server on PostgreSQL + SeaweedFS with
# 50 000 households, wrk with 64 connections for 60 s on the mix of load.lua (70 % reads,
# 20 % captures and yearly records, 10 % uploads of a ~4 MB photo). Reports throughput,
# p50/p99 latency, errors (must be 0) and the server's peak RSS; the reference in the same run
# is the same wrk against /healthz (the HTTP stack alone). Then the same mix split by class, one
# wrk each at once (reads 40 connections, writes 12, uploads 12), to report the latency of each:
# reads must not queue behind uploads (goal: read p99 < 100 ms while uploads saturate).
# Usage: scripts/bench/load.sh [SECONDS]   (SPLIT_ONLY=1 skips the mixed run; BENCH_DB, HOUSEHOLDS)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

DURATION=${1:-60}
CONNS=64
THREADS=2
YEAR=2025
bench_setup "${BENCH_DB:-fangpin_bench_load}" "${HOUSEHOLDS:-50000}"
start_seaweedfs
export FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=$S3_ENDPOINT FANGPIN_S3_BUCKET=fangpin-test FANGPIN_S3_PREFIX=load-$(date +%s)
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600
cargo build --release --locked -q --example photo_bench
bench_serve

log "households for the mix (no $YEAR record yet)"
psql_b -F ' ' -c "SELECT h.id, h.village_code, h.township_code, string_agg(m.id, ',')
  FROM households h JOIN members m ON m.household_id = h.id AND m.removed_at IS NULL
  WHERE h.address IS DISTINCT FROM 'writes-bench-sql' AND NOT EXISTS (SELECT 1 FROM yearly_records y WHERE y.household_id = h.id AND y.year = $YEAR)
  GROUP BY h.id ORDER BY md5(h.id) LIMIT 20000" >"$WORK/ids.txt"
wc -l <"$WORK/ids.txt" | awk '{print $1 " households"}'
target/release/examples/photo_bench gen "$WORK/photo" 1 93 >/dev/null
PHOTO=$(ls "$WORK"/photo/*.jpg | head -n 1)
ls -l "$PHOTO" | awk '{printf "photo: %.1f MB\n", $5 / 1048576}'

peak_rss() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status"; }

log "reference: GET /healthz, $CONNS connections, 10 s"
wrk -t"$THREADS" -c"$CONNS" -d10s "$BASE/healthz" >"$WORK/ref.txt"
ref_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/ref.txt")

rss_before=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER/status")
if [ -z "${SPLIT_ONLY:-}" ]; then
log "the mix: $CONNS connections, $DURATION s"
IDS_FILE=$WORK/ids.txt TOKEN=$TOKEN YEAR=$YEAR PHOTO=$PHOTO THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s --latency -s scripts/bench/load.lua "$BASE" >"$WORK/mix.txt" 2>"$WORK/mix.err"
cat "$WORK/mix.txt"
head -n 10 "$WORK/mix.err"
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/mix.txt")
p50=$(awk '$1 == "50%" {print $2}' "$WORK/mix.txt")
p99=$(awk '$1 == "99%" {print $2}' "$WORK/mix.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/mix.txt")
sockerr=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$WORK/mix.txt")
echo
printf '%-40s %s\n' "households in the database" "$(psql_b -c 'SELECT count(*) FROM households')"
printf '%-40s %s\n' "reference /healthz requests/s" "$ref_rps"
printf '%-40s %s\n' "mix requests/s" "$rps"
printf '%-40s %.3f\n' "mix / reference throughput" "$(ratio "$rps" "$ref_rps")"
printf '%-40s %s / %s\n' "latency p50 / p99" "$p50" "$p99"
printf '%-40s %s\n' "errors (non-2xx + socket)" "$(( ${non2xx:-0} + ${sockerr:-0} ))"
printf '%-40s %s MB before, %s MB peak\n' "server RSS" "$rss_before" "$(peak_rss)"
printf '%-40s %s\n' "photos stored during the run" "$(psql_b -c "SELECT count(*) FROM photos WHERE created_at > now() - interval '$((DURATION + 30)) seconds'")"
fi

log "the mix split by class, at once: reads 40, writes 12, uploads 12 connections, $DURATION s"
pids=()
for class in reads:40 writes:12 uploads:12; do
  name=${class%%:*} conns=${class##*:}
  IDS_FILE=$WORK/ids.txt TOKEN=$TOKEN YEAR=$YEAR PHOTO=$PHOTO THREADS=1 MIX=$name \
    wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 30s --latency -s scripts/bench/load.lua "$BASE" >"$WORK/split-$name.txt" 2>"$WORK/split-$name.err" &
  pids+=($!)
done
wait "${pids[@]}"
echo
printf '%-10s %12s %10s %10s %8s\n' "class" "requests/s" "p50" "p99" "errors"
for name in reads writes uploads; do
  f=$WORK/split-$name.txt
  head -n 3 "$WORK/split-$name.err"
  printf '%-10s %12s %10s %10s %8s\n' "$name" "$(awk '/Requests\/sec/ {print $2}' "$f")" "$(awk '$1 == "50%" {print $2}' "$f")" \
    "$(awk '$1 == "99%" {print $2}' "$f")" "$(( $(awk '/Non-2xx/ {print $NF}' "$f" || true) + 0 + $(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$f" || true) + 0 ))"
done
printf '%-40s %s MB peak\n' "server RSS" "$(peak_rss)"
