# Shared by the benchmarks: a release server on a PostgreSQL database with bulk-loaded data.
# Source from the repository root after scripts/lib/services.sh.

# bench_setup DB HOUSEHOLDS: builds, loads (idempotent), starts the server, logs in as admin.
# Sets PG_URL, BASE, TOKEN, WORK, SERVER.
bench_setup() {
  local db=$1 households=$2 port=${PORT:-18181}
  ensure_packages wrk:wrk bc:bc curl:curl pgbench:postgresql-contrib
  ensure_postgres "$db"
  # PG_SSLMODE=disable: the server talks to PostgreSQL in the clear (libpq's default, `prefer`,
  # encrypts a localhost connection when the server has TLS on, as Debian's has) — for a run
  # beside a peer whose driver connects without TLS (peer.sh). pgbench and psql use it too.
  [ -z "${PG_SSLMODE:-}" ] || PG_URL="$PG_URL?sslmode=$PG_SSLMODE"
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

# bench_counties [N]: makes the database hold N counties (default 10): the demo county's
# divisions, households, members, captures, village number counters and ledger problems are copied, in SQL, into
# N - 1 other counties of 榆林市 (610802 榆阳区 … 610829 吴堡县). A copy's division codes are the
# demo county's with the county's six digits replaced, its townships and villages keep their
# names, its ids are md5(copy, original id) as UUIDs and its members' ID-number HMACs are
# rewritten the same way (the index of current ID numbers is unique); the sealed ID numbers are
# the originals' (sealed under the original member ids: a copy's members do not decrypt, so
# measure the demo county and let the copies be the rest of the province). Columns are read
# from the catalogue, so it works on an older schema too. Idempotent: a county already there is
# skipped. The counties' parent is 榆林市 (610800000000, inserted). Runs VACUUM ANALYZE at the end.
BENCH_COUNTIES="610802:榆阳区 610803:横山区 610822:府谷县 610824:靖边县 610825:定边县 610826:绥德县 610827:米脂县 610828:佳县 610829:吴堡县"
bench_counties() {
  local n=${1:-10} k=0 entry prefix name
  psql_b -q <<'SQL'
CREATE OR REPLACE FUNCTION public.bench_copy(tbl text, exprs jsonb, cond text) RETURNS bigint AS $$
DECLARE cols text; sel text; n bigint;
BEGIN
  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position),
         string_agg(coalesce(exprs ->> column_name, 's.' || quote_ident(column_name)), ', ' ORDER BY ordinal_position)
    INTO cols, sel FROM information_schema.columns WHERE table_schema = 'public' AND table_name = tbl;
  IF cols IS NULL THEN RETURN 0; END IF;
  EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I s WHERE %s', tbl, cols, sel, tbl, cond);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION public.bench_id(k int, id text) RETURNS text AS $$ SELECT md5(k || '/' || id)::uuid::text $$ LANGUAGE sql IMMUTABLE;
CREATE OR REPLACE FUNCTION public.bench_code(p text, code text) RETURNS text AS $$ SELECT p || substr(code, 7) $$ LANGUAGE sql IMMUTABLE;
-- The counties' city, so a user of 榆林市 can reach all ten.
INSERT INTO divisions (code, name, level, parent_code) VALUES ('610800000000', '榆林市', 'city', NULL) ON CONFLICT DO NOTHING;
UPDATE divisions SET parent_code = '610800000000' WHERE code = '610831000000' AND parent_code IS NULL;
SQL
  for entry in $BENCH_COUNTIES; do
    k=$((k + 1))
    [ "$k" -lt "$n" ] || break
    prefix=${entry%%:*} name=${entry#*:}
    if [ "$(psql_b -c "SELECT count(*) FROM households WHERE county_code = '${prefix}000000'")" != 0 ]; then
      continue
    fi
    log "copying the demo county into ${prefix}000000 $name"
    psql_b -v ON_ERROR_STOP=1 <<SQL | paste -sd' ' | sed 's/^/  rows copied (divisions households members captures counters problems): /'
BEGIN;
SELECT bench_copy('divisions', jsonb_build_object(
    'code', 'bench_code(''$prefix'', s.code)',
    'name', 'CASE WHEN s.level = ''county'' THEN ''$name'' ELSE s.name END',
    'parent_code', 'CASE WHEN s.level = ''county'' THEN ''610800000000'' ELSE bench_code(''$prefix'', s.parent_code) END',
    'merged_into', 'bench_code(''$prefix'', s.merged_into)'),
  \$\$s.code LIKE '610831%' AND NOT EXISTS (SELECT 1 FROM divisions d WHERE d.code = bench_code('$prefix', s.code))\$\$) AS divisions;
SELECT bench_copy('households', jsonb_build_object(
    'id', 'bench_id($k, s.id)', 'client_id', 'bench_id($k, s.client_id)', 'number', 'bench_code(''$prefix'', s.number)',
    'village_code', 'bench_code(''$prefix'', s.village_code)', 'township_code', 'bench_code(''$prefix'', s.township_code)',
    'county_code', 'bench_code(''$prefix'', s.county_code)', 'former_village_code', 'bench_code(''$prefix'', s.former_village_code)',
    'home_location_id', 'bench_id($k, s.home_location_id)', 'pending_move_id', 'bench_id($k, s.pending_move_id)',
    'natural_village_id', 'NULL'),
  \$\$s.county_code = '610831000000'\$\$) AS households;
SELECT bench_copy('members', jsonb_build_object(
    'id', 'bench_id($k, s.id)', 'household_id', 'bench_id($k, s.household_id)',
    'id_number_hmac', 'md5($k || ''/'' || s.id_number_hmac) || md5(s.id_number_hmac || ''/'' || $k)'),
  \$\$s.household_id IN (SELECT id FROM households WHERE county_code = '610831000000')\$\$) AS members;
SELECT bench_copy('locations', jsonb_build_object(
    'id', 'bench_id($k, s.id)', 'household_id', 'bench_id($k, s.household_id)', 'client_id', 'bench_id($k, s.client_id)'),
  \$\$s.household_id IN (SELECT id FROM households WHERE county_code = '610831000000')\$\$) AS locations;
SELECT bench_copy('household_number_counters', jsonb_build_object('village_code', 'bench_code(''$prefix'', s.village_code)'),
  \$\$s.village_code LIKE '610831%'\$\$) AS counters;
SELECT bench_copy('problems', jsonb_build_object(
    'id', 'bench_id($k, s.id)', 'household_id', 'bench_id($k, s.household_id)',
    'village_code', 'bench_code(''$prefix'', s.village_code)', 'township_code', 'bench_code(''$prefix'', s.township_code)',
    'county_code', 'bench_code(''$prefix'', s.county_code)'),
  \$\$s.county_code = '610831000000'\$\$) AS problems;
COMMIT;
SQL
  done
  psql_b -c "VACUUM ANALYZE"
  psql_b -c "SELECT county_code, count(*) FROM households GROUP BY 1 ORDER BY 1" | tr '\n' ' '; echo
}
