#!/usr/bin/env bash
# The API document as a phone developer uses it (issue 16): linted by Redocly and Spectral (0
# errors), then two clients generated from it run a real workflow against a live server on a
# temporary SQLite database with the demo county: TypeScript (openapi-typescript + openapi-fetch,
# type-checked with `tsc --noEmit --strict`) and Python (openapi-python-client, which must
# generate every operation). The npm packages are pinned in tests/clients/package-lock.json, the
# Python generator below.
# Usage: scripts/client-test.sh [path/to/fangpin]   (default: target/debug/fangpin)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

GENERATOR="openapi-python-client==0.29.1"
BIN=${1:-target/debug/fangpin}
[ -x "$BIN" ] || cargo build --locked -q
ensure_packages node:nodejs npm:npm
DOC=$PWD/openapi/openapi.json
CLIENTS=$PWD/tests/clients
OUT=$PWD/target/clients
rm -rf "$OUT" && mkdir -p "$OUT"
(cd "$CLIENTS" && npm ci --no-audit --no-fund --silent)

log "Redocly lint"
(cd "$CLIENTS" && npx --no-install redocly lint "$DOC" --format=summary)
log "Spectral lint (oas ruleset)"
(cd "$CLIENTS" && npx --no-install spectral lint "$DOC" --ruleset .spectral.yaml --fail-severity error --display-only-failures)

log "TypeScript client: generate, type-check (strict), build"
(cd "$CLIENTS" && node generate.mjs "$DOC" generated/fangpin.d.ts \
  && npx --no-install tsc --noEmit --strict -p tsconfig.json \
  && rm -rf build && npx --no-install tsc -p tsconfig.json)

log "Python client: generate every operation"
VENV=$PWD/target/venv-clients
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" show openapi-python-client 2>/dev/null | grep -q "^Version: ${GENERATOR#*==}$" \
  || "$VENV/bin/pip" install -q --disable-pip-version-check "$GENERATOR"
"$VENV/bin/openapi-python-client" generate --path "$DOC" --config "$CLIENTS/python/config.yaml" --output-path "$OUT/python" --meta setup --overwrite 2>&1 | tee "$OUT/generate.log"
# The generator says so, and carries on, when it leaves an operation or a schema out.
if grep -Eiq "warning|will not be generated|unable to|could not" "$OUT/generate.log"; then
  echo "openapi-python-client left part of the document out (above)" >&2
  exit 1
fi
"$VENV/bin/pip" install -q --disable-pip-version-check "$OUT/python"

PORT=${CLIENT_TEST_PORT:-18090}
start_demo_server "$BIN" "$PORT"
export FANGPIN_BASE=http://127.0.0.1:$PORT FANGPIN_PHOTO=$PWD/tests/console/fixtures/photo.jpg

status=0
log "TypeScript client: the workflow against $FANGPIN_BASE"
(cd "$CLIENTS" && node build/workflow.js) || status=1
log "Python client: the workflow against $FANGPIN_BASE"
"$VENV/bin/python" "$CLIENTS/python/workflow.py" || status=1
if [ "$status" -ne 0 ]; then
  echo "--- server log (tail)" >&2
  tail -n 40 "$WORK/server.log" >&2
fi
exit $status
