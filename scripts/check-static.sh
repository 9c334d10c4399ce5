#!/usr/bin/env bash
# Issue 15: the binary builds with nothing but the Rust toolchain and a C compiler, and links no
# system library beyond the C runtime. SQLite, libpq (with OpenSSL for its TLS) and the JPEG
# decoder (libjpeg-turbo's, vendored by mozjpeg-sys) are compiled from source by cargo.
#
# 1. Builds the release binary with pkg-config pointed at an empty search path, so no -sys
#    crate can find (and link) a system library through it: a crate that needed one fails here.
# 2. Fails if `ldd` of the binary lists libpq, libjpeg/libturbojpeg or libssl/libcrypto, or any
#    other shared library beyond the C runtime (glibc, the loader, libgcc_s).
#
# Usage: scripts/check-static.sh [BINARY]   (a BINARY given is checked as it is, nothing built)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

BIN=${1:-}
if [ -z "$BIN" ]; then
  log "building the release binary without system libraries (pkg-config finds nothing)"
  # The variables are seen by the build scripts that ask pkg-config; cargo rebuilds only those.
  PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_SYSROOT_DIR=/nonexistent \
    cargo build --release --locked -q
  BIN=target/release/fangpin
fi
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }

log "shared libraries of $BIN"
libs=$(ldd "$BIN")
echo "$libs"
# The class, not only the named cases: anything beyond the C runtime (glibc's libraries, the
# vDSO, the loader and libgcc_s for unwinding) is a system library a fresh machine may lack.
named=$(echo "$libs" | grep -E '^\s*(libpq|libjpeg|libturbojpeg|libssl|libcrypto)[.-]' || true)
other=$(echo "$libs" | grep -vE '^\s*(linux-vdso\.so|/lib(64)?/ld-linux|ld-linux|libc\.so|libm\.so|libgcc_s\.so|libpthread\.so|libdl\.so|librt\.so|libutil\.so|libresolv\.so|libanl\.so)' || true)
if [ -n "$named$other" ]; then
  echo "FAILED: $BIN links system libraries; they must be compiled in (a bundled or vendored feature):" >&2
  printf '%s\n' "$named" "$other" | grep . | sort -u >&2
  exit 1
fi
log "links only the C runtime: no system libpq, libjpeg/libturbojpeg, libssl or libcrypto"
