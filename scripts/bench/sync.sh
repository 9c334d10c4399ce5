#!/usr/bin/env bash
# Issue 5 benchmark: /sync for a cadre's phone (40 paired households) and a township officer
# (the smallest township of the bench data, about 11 500 households; the goal names 8 000) on
# PostgreSQL with $HOUSEHOLDS households (default 300 000): the full snapshot (all pages) and an
# incremental page after 100 random updates, each beside raw SQL returning the same rows
# (households with their members, this year's record and current pairing) through pgbench.
# Goals: incremental page < 50 ms, snapshot of 8 000 < 2 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
. scripts/bench/lib.sh

HOUSEHOLDS=${HOUSEHOLDS:-300000}
bench_setup fangpin_bench_300k "$HOUSEHOLDS"
bench_serve
TOWNSHIP=$(psql_b -c "SELECT township_code FROM households GROUP BY 1 ORDER BY count(*) ASC LIMIT 1")
export TOWNSHIP PG_URL BASE TOKEN WORK
python3 scripts/bench/sync_driver.py
