#!/usr/bin/env bash
# Parser fuzzing (issue 9): the cargo-fuzz targets in fuzz/ (ID numbers, the photo header path,
# coordinates, the sync cursor, the household spreadsheet import), each for SECONDS (default 30)
# from the corpus kept in fuzz/corpus/. A crash fails the run and leaves its input in
# fuzz/artifacts/<target>/; add it as a regression test (and to the corpus) before fixing.
# Runs on the stable toolchain without a sanitizer (the targets are safe Rust; what is sought is
# a panic, an overflow or a runaway allocation), so no nightly toolchain is needed. Built in the
# dev profile (debug assertions and overflow checks on, quick to build); the instrumented build
# is kept in $FUZZ_TARGET_DIR (default ~/.cache/fangpin/fuzz-target, outside the checkout, so a
# fresh clone on the same machine reuses it like any CI build cache).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

SECONDS_EACH=${1:-30}
shift || true
command -v cargo-fuzz >/dev/null || { log "installing cargo-fuzz"; cargo install --locked -q cargo-fuzz@0.13.2; }
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fangpin/fuzz-target}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(id_number photo_header coordinates sync_cursor import_rows)
cd fuzz
log "building the fuzz targets"
cargo fuzz build -s none --dev
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log "fuzzing $t for ${SECONDS_EACH} s"
  # -rss_limit_mb: a parser that allocates without bound is a finding too.
  cargo fuzz run -s none --dev "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -max_len=65536 \
    -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::new_units_added|==|SUMMARY|thread|Done)|panicked|ERROR" || true
  if [ -n "$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null)" ]; then
    echo "FUZZ FAILED: $t found an input that breaks it: $(ls "artifacts/$t"/)" >&2
    exit 1
  fi
done
log "fuzzing found nothing"
