// A phone developer's workflow through the client generated from openapi/openapi.json by
// openapi-typescript + openapi-fetch (issue 16): no hand-written HTTP, every call typed by the
// document. Type-checked with `tsc --strict`, then run against a live server by
// scripts/client-test.sh (FANGPIN_BASE, FANGPIN_ADMIN_PASSWORD, FANGPIN_PHOTO).
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./generated/fangpin.js";

type Schemas = components["schemas"];

const base = process.env.FANGPIN_BASE ?? "http://127.0.0.1:8080";
const adminPassword = process.env.FANGPIN_ADMIN_PASSWORD ?? "";
const photo = readFileSync(process.env.FANGPIN_PHOTO ?? "../console/fixtures/photo.jpg");

/** A client that sends `token` as its bearer. */
function clientWith(token?: string) {
  const client = createClient<paths>({ baseUrl: base });
  if (token) {
    const auth: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}

/** The n-th valid ID number 身份证号 of a person born in 2001 in 子洲县 (GB 11643 check digit). */
function idNumber(n: number): string {
  const body = `610831${20010201 + (n % 28)}${String(100 + (n % 900)).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (weights[i] ?? 0), 0);
  return body + "10X98765432"[sum % 11];
}

async function login(username: string, password: string): Promise<Schemas["TokenView"]> {
  const { data, error } = await clientWith().POST("/api/v1/auth/login", { body: { username, password } });
  assert.ok(data, `login ${username}: ${JSON.stringify(error)}`);
  return data;
}

const admin = clientWith((await login("admin", adminPassword)).access_token);
const run = Date.now() % 1000;

// A list, paged with its cursor.
const first = await admin.GET("/api/v1/households", { params: { query: { limit: 2 } } });
assert.ok(first.data && first.data.items.length === 2 && first.data.next_cursor, "first page");
const second = await admin.GET("/api/v1/households", { params: { query: { limit: 2, cursor: first.data.next_cursor } } });
assert.ok(second.data && second.data.items[0]?.id !== first.data.items[0]?.id, "second page");
const village = first.data.items[0]!.village_code;

// A household created, read with its ETag, changed with If-Match.
const created = await admin.POST("/api/v1/households", {
  params: { header: { "Idempotency-Key": randomUUID() } },
  body: {
    village_code: village,
    category: "monitored_marginal",
    origin: "2025年监测对象数据迁移",
    address: "三组 12 号",
    client_id: randomUUID(),
    members: [
      { name: "张建军", id_number: idNumber(run), relation: "head" },
      { name: "李桂花", id_number: idNumber(run + 1).toLowerCase(), relation: "spouse" },
    ],
  },
});
assert.equal(created.response.status, 201, JSON.stringify(created.error));
const household: Schemas["HouseholdView"] = created.data!;
assert.equal(created.response.headers.get("Location"), `/api/v1/households/${household.id}`);

const read = await admin.GET("/api/v1/households/{id}", { params: { path: { id: household.id } } });
const etag = read.response.headers.get("ETag");
assert.ok(read.data && etag, "read with an ETag");
const changed = await admin.PATCH("/api/v1/households/{id}", {
  params: { path: { id: household.id }, header: { "If-Match": etag } },
  body: { address: "三组 14 号" },
});
assert.equal(changed.data?.address, "三组 14 号");
const stale = await admin.PATCH("/api/v1/households/{id}", {
  params: { path: { id: household.id }, header: { "If-Match": etag } },
  body: { address: "三组 16 号" },
});
assert.equal(stale.response.status, 412, "a stale ETag is refused");

// An error body, typed as a problem document.
const refused = await admin.POST("/api/v1/households", {
  body: { village_code: village, category: "ordinary", members: [{ name: "王五", id_number: "610831198001011234", relation: "head" }] },
});
const problem: Schemas["Problem"] | undefined = refused.error;
assert.equal(refused.response.status, 422);
assert.equal(problem?.status, 422);
assert.ok(problem?.errors?.some((e) => e.field.endsWith("id_number")), JSON.stringify(problem));

// A home captured on a phone whose map gives GCJ-02 (Amap): stored as WGS-84.
const capture = await admin.POST("/api/v1/households/{id}/locations", {
  params: { path: { id: household.id } },
  body: { lat: 37.6135, lon: 110.0391, crs: "gcj02", accuracy_m: 6, captured_at: new Date().toISOString(), source: "gps", client_id: randomUUID() },
});
assert.ok(capture.data, JSON.stringify(capture.error));
assert.equal(capture.data.original.crs, "gcj02");
assert.ok(Math.abs(capture.data.wgs84.lat - 37.6135) > 1e-4, "converted to WGS-84");

const coverage = await admin.GET("/api/v1/coverage", { params: { query: { division: village } } });
assert.ok(coverage.data && coverage.data.division.located >= 1, JSON.stringify(coverage.error));

// A photo uploaded as multipart (meta JSON first, then the JPEG), then downloaded as a Blob.
const meta: Schemas["PhotoMeta"] = { kind: "door_with_cadre", taken_at: new Date().toISOString(), client_id: randomUUID() };
const uploaded = await admin.POST("/api/v1/households/{id}/photos", {
  params: { path: { id: household.id } },
  body: { meta, file: new Blob([photo], { type: "image/jpeg" }) },
  bodySerializer(body) {
    const form = new FormData();
    form.append("meta", new Blob([JSON.stringify(body.meta)], { type: "application/json" }));
    form.append("file", body.file, "door.jpg");
    return form;
  },
});
assert.equal(uploaded.response.status, 201, JSON.stringify(uploaded.error));
const sha = createHash("sha256").update(photo).digest("hex");
assert.equal(uploaded.data?.sha256, sha);
const original = await admin.GET("/api/v1/photos/{id}/content", { params: { path: { id: uploaded.data!.id } }, parseAs: "blob" });
const bytes = Buffer.from(await original.data!.arrayBuffer());
assert.equal(createHash("sha256").update(bytes).digest("hex"), sha, "the original comes back byte for byte");

// An export as a Blob: the problem ledger as a workbook.
const ran = await admin.POST("/api/v1/quality/runs", { params: { query: { division: village } } });
assert.ok(ran.data, JSON.stringify(ran.error));
const ledger = await admin.GET("/api/v1/quality/problems.xlsx", { params: { query: { division: village } }, parseAs: "blob" });
assert.equal(ledger.response.headers.get("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
assert.equal(Buffer.from(await ledger.data!.arrayBuffer()).subarray(0, 2).toString(), "PK");
const csv = await admin.GET("/api/v1/quality/problems.csv", { params: { query: { division: village } }, parseAs: "text" });
assert.ok(csv.data?.includes("户编号"), "the CSV has its Chinese headers");

// A cadre: a user, the cadre record linked to it, a pairing; then the cadre's phone syncs.
const username = `ts-cadre-${run}-${randomUUID().slice(0, 6)}`;
const user = await admin.POST("/api/v1/users", {
  body: { username, password: "Cadre-pass-1", display_name: "张帮扶", role: "cadre", jurisdiction: village },
});
assert.ok(user.data, JSON.stringify(user.error));
const cadre = await admin.POST("/api/v1/cadres", { body: { name: "张帮扶", work_unit: "子洲县乡村振兴局", user_id: user.data.id } });
assert.ok(cadre.data, JSON.stringify(cadre.error));
const pairing = await admin.POST("/api/v1/pairings", {
  body: { cadre_id: cadre.data.id, household_id: household.id, start_date: new Date().toISOString().slice(0, 10) },
});
assert.ok(pairing.data, JSON.stringify(pairing.error));

const phone = clientWith((await login(username, "Cadre-pass-1")).access_token);
const feed = await phone.GET("/api/v1/sync", { params: { query: {} } });
assert.ok(feed.data, JSON.stringify(feed.error));
const mine = feed.data.items.find((h) => h.id === household.id);
assert.ok(mine, "the paired household is on the cadre's phone");
assert.equal(mine.members.length, 2);
const again = await phone.GET("/api/v1/sync", { params: { query: { cursor: feed.data.next_cursor } } });
assert.equal(again.data?.items.length, 0, "nothing new since the cursor");

console.log("TypeScript client: workflow passed");
