#!/usr/bin/env bash
# Issue 22 benchmark, item 2 (not part of CI): location captures per second on PostgreSQL at 64
# connections spread over the households of 10 counties, with one `fangpin serve` and with two
# (same secrets, same database), before and after the change-sequence redesign.
#
# Before: $BEFORE (default c8f6646^, the last commit whose writes take the one `sync_counter`
# row and hold it until commit), built from `git archive` in target/captures-before/src into its
# own target folder target/captures-before/target (release; seeded with a copy of
# target/release so only changed crates compile) and kept for the next run. After: this tree.
# Each side has its own database (fangpin_bench_captures_before / _after), filled by its own
# binary (`fangpin demo --scale $PER_COUNTY`: the demo county) and copied in SQL into 9 more
# counties (bench_counties in lib.sh).
#
# A run: 64 connections for $DURATION s (default 20), as two wrk processes of 32 connections
# (one thread each) — both at the one instance, or one at each instance (the cheapest honest
# two-instance setup: no load balancer in between). capture.lua posts a GPS capture (valid,
# accuracy 5-12 m, near the household's home or its village) for the households taken
# round-robin across the 10 counties. While it runs, PostgreSQL is sampled every 0.5 s:
# backends waiting on a lock (pg_stat_activity.wait_event_type = 'Lock', and pg_locks not
# granted) and active backends; and the CPU of the servers, of PostgreSQL (the backends of the
# benchmark's database and the cluster's background processes), of wrk, and of the whole
# machine (from /proc; another developer's work on the machine shows there). Runs alternate
# before / after so a noisy neighbour weighs on both. Prints req/s, lock waiters (mean / max),
# CPU, and the after / before ratios.
# Usage: scripts/bench/captures.sh   (DURATION, PER_COUNTY (default 2000), BEFORE may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

DURATION=${DURATION:-20}
PER_COUNTY=${PER_COUNTY:-2000}
BEFORE=${BEFORE:-c8f6646^}
PORT1=${PORT:-18181}
PORT2=$((PORT1 + 1))
ensure_packages wrk:wrk bc:bc curl:curl
TCK=$(getconf CLK_TCK)

log "building the release binary (after)"
cargo build --release --locked -q
AFTER_BIN=$PWD/target/release/fangpin
rev=$(git rev-parse "$BEFORE")
BEFORE_DIR=$PWD/target/captures-before
BEFORE_BIN=$BEFORE_DIR/fangpin
if [ "$(cat "$BEFORE_DIR/commit" 2>/dev/null)" != "$rev" ] || [ ! -x "$BEFORE_BIN" ]; then
  log "building $(git log -1 --format='%h %s' "$rev" | cut -c1-80) (before), release"
  rm -rf "$BEFORE_DIR/src" "$BEFORE_BIN"
  mkdir -p "$BEFORE_DIR/src"
  git archive "$rev" | tar -x -C "$BEFORE_DIR/src"
  [ -d "$BEFORE_DIR/target/release" ] || { mkdir -p "$BEFORE_DIR/target"; cp -a target/release "$BEFORE_DIR/target/"; }
  (cd "$BEFORE_DIR/src" && CARGO_TARGET_DIR=$BEFORE_DIR/target cargo build --release --locked -q --bin fangpin)
  cp "$BEFORE_DIR/target/release/fangpin" "$BEFORE_BIN"
  echo "$rev" >"$BEFORE_DIR/commit"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-captures.XXXXXX")
SERVERS=()
stop_servers() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}
trap 'stop_servers; rm -rf "$WORK"' EXIT
export FANGPIN_ADMIN_PASSWORD='Bench-pass-1'
export FANGPIN_JWT_SECRET='bench-secret-bench-secret-bench-secret-0123'
export FANGPIN_DATA_KEY='YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDE='
export FANGPIN_ACCESS_TOKEN_TTL_SECS=3600 RUST_LOG=warn

declare -A URL BIN_OF
BIN_OF[before]=$BEFORE_BIN
BIN_OF[after]=$AFTER_BIN
for side in before after; do
  ensure_postgres "fangpin_bench_captures_$side"
  URL[$side]=$PG_URL
  log "$side: the demo county, $PER_COUNTY households (idempotent), then 10 counties"
  DATABASE_URL=$PG_URL FANGPIN_DATA_DIR=$WORK "${BIN_OF[$side]}" demo --scale "$PER_COUNTY" >/dev/null
  bench_counties 10
  # The admin captures for all ten counties: its jurisdiction becomes their city (bench data only).
  psql_b -c "UPDATE users SET jurisdiction = '610800000000' WHERE username = 'admin'" >/dev/null
  # Households interleaved county by county; the point is the home if there is one, else a few
  # hundred metres from a spot of its village.
  psql_b -c "SELECT id, round(lat::numeric, 7), round(lon::numeric, 7) FROM (
      SELECT id, county_code, row_number() OVER (PARTITION BY county_code ORDER BY md5(id)) AS n,
        coalesce(home_lat, 37.3 + (abs(hashtext(village_code)) % 600) / 1000.0 + (abs(hashtext(id)) % 100) / 20000.0) AS lat,
        coalesce(home_lon, 109.8 + (abs(hashtext(village_code || 'x')) % 600) / 1000.0 + (abs(hashtext(id || 'x')) % 100) / 20000.0) AS lon
      FROM households) h ORDER BY n, county_code" | tr '|' ' ' >"$WORK/households-$side.txt"
  echo "$side: $(wc -l <"$WORK/households-$side.txt") households in $(psql_b -c 'SELECT count(DISTINCT county_code) FROM households') counties"
done

# CPU ticks (user + system) of processes.
ticks_of() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# PostgreSQL's CPU for the benchmark: the backends of its database and the cluster's background
# processes (other databases of the cluster, another developer's tests say, are left out).
# pg_mark FILE notes every postgres process's ticks; pg_since DB FILE sums what the benchmark's
# ones used since (a backend opened after the mark counts from 0).
pg_mark() { local pid; for pid in $(pgrep -x postgres); do echo "$pid $(ticks_of "$pid")"; done >"$1"; }
pg_since() {
  local t=0 pid before
  for pid in $(psql "$1" -qAtX -c "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()"); do
    before=$(awk -v p="$pid" '$1 == p {print $2}' "$2")
    t=$((t + $(ticks_of "$pid") - ${before:-0}))
  done
  echo "$t"
}
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

start_server() { # side port
  DATABASE_URL=${URL[$1]} FANGPIN_DATA_DIR=$WORK FANGPIN_BIND=127.0.0.1:$2 "${BIN_OF[$1]}" serve >>"$WORK/serve-$1-$2.log" 2>&1 &
  SERVERS+=($!)
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.5; done
  echo "server $1 on $2 did not start:"; tail -n 20 "$WORK/serve-$1-$2.log"; exit 1
}

declare -A RES
run() { # side instances
  local side=$1 inst=$2 port_b token n sampler
  start_server "$side" "$PORT1"
  port_b=$PORT1
  if [ "$inst" = 2 ]; then start_server "$side" "$PORT2"; port_b=$PORT2; fi
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT1/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$FANGPIN_ADMIN_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  n=$(wc -l <"$WORK/households-$side.txt")
  # One sampling session: lock waiters (activity and ungranted locks), active backends, and the
  # wait events of the waiters, every 0.5 s.
  psql "${URL[$side]}" -qAtX >"$WORK/locks-$side-$inst.txt" 2>/dev/null <<SQL &
SELECT 'S', (SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()),
  (SELECT count(*) FROM pg_locks WHERE NOT granted),
  (SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND datname = current_database() AND pid <> pg_backend_pid()),
  (SELECT coalesce(string_agg(wait_event, ',' ORDER BY wait_event), '-') FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database())
\watch 0.5
SQL
  sampler=$!
  sleep 1
  local s0 w0 m0 s1 w1 m1 pgt
  s0=$(ticks_of "${SERVERS[@]}"); pg_mark "$WORK/pg0"; m0=$(machine)
  local wrk_a wrk_b
  env HOUSEHOLDS_FILE="$WORK/households-$side.txt" TOKEN="$token" THREADS=1 START=0 \
    wrk -t1 -c32 -d"${DURATION}s" -s scripts/bench/capture.lua "http://127.0.0.1:$PORT1" >"$WORK/wrk-a.out" 2>"$WORK/wrk-a.err" &
  wrk_a=$!
  env HOUSEHOLDS_FILE="$WORK/households-$side.txt" TOKEN="$token" THREADS=1 START=$((n / 2)) \
    wrk -t1 -c32 -d"${DURATION}s" -s scripts/bench/capture.lua "http://127.0.0.1:$port_b" >"$WORK/wrk-b.out" 2>"$WORK/wrk-b.err" &
  wrk_b=$!
  sleep 0.5
  w0=$(ticks_of "$wrk_a" "$wrk_b")
  sleep $((DURATION - 1))
  w1=$(ticks_of "$wrk_a" "$wrk_b")
  s1=$(ticks_of "${SERVERS[@]}"); pgt=$(pg_since "${URL[$side]}" "$WORK/pg0"); m1=$(machine)
  wait "$wrk_a" "$wrk_b"
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  stop_servers
  head -n 3 "$WORK/wrk-a.err" "$WORK/wrk-b.err" | grep -v '^==>' | grep . || true
  local rps bad lock_mean lock_max ungranted act events secs
  rps=$(awk '/Requests\/sec/ {s += $2} END {print s}' "$WORK/wrk-a.out" "$WORK/wrk-b.out")
  bad=$(awk '/Non-2xx|Socket errors/ {print}' "$WORK/wrk-a.out" "$WORK/wrk-b.out" | tr '\n' ' ')
  read -r lock_mean lock_max ungranted act < <(awk -F'|' '$1 == "S" {n++; s += $2; if ($2 > m) m = $2; u += $3; a += $4}
    END {printf "%.2f %d %.2f %.1f\n", s / n, m, u / n, a / n}' "$WORK/locks-$side-$inst.txt")
  events=$(awk -F'|' '$1 == "S" && $5 != "-" {k = split($5, ev, ","); for (i = 1; i <= k; i++) c[ev[i]]++} END {for (x in c) printf "%s:%d ", x, c[x]}' "$WORK/locks-$side-$inst.txt")
  secs=$((DURATION - 1))
  # CPU in % of one core over the measured window (2 cores = 200 %).
  RES[$side$inst]="$rps $lock_mean $lock_max $ungranted $act $(echo "($s1 - $s0) * 100 / $TCK / $secs" | bc) $(echo "$pgt * 100 / $TCK / $secs" | bc) $(echo "($w1 - $w0) * 100 / $TCK / ($secs - 0.5)" | bc) $(echo "$m0 $m1" | awk '{printf "%d", 100 * ($3 - $1) / ($4 - $2)}')"
  printf '%-6s %d instance(s): %8.1f req/s, lock waiters mean %s max %s (ungranted locks mean %s), active backends %s%s%s\n' \
    "$side" "$inst" "$rps" "$lock_mean" "$lock_max" "$ungranted" "$act" "${events:+, waits on: $events}" "${bad:+  [$bad]}"
}

for inst in 1 2; do
  for side in before after; do
    wait_quiet 85 "${QUIET_MAX:-15}" >/dev/null
    log "$side, $inst instance(s), 64 connections, $DURATION s"
    run "$side" "$inst"
  done
done

echo
printf '%-18s %9s | %-21s %6s %7s | %-38s\n' "" "req/s" "lock waiters mean/max" "ungr." "active" "CPU % of a core: server PG wrk | machine"
for inst in 1 2; do
  for side in before after; do
    read -r rps lm lx un act cs cp cw cm <<<"${RES[$side$inst]}"
    printf '%-18s %9.1f | %10s / %-8s %6s %7s | %6s %4s %4s | %3s %% busy\n' "$side, $inst instance(s)" "$rps" "$lm" "$lx" "$un" "$act" "$cs" "$cp" "$cw" "$cm"
  done
done
for inst in 1 2; do
  read -r b _ <<<"${RES[before$inst]}"; read -r a _ <<<"${RES[after$inst]}"
  printf 'after / before, %d instance(s): %.2f\n' "$inst" "$(ratio "$a" "$b")"
done
read -r a1 _ <<<"${RES[after1]}"; read -r a2 _ <<<"${RES[after2]}"
printf 'after, two instances / one: %.2f\n' "$(ratio "$a2" "$a1")"
echo "machine load at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared by wrk, the servers and PostgreSQL)"
