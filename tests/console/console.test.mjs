// Browser tests of the review console 审核台 (issue 8): Debian chromium driven by playwright-core
// against a real `fangpin serve` with the demo county (scripts/console-test.sh starts it and
// passes BASE). Screenshots go to target/console-screens/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";

const BASE = process.env.BASE;
const SCREENS = process.env.SCREENS || "target/console-screens";
const COUNTY = "610831000000";
let browser, page, token, village, township, moveHousehold;
const cspViolations = [];

async function api(path, { method = "GET", body, ifMatch, form } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body) headers["Content-Type"] = "application/json";
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  const res = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: form || (body && JSON.stringify(body)) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function shot(name) {
  await page.screenshot({ path: `${SCREENS}/${name}.png`, fullPage: true });
}

async function upload(householdId, bytes) {
  const form = new FormData();
  const meta = { kind: "door_with_cadre", taken_at: new Date().toISOString(), client_id: crypto.randomUUID() };
  form.append("meta", new Blob([JSON.stringify(meta)], { type: "application/json" }));
  form.append("file", new Blob([bytes || await readFile(new URL("./fixtures/photo.jpg", import.meta.url))], { type: "image/jpeg" }), "p.jpg");
  return api(`/households/${householdId}/photos`, { method: "POST", form });
}

/// The fixture with an EXIF segment (APP1) whose IFD0 names an image editor in `Software`.
async function editedPhoto(software) {
  const jpeg = await readFile(new URL("./fixtures/photo.jpg", import.meta.url));
  const text = Buffer.from(`${software}\0`, "latin1");
  const ifd = Buffer.alloc(2 + 12 + 4);
  ifd.writeUInt16LE(1, 0);
  ifd.writeUInt16LE(0x0131, 2); // Software
  ifd.writeUInt16LE(2, 4); // ASCII
  ifd.writeUInt32LE(text.length, 6);
  ifd.writeUInt32LE(8 + ifd.length, 10); // the text follows the IFD
  const tiff = Buffer.concat([Buffer.from("II*\0", "latin1"), Buffer.from([8, 0, 0, 0]), ifd, text]);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), length, body, jpeg.subarray(2)]);
}

before(async () => {
  await mkdir(SCREENS, { recursive: true });
  const res = await fetch(`${BASE}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: process.env.ADMIN_PASSWORD }) });
  token = (await res.json()).access_token;
  // The demo village with a pending move; two photos of the same picture in it (the second a
  // duplicate, both far from their homes and with an EXIF time far from the stated one).
  const townships = (await api(`/coverage?division=${COUNTY}&households=all`)).children.filter((r) => r.households > 0);
  township = townships[0].code;
  for (const v of (await api(`/coverage?division=${township}&households=all`)).children) {
    if (v.pending_moves > 0) { village = v.code; break; }
  }
  assert.ok(village, "the demo has a village with a pending move");
  const homes = (await api(`/households.geojson?division=${village}`)).features;
  moveHousehold = homes.find((f) => f.properties.pending_move).properties.id;
  const others = homes.filter((f) => !f.properties.pending_move);
  await upload(others[0].properties.id);
  await upload(others[1].properties.id);
  await api(`/quality/runs?division=${COUNTY}`, { method: "POST" });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: "zh-CN" });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("console", (m) => { if (m.text().includes("Content Security Policy")) cspViolations.push(m.text()); });
});

after(async () => { await browser?.close(); });

async function logIn() {
  await page.locator("#login-dialog[open]").waitFor();
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", process.env.ADMIN_PASSWORD);
  await page.click("#login button[type=submit]");
  await page.locator("#login-dialog[open]").waitFor({ state: "detached" }).catch(() => null);
  await page.locator("#top").waitFor();
}

test("a wrong password is refused and the right one shows the county's townships", async () => {
  await page.goto(`${BASE}/console/`);
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "not-the-password");
  await page.click("#login button[type=submit]");
  await page.locator("#login-error").waitFor();
  assert.match(await page.textContent("#login-error"), /用户名或密码错误/);
  await logIn();
  await page.locator("#coverage-table").waitFor();
  const rows = await page.locator("#coverage-table tbody tr").count();
  assert.equal(rows, (await api(`/coverage?division=${COUNTY}&households=all`)).children.length);
  // No token is kept where scripts could read it later.
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k !== "fangpin.lang" && k !== "fangpin.tiles").length), 0);
  assert.equal(await page.evaluate(() => document.cookie), "", "the refresh cookie is HttpOnly");
  await shot("01-coverage-county");
});

test("drilling down to a village lists its households without a location", async () => {
  await page.click(`#coverage-table tr[data-code="${township}"] a`);
  await page.locator(`#coverage-table tr[data-code="${village}"]`).waitFor();
  await page.click(`#coverage-table tr[data-code="${village}"] a`);
  // The village's own page (its title names it; the township's title is still up meanwhile).
  await page.locator("#division-title").filter({ hasText: (await api(`/divisions/${village}`)).name }).waitFor();
  const missing = (await api(`/coverage/missing?division=${village}&limit=500`)).items.length;
  if (missing > 0) assert.equal(await page.locator("#missing-table tbody tr").count(), missing);
  await shot("02-coverage-village");
});

test("the map shows one marker per home, coloured by status, and a household card on click", async () => {
  await page.goto(`${BASE}/console/#/map?division=${village}`);
  const n = (await api(`/households.geojson?division=${village}`)).features.length;
  await page.locator("#home-count").waitFor();
  await page.waitForFunction((n) => document.querySelectorAll("path.home").length === n, n);
  assert.equal(await page.locator("path.home-move").count(), 1);
  assert.ok(await page.locator("path.home-flagged").count() >= 1, "homes with a flagged photo are red");
  assert.match(await page.textContent("#home-count"), new RegExp(`^${n} `));
  assert.equal(await page.locator("path.hull").count(), 1, "the village's hull");
  const dot = await page.evaluate(() => getComputedStyle(document.querySelector(".legend .dot-move")).backgroundColor);
  assert.equal(dot, "rgb(239, 108, 0)", "the legend is coloured (no inline style under the CSP)");
  await page.locator("path.home").first().click({ force: true });
  await page.locator("#household-card h3").waitFor();
  await page.locator("#household-card li").first().waitFor();
  // Every value in Chinese from the server's one table of labels, never a code.
  const labels = await api("/labels");
  const card = await page.textContent("#household-card");
  assert.doesNotMatch(card, /\b(lifted_out|monitored_[a-z]+|ordinary|head|spouse|child|door_with_cadre)\b/, card);
  assert.ok(Object.values(labels.category).some((l) => card.includes(l.zh)), `a category label in ${card}`);
  assert.ok(card.includes(labels.relation.head.zh), `the head's relation in ${card}`);
  assert.doesNotMatch(card, /\b(male|female)\b/, card);
  assert.ok(Object.values(labels.sex).some((l) => card.includes(` · ${l.zh}`)), `members' sex in ${card}`);
  const villageName = (await api(`/divisions/${village}`)).name;
  await page.locator("#household-village").filter({ hasText: villageName }).waitFor();
  assert.equal(await page.textContent("#map-division"), (await api(`/divisions/${village}`)).name, "the village's name, not its code");
  // The household profile 户基本情况 by name: flags, years, the fallback reason.
  const moved = await api(`/households/${moveHousehold}`);
  const profile = { identified_year: 2014, lifted_out_year: 2019, fallback_reason: "illness", flags: ["dibao", "relocated"], resettlement_site: "城南安置小区" };
  await api(`/households/${moveHousehold}`, { method: "PATCH", ifMatch: moved.version, body: { profile } });
  await page.locator("path.home-move").click({ force: true });
  await page.locator("#household-profile").waitFor();
  const shown = await page.textContent("#household-profile");
  for (const text of ["低保户", "易地扶贫搬迁户", "因病", "城南安置小区", "2019"]) assert.ok(shown.includes(text), `${text} in ${shown}`);
  // Members' natural changes by name: a newborn not yet registered (增加 出生 with the day).
  await api(`/households/${moveHousehold}/members`, { method: "POST", body: { name: "王小宝", relation: "grandchild", no_id_reason: "newborn_unregistered", sex: "male", birth_date: "2026-03-10", join_reason: "birth" } });
  await page.locator("path.home-move").click({ force: true });
  await page.locator("#household-members").filter({ hasText: "王小宝" }).waitFor();
  const members = await page.textContent("#household-members");
  for (const text of ["新生儿未落户", `${labels.join_reason.birth.zh} 2026-03-10`]) assert.ok(members.includes(text), `${text} in ${members}`);
  assert.doesNotMatch(members, /newborn_unregistered|\bbirth\b/, members);
  await shot("03-map-village");
});

test("a scan uploaded from the office computer joins the household's file and its zip", async () => {
  const labels = await api("/labels");
  await page.goto(`${BASE}/console/#/map?division=${village}`);
  await page.locator("path.home-move").click({ force: true });
  await page.locator("#archive-state").waitFor();
  const kind = labels.document_kind.information_form.zh;
  assert.match(await page.textContent("#archive-state"), new RegExp(kind), "the demo household lacks its collection form");
  await page.selectOption("#archive-upload select", "information_form");
  await page.setInputFiles("#archive-upload input[type=file]", { name: "采集表.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% 信息采集表\n%%EOF\n") });
  await page.click("#archive-upload button[type=submit]");
  await page.locator("#archive-documents li").filter({ hasText: kind }).waitFor();
  assert.doesNotMatch(await page.textContent("#archive-state"), new RegExp(kind), "no longer missing");
  const file = await api(`/households/${moveHousehold}/documents`);
  assert.equal(file.items.filter((d) => d.kind === "information_form").length, 1);
  // A file that is not a PDF, JPEG or PNG is refused with the server's reason, nothing added.
  await page.setInputFiles("#archive-upload input[type=file]", { name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("<html>not a pdf</html>") });
  await page.click("#archive-upload button[type=submit]");
  await page.locator("#message.error").waitFor();
  assert.equal((await api(`/households/${moveHousehold}/documents`)).items.length, file.items.length);
  const [zip] = await Promise.all([page.waitForEvent("download"), page.click("#archive-zip")]);
  const bytes = await readFile(await zip.path());
  assert.equal(bytes.subarray(0, 2).toString(), "PK", "a zip");
  await shot("10-household-file");
});

test("a flagged photo is reviewed with one keystroke and the queue advances", async () => {
  await page.goto(`${BASE}/console/#/photos?division=${village}`);
  await page.locator("#reasons li").first().waitFor();
  const kinds = Object.values((await api("/labels")).photo_kind).map((l) => l.zh);
  const kind = await page.textContent("#photo-kind");
  assert.ok(kinds.some((k) => kind.startsWith(k)), `the photo's kind in Chinese: ${kind}`);
  // The reasons by their labels, the household by its number and head, never a code or an id.
  const reasonLabels = (await api("/labels")).photo_reason;
  for (const li of await page.locator("#reasons li").all()) {
    const code = await li.getAttribute("data-reason");
    assert.equal(await li.textContent(), reasonLabels[code].zh, `reason ${code}`);
  }
  await page.waitForFunction(() => !document.querySelector("#photo-household").textContent.includes("…"));
  const who = await page.textContent("#photo-household");
  assert.match(who, /^\S+ · \S+$/, `户编号 · 户主: ${who}`);
  assert.doesNotMatch(await page.textContent("#queue-item"), /[0-9a-f]{8}-[0-9a-f]{4}-|\b(far_from_home|time_mismatch|duplicate|door_with_cadre)\b/);
  const before = await page.textContent("#queue-left");
  assert.match(before, /^2 /);
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.querySelector("#queue-left").textContent.startsWith("1 "));
  // The second upload is the same picture: shown beside the one it duplicates.
  await page.locator("#queue-item h4").waitFor();
  assert.equal(await page.locator("#queue-item img").count(), 2, "the duplicate is shown beside the photo");
  await page.waitForFunction(() => [...document.querySelectorAll("#queue-item img")].every((i) => i.complete && i.naturalWidth > 0));
  await shot("04-photo-queue");
  const accepted = (await api(`/photo-checks?division=${village}&status=flagged`)).items.length;
  assert.equal(accepted, 1, "one left flagged in the API as well");
  await page.keyboard.press("2");
  await page.locator("#queue-empty").waitFor();
});

test("a photo edited with an image editor shows the editor's name in the queue", async () => {
  const homes = (await api(`/households.geojson?division=${village}`)).features.filter((f) => !f.properties.pending_move);
  const photo = await upload(homes[homes.length - 1].properties.id, await editedPhoto("Adobe Photoshop 25.0 (Windows)"));
  assert.ok(photo.checks.reasons.includes("edited_software"), JSON.stringify(photo.checks));
  // The queue is the page already shown (empty): loaded again, it holds the new photo.
  await page.goto(`${BASE}/console/#/photos?division=${village}`);
  await page.reload();
  await page.locator("#photo-editor").waitFor();
  assert.equal(await page.textContent("#photo-editor"), "修图软件: Adobe Photoshop 25.0 (Windows)");
  const reason = page.locator('#reasons li[data-reason="edited_software"]');
  assert.equal(await reason.textContent(), (await api("/labels")).photo_reason.edited_software.zh);
  await shot("04b-edited-photo");
  await page.keyboard.press("4");
  await page.locator("#queue-empty").waitFor();
});

test("a problem changes status with If-Match, and a stale row reloads with a message", async () => {
  await page.goto(`${BASE}/console/#/ledger?division=${village}&status=open`);
  const first = page.locator("#ledger-table tbody tr").first();
  await page.locator("#ledger-title").filter({ hasText: (await api(`/divisions/${village}`)).name }).waitFor();
  await first.waitFor();
  const id = await first.getAttribute("data-id");
  await first.locator("select.next-status").selectOption("verified");
  await first.locator("button.save").click();
  await page.locator(`#ledger-table tr[data-id="${id}"][data-status="verified"]`).waitFor();
  // Rules, statuses and villages by name: the labels table's rule text, never an id or a code.
  const labels = await api("/labels");
  const villageName = (await api(`/divisions/${village}`)).name;
  await page.locator("#ledger-table td.village").filter({ hasText: villageName }).first().waitFor();
  const table = await page.textContent("#ledger-table tbody");
  const villages = await page.locator("#ledger-table td.village").allTextContents();
  assert.ok(villages.every((v) => v === villageName), `villages by name: ${villages}`);
  assert.ok(Object.values(labels.quality_rule).some((l) => table.includes(l.zh)), "rules by their text");
  assert.doesNotMatch(table + await page.textContent("#rule-filter"), /\b(open|verified|id_invalid|error|warning)\b/);
  assert.match(await page.textContent("#who"), new RegExp(`${labels.role.county_admin.zh} · `), "the user's role by name");
  // Someone else changes the second problem after the page loaded it.
  const second = page.locator("#ledger-table tbody tr[data-status=open]").first();
  const other = await second.getAttribute("data-id");
  const row = (await api(`/quality/problems?division=${village}&status=open&limit=200`)).items.find((p) => p.id === other);
  await api(`/quality/problems/${other}`, { method: "PATCH", ifMatch: row.version, body: { status: "verified" } });
  await second.locator("select.next-status").selectOption("dismissed");
  await second.locator("input.note").fill("重复登记");
  await second.locator("button.save").click();
  await page.locator("#message.error").filter({ hasText: "已被他人修改" }).waitFor();
  await page.locator(`#ledger-table tr[data-id="${other}"][data-status="verified"]`).waitFor();
  await shot("05-ledger");
});

test("a pending move is confirmed beside its old and new positions", async () => {
  await page.goto(`${BASE}/console/#/moves?division=${village}`);
  const card = page.locator(`.move[data-household="${moveHousehold}"]`);
  await card.waitFor();
  assert.equal(await page.locator("path.old-home").count(), 1);
  assert.equal(await page.locator("path.new-home").count(), 1);
  await shot("06-pending-move");
  await card.locator("button.confirm").click();
  await page.locator("#moves-list").filter({ hasText: "已确认" }).waitFor();
  const h = await api(`/households/${moveHousehold}`);
  assert.equal(h.pending_move_id, null);
});

test("an expired session goes back to the login form and keeps the page's filters", async () => {
  await page.goto(`${BASE}/console/#/ledger?division=${village}&status=open`);
  await page.locator("#ledger-table").waitFor();
  // The refresh cookie revoked, the next API call answered 401 as for an expired access token.
  await page.evaluate(() => fetch("/console/session/logout", { method: "POST", headers: { "X-Fangpin-Console": "1" } }));
  let expired = true;
  await page.route("**/api/v1/**", (route) => (expired ? ((expired = false), route.fulfill({ status: 401, body: "{}" })) : route.continue()));
  const hash = `#/ledger?division=${village}&status=verified`;
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.locator("#login-note:not([hidden])").waitFor();
  await shot("08-session-expired");
  await logIn();
  await page.locator("#ledger-table tbody tr[data-status=verified]").first().waitFor();
  assert.equal(await page.evaluate(() => location.hash), hash);
  assert.equal(await page.inputValue("#status-filter"), "verified");
  await page.unroute("**/api/v1/**");
});

test("the interface switches to English and back, and the choice is kept", async () => {
  await page.goto(`${BASE}/console/#/coverage?division=${township}`);
  await page.locator("#coverage-table").waitFor();
  await page.click("#lang");
  await page.locator("header nav a[href='#/coverage']").filter({ hasText: "Coverage" }).waitFor();
  await page.locator("#coverage-table th").filter({ hasText: "Located %" }).waitFor();
  await shot("09-english");
  await page.reload();
  await page.locator("header nav a[href='#/ledger']").filter({ hasText: "Problem ledger" }).waitFor();
  await page.click("#lang");
  await page.locator("header nav a[href='#/ledger']").filter({ hasText: "问题台账" }).waitFor();
});

test("a URL edited by hand shows nothing outside the jurisdiction", async () => {
  await page.goto(`${BASE}/console/#/coverage?division=340323000000`);
  await page.locator("#view .error").waitFor();
  assert.equal(await page.locator("#coverage-table").count(), 0);
  await page.goto(`${BASE}/console/#/map?division=340323100000`);
  await page.locator("#view .error").waitFor();
  assert.equal(await page.locator("path.home").count(), 0);
  await shot("07-outside-jurisdiction");
});

test("a problem found by people is recorded with a photo, rectified, signed off and closed, and shows in the daily list", async () => {
  // A token of its own (an earlier test ended the first session).
  const res = await fetch(`${BASE}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: process.env.ADMIN_PASSWORD }) });
  token = (await res.json()).access_token;
  const household = (await api(`/households?division=${village}&limit=5`)).items[0];
  await page.goto(`${BASE}/console/#/problems?division=${village}`);
  await page.locator("#problem-entry").waitFor();
  await page.fill("#p-number", household.number);
  await page.selectOption("#p-source", "self_check");
  await page.selectOption("#p-category", "inaccurate_data");
  await page.fill("#p-description", "家庭人口数与户籍不符");
  await page.fill("#p-found-by", "第一小组");
  await page.setInputFiles("#p-photo", new URL("./fixtures/photo.jpg", import.meta.url).pathname);
  await shot("10-problem-entry");
  await page.click("#p-submit");
  await page.locator("#problem-card").waitFor();
  const id = new URLSearchParams(page.url().split("?")[1]).get("id");
  const recorded = await api(`/quality/problems/${id}`);
  assert.equal(recorded.problem.household_id, household.id);
  assert.deepEqual(recorded.evidence.map((e) => [e.kind, e.purpose]), [["photo", "finding"]]);
  // The plan, then verified.
  await page.fill("#r-measure", "核对户籍并更正系统信息");
  await page.fill("#r-responsible", "张三");
  await page.click("#r-save");
  await page.locator("#problem-card h3").filter({ hasText: "待核实" }).waitFor();
  await page.locator("#r-measure").filter({ hasText: "核对户籍" }).waitFor();
  await page.click("#to-verified");
  await page.locator("#problem-card[data-status=verified]").waitFor();
  // Progress with a photo of the completion, and the team leader (no account) signs by name.
  await page.fill("#g-note", "已更正");
  await page.setInputFiles("#g-photo", new URL("./fixtures/photo.jpg", import.meta.url).pathname);
  await page.click("#g-save");
  await page.locator("#progress-list li").filter({ hasText: "已更正" }).waitFor();
  await page.fill("#s-name", "赵队长");
  await page.click("#sign-team_leader");
  await page.locator("#signoffs li").filter({ hasText: "赵队长" }).waitFor();
  assert.match(await page.textContent("#missing"), /村支书签字/);
  // Rectified before the village secretary signed: refused, naming it.
  await page.click("#to-rectified");
  await page.locator("#message.error").filter({ hasText: "村支书" }).waitFor();
  // The village secretary signs with the village's own account.
  const officer = `v${Date.now()}`;
  await api("/users", { method: "POST", body: { username: officer, password: "Strong-pass-9", display_name: "王书记", role: "village_officer", jurisdiction: village } });
  const session = await (await fetch(`${BASE}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: officer, password: "Strong-pass-9" }) })).json();
  const signed = await fetch(`${BASE}/api/v1/quality/problems/${id}/signoffs`, { method: "POST", headers: { Authorization: `Bearer ${session.access_token}`, "Content-Type": "application/json" }, body: JSON.stringify({ role: "village_secretary", name: "王书记" }) });
  assert.equal(signed.status, 201);
  await page.goto(`${BASE}/console/#/problems?id=${id}&division=${village}`);
  await page.locator("#signoffs li").filter({ hasText: "王书记" }).waitFor();
  await page.click("#to-rectified");
  await page.locator("#problem-card[data-status=rectified]").waitFor();
  await page.click("#to-closed");
  await page.locator("#problem-card[data-status=closed]").waitFor();
  await shot("11-problem-closed");
  // The evening list: closed today.
  await page.goto(`${BASE}/console/#/daily?division=${township}`);
  await page.locator("#daily-closed_today tr").filter({ hasText: household.number }).waitFor();
  await shot("12-daily-list");
});

test("a township screens a village and opens the cases of the rows it ticks in one step", async () => {
  // An ordinary household of the village whose last year falls below the monitoring line.
  const year = new Date().getFullYear() - 1;
  const ordinary = (await api(`/households?division=${village}&category=ordinary&limit=1`)).items[0];
  const head = (await api(`/households/${ordinary.id}`)).members.find((m) => m.relation === "head");
  const ok = { ok: true, reason: null };
  await api(`/households/${ordinary.id}/years/${year}`, { method: "PUT", body: {
    income: { wages: 0, production: 3000, production_costs: 1000, property: 0, transfers: 1200 },
    members: [{ member_id: head.id, education: "junior", health: "healthy", disability_grade: null, in_school: "not_in_school", labour_skill: "ordinary", work_status: "local", months_away: 0 }],
    guarantees: { food_clothing: ok, drinking_water: ok, compulsory_education: ok, basic_medical: ok, housing_safety: ok },
    living: { housing: "safe", water: "tap", electricity: true, paved_road: true, broadband: false },
  } });
  await page.goto(`${BASE}/console/#/screening?division=${village}&year=${year}&proposal=inclusion`);
  const row = page.locator(`#screening-rows tr[data-household="${ordinary.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /人均纯收入低于监测线/);
  assert.match(await row.textContent(), /监测线 4522\.5/);
  await shot("13-screening");
  // Ticked and opened as an inclusion with its risk type and category.
  await row.locator("input[type=checkbox]").check();
  await page.selectOption("#s-risk", "unstable_work");
  await page.selectOption("#s-target", "monitored_marginal");
  await page.click("#s-open");
  await page.locator("#message", { hasText: "已启动程序: 1" }).waitFor();
  assert.match(await row.locator(".refusal").textContent(), /已启动程序/);
  const cases = (await api(`/cases?division=${village}&limit=200`)).items.filter((c) => c.household_id === ordinary.id);
  assert.equal(cases.length, 1);
  assert.deepEqual([cases[0].kind, cases[0].screening], ["inclusion", { year, criterion: "income_below_monitoring_line" }]);
  // Ticked again: refused (the household has an open case), the reason beside the row.
  await page.locator(`#screening-rows tr[data-household="${ordinary.id}"] input[type=checkbox]`).check();
  await page.click("#s-open");
  await page.locator(`#screening-rows tr[data-household="${ordinary.id}"] .refusal`, { hasText: "open" }).waitFor();
  assert.equal((await api(`/cases?division=${village}&limit=200`)).items.filter((c) => c.household_id === ordinary.id).length, 1);
});

test("a township lists its projects with their beneficiaries and its loans, the overdue ones on their own", async () => {
  const households = (await api(`/households?division=${village}&limit=2`)).items;
  const name = `产业路-${Date.now()}`;
  await api("/projects", { method: "POST", body: {
    category: "infrastructure", name, year: 2025, village_codes: [village], status: "completed",
    total_investment_yuan: 300000, central_funds_yuan: 200000, provincial_funds_yuan: 50000, county_funds_yuan: 50000, other_funds_yuan: 0,
    start_date: "2025-03-01", end_date: "2025-10-30",
  } });
  const project = (await api(`/projects?division=${village}&limit=500`)).items.find((p) => p.name === name);
  await api(`/projects/${project.id}/beneficiaries`, { method: "POST", body: { household_id: households[0].id, benefit_yuan: 1200 } });
  await page.goto(`${BASE}/console/#/projects?division=${village}&category=infrastructure`);
  const row = page.locator(`#project-rows tr[data-project="${project.id}"]`);
  await row.waitFor();
  const text = await row.textContent();
  for (const part of [/基础设施/, /300,000/, /200,000 \/ 50,000 \/ 50,000 \/ 0/, /已完工/, /2025-03-01 ~ 2025-10-30/]) assert.match(text, part);
  await row.click();
  const detail = page.locator(`#project-rows tr[data-project="${project.id}"] + tr.beneficiaries`);
  assert.match(await detail.textContent(), new RegExp(`${households[0].number}.*1,200`));
  await shot("14-projects");

  const loan = (body) => api(`/households/${households[1].id}/loans`, { method: "POST", body: {
    lender: "子洲县农村信用合作联社", amount_yuan: 50000, purpose: "养殖", interest_subsidy_yuan: 1500, ...body } });
  const lapsed = await loan({ issued_on: "2022-03-15", due_on: "2025-03-15" });
  const running = await loan({ issued_on: "2025-03-15", due_on: "2028-03-15" });
  await page.goto(`${BASE}/console/#/loans?division=${village}`);
  await page.locator(`#loan-rows tr[data-loan="${running.id}"]`).waitFor();
  assert.equal(await page.locator(`#loan-rows tr[data-loan="${lapsed.id}"].overdue`).count(), 1);
  await page.check("#l-overdue");
  await page.waitForFunction(() => location.hash.includes("overdue=1"));
  await page.locator(`#loan-rows tr[data-loan="${lapsed.id}"]`).waitFor();
  assert.equal(await page.locator(`#loan-rows tr[data-loan="${running.id}"]`).count(), 0, "the running loan is not overdue");
  assert.match(await page.locator(`#loan-rows tr[data-loan="${lapsed.id}"]`).textContent(), new RegExp(`${households[1].number}.*50,000.*逾期`));
  await shot("15-loans");
  // The village's coverage links its overdue loans to that list.
  await page.goto(`${BASE}/console/#/coverage?division=${village}`);
  await page.click("#loans-overdue");
  await page.waitForFunction(() => location.hash.startsWith("#/loans") && location.hash.includes("overdue=1"));
  await page.locator(`#loan-rows tr[data-loan="${lapsed.id}"]`).waitFor();
});

test("nothing the console did was blocked by its Content Security Policy", () => {
  assert.deepEqual(cspViolations, []);
});
