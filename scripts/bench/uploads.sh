#!/usr/bin/env bash
# Issue 17 benchmark (not part of CI): photo uploads on PostgreSQL + SeaweedFS, beside the
# store's own cost in the same run. wrk posts a generated 12 MP phone-like JPEG (quality
# $QUALITY, about 4 MB; unique per request) to households of the demo county at c=16 and c=32
# for $DURATION s each (upload_photo.lua); the reference is wrk PUTting the same bytes straight
# to the same SeaweedFS S3 gateway (raw_put.lua: one object, where an upload stores two).
# Prints photos/s, the ratio to raw PUTs, CPU per photo of the server, SeaweedFS and wrk, and
# the peak RSS of the server and of SeaweedFS.
# Usage: scripts/bench/uploads.sh   (HOUSEHOLDS, DURATION, CONCURRENCY="16 32", QUALITY may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-10000}
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-16 32}
QUALITY=${QUALITY:-93}
THREADS=2
bench_setup fangpin_bench_writes "$HOUSEHOLDS"
start_seaweedfs
PREFIX=uploads-$(date +%s)
export FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=$S3_ENDPOINT FANGPIN_S3_BUCKET=fangpin-test FANGPIN_S3_PREFIX=$PREFIX
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600
cargo build --release --locked -q --example photo_bench
bench_serve
TCK=$(getconf CLK_TCK)

psql_b -c "SELECT id FROM households WHERE address IS DISTINCT FROM 'writes-bench-sql' ORDER BY md5(id) LIMIT 5000" >"$WORK/ids.txt"
target/release/examples/photo_bench gen "$WORK/photo" 1 "$QUALITY" >/dev/null
PHOTO=$(ls "$WORK"/photo/*.jpg | head -n 1)
size_mb=$(stat -c %s "$PHOTO" | awk '{printf "%.1f", $1 / 1048576}')
echo "photo: $size_mb MB, 4000x3000"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# SeaweedFS runs as one process (weed server): its threads are all in its stat line.
weed_rss_peak() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$WEED_PID/status"; }
server_rss_peak() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status"; }

declare -A RESULT
measure() {
  local label=$1; shift
  local s0 w0 s1 w1
  sleep 1
  s0=$(ticks "$SERVER"); w0=$(ticks "$WEED_PID")
  TIMEFORMAT='%U %S'
  { time "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"; } 2>"$WORK/$label.time"
  s1=$(ticks "$SERVER"); w1=$(ticks "$WEED_PID")
  RESULT[$label]="$((s1 - s0)) $((w1 - w0)) $(awk '{printf "%d", ($1 + $2) * 1000}' "$WORK/$label.time")"
}

rss_rest=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER/status")
for c in $CONCURRENCY; do
  log "API: POST /households/{id}/photos, $c connections, $DURATION s"
  measure "api$c" env IDS_FILE="$WORK/ids.txt" TOKEN="$TOKEN" PHOTO="$PHOTO" \
    wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --timeout 60s --latency -s scripts/bench/upload_photo.lua "$BASE"
  cat "$WORK/api$c.out"; head -n 5 "$WORK/api$c.err"
  log "reference: raw S3 PUT of the same bytes to SeaweedFS, $c connections, $DURATION s"
  measure "raw$c" env PHOTO="$PHOTO" PREFIX="/fangpin-test/$PREFIX-raw" \
    wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --timeout 60s --latency -s scripts/bench/raw_put.lua "$S3_ENDPOINT"
  cat "$WORK/raw$c.out"; head -n 5 "$WORK/raw$c.err"
done

echo
printf '%-6s %9s %9s %7s %11s | %-40s\n' "conns" "API /s" "raw PUT/s" "ratio" "API p50/p99" "CPU ms per photo: server SeaweedFS wrk (raw: SeaweedFS wrk)"
for c in $CONCURRENCY; do
  api=$(awk '/Requests\/sec/ {print $2}' "$WORK/api$c.out")
  raw=$(awk '/Requests\/sec/ {print $2}' "$WORK/raw$c.out")
  n_api=$(awk '/requests in/ {print $1}' "$WORK/api$c.out")
  n_raw=$(awk '/requests in/ {print $1}' "$WORK/raw$c.out")
  bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/api$c.out")
  read -r as aw ac <<<"${RESULT[api$c]}"
  read -r _ rw rc <<<"${RESULT[raw$c]}"
  printf '%-6s %9.1f %9.1f %7.2f %5s/%-5s | %6.1f %6.1f %6.1f   (raw: %6.1f %6.1f)%s\n' "$c" "$api" "$raw" "$(ratio "$api" "$raw")" \
    "$(awk '$1 == "50%" {print $2}' "$WORK/api$c.out")" "$(awk '$1 == "99%" {print $2}' "$WORK/api$c.out")" \
    "$(echo "$as * 1000 / $TCK / $n_api" | bc -l)" "$(echo "$aw * 1000 / $TCK / $n_api" | bc -l)" "$(echo "$ac / $n_api" | bc -l)" \
    "$(echo "$rw * 1000 / $TCK / $n_raw" | bc -l)" "$(echo "$rc / $n_raw" | bc -l)" "${bad:+  (non-2xx: $bad)}"
done
echo "server RSS: $rss_rest MB at rest, $(server_rss_peak) MB peak; SeaweedFS peak RSS $(weed_rss_peak) MB"
echo "machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared by wrk, the server, PostgreSQL and SeaweedFS)"
