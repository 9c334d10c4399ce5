#!/usr/bin/env python3
"""Clients of the cluster test (scripts/cluster.sh test). Standard library plus Pillow.

  driver.py load BASE TOKEN HOUSEHOLDS.txt STOPFILE OUT.json once|retry
      six clients: reads, location captures and photo uploads through the load balancer until
      STOPFILE exists; writes the acknowledged captures and photos to OUT.json (for
      scripts/faults/driver.py verify).
      once: no retries, any answer other than 2xx (or no answer) is a failed request.
      retry: as a phone does, a request that got no answer (connection refused or reset), 502 or
      503 is sent again (the same client_id, the same bytes) until it succeeds, within 90 s;
      any other answer, or a request still failing after 90 s, is a failure
  driver.py merge ACKED.json MORE.json
      appends the list in MORE.json (if it exists) to the one in ACKED.json
  driver.py read-photos BASE TOKEN PG_URL
      every photo the database holds: its original and thumbnail through BASE, 200 and a JPEG
  driver.py slow-upload BASE TOKEN HOUSEHOLD STARTED ACKED.json
      one upload straight to an instance whose body arrives in two halves 2 s apart; touches
      STARTED once the server has taken the request up (100 Continue) and half the body is
      sent; adds the acknowledged photo to ACKED.json (the list `load` wrote)
  driver.py snapshot BASE TOKEN OUT.json
      every household (GET /households/{id}) and the SHA-256 of every photo's original
  driver.py compare BEFORE.json AFTER.json
  driver.py s3-backup ENDPOINT BUCKET PREFIX DIR / s3-restore ENDPOINT BUCKET DIR
      every object under PREFIX copied out through the S3 API (ListObjectsV2, GET) into DIR
      with a manifest of SHA-256s; and back (PUT), checked against the manifest
"""
import hashlib
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
from driver import capture, households, jpeg, multipart, psql, request, upload  # noqa: E402


RETRIABLE = (0, 502, 503)  # no answer (refused, reset), bad gateway, unavailable


def load(base, token, hh_path, stopfile, out, mode):
    hh = households(hh_path)
    lock = threading.Lock()
    counts, failures, acked, errors = {}, [], [], {}
    retried_ok = [0]

    def worker(n):
        rnd = random.Random(n)
        i = 0
        while not os.path.exists(stopfile):
            i += 1
            household = rnd.choice(hh)
            what = ("read", "read", "capture", "photo")[i % 4]
            client_id = str(uuid.uuid4())
            photo = jpeg(uuid.UUID(client_id).int & 0xFFFFFFFFFF) if what == "photo" else None
            deadline = time.monotonic() + 90
            attempts = 0
            while True:
                attempts += 1
                if what == "read":
                    status, _, body, _ = request("GET", f"{base}/api/v1/households/{household}", token, timeout=30)
                elif what == "capture":
                    status, _, body, _ = capture(base, token, household, client_id, timeout=30)
                else:
                    status, _, body, _ = upload(base, token, household, client_id, photo, timeout=60)
                if status in (200, 201) or mode != "retry":
                    break
                with lock:
                    errors[status] = errors.get(status, 0) + 1
                if status not in RETRIABLE or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            with lock:
                counts[what] = counts.get(what, 0) + 1
                if status not in (200, 201):
                    failures.append(f"{what} {household} (attempt {attempts}): {status} {body[:200]!r}")
                else:
                    retried_ok[0] += attempts > 1
                    if what != "read":
                        acked.append({"kind": what, "client_id": client_id, "household": household,
                                      "id": json.loads(body)["id"], "status": status, "attempts": attempts})
            time.sleep(0.02)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump(acked, open(out, "w"))
    print(f"load ({mode}): {sum(counts.values())} requests {counts}, {len(failures)} failed"
          + (f"; retriable answers on the way {errors}, {retried_ok[0]} requests succeeded after a retry"
             if mode == "retry" else ""), file=sys.stderr)
    if mode == "retry" and not errors:
        failures.append("no retriable answer seen: the faults did not reach the clients")
    for f in failures[:20]:
        print("  " + f, file=sys.stderr)
    return 1 if failures or not counts else 0


def merge(acked_path, more_path):
    acked = json.load(open(acked_path))
    if os.path.exists(more_path):
        acked += json.load(open(more_path))
    json.dump(acked, open(acked_path, "w"))
    return 0


def read_photos(base, token, pg_url):
    ids = psql(pg_url, "SELECT id FROM photos ORDER BY id").split()
    failures = []
    for pid in ids:
        for part in ("content", "thumbnail"):
            status, _, body, _ = request("GET", f"{base}/api/v1/photos/{pid}/{part}", token, timeout=30)
            if status != 200 or not body.startswith(b"\xff\xd8"):
                failures.append(f"photo {pid}: {part} answered {status} {body[:120]!r}")
    print(f"read-photos: {len(ids)} photos, original and thumbnail: {len(failures)} unreadable", file=sys.stderr)
    for f in failures[:20]:
        print("  " + f, file=sys.stderr)
    return 1 if failures or not ids else 0


def slow_upload(base, token, household, started, acked_path):
    host, port = urllib.parse.urlparse(base).netloc.split(":")
    meta = {"kind": "door_with_cadre", "taken_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "client_id": str(uuid.uuid4())}
    body, ctype = multipart(meta, jpeg(424242))
    s = socket.create_connection((host, int(port)), timeout=60)
    s.sendall((f"POST /api/v1/households/{household}/photos HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
               "Expect: 100-continue\r\nConnection: close\r\n\r\n").encode())
    interim = s.recv(25)
    if not interim.startswith(b"HTTP/1.1 100"):
        print(f"slow-upload: no 100 Continue: {interim!r}", file=sys.stderr)
        return 1
    half = len(body) // 2
    s.sendall(body[:half])
    open(started, "w").close()
    time.sleep(2)
    s.sendall(body[half:])
    answer = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"slow-upload: {status_line}", file=sys.stderr)
    if not status_line.startswith("HTTP/1.1 201"):
        return 1
    acked = json.load(open(acked_path)) if os.path.exists(acked_path) else []
    acked.append({"kind": "photo", "client_id": meta["client_id"], "household": household,
                  "id": json.loads(answer.split(b"\r\n\r\n", 1)[1])["id"], "status": 201})
    json.dump(acked, open(acked_path, "w"))
    return 0


def get_json(base, token, path):
    status, _, body, _ = request("GET", f"{base}/api/v1{path}", token, timeout=60)
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {body[:200]!r}")
    return json.loads(body)


def snapshot(base, token, out):
    ids, cursor = [], None
    while True:
        page = get_json(base, token, "/households?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        ids += [h["id"] for h in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    snap = {"households": {}, "photos": {}}
    for hid in ids:
        snap["households"][hid] = get_json(base, token, f"/households/{hid}")
        for p in get_json(base, token, f"/households/{hid}/photos")["items"]:
            status, _, body, _ = request("GET", f"{base}/api/v1/photos/{p['id']}/content", token, timeout=60)
            if status != 200:
                raise SystemExit(f"photo {p['id']}: {status}")
            snap["photos"][p["id"]] = hashlib.sha256(body).hexdigest()
    json.dump(snap, open(out, "w"), ensure_ascii=False, sort_keys=True)
    print(f"snapshot: {len(snap['households'])} households, {len(snap['photos'])} photos", file=sys.stderr)
    return 0 if snap["households"] else 1


def compare(before_path, after_path):
    before, after = json.load(open(before_path)), json.load(open(after_path))
    problems = []
    for kind in ("households", "photos"):
        missing = set(before[kind]) - set(after[kind])
        extra = set(after[kind]) - set(before[kind])
        changed = [k for k in set(before[kind]) & set(after[kind]) if before[kind][k] != after[kind][k]]
        if missing or extra or changed:
            problems.append(f"{kind}: {len(missing)} missing, {len(extra)} extra, {len(changed)} differ "
                            f"(e.g. {sorted(missing or extra or changed)[:1]})")
    print(f"compare: {len(before['households'])} households field for field, {len(before['photos'])} photos by "
          f"SHA-256: {'; '.join(problems) or 'identical'}", file=sys.stderr)
    return 1 if problems else 0


NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def s3(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(req, timeout=60) as res:
        return res.read()


def s3_backup(endpoint, bucket, prefix, directory):
    manifest, token = {}, None
    while True:
        q = {"list-type": "2", "prefix": prefix}
        if token:
            q["continuation-token"] = token
        root = ET.fromstring(s3("GET", f"{endpoint}/{bucket}?{urllib.parse.urlencode(q)}"))
        for c in root.iter(f"{NS}Contents"):
            key = c.find(f"{NS}Key").text
            data = s3("GET", f"{endpoint}/{bucket}/{urllib.parse.quote(key)}")
            path = os.path.join(directory, "objects", key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").write(data)
            manifest[key] = hashlib.sha256(data).hexdigest()
        if root.findtext(f"{NS}IsTruncated") != "true":
            break
        token = root.findtext(f"{NS}NextContinuationToken")
    json.dump(manifest, open(os.path.join(directory, "objects.json"), "w"), indent=0, sort_keys=True)
    print(f"s3-backup: {len(manifest)} objects", file=sys.stderr)
    return 0


def s3_restore(endpoint, bucket, directory):
    manifest = json.load(open(os.path.join(directory, "objects.json")))
    for key, digest in manifest.items():
        data = open(os.path.join(directory, "objects", key), "rb").read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"s3-restore: {key} does not match the manifest")
        s3("PUT", f"{endpoint}/{bucket}/{urllib.parse.quote(key)}", data)
        if hashlib.sha256(s3("GET", f"{endpoint}/{bucket}/{urllib.parse.quote(key)}")).hexdigest() != digest:
            raise SystemExit(f"s3-restore: {key} reads back different")
    print(f"s3-restore: {len(manifest)} objects", file=sys.stderr)
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"load": load, "merge": merge, "read-photos": read_photos, "slow-upload": slow_upload, "snapshot": snapshot, "compare": compare,
              "s3-backup": s3_backup, "s3-restore": s3_restore}[cmd](*args))
