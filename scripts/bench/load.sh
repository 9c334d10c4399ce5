#!/usr/bin/env bash
# Issue 9 load benchmark (not part of CI): a release server on PostgreSQL + SeaweedFS with
# 50 000 households, wrk with 64 connections for 60 s on the mix of load.lua (70 % reads,
# 20 % captures and yearly records, 10 % uploads of a ~4 MB photo). Reports throughput,
# p50/p99 latency, errors (must be 0) and the server's peak RSS; the reference in the same run
# is the same wrk against /healthz (the HTTP stack alone). Then the mix split by class, one wrk
# each: reads (40 connections) and writes (12) at a set pace (THINK_MS, 100 ms between a
# connection's requests), uploads (12) as fast as the server takes them; the reads first alone
# (the reference), then all three at once, to report the latency of each: reads must not queue
# behind uploads (goal: read p99 < 100 ms while uploads saturate).
# Usage: scripts/bench/load.sh [SECONDS]   (SPLIT_ONLY=1 skips the mixed run; BENCH_DB, HOUSEHOLDS, THINK_MS)
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

# The split: reads and writes at a set pace (THINK_MS between a connection's requests: people at
# consoles and phones between screens), uploads as fast as the server takes them (they saturate
# the machine). First the reads alone (the reference), then all three classes at once.
THINK=${THINK_MS:-100}
split_run() { # split_run LABEL CLASS:CONNS:THINK...
  local label=$1 pids=() class name conns think
  shift
  for class in "$@"; do
    IFS=: read -r name conns think <<<"$class"
    IDS_FILE=$WORK/ids.txt TOKEN=$TOKEN YEAR=$YEAR PHOTO=$PHOTO THREADS=1 MIX=$name THINK_MS=$think \
      wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 30s --latency -s scripts/bench/load.lua "$BASE" >"$WORK/$label-$name.txt" 2>"$WORK/$label-$name.err" &
    pids+=($!)
  done
  wait "${pids[@]}"
}
split_row() { # split_row LABEL CLASS
  local f=$WORK/$1-$2.txt
  head -n 3 "$WORK/$1-$2.err"
  printf '%-22s %-8s %10s %10s %10s %8s\n' "$1" "$2" "$(awk '/Requests\/sec/ {print $2}' "$f")" "$(awk '$1 == "50%" {print $2}' "$f")" \
    "$(awk '$1 == "99%" {print $2}' "$f")" "$(( $(awk '/Non-2xx/ {print $NF}' "$f" || true) + 0 + $(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$f" || true) + 0 ))"
}
log "reference: reads alone (40 connections, ${THINK} ms between requests), $DURATION s"
split_run alone reads:40:$THINK
log "reads and writes at that pace (40 and 12 connections) beside uploads as fast as taken (12), $DURATION s"

split_run with-uploads reads:40:$THINK writes:12:$THINK uploads:12:0
echo
printf '%-22s %-8s %10s %10s %10s %8s\n' "run" "class" "req/s" "p50" "p99" "errors"
split_row alone reads
for name in reads writes uploads; do split_row with-uploads "$name"; done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %s MB peak\n' "server RSS" "$(peak_rss)"
