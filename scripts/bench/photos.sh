#!/usr/bin/env bash
# Issue 4 benchmark.
# 1. CPU time per photo of the in-process ingest pipeline over 50 generated 12 MP phone JPEGs,
#    beside `vipsthumbnail -s 320` (libvips shrink-on-load) on the same files in the same run.
#    Goal: ≤ 1.0x vipsthumbnail.
# 2. Peak RSS of `fangpin serve` while 32 clients upload 8 MB photos at once. Goal: < 300 MB.
# The generated photos carry what a phone's camera writes (EXIF with an IFD1 preview, GPS, times;
# a small XMP packet), so the authenticity checks of issue 24 do their usual work.
# BEFORE_BIN=path/to/photo_bench (the example built at an earlier commit, e.g. 01bc468, before
# issue 24) also runs that pipeline on the same files in the same run, alternating with this
# one ROUNDS times (default 3), and prints the cost of what was added (issue 24: ≤ 10 %).
# PHOTOS_ONLY=1 skips part 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
ensure_packages vipsthumbnail:libvips-tools curl:curl

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-photos.XXXXXX")
SERVER=""
trap '[ -z "$SERVER" ] || kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
log "building"
cargo build --release --locked -q --example photo_bench
cargo build --release --locked -q
EX=target/release/examples/photo_bench

log "generating 50 phone-like 12 MP JPEGs"
"$EX" gen "$WORK/in" 50 92
du -sh "$WORK/in" | awk '{print "total size: " $1}'

cpu() { # CPU seconds (user + sys) of a command and its threads
  python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime + r.ru_stime)' "$@"
}
mkdir -p "$WORK/vips"
log "vipsthumbnail -s 320"
vips=$(cpu vipsthumbnail -s 320 -o "$WORK/vips/%s_t.jpg" "$WORK"/in/*.jpg)
log "fangpin ingest pipeline"
"$EX" ingest "$WORK/in"
ours=$(cpu "$EX" ingest "$WORK/in")
printf '\n%-34s %12s\n' "CPU time per 12 MP photo" "ms"
printf '%-34s %12.1f\n' "vipsthumbnail -s 320" "$(echo "$vips * 1000 / 50" | bc -l)"
printf '%-34s %12.1f\n' "fangpin analyze (full pipeline)" "$(echo "$ours * 1000 / 50" | bc -l)"
printf '%-34s %12.2f\n' "ratio fangpin / vips" "$(echo "$ours / $vips" | bc -l)"

if [ -n "${BEFORE_BIN:-}" ]; then
  ratio() { echo "$1 / $2" | bc -l; }
  log "before and after, alternating, ${ROUNDS:-3} rounds (BEFORE_BIN=$BEFORE_BIN)"
  "$BEFORE_BIN" ingest "$WORK/in"
  tb=0; ta=0; tv=0
  for r in $(seq 1 "${ROUNDS:-3}"); do
    b=$(cpu "$BEFORE_BIN" ingest "$WORK/in"); a=$(cpu "$EX" ingest "$WORK/in")
    v=$(cpu vipsthumbnail -s 320 -o "$WORK/vips/%s_t.jpg" "$WORK"/in/*.jpg)
    printf 'round %d: vips %.1f, before %.1f, after %.1f ms/photo\n' "$r" "$(echo "$v * 20" | bc -l)" "$(echo "$b * 20" | bc -l)" "$(echo "$a * 20" | bc -l)"
    tb=$(echo "$tb + $b" | bc -l); ta=$(echo "$ta + $a" | bc -l); tv=$(echo "$tv + $v" | bc -l)
  done
  printf '\n%-40s %12s %8s\n' "CPU time per 12 MP photo, all rounds" "ms" "/ vips"
  printf '%-40s %12.1f %8.2f\n' "vipsthumbnail -s 320" "$(echo "$tv * 1000 / 50 / ${ROUNDS:-3}" | bc -l)" 1
  printf '%-40s %12.1f %8.2f\n' "before (BEFORE_BIN)" "$(echo "$tb * 1000 / 50 / ${ROUNDS:-3}" | bc -l)" "$(ratio "$tb" "$tv")"
  printf '%-40s %12.1f %8.2f\n' "after (this tree)" "$(echo "$ta * 1000 / 50 / ${ROUNDS:-3}" | bc -l)" "$(ratio "$ta" "$tv")"
  printf 'added by this tree: %+.1f %% of the ingest CPU (after / before - 1)   load average: %s\n' "$(echo "($ta / $tb - 1) * 100" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
fi
[ -z "${PHOTOS_ONLY:-}" ] || exit 0

log "32 concurrent uploads of an 8 MB photo"
"$EX" gen "$WORK/big" 1 99
BIG=$WORK/big/photo_000.jpg
ls -l "$BIG" | awk '{printf "upload size: %.1f MB\n", $5 / 1048576}'
export FANGPIN_DATA_DIR=$WORK/data FANGPIN_BIND=127.0.0.1:18282 FANGPIN_ADMIN_PASSWORD='Bench-pass-1' RUST_LOG=warn
target/release/fangpin serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
BASE=http://127.0.0.1:18282
for _ in $(seq 1 60); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.5; done
TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"Bench-pass-1"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
HID=$(curl -fs -X POST "$BASE/api/v1/households" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"village_code":"610831101201","category":"ordinary","members":[{"name":"王建国","id_number":"11010519491231002X","relation":"head"}]}' \
  | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
pids=()
for i in $(seq 1 32); do
  printf '{"kind":"door_with_cadre","taken_at":"%s","client_id":"%s"}' "$(date -Iseconds)" "$(python3 -c 'import uuid; print(uuid.uuid4())')" >"$WORK/meta$i.json"
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "$BASE/api/v1/households/$HID/photos" -H "Authorization: Bearer $TOKEN" \
    -F "meta=@$WORK/meta$i.json;type=application/json" -F "file=@$BIG;type=image/jpeg" >>"$WORK/codes" &
  pids+=($!)
done
wait "${pids[@]}"
peak=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
echo "answers: $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"
printf 'server RSS before %.0f MB, peak %.0f MB (goal < 300 MB)\n' "$(echo "$rss_before / 1024" | bc -l)" "$(echo "$peak / 1024" | bc -l)"
