#!/usr/bin/env bash
# The README runs as written: its shell blocks are executed verbatim, in order, in a fresh
# folder, against the built binary (`cargo run --release --` stands for it), and each step's
# answer is checked. Usage: scripts/readme-test.sh [path/to/fangpin] (default target/debug/fangpin).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(realpath "${1:-target/debug/fangpin}")
[ -x "$BIN" ] || { echo "readme-test: no binary at $BIN (build it first)" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { pkill -P $$ 2>/dev/null || true; [ -n "${KEEP_README_TEST:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

# The ```sh blocks of the README, each into its own file, with the binary and the port swapped in.
python3 - "$ROOT/README.md" "$WORK" "$BIN" "$PORT" <<'PY'
import re, sys
readme, work, binary, port = sys.argv[1:]
blocks = re.findall(r"```sh\n(.*?)```", open(readme, encoding="utf-8").read(), re.S)
for i, block in enumerate(blocks):
    block = block.replace("cargo run --release --", binary).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    open(f"{work}/block{i}.sh", "w", encoding="utf-8").write(block)
print(f"readme-test: {len(blocks)} shell blocks", file=sys.stderr)
PY

cd "$WORK"
export FANGPIN_BIND="127.0.0.1:$PORT" FANGPIN_STORAGE=local
unset DATABASE_URL FANGPIN_DATA_DIR FANGPIN_CONFIG FANGPIN_ADMIN_PASSWORD

fail() { echo "readme-test: $*" >&2; exit 1; }

# Block 0, the two commands: `serve` with no configuration keeps everything under ./data and
# prints where to log in (the second command is this suite itself, not run again here).
grep -q 'serve' block0.sh && grep -q 'scripts/test.sh' block0.sh || fail "the two commands are not the first block"
mkdir first
(cd first && exec timeout 20 "$BIN" serve >out.txt 2>&1) &
FIRST=$!
for _ in $(seq 1 100); do grep -q 'console' first/out.txt 2>/dev/null && break; sleep 0.2; done
sleep 0.5
grep -q "password: " first/out.txt || fail "serve did not print the generated admin password: $(cat first/out.txt)"
grep -q "/console/" first/out.txt && grep -q "auth/login" first/out.txt || fail "serve did not print where to log in"
[ -f first/data/fangpin.db ] && [ -d first/data/objects ] || fail "serve did not keep its data under ./data"
kill "$FIRST" 2>/dev/null || true
wait "$FIRST" 2>/dev/null || true

# Blocks 1 and 2 in one shell, as a reader pastes them one after the other.
# (the server the first block starts in the background is stopped when the shell ends)
{ echo 'trap '"'"'kill $(jobs -p) 2>/dev/null || true'"'"' EXIT'; cat block1.sh block2.sh; } > walkthrough.sh
bash -euo pipefail walkthrough.sh >walk.out 2>walk.err || { cat walk.out walk.err >&2; fail "a README command failed"; }
python3 - walk.out <<'PY' || { cat walk.out >&2; exit 1; }
import json, sys
out = open(sys.argv[1], encoding="utf-8").read()
# Every JSON answer printed by the walk-through (serve's own lines are text around them).
dec, i, answers = json.JSONDecoder(), 0, []
while i < len(out):
    starts = [k for k in (out.find("{", i), out.find("[", i)) if k >= 0]
    if not starts:
        break
    j = min(starts)
    try:
        value, end = dec.raw_decode(out, j)
        answers.append(value)
        i = end
    except ValueError:
        i = j + 1
def first(pred, what):
    found = next((a for a in answers if pred(a)), None)
    if found is None:
        sys.exit(f"readme-test: no {what} in the answers: {out[:3000]}")
    return found
households = first(lambda a: isinstance(a, dict) and "items" in a and "next_cursor" in a and "tombstones" not in a, "households page")
if len(households["items"]) != 2 or any(h["township_code"] != "610831101000" for h in households["items"]):
    sys.exit("readme-test: the households page of 610831101000 with limit=2 is wrong")
townships = first(lambda a: isinstance(a, list) and a and all(isinstance(d, dict) and d.get("parent_code") == "610831000000" for d in a), "list of the county's townships")
pairing = first(lambda a: isinstance(a, dict) and {"cadre_id", "household_id", "start_date"} <= a.keys(), "pairing")
sync = first(lambda a: isinstance(a, dict) and "tombstones" in a, "sync answer")
if [h["id"] for h in sync["items"]] != [pairing["household_id"]]:
    sys.exit("readme-test: the cadre's first sync does not hold exactly the paired household")
print(f"readme-test: {len(answers)} answers checked", file=sys.stderr)
PY
echo "readme-test: 3 passed, 0 failed"
