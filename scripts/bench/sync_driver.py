"""Driver of scripts/bench/sync.sh: sets up the bench users, cadre and pairings (idempotent),
times /sync against raw SQL of the same rows (pgbench, same run) and prints the ratios."""

import json
import os
import random
import statistics
import subprocess
import time
import urllib.error
import urllib.request

BASE, TOKEN, PG, TOWNSHIP, WORK = (os.environ[k] for k in ("BASE", "TOKEN", "PG_URL", "TOWNSHIP", "WORK"))
PASSWORD = "Bench-user-pass-1"
YEAR = time.localtime().tm_year


def call(method, path, body=None, token=TOKEN, headers=None):
    req = urllib.request.Request(BASE + "/api/v1" + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def psql(sql):
    return subprocess.run(["psql", PG, "-qAtX", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def login(username):
    status, body, _ = call("POST", "/auth/login", {"username": username, "password": PASSWORD}, token=None)
    assert status == 200, body
    return body["access_token"]


def ensure_user(username, role, jurisdiction):
    status, body, _ = call("POST", "/users", {"username": username, "password": PASSWORD, "display_name": username, "role": role, "jurisdiction": jurisdiction})
    assert status in (201, 409), body
    return psql(f"SELECT id FROM users WHERE username = '{username}'")


township_user = ensure_user("bench-township", "township_reviewer", TOWNSHIP)
cadre_user = ensure_user("bench-cadre", "cadre", TOWNSHIP)
cadre_id = psql(f"SELECT id FROM cadres WHERE user_id = '{cadre_user}'")
if not cadre_id:
    status, body, _ = call("POST", "/cadres", {"name": "刘帮扶", "work_unit": "子洲县农业农村局", "user_id": cadre_user})
    assert status == 201, body
    cadre_id = body["id"]
paired = int(psql(f"SELECT count(*) FROM pairings WHERE cadre_id = '{cadre_id}' AND end_date IS NULL"))
if paired < 40:
    free = psql(f"""SELECT id FROM households h WHERE township_code = '{TOWNSHIP}'
        AND NOT EXISTS (SELECT 1 FROM pairings p WHERE p.household_id = h.id AND p.end_date IS NULL)
        ORDER BY id LIMIT {40 - paired}""").split()
    for hid in free:
        status, body, _ = call("POST", "/pairings", {"cadre_id": cadre_id, "household_id": hid, "start_date": f"{YEAR}-01-15"})
        assert status == 201, body
township_token, cadre_token = login("bench-township"), login("bench-cadre")


def snapshot(token, limit=1000):
    """Every page from no cursor; returns (seconds, households, final cursor)."""
    started, cursor, n = time.perf_counter(), None, 0
    while True:
        path = f"/sync?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, page, _ = call("GET", path, token=token)
        assert status == 200, page
        n += len(page["items"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return time.perf_counter() - started, n, cursor


def page_ms(token, cursor, runs=15):
    times, n = [], 0
    for i in range(runs + 1):
        started = time.perf_counter()
        status, page, _ = call("GET", f"/sync?limit=500&cursor={cursor}", token=token)
        assert status == 200, page
        if i:
            times.append((time.perf_counter() - started) * 1000)
        n = len(page["items"])
    return statistics.median(times), n


def sql_ms(sql, runs=15):
    path = os.path.join(WORK, "q.sql")
    with open(path, "w") as f:
        f.write(sql)
    subprocess.run(["pgbench", "-n", "-c", "1", "-t", "1", "-f", path, PG], check=True, capture_output=True)
    out = subprocess.run(["pgbench", "-n", "-c", "1", "-t", str(runs), "-f", path, PG], check=True, capture_output=True, text=True).stdout
    return float(next(line.split()[3] for line in out.splitlines() if "latency average" in line))


def rows_sql(where):
    return f"""SELECT h.*,
  (SELECT json_agg(m ORDER BY m.created_at) FROM members m WHERE m.household_id = h.id AND m.removed_at IS NULL),
  (SELECT row_to_json(y) FROM yearly_records y WHERE y.household_id = h.id AND y.year = {YEAR}),
  (SELECT row_to_json(p) FROM pairings p JOIN cadres c ON c.id = p.cadre_id WHERE p.household_id = h.id AND p.end_date IS NULL)
FROM households h WHERE {where} ORDER BY h.sync_seq, h.id;"""


township_where = f"h.township_code = '{TOWNSHIP}'"
cadre_where = f"h.id IN (SELECT p.household_id FROM pairings p JOIN cadres c ON c.id = p.cadre_id WHERE c.user_id = '{cadre_user}' AND p.end_date IS NULL)"

snapshot(township_token)  # warm-up
town_runs = [snapshot(township_token) for _ in range(3)]
town_s = statistics.median(r[0] for r in town_runs)
town_n, town_cursor = town_runs[-1][1], town_runs[-1][2]
cadre_runs = [snapshot(cadre_token) for _ in range(10)]
cadre_s = statistics.median(r[0] for r in cadre_runs)
cadre_n, cadre_cursor = cadre_runs[-1][1], cadre_runs[-1][2]
seq_before = psql("SELECT pg_current_xact_id()::text::bigint + value FROM sync_counter")
raw_town = sql_ms(rows_sql(township_where), 5)
raw_cadre = sql_ms(rows_sql(cadre_where))

# 100 random updates: 95 households of the township, 5 of the cadre's.
rng = random.Random(5)
town_ids = psql(f"SELECT id FROM households WHERE township_code = '{TOWNSHIP}'").split()
cadre_ids = psql(f"SELECT household_id FROM pairings WHERE cadre_id = '{cadre_id}' AND end_date IS NULL").split()
targets = rng.sample(town_ids, 95) + rng.sample(cadre_ids, 5)
for n, hid in enumerate(targets):
    status, h, headers = call("GET", f"/households/{hid}")
    status, body, _ = call("PATCH", f"/households/{hid}", {"address": f"bench update {time.time_ns()} {n}"}, headers={"If-Match": headers["ETag"]})
    assert status == 200, body

inc_town_ms, inc_town_n = page_ms(township_token, town_cursor)
inc_cadre_ms, inc_cadre_n = page_ms(cadre_token, cadre_cursor)
raw_inc_town = sql_ms(rows_sql(f"{township_where} AND h.sync_seq > {seq_before}"))
raw_inc_cadre = sql_ms(rows_sql(f"{cadre_where} AND h.sync_seq > {seq_before}"))

print()
print(f"{'/sync (median)':<58} {'API ms':>9} {'raw SQL ms':>11} {'ratio':>6}")
for label, api, raw in [
    (f"township snapshot, {town_n} households, pages of 1000", town_s * 1000, raw_town),
    (f"cadre snapshot, {cadre_n} households", cadre_s * 1000, raw_cadre),
    (f"township incremental page after 100 updates ({inc_town_n} items)", inc_town_ms, raw_inc_town),
    (f"cadre incremental page after 100 updates ({inc_cadre_n} items)", inc_cadre_ms, raw_inc_cadre),
]:
    print(f"{label:<58} {api:>9.1f} {raw:>11.1f} {api / raw:>6.2f}")
print(f"\nsnapshot time per 8 000 households: {town_s / town_n * 8000 * 1000:.0f} ms")
