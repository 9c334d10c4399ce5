#!/usr/bin/env bash
# A province-shaped deployment on this machine, each component its own process and port
# (README "Deploying for a province"):
#   PostgreSQL: a cluster of its own (initdb into $CLUSTER_DIR/data/postgres, its own port), never
#     the machine's shared one, so that the test can restart it;
#   SeaweedFS: one master (replication 010), three volume servers on three racks (every object
#     has two copies on two servers), a filer and the S3 gateway;
#   two `fangpin serve` instances with the same secrets ($CLUSTER_DIR/secrets.env);
#   nginx (Debian package) balancing over them (deploy/nginx.conf).
#
#   scripts/cluster.sh up   [path/to/fangpin]   start (or restart) it; data kept in $CLUSTER_DIR
#   scripts/cluster.sh down                     stop every process (data kept)
#   scripts/cluster.sh test [path/to/fangpin]   on a fresh cluster of its own (scripts/cluster/test.sh):
#       a rolling restart of the instances under load with zero failed requests (graceful
#       shutdown, an upload in flight during SIGTERM); faults under a retrying load (an instance
#       SIGKILLed, a volume server killed, PostgreSQL restarted); backup, destruction, restore
#       into a fresh cluster, the same households field for field and the same photos by
#       SHA-256. Removes it all at the end.
# The binary defaults to target/debug/fangpin (built if missing). Ports: CLUSTER_PORT_BASE
# (21000; 21500 for `test`) + 80 nginx, 81/82 instances, 90 S3, 101-103 volumes, 333 master,
# 432 PostgreSQL, 888 filer; SeaweedFS's gRPC ports are those + 10000.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

CMD=${1:-}
BIN=${2:-${FANGPIN_BIN:-target/debug/fangpin}}
if [ "$CMD" = test ]; then
  # A cluster of its own, beside one that `up` may have started.
  CLUSTER_DIR=${CLUSTER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/fangpin-cluster.XXXXXX")}
  CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-21500}
fi
CLUSTER_DIR=${CLUSTER_DIR:-$PWD/target/cluster}
CLUSTER_DB=${CLUSTER_DB:-fangpin}
B=${CLUSTER_PORT_BASE:-21000}
LB_PORT=$((B + 80)) S3_PORT=$((B + 90)) MASTER_PORT=$((B + 333)) FILER_PORT=$((B + 888)) PG_PORT=$((B + 432))
PG_URL=postgres://postgres:postgres@127.0.0.1:$PG_PORT/$CLUSTER_DB
INSTANCES=(1 2)
BUCKET=fangpin
WEED=$PWD/target/venv/bin/weed
RUN=$CLUSTER_DIR/run LOGS=$CLUSTER_DIR/log DATA=$CLUSTER_DIR/data

instance_port() { echo $((B + 80 + $1)); }

# Starts "$name" in the background (own process group), its pid in $RUN/$name.pid.
spawn() {
  local name=$1
  shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# Waits up to $3 s until $2 (a command) succeeds; fails with $1's log otherwise.
wait_for() {
  local name=$1 check=$2 secs=${3:-60}
  for _ in $(seq 1 $((secs * 4))); do
    eval "$check" >/dev/null 2>&1 && return 0
    running "$name" || { echo "$name exited:" >&2; tail -n 30 "$LOGS/$name.log" >&2; return 1; }
    sleep 0.25
  done
  echo "$name not ready after $secs s:" >&2
  tail -n 30 "$LOGS/$name.log" >&2
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# SIGTERM to the processes named after $1, SIGKILL to those still running $1 s later.
stop_all() {
  local grace=$1 name pids=() pid
  shift
  for name in "$@"; do
    [ -f "$RUN/$name.pid" ] || continue
    pids+=("$(cat "$RUN/$name.pid")")
    rm -f "$RUN/$name.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 4))); do kill -0 "${pids[@]}" 2>/dev/null || break; sleep 0.25; done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    # Reaped here (when it is our child), so the shell does not report it as killed.
    wait "$pid" 2>/dev/null || true
  done
}

# PostgreSQL of this cluster: its own data folder and port, owned by `postgres` when we are root
# (initdb refuses root), the socket inside the data folder, password `postgres` over TCP on
# 127.0.0.1 only.
PGDATA_DIR=$DATA/postgres
pg_bin() { echo "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n 1)/bin/$1"; }
pg_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_ctl_cluster() { pg_owner "$(pg_bin pg_ctl)" -D "$PGDATA_DIR" "$@"; }

start_postgres() {
  mkdir -p "$DATA" "$LOGS"
  # Others (postgres, nginx's workers) must reach their folders inside ours.
  chmod 711 "$CLUSTER_DIR" "$DATA"
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    mkdir -p "$PGDATA_DIR"
    printf 'postgres\n' >"$DATA/pg.pw"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$PGDATA_DIR" "$DATA/pg.pw"
    pg_owner "$(pg_bin initdb)" -D "$PGDATA_DIR" -U postgres --pwfile="$DATA/pg.pw" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
      || { cat "$LOGS/initdb.log" >&2; return 1; }
    rm -f "$DATA/pg.pw"
  fi
  touch "$LOGS/postgres.log"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$LOGS/postgres.log"
  pg_ctl_cluster status >/dev/null 2>&1 && return 0
  pg_ctl_cluster -l "$LOGS/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  psql "${PG_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$CLUSTER_DB'" | grep -q 1 \
    || psql -q "${PG_URL%/*}/postgres" -c "CREATE DATABASE $CLUSTER_DB"
}

stop_postgres() {
  [ -f "$PGDATA_DIR/PG_VERSION" ] || return 0
  pg_ctl_cluster status >/dev/null 2>&1 || return 0
  pg_ctl_cluster -m "${1:-fast}" -w -t 60 stop >/dev/null
}

start_weed() {
  ensure_weed
  mkdir -p "$DATA/master" "$DATA/filer"
  running weed-master || spawn weed-master "$WEED" master -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$MASTER_PORT" -mdir="$DATA/master" -defaultReplication=010 -volumeSizeLimitMB=64
  wait_for weed-master "curl -fsS http://127.0.0.1:$MASTER_PORT/cluster/status"
  local v port
  for v in 1 2 3; do
    port=$((B + 100 + v))
    mkdir -p "$DATA/volume$v"
    running "weed-volume$v" || spawn "weed-volume$v" "$WEED" volume -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$port" \
      -dir="$DATA/volume$v" -max=20 -mserver="127.0.0.1:$MASTER_PORT" \
      -dataCenter=dc1 -rack="rack$v"
  done
  for v in 1 2 3; do wait_for "weed-volume$v" "port_open $((B + 100 + v))"; done
  running weed-filer || spawn weed-filer "$WEED" filer -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$FILER_PORT" -master="127.0.0.1:$MASTER_PORT" -defaultStoreDir="$DATA/filer"
  wait_for weed-filer "port_open $FILER_PORT"
  running weed-s3 || spawn weed-s3 "$WEED" s3 -ip.bind=127.0.0.1 -port="$S3_PORT" \
    -port.iceberg=$((B + 181)) -port.lance=$((B + 191)) -filer="127.0.0.1:$FILER_PORT"
  wait_for weed-s3 "port_open $S3_PORT"
  # The gateway may answer before the filer is ready: create (or find) the bucket with retries.
  wait_for weed-s3 "case \$(curl -s -o /dev/null -w '%{http_code}' -X PUT http://127.0.0.1:$S3_PORT/$BUCKET) in 200|409) true;; *) false;; esac"
  # Three volume servers have joined the master (two copies need two racks).
  wait_for weed-master "[ \$(curl -fsS http://127.0.0.1:$MASTER_PORT/dir/status | grep -o '\"Url\"' | wc -l) -ge 3 ]"
}

secrets() {
  mkdir -p "$CLUSTER_DIR"
  if [ ! -f "$CLUSTER_DIR/secrets.env" ]; then
    (umask 077
     printf 'FANGPIN_JWT_SECRET=%s\nFANGPIN_DATA_KEY=%s\nFANGPIN_ADMIN_PASSWORD=%s\n' \
       "$(head -c 32 /dev/urandom | base64)" "$(head -c 32 /dev/urandom | base64)" \
       "${FANGPIN_ADMIN_PASSWORD:-Admin-pass-1}" >"$CLUSTER_DIR/secrets.env")
  fi
}

# The environment every instance shares (and the CLI commands run against the cluster).
instance_env() {
  set -a
  . "$CLUSTER_DIR/secrets.env"
  set +a
  export DATABASE_URL=$PG_URL FANGPIN_STORAGE=s3 FANGPIN_S3_ENDPOINT=http://127.0.0.1:$S3_PORT \
    FANGPIN_S3_BUCKET=$BUCKET FANGPIN_TRUSTED_PROXIES=127.0.0.1 FANGPIN_SHUTDOWN_GRACE_SECS=${FANGPIN_SHUTDOWN_GRACE_SECS:-30} \
    FANGPIN_ACCESS_TOKEN_TTL_SECS=3600 RUST_LOG=${RUST_LOG:-warn,fangpin=info} FANGPIN_DATA_DIR=$DATA/cli
}

start_instance() {
  local i=$1 port
  port=$(instance_port "$i")
  mkdir -p "$DATA/fangpin$i"
  running "fangpin$i" || FANGPIN_BIND=127.0.0.1:$port FANGPIN_DATA_DIR=$DATA/fangpin$i spawn "fangpin$i" "$BIN" serve
  wait_for "fangpin$i" "curl -fsS http://127.0.0.1:$port/readyz"
}

# upstreams.conf with instance $1 (if any) marked down; then nginx reloads (or starts).
nginx_upstreams() {
  local drained=${1:-} i
  : >"$RUN/nginx/upstreams.conf.new"
  for i in "${INSTANCES[@]}"; do
    echo "server 127.0.0.1:$(instance_port "$i") max_fails=2 fail_timeout=5s$([ "$i" = "$drained" ] && echo ' down');" >>"$RUN/nginx/upstreams.conf.new"
  done
  mv "$RUN/nginx/upstreams.conf.new" "$RUN/nginx/upstreams.conf"
}

nginx_cmd() { nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log" "$@"; }

# Reloads nginx and waits until the old worker processes (which may still hold connections to a
# drained instance) have finished their requests and exited.
nginx_reload() {
  local master old
  master=$(cat "$RUN/nginx/nginx.pid")
  old=$(pgrep -P "$master" | tr '\n' ' ')
  nginx_cmd -s reload
  for _ in $(seq 1 120); do
    local alive=0 p
    for p in $old; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.25
  done
  echo "old nginx workers still running after 30 s" >&2
  return 1
}

start_nginx() {
  command -v nginx >/dev/null || ensure_packages nginx:nginx
  mkdir -p "$RUN/nginx"
  local user=""
  # As root, nginx's workers run as nobody: they write request bodies into $RUN/nginx.
  [ "$(id -u)" -ne 0 ] || { user="user nobody nogroup;"; chmod 711 "$CLUSTER_DIR" "$RUN" "$RUN/nginx"; }
  sed -e "s|@DIR@|$RUN/nginx|g" -e "s|@PORT@|$LB_PORT|g" -e "s|@USER@|$user|" deploy/nginx.conf >"$RUN/nginx/nginx.conf"
  nginx_upstreams
  if [ -f "$RUN/nginx/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null; then
    nginx_reload
  else
    nginx_cmd -t -q
    nginx_cmd
  fi
  for _ in $(seq 1 40); do curl -fsS -o /dev/null "http://127.0.0.1:$LB_PORT/readyz" && return 0; sleep 0.25; done
  echo "nginx does not answer on $LB_PORT" >&2
  cat "$RUN/nginx/error.log" >&2
  return 1
}

stop_nginx() {
  [ -f "$RUN/nginx/nginx.pid" ] || return 0
  nginx_cmd -s quit 2>/dev/null || true
  for _ in $(seq 1 40); do [ -f "$RUN/nginx/nginx.pid" ] || break; sleep 0.25; done
}

up() {
  [ -x "$BIN" ] || { log "building $BIN"; cargo build --locked -q; }
  BIN=$(realpath "$BIN")
  ensure_packages nginx:nginx
  mkdir -p "$RUN" "$LOGS" "$DATA"
  log "PostgreSQL on 127.0.0.1:$PG_PORT ($PGDATA_DIR)"
  start_postgres
  secrets
  log "SeaweedFS: master, 3 volume servers (replication 010), filer, S3 gateway on $S3_PORT"
  start_weed
  instance_env
  "$BIN" migrate >/dev/null
  log "fangpin instances on $(for i in "${INSTANCES[@]}"; do printf '%s ' "$(instance_port "$i")"; done)"
  for i in "${INSTANCES[@]}"; do start_instance "$i"; done
  log "nginx on 127.0.0.1:$LB_PORT"
  start_nginx
  echo "cluster up: http://127.0.0.1:$LB_PORT  (admin password in $CLUSTER_DIR/secrets.env, logs in $LOGS)"
}

down() {
  stop_nginx
  # The instances finish their requests (FANGPIN_SHUTDOWN_GRACE_SECS); SeaweedFS may ignore SIGTERM.
  stop_all 40 $(for i in "${INSTANCES[@]}"; do echo "fangpin$i"; done)
  stop_all 3 weed-s3 weed-filer weed-volume1 weed-volume2 weed-volume3 weed-master
  stop_postgres
}

case $CMD in
  up) up ;;
  down) down ;;
  test) . scripts/cluster/test.sh ;;
  *) echo "usage: $0 up|down|test [path/to/fangpin]" >&2; exit 2 ;;
esac
