# Shared by the benchmarks: a release server on a PostgreSQL database with bulk-loaded data.
# Source from the repository root after scripts/lib/services.sh.

# bench_setup DB HOUSEHOLDS: builds, loads (idempotent), starts the server, logs in as admin.
# Sets PG_URL, BASE, TOKEN, WORK, SERVER.
bench_setup() {
  local db=$1 households=$2 port=${PORT:-18181}
  ensure_packages wrk:wrk bc:bc curl:curl pgbench:postgresql-contrib
  ensure_postgres "$db"
  log "building the release binary"
  cargo build --release --locked -q
  BIN=$PWD/target/release/fangpin
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-bench.XXXXXX")
  # The bench database outlives a run: keep its keys fixed so the sealed data stays readable.
  export DATABASE_URL=$PG_URL FANGPIN_DATA_DIR=$WORK FANGPIN_BIND=127.0.0.1:$port RUST_LOG=warn
  export FANGPIN_ADMIN_PASSWORD='Bench-pass-1'
  export FANGPIN_JWT_SECRET='bench-secret-bench-secret-bench-secret-0123'
  export FANGPIN_DATA_KEY='YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDE='
  log "loading $households households (idempotent)"
  "$BIN" demo --scale "$households"
  psql_b -c ANALYZE
  echo "households in the database: $(psql_b -c 'SELECT count(*) FROM households')"
}

bench_serve() {
  local port=${PORT:-18181}
  "$BIN" serve >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"; stop_services' EXIT
  BASE=http://127.0.0.1:$port
  for _ in $(seq 1 60); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.5; done
  TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$FANGPIN_ADMIN_PASSWORD\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  export TOKEN
}

psql_b() { psql "$PG_URL" -qAtX "$@"; }

# Median wall time in ms of N sequential GETs of a path (after one warm-up).
api_ms() {
  local path=$1 n=${2:-15}
  curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE$path"
  for _ in $(seq 1 "$n"); do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$BASE$path"
  done | sort -n | awk '{a[NR]=$1*1000} END {print a[int((NR+1)/2)]}'
}

# Average latency in ms of N runs of an SQL file by one pgbench client (after one warm-up).
sql_ms() {
  local file=$1 n=${2:-15}
  pgbench -n -c 1 -t 1 -f "$file" "$PG_URL" >/dev/null 2>&1
  pgbench -n -c 1 -t "$n" -f "$file" "$PG_URL" 2>/dev/null | awk '/latency average/ {print $4; exit}'
}

ratio() { echo "$1 / $2" | bc -l; }

# Waits (at most $2 s, default $QUIET_MAX or 120) until the machine's CPUs are at least $1 %
# idle over a second (default 85): a run does not start while the previous one's background
# work (a peer's job queue, PostgreSQL's checkpoint, SeaweedFS's compaction) still takes the CPU.
# On a machine shared with other work it never gets quiet: QUIET_MAX=10 saves the wait.
wait_quiet() {
  local want=${1:-85} max=${2:-${QUIET_MAX:-120}} waited=0 a b idle
  while :; do
    a=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
    idle=$(echo "$a $b" | awk '{d = $4 - $2; print (d > 0 ? int(100 * ($3 - $1) / d) : 100)}')
    waited=$((waited + 1))
    if [ "$idle" -ge "$want" ] || [ "$waited" -ge "$max" ]; then break; fi
  done
  echo "(machine ${idle} % idle after ${waited} s)"
}
