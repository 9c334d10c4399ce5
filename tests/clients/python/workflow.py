"""A phone developer's workflow through the Python client that openapi-python-client generates
from openapi/openapi.json (issue 16): no hand-written HTTP, every call and model from the
generated package `fangpin_client`. Run by scripts/client-test.sh against a live server
(FANGPIN_BASE, FANGPIN_ADMIN_PASSWORD, FANGPIN_PHOTO)."""

import datetime
import hashlib
import io
import os
import random
import uuid

from fangpin_client import AuthenticatedClient, Client
from fangpin_client.api.assistance import create_cadre, create_pairing
from fangpin_client.api.auth import create_user, login
from fangpin_client.api.households import create_household, get_household, update_household
from fangpin_client.api.locations import capture_location, get_coverage
from fangpin_client.api.photos import get_photo_content, upload_photo
from fangpin_client.api.quality import export_problems_csv, export_problems_xlsx, run_quality_rules
from fangpin_client.api.sync import sync_changes
from fangpin_client.api.households import list_households
from fangpin_client.models import (
    CadreBody,
    CaptureBody,
    CaptureBodySource,
    Category,
    CreateHouseholdBody,
    CreateUserBody,
    Crs,
    LoginBody,
    MemberBody,
    PairingBody,
    PhotoKind,
    PhotoMeta,
    PhotoUpload,
    Problem,
    Relation,
    Role,
    UpdateHouseholdBody,
)
from fangpin_client.types import File

BASE = os.environ.get("FANGPIN_BASE", "http://127.0.0.1:8080")
PHOTO = open(os.environ.get("FANGPIN_PHOTO", "tests/console/fixtures/photo.jpg"), "rb").read()
NOW = datetime.datetime.now(datetime.timezone.utc)


def id_number(n: int) -> str:
    """The n-th valid ID number 身份证号 of a person born in 2002 in 子洲县 (GB 11643)."""
    body = f"610831{20020301 + n % 28}{100 + n % 900:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def session(username: str, password: str) -> AuthenticatedClient:
    answer = login.sync_detailed(client=Client(base_url=BASE), body=LoginBody(username=username, password=password))
    assert answer.status_code == 200, answer.content
    return AuthenticatedClient(base_url=BASE, token=answer.parsed.access_token)


admin = session("admin", os.environ["FANGPIN_ADMIN_PASSWORD"])
run = random.randrange(1000)

# A list, paged with its cursor.
first = list_households.sync(client=admin, limit=2)
assert len(first.items) == 2 and first.next_cursor
second = list_households.sync(client=admin, limit=2, cursor=first.next_cursor)
assert second.items[0].id != first.items[0].id
village = first.items[0].village_code

# A household created, read with its ETag, changed with If-Match.
created = create_household.sync_detailed(
    client=admin,
    idempotency_key=str(uuid.uuid4()),
    body=CreateHouseholdBody(
        village_code=village,
        category=Category.MONITORED_MARGINAL,
        origin="2025年监测对象数据迁移",
        address="三组 12 号",
        client_id=str(uuid.uuid4()),
        members=[
            MemberBody(name="张建军", id_number=id_number(run), relation=Relation.HEAD),
            MemberBody(name="李桂花", id_number=id_number(run + 1).lower(), relation=Relation.SPOUSE),
        ],
    ),
)
assert created.status_code == 201, created.content
household = created.parsed
assert created.headers["Location"] == f"/api/v1/households/{household.id}"

read = get_household.sync_detailed(household.id, client=admin)
etag = read.headers["ETag"]
changed = update_household.sync(household.id, client=admin, if_match=etag, body=UpdateHouseholdBody(address="三组 14 号"))
assert changed.address == "三组 14 号", changed
stale = update_household.sync_detailed(household.id, client=admin, if_match=etag, body=UpdateHouseholdBody(address="三组 16 号"))
assert stale.status_code == 412 and isinstance(stale.parsed, Problem)

# An error body, parsed as a problem document.
refused = create_household.sync_detailed(
    client=admin,
    body=CreateHouseholdBody(
        village_code=village,
        category=Category.ORDINARY,
        members=[MemberBody(name="王五", id_number="610831198001011234", relation=Relation.HEAD)],
    ),
)
assert refused.status_code == 422 and isinstance(refused.parsed, Problem)
assert refused.parsed.status == 422 and refused.parsed.code
assert any(e.field.endswith("id_number") for e in refused.parsed.errors), refused.parsed

# A home captured on a phone whose map gives GCJ-02 (Amap): stored as WGS-84.
capture = capture_location.sync(
    household.id,
    client=admin,
    body=CaptureBody(
        lat=37.6135, lon=110.0391, crs=Crs.GCJ02, accuracy_m=6, captured_at=NOW,
        source=CaptureBodySource.GPS, client_id=str(uuid.uuid4()),
    ),
)
assert capture.original.crs == Crs.GCJ02 and abs(capture.wgs84.lat - 37.6135) > 1e-4, capture
assert get_coverage.sync(client=admin, division=village).division.located >= 1

# A photo uploaded as multipart (meta JSON first, then the JPEG), then downloaded as bytes.
meta = PhotoMeta(kind=PhotoKind.DOOR_WITH_CADRE, taken_at=NOW, client_id=str(uuid.uuid4()))
uploaded = upload_photo.sync_detailed(
    household.id,
    client=admin,
    body=PhotoUpload(meta=meta, file=File(payload=io.BytesIO(PHOTO), file_name="door.jpg", mime_type="image/jpeg")),
)
assert uploaded.status_code == 201, uploaded.content
sha = hashlib.sha256(PHOTO).hexdigest()
assert uploaded.parsed.sha256 == sha
original = get_photo_content.sync(uploaded.parsed.id, client=admin)
assert hashlib.sha256(original.payload.read()).hexdigest() == sha, "the original comes back byte for byte"

# An export: the problem ledger as a workbook.
assert run_quality_rules.sync_detailed(client=admin, division=village).status_code == 200
ledger = export_problems_xlsx.sync(client=admin, division=village)
assert ledger.payload.read(2) == b"PK"
csv = export_problems_csv.sync_detailed(client=admin, division=village)
assert "户编号" in csv.content.decode("utf-8-sig"), csv.content[:200]

# A cadre: a user, the cadre record linked to it, a pairing; then the cadre's phone syncs.
username = f"py-cadre-{run}-{uuid.uuid4().hex[:6]}"
user = create_user.sync(
    client=admin,
    body=CreateUserBody(username=username, password="Cadre-pass-1", display_name="李帮扶", role=Role.CADRE, jurisdiction=village),
)
cadre = create_cadre.sync(client=admin, body=CadreBody(name="李帮扶", work_unit="子洲县乡村振兴局", user_id=user.id))
pairing = create_pairing.sync(client=admin, body=PairingBody(cadre_id=cadre.id, household_id=household.id, start_date=NOW.date()))
assert pairing.household_id == household.id, pairing

phone = session(username, "Cadre-pass-1")
feed = sync_changes.sync(client=phone)
mine = [h for h in feed.items if h.id == household.id]
assert mine and len(mine[0].members) == 2, feed
assert sync_changes.sync(client=phone, cursor=feed.next_cursor).items == []

print("Python client: workflow passed")
