#!/usr/bin/env python3
"""Clients of the fault-injection run (scripts/faults.sh): phones that retry, readers that
measure, uploaders during an object-store outage. Standard library plus Pillow for the JPEGs.

  driver.py crash      BASE TOKEN HOUSEHOLDS.txt OUT.json   200 uploads + 200 captures, retried
                                                            with the same client_id until answered
  driver.py verify     BASE TOKEN OUT.json PG_URL SINCE     every acknowledged write once, readable
  driver.py pg-outage  BASE TOKEN HOUSEHOLDS.txt SECONDS    readers and writers through a restart
  driver.py s3-outage  BASE TOKEN HOUSEHOLDS.txt MARKER PG_URL    uploads while the store is down,
                                                            until 8 s after MARKER exists
Progress goes to stderr; `crash` writes the number of acknowledged writes to OUT.json.progress.
"""
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

KINDS = ["door_with_cadre", "stove_with_cadre", "hall_with_cadre", "bedroom_with_cadre", "family_at_door"]


def jpeg(seed, size=(480, 360), quality=85):
    rnd = random.Random(seed)
    img = Image.new("RGB", size, (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    px = img.load()
    for _ in range(400):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        px[x, y] = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def request(method, url, token, body=None, content_type=None, timeout=60):
    """(status, headers, body bytes, seconds); status 0 for a connection failure."""
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if content_type:
        req.add_header("Content-Type", content_type)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, dict(res.headers), res.read(), time.monotonic() - started
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read(), time.monotonic() - started
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, {}, b"", time.monotonic() - started


def multipart(meta, photo):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'.encode()
        + json.dumps(meta).encode() + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + photo + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(base, token, household, client_id, photo, timeout=60):
    meta = {"kind": random.choice(KINDS), "taken_at": now_rfc3339(), "client_id": client_id}
    body, ctype = multipart(meta, photo)
    return request("POST", f"{base}/api/v1/households/{household}/photos", token, body, ctype, timeout)


def capture(base, token, household, client_id, timeout=60):
    body = json.dumps({
        "lat": 37.61 + random.uniform(-0.01, 0.01), "lon": 110.03 + random.uniform(-0.01, 0.01),
        "accuracy_m": 8.0, "captured_at": now_rfc3339(), "source": "gps", "client_id": client_id,
    }).encode()
    return request("POST", f"{base}/api/v1/households/{household}/locations", token, body, "application/json", timeout)


def households(path):
    return [line.strip() for line in open(path) if line.strip()]


def psql(pg_url, sql):
    return subprocess.run(["psql", pg_url, "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()


def crash(base, token, hh_path, out):
    hh = households(hh_path)
    tasks = [("photo", str(uuid.uuid4()), hh[i % len(hh)], i) for i in range(200)]
    tasks += [("capture", str(uuid.uuid4()), hh[i % len(hh)], i) for i in range(200)]
    random.Random(9).shuffle(tasks)
    photos = {t[1]: jpeg(t[3]) for t in tasks if t[0] == "photo"}
    acked, lock, deadline = [], threading.Lock(), time.monotonic() + 300

    def run(task):
        kind, client_id, household, _ = task
        attempts = 0
        while time.monotonic() < deadline:
            attempts += 1
            if kind == "photo":
                status, _, body, _ = upload(base, token, household, client_id, photos[client_id])
            else:
                status, _, body, _ = capture(base, token, household, client_id)
            if status in (200, 201):
                with lock:
                    acked.append({"kind": kind, "client_id": client_id, "household": household,
                                  "id": json.loads(body)["id"], "status": status, "attempts": attempts})
                    with open(out + ".progress.tmp", "w") as f:
                        f.write(str(len(acked)))
                    os.replace(out + ".progress.tmp", out + ".progress")
                return None
            if status in (0, 409, 502, 503, 504):  # no answer, still running, or down: retry
                time.sleep(0.3)
                continue
            return f"{kind} {client_id}: unexpected {status} {body[:300]!r}"
        return f"{kind} {client_id}: no answer before the deadline"

    with ThreadPoolExecutor(16) as pool:
        errors = [e for e in pool.map(run, tasks) if e]
    json.dump(acked, open(out, "w"))
    retried = sum(1 for a in acked if a["attempts"] > 1)
    replays = sum(1 for a in acked if a["status"] == 200)
    print(f"crash: {len(acked)} acknowledged ({retried} after retries, {replays} answered as replays)", file=sys.stderr)
    for e in errors[:20]:
        print("  " + e, file=sys.stderr)
    return 1 if errors or len(acked) != len(tasks) else 0


def verify(base, token, out, pg_url, since):
    """Rows written since `since` (naive UTC, as stored) against what was acknowledged."""
    acked = json.load(open(out))
    failures = []
    for kind, table in (("photo", "photos"), ("capture", "locations")):
        mine = [a for a in acked if a["kind"] == kind]
        ids = {a["client_id"]: a["id"] for a in mine}
        rows = psql(pg_url, f"SELECT client_id || ' ' || id FROM {table} WHERE client_id IS NOT NULL AND created_at >= '{since}'")
        stored = {}
        for line in rows.splitlines():
            cid, rid = line.split(" ")
            stored.setdefault(cid, []).append(rid)
        for cid, rid in ids.items():
            if stored.get(cid) != [rid]:
                failures.append(f"{kind} {cid}: acknowledged as {rid}, stored as {stored.get(cid)}")
        extra = set(stored) - set(ids)
        if extra:
            failures.append(f"{len(extra)} {table} rows nobody was told about: {sorted(extra)[:3]}")
        print(f"verify: {len(mine)} {kind}s acknowledged, {sum(len(v) for v in stored.values())} rows", file=sys.stderr)
    for a in (a for a in acked if a["kind"] == "photo"):
        for part in ("content", "thumbnail"):
            status, _, body, _ = request("GET", f"{base}/api/v1/photos/{a['id']}/{part}", token)
            if status != 200 or not body.startswith(b"\xff\xd8"):
                failures.append(f"photo {a['id']}: {part} answered {status}")
    for f in failures[:20]:
        print("  " + f, file=sys.stderr)
    return 1 if failures else 0


def pg_outage(base, token, hh_path, seconds):
    hh = households(hh_path)
    results, lock, stop = [], threading.Lock(), time.monotonic() + seconds

    def loop(worker):
        while time.monotonic() < stop:
            if worker % 4 == 3:
                status, headers, body, took = capture(base, token, random.choice(hh), str(uuid.uuid4()), timeout=30)
            else:
                status, headers, body, took = request("GET", f"{base}/api/v1/households?limit=20", token, timeout=30)
            with lock:
                results.append((time.monotonic(), status, "Retry-After" in headers or "retry-after" in headers, took, body[:200]))
            time.sleep(0.05)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(loop, range(8)))
    results.sort()
    by_status = {}
    for r in results:
        by_status[r[1]] = by_status.get(r[1], 0) + 1
    slowest = max(r[3] for r in results)
    bad = [r for r in results if r[1] not in (200, 201, 503)]
    no_retry_after = [r for r in results if r[1] == 503 and not r[2]]
    tail = [r for r in results if r[0] > stop - 3]
    print(f"pg-outage: {len(results)} requests {by_status}, slowest {slowest:.2f} s", file=sys.stderr)
    failures = []
    if bad:
        failures.append(f"{len(bad)} answers other than 200/201/503, e.g. {bad[0][1]} {bad[0][4]!r}")
    if no_retry_after:
        failures.append(f"{len(no_retry_after)} 503 without Retry-After")
    if by_status.get(503, 0) == 0:
        failures.append("no 503 seen: the outage did not reach the service")
    if slowest > 10:
        failures.append(f"a request hung {slowest:.1f} s (limit 10 s)")
    if not tail or any(r[1] not in (200, 201) for r in tail):
        failures.append("not recovered by itself in the last 3 s")
    for f in failures:
        print("  " + f, file=sys.stderr)
    return 1 if failures else 0


def s3_outage(base, token, hh_path, back_marker, pg_url):
    """Uploads and metadata reads until 8 s after `back_marker` exists (the store is back)."""
    hh = households(hh_path)
    uploads, reads, lock = [], [], threading.Lock()
    started, stop, back = time.monotonic(), [time.monotonic() + 180], [None]
    photo = jpeg(1)

    def watch():
        while time.monotonic() < stop[0]:
            if os.path.exists(back_marker):
                back[0] = time.monotonic()
                stop[0] = back[0] + 8
                return
            time.sleep(0.1)
    threading.Thread(target=watch, daemon=True).start()

    def uploader(_):
        n = 0
        while time.monotonic() < stop[0]:
            n += 1
            cid = str(uuid.uuid4())
            # Each upload differs (COM segment) so none is an exact duplicate of another.
            body = photo[:2] + b"\xff\xfe" + (len(cid) + 2).to_bytes(2, "big") + cid.encode() + photo[2:]
            status, headers, text, took = upload(base, token, random.choice(hh), cid, body, timeout=30)
            with lock:
                uploads.append((time.monotonic(), status, cid, took, text[:200]))
            time.sleep(0.1)

    def reader(_):
        while time.monotonic() < stop[0]:
            status, _, text, took = request("GET", f"{base}/api/v1/households/{random.choice(hh)}/photos", token, timeout=30)
            with lock:
                reads.append((time.monotonic(), status, took, text[:200]))
            time.sleep(0.1)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: uploader(i) if i < 4 else reader(i), range(6)))
    uploads.sort()
    by_status = {}
    for u in uploads:
        by_status[u[1]] = by_status.get(u[1], 0) + 1
    print(f"s3-outage: {len(uploads)} uploads {by_status}, {len(reads)} metadata reads "
          f"({sum(1 for r in reads if r[1] == 200)} answered 200), slowest upload {max(u[3] for u in uploads):.2f} s", file=sys.stderr)
    failures = []
    bad = [u for u in uploads if u[1] not in (201, 503)]
    if bad:
        failures.append(f"{len(bad)} uploads answered other than 201/503, e.g. {bad[0][1]} {bad[0][4]!r}")
    refused = [u[2] for u in uploads if u[1] == 503]
    if not refused:
        failures.append("no upload got 503: the outage did not reach the service")
    else:
        quoted = ",".join(f"'{c}'" for c in refused)
        rows = psql(pg_url, f"SELECT count(*) FROM photos WHERE client_id IN ({quoted})")
        if rows != "0":
            failures.append(f"{rows} photo rows for uploads that were answered 503")
    if any(r[1] != 200 for r in reads):
        failures.append(f"metadata reads failed during the outage: {[(r[1], r[3][:120]) for r in reads if r[1] != 200][:5]}")
    if back[0] is None:
        failures.append("the object store did not come back")
    else:
        tail = [u for u in uploads if u[0] > stop[0] - 4]
        first_ok = next((u[0] for u in uploads if u[0] > back[0] and u[1] == 201), None)
        if first_ok is not None:
            print(f"s3-outage: uploads succeed again {first_ok - back[0]:.1f} s after the store answers", file=sys.stderr)
        if not tail or any(u[1] != 201 for u in tail):
            failures.append(f"uploads did not recover without a restart: {[u[1] for u in tail]}")
    for f in failures:
        print("  " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "crash":
        sys.exit(crash(*args))
    if cmd == "verify":
        sys.exit(verify(*args))
    if cmd == "pg-outage":
        sys.exit(pg_outage(args[0], args[1], args[2], float(args[3])))
    if cmd == "s3-outage":
        sys.exit(s3_outage(*args))
    sys.exit(f"unknown command {cmd}")
