#!/usr/bin/env bash
# The test command (README): on a fresh Debian machine it installs what is missing, starts
# PostgreSQL and SeaweedFS, then runs the whole suite twice: on SQLite + local files and on
# PostgreSQL + SeaweedFS (S3); then the review console in headless Chromium (issue 8), the
# clients generated from the API document (issue 16) and the
# hardening runs of issue 9 (Schemathesis against a live
# server, fault injection on PostgreSQL + SeaweedFS), the province cluster test of issue 22
# (nginx, two instances, replicated SeaweedFS, its own PostgreSQL: rolling restart, faults under
# load, backup and restore), the upgrade from the previous release on both backends (issue 22)
# and the fuzz targets for FUZZ_SECONDS each (default 20). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

ensure_packages
if [ -z "${FANGPIN_TEST_DATABASE_URL:-}" ]; then
  ensure_postgres fangpin_test
  export FANGPIN_TEST_DATABASE_URL=$PG_URL
fi
trap stop_services EXIT
start_seaweedfs
export FANGPIN_TEST_S3_ENDPOINT=$S3_ENDPOINT

log "building tests"
cargo test --no-run --locked -q

log "suite on SQLite + local files"
set +e
env -u FANGPIN_TEST_DATABASE_URL -u FANGPIN_TEST_S3_ENDPOINT cargo test --locked -q 2>&1 | tee target/test-sqlite.log
sqlite_status=${PIPESTATUS[0]}

log "suite on PostgreSQL + SeaweedFS"
cargo test --locked -q 2>&1 | tee target/test-postgres.log
pg_status=${PIPESTATUS[0]}
set -e

if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: sqlite=$sqlite_status postgres=$pg_status" >&2
  exit 1
fi
log "both backends passed"

scripts/check-static.sh target/debug/fangpin

scripts/readme-test.sh target/debug/fangpin
scripts/console-test.sh target/debug/fangpin
scripts/app-test.sh target/debug/fangpin
scripts/client-test.sh target/debug/fangpin
scripts/schemathesis.sh target/debug/fangpin
scripts/faults.sh target/debug/fangpin
scripts/upgrade-test.sh target/debug/fangpin
scripts/cluster.sh test target/debug/fangpin
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
log "all passed"
