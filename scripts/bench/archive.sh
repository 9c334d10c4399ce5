#!/usr/bin/env bash
# Issue 20 benchmark (not part of CI): a village's archive 一户一档 (GET /villages/{code}/archive.zip)
# on PostgreSQL + SeaweedFS, beside reading the same photo objects straight from the store in the
# same run. A village gets $IN_VILLAGE households with $PER_HOUSEHOLD photos each (generated
# 12 MP phone-like JPEGs at quality $QUALITY, uploaded through the API), the server is restarted
# (so its peak RSS is the archive's), then: the reference — one curl reading every original
# object of the village from the S3 gateway, one after the other, to /dev/null — and the API's
# zip, streamed to /dev/null. Prints both rates (MB/s), their ratio (goal ≥ 0.5) and the server's
# peak RSS (goal < 200 MB).
# Usage: scripts/bench/archive.sh   (IN_VILLAGE, PER_HOUSEHOLD, QUALITY may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

IN_VILLAGE=${IN_VILLAGE:-300}
PER_HOUSEHOLD=${PER_HOUSEHOLD:-5}
QUALITY=${QUALITY:-80}
VILLAGE=610831101201
# A fresh database each run: the store below is fresh too (its objects and the rows go together).
ensure_postgres fangpin_bench_archive
psql "$PG_URL" -qAtX -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
bench_setup fangpin_bench_archive 300
start_seaweedfs
PREFIX=archive-$(date +%s)
export FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=$S3_ENDPOINT FANGPIN_S3_BUCKET=fangpin-test FANGPIN_S3_PREFIX=$PREFIX
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600
cargo build --release --locked -q --example photo_bench
bench_serve

target/release/examples/photo_bench gen "$WORK/photo" "$PER_HOUSEHOLD" "$QUALITY" >/dev/null
mapfile -t PHOTOS < <(ls "$WORK"/photo/*.jpg)
echo "photos: ${#PHOTOS[@]} of $(du -ch "${PHOTOS[@]}" | tail -n 1 | cut -f1) in all, 4000x3000"

# The village's households (ordinary, created by the county admin) and their photos, 4 at a time.
log "creating $IN_VILLAGE households in $VILLAGE with $PER_HOUSEHOLD photos each"
create_one() {
  local n=$1 id body i=0
  local photos=($PHOTOS_LIST) kinds=(door_with_cadre stove_with_cadre hall_with_cadre bedroom_with_cadre family_at_door understanding_card)
  # A name holds no digits: the household's number in Chinese numerals (王一二三).
  body=$(printf '{"village_code":"%s","category":"ordinary","address":"archive-bench","members":[{"name":"王%s","no_id_reason":"other","relation":"head","sex":"male","birth_date":"1970-01-01"}]}' "$VILLAGE" \
    "$(echo "$n" | sed 's/0/零/g; s/1/一/g; s/2/二/g; s/3/三/g; s/4/四/g; s/5/五/g; s/6/六/g; s/7/七/g; s/8/八/g; s/9/九/g')")
  id=$(curl -fsS -X POST "$BASE/api/v1/households" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$body" |
    python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
  for p in "${photos[@]}"; do
    local meta
    meta=$(printf '{"kind":"%s","taken_at":"%s","client_id":"%s"}' "${kinds[$((i % 6))]}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cat /proc/sys/kernel/random/uuid)")
    i=$((i + 1))
    curl -fsS -o /dev/null -X POST "$BASE/api/v1/households/$id/photos" -H "Authorization: Bearer $TOKEN" \
      -F "meta=$meta;type=application/json" -F "file=@$p;type=image/jpeg"
  done
}
export -f create_one
export BASE TOKEN VILLAGE
export PHOTOS_LIST="${PHOTOS[*]}"
seq 1 "$IN_VILLAGE" | xargs -P 4 -I{} bash -c 'create_one {}'
photos=$(psql_b -c "SELECT count(*) FROM photos WHERE village_code = '$VILLAGE' AND status <> 'rejected'")
households=$(psql_b -c "SELECT count(*) FROM households WHERE village_code = '$VILLAGE'")
echo "village $VILLAGE: $households households, $photos photos"

log "restarting the server (its peak RSS from here on is the archive's)"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
bench_serve

# The reference: every original object of the village, read from the store in one curl.
psql_b -c "SELECT 'url = \"$S3_ENDPOINT/fangpin-test/$PREFIX/photos/' || household_id || '/' || id || '/original.jpg\"' || chr(10) || 'output = \"/dev/null\"'
  FROM photos WHERE village_code = '$VILLAGE' AND status <> 'rejected' ORDER BY household_id, id" >"$WORK/urls.cfg"
wait_quiet
log "reference: $photos objects read from SeaweedFS"
raw=$(curl -s -K "$WORK/urls.cfg" -w '%{size_download} %{time_total}\n' | awk '{b += $1; t += $2} END {printf "%d %.3f", b, t}')
read -r raw_bytes raw_secs <<<"$raw"
wait_quiet
log "API: GET /villages/$VILLAGE/archive.zip"
api=$(curl -fs -o "$WORK/village.zip" -H "Authorization: Bearer $TOKEN" -w '%{size_download} %{time_total}' "$BASE/api/v1/villages/$VILLAGE/archive.zip")
read -r api_bytes api_secs <<<"$api"
entries=$(python3 -c "import zipfile,sys; z = zipfile.ZipFile(sys.argv[1]); print(len(z.namelist())); z.testzip()" "$WORK/village.zip")
rm -f "$WORK/village.zip"
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status")

raw_rate=$(echo "$raw_bytes / 1048576 / $raw_secs" | bc -l)
api_rate=$(echo "$api_bytes / 1048576 / $api_secs" | bc -l)
echo
printf '%-38s %10s %8s %9s\n' "" "MB" "s" "MB/s"
printf '%-38s %10.1f %8.2f %9.1f\n' "store: the village's originals" "$(echo "$raw_bytes / 1048576" | bc -l)" "$raw_secs" "$raw_rate"
printf '%-38s %10.1f %8.2f %9.1f\n' "API: the village's archive.zip" "$(echo "$api_bytes / 1048576" | bc -l)" "$api_secs" "$api_rate"
printf 'ratio (API / store): %.2f   zip entries: %s   server peak RSS during the archive: %s MB\n' "$(ratio "$api_rate" "$raw_rate")" "$entries" "$rss"
echo "machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
