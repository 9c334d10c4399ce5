#!/usr/bin/env python3
"""The upgrade test's client (scripts/upgrade-test.sh). Standard library plus Pillow.

  snapshots.py fill BASE TOKEN COUNTY       on the previous release: photos (two households of each
                                         village), a location, a yearly record, cases, problems
                                         found by the rules and by people
  snapshots.py snapshot BASE TOKEN COUNTY OUT.json
                                         every household (GET /households/{id}), its photos (the
                                         metadata and the SHA-256 of the original), locations,
                                         yearly records, the cases and the problem ledger
  snapshots.py compare BEFORE.json AFTER.json
                                         every value the previous release answered is answered the
                                         same by the current one (fields it added are allowed)
"""
import hashlib
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "faults"))
from driver import capture, jpeg, request, upload  # noqa: E402


def call(method, base, token, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    status, _, text, _ = request(method, f"{base}/api/v1{path}", token, data, "application/json" if data else None)
    if status not in (200, 201):
        raise SystemExit(f"{method} {path}: {status} {text[:300]!r}")
    return json.loads(text) if text else None


def pages(base, token, path):
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = call("GET", base, token, f"{path}{sep}limit=200" + (f"&cursor={cursor}" if cursor else ""))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def fill(base, token, county):
    households = pages(base, token, f"/households?division={county}")
    by_village = {}
    for h in households:
        by_village.setdefault(h["village_code"], []).append(h)
    photos = 0
    for i, (village, hh) in enumerate(sorted(by_village.items())):
        for h in hh[:2]:
            status, _, text, _ = upload(base, token, h["id"], str(uuid.uuid4()), jpeg(i * 100 + photos))
            if status != 201:
                raise SystemExit(f"upload: {status} {text[:300]!r}")
            photos += 1
        status, _, text, _ = capture(base, token, hh[0]["id"], str(uuid.uuid4()))
        if status not in (200, 201):
            raise SystemExit(f"capture: {status} {text[:300]!r}")
        record = call("GET", base, token, f"/households/{hh[0]['id']}")
        head = next(m for m in record["members"] if m["relation"] == "head")
        ok = {"ok": True, "reason": None}
        call("PUT", base, token, f"/households/{hh[0]['id']}/years/2025", {
            "income": {"wages": 8000.5, "production": 3000, "production_costs": 1000, "property": 0, "transfers": 1200},
            "members": [{"member_id": head["id"], "education": "junior", "health": "healthy", "disability_grade": None,
                         "in_school": "not_in_school", "labour_skill": "ordinary", "work_status": "local", "months_away": 0}],
            "guarantees": {"food_clothing": ok, "drinking_water": ok, "compulsory_education": ok, "basic_medical": ok, "housing_safety": ok},
            "living": {"housing": "safe", "water": "tap", "electricity": True, "paved_road": True, "broadband": False},
        })
        assisted = [h for h in hh if h["category"] != "ordinary"]
        if assisted:
            call("POST", base, token, "/cases", {"household_id": assisted[-1]["id"], "kind": "removal", "reason": "识别不准，家庭收入稳定"})
        call("POST", base, token, f"/quality/runs?division={village}", {})
        call("POST", base, token, "/quality/problems", {"household_id": hh[0]["id"], "source": "self_check", "category": "inaccurate_data",
                                                        "description": "人口数与户籍不符", "found_on": "2026-11-20"})
    print(f"fill: {len(households)} households in {len(by_village)} villages, {photos} photos, "
          f"{len(by_village)} cases, records and problems", file=sys.stderr)
    return 0


def snapshot(base, token, county, out):
    snap = {"households": {}, "photos": {}, "cases": {}, "problems": {}}
    for h in pages(base, token, f"/households?division={county}"):
        hid = h["id"]
        snap["households"][hid] = {
            "record": call("GET", base, token, f"/households/{hid}"),
            "locations": call("GET", base, token, f"/households/{hid}/locations"),
        }
        status, _, text, _ = request("GET", f"{base}/api/v1/households/{hid}/years/2025", token)
        if status == 200:
            snap["households"][hid]["year_2025"] = json.loads(text)
        for p in pages(base, token, f"/households/{hid}/photos"):
            status, _, body, _ = request("GET", f"{base}/api/v1/photos/{p['id']}/content", token)
            if status != 200:
                raise SystemExit(f"photo {p['id']}: {status}")
            snap["photos"][p["id"]] = {"meta": p, "sha256": hashlib.sha256(body).hexdigest()}
    for c in pages(base, token, f"/cases?division={county}"):
        snap["cases"][c["id"]] = c
    for p in pages(base, token, f"/quality/problems?division={county}"):
        snap["problems"][p["id"]] = p
    json.dump(snap, open(out, "w"), ensure_ascii=False, sort_keys=True)
    print("snapshot: " + ", ".join(f"{len(v)} {k}" for k, v in snap.items()), file=sys.stderr)
    return 0 if snap["households"] and snap["photos"] else 1


def differences(before, after, path, out):
    """Every place where `after` does not answer what `before` did (keys `after` adds are fine)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for k, v in before.items():
            if k not in after:
                out.append(f"{path}.{k}: gone")
            else:
                differences(v, after[k], f"{path}.{k}", out)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            differences(b, a, f"{path}[{i}]", out)
    elif before != after:
        out.append(f"{path}: {json.dumps(before, ensure_ascii=False)[:80]} → {json.dumps(after, ensure_ascii=False)[:80]}")


def compare(before_path, after_path):
    before, after = json.load(open(before_path)), json.load(open(after_path))
    out = []
    for kind in before:
        for key, value in before[kind].items():
            if key not in after.get(kind, {}):
                out.append(f"{kind} {key}: missing after the upgrade")
            else:
                differences(value, after[kind][key], f"{kind} {key}", out)
    counts = ", ".join(f"{len(v)} {k}" for k, v in before.items())
    print(f"compare: {counts}: " + ("identical" if not out else f"{len(out)} differences"), file=sys.stderr)
    for line in out[:30]:
        print("  " + line, file=sys.stderr)
    return 1 if out else 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"fill": fill, "snapshot": snapshot, "compare": compare}[cmd](*args))
