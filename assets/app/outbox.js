// The outbox: every action is written to IndexedDB with its client id / Idempotency-Key before
// anything is sent, so it survives closing the app and restarting the phone; items are sent in
// order when there is signal, with growing pauses after failures. A retry always carries the
// same keys, so an answer lost in a lane without signal never makes a second record.
//
// What an item becomes: `done` (arrived), `failed` (refused with a 4xx other than 412/429: shown
// on the item, never sent again unless the cadre says so), `conflict` (a yearly record changed
// meanwhile on the server: the cadre redoes or discards), `discarded` (the cadre's choice).
import { all, put, tx, updateHousehold } from "./db.js";
import { request, Offline, SessionEnded, ApiError } from "./api.js";
import { uuid, sameData } from "./ui.js";

const OPEN = ["pending", "sending"];
export const ATTENTION = ["failed", "conflict"];
const MAX_PAUSE_MS = 5 * 60 * 1000;
const KEEP_DONE_MS = 14 * 24 * 3600 * 1000;
let user = null;
let timer = null;
let running = null;
let again = false;

export function setUser(u) { user = u; }

function changed() { window.dispatchEvent(new CustomEvent("outbox-changed")); }

const save = (item) => put("outbox", item);

/// This user's items, oldest first.
export async function items() {
  if (!user) return [];
  return (await all("outbox")).filter((i) => i.user_id === user.id).sort((a, b) => a.seq - b.seq);
}

/// Items not yet arrived (waiting, or needing the cadre's attention).
export async function pendingCount() {
  return (await items()).filter((i) => OPEN.includes(i.state) || ATTENTION.includes(i.state)).length;
}

/// Whether any user's items wait on this phone (logging out keeps them).
export async function anyUnsent() {
  return (await all("outbox")).some((i) => OPEN.includes(i.state) || ATTENTION.includes(i.state));
}

/// Records an action. `fields(id)` gives its content; `id` is the item's client id and
/// Idempotency-Key.
export async function enqueue(kind, householdId, fields) {
  const id = uuid();
  const item = { id, kind, household_id: householdId, user_id: user.id, created_at: new Date().toISOString(), state: "pending", attempts: 0, next_at: 0, ...fields(id) };
  item.seq = await save(item);
  changed();
  kick();
  return item;
}

/// A yearly record: an unsent one for the same household and year is replaced rather than
/// followed by a second (which would only meet the first as a conflict).
export async function saveYear(householdId, year, record, baseVersion) {
  const open = (await items()).find((i) => i.kind === "year" && i.household_id === householdId && i.year === year && ["pending", ...ATTENTION].includes(i.state));
  if (!open) return enqueue("year", householdId, () => ({ year, record, base_version: baseVersion }));
  // Saved again after seeing a conflict: written over the server's current version.
  const base = open.state === "conflict" ? (open.server?.version ?? null) : open.base_version;
  Object.assign(open, { record, base_version: base, state: "pending", attempts: 0, next_at: 0, error: null, server: null });
  await save(open);
  changed();
  kick();
  return open;
}

/// After a restart: what was being sent when the app closed is sent again (same keys).
export async function recover() {
  const now = Date.now();
  await tx("outbox", "readwrite", ({ outbox }) => {
    const req = outbox.openCursor();
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      const item = c.value;
      if (item.state === "sending") c.update({ ...item, state: "pending" });
      else if (["done", "discarded"].includes(item.state) && now - Date.parse(item.done_at || item.created_at) > KEEP_DONE_MS) c.delete();
      c.continue();
    };
  });
}

/// Starts sending now (after a new item, on signal, after a pause). A kick while a run is
/// ending (it may have looked at the queue before the new item) runs the queue once more.
export function kick() {
  clearTimeout(timer);
  timer = null;
  if (running) {
    again = true;
    return running;
  }
  running = drain().finally(() => {
    running = null;
    if (again) {
      again = false;
      kick();
    }
  });
  return running;
}

async function drain() {
  let sent = 0;
  const body = async () => {
    for (;;) {
      if (!navigator.onLine || !user) return;
      const next = (await items()).find((i) => OPEN.includes(i.state));
      if (!next) {
        window.dispatchEvent(new CustomEvent("outbox-drained", { detail: { sent } }));
        return;
      }
      const wait = next.next_at - Date.now();
      if (wait > 0) {
        timer = setTimeout(kick, wait);
        return;
      }
      // Later items wait while this one cannot be sent: they are sent in order.
      if (!(await sendOne(next))) return;
      sent += 1;
    }
  };
  // One tab sends; another open tab of the app would send the same items twice at once.
  if (!navigator.locks) return body();
  return navigator.locks.request("fangpin-app-outbox", { ifAvailable: true }, (lock) => (lock ? body() : null));
}

function send(item) {
  const base = `/households/${item.household_id}`;
  switch (item.kind) {
    case "location":
      return request(`${base}/locations`, { method: "POST", body: item.body, key: item.id });
    case "photo": {
      // The original file, byte for byte: the server checks its EXIF.
      const form = new FormData();
      form.append("meta", new Blob([JSON.stringify(item.meta)], { type: "application/json" }));
      form.append("file", item.file, item.name || "photo.jpg");
      return request(`${base}/photos`, { method: "POST", form, key: item.id });
    }
    case "year":
      return request(`${base}/years/${item.year}`, { method: "PUT", body: item.record, ifMatch: item.base_version });
    case "member":
      return request(`${base}/members`, { method: "POST", body: item.body, key: item.id });
    default:
      throw new Error(`unknown outbox item ${item.kind}`);
  }
}

/// Sends one item; false when the queue must pause (no signal, server busy, session ended).
async function sendOne(item) {
  item.state = "sending";
  await save(item);
  changed();
  try {
    const res = await send(item);
    if (res.ok) return await arrived(item, await res.json());
    if (item.kind === "year" && (res.status === 412 || res.status === 428)) return await compare(item);
    // A member's 409 (the ID number is registered elsewhere) is final, like a 422.
    if ([408, 429].includes(res.status) || (res.status === 409 && item.kind !== "member") || res.status >= 500) return await later(item, Number(res.headers.get("Retry-After")) || null, `HTTP ${res.status}`);
    item.state = "failed";
    item.error = { status: res.status, problem: await res.json().catch(() => null) };
    await save(item);
    changed();
    return true;
  } catch (e) {
    if (e instanceof SessionEnded) {
      item.state = "pending";
      await save(item);
      changed();
      window.dispatchEvent(new CustomEvent("session-ended"));
      return false;
    }
    return later(item, e instanceof ApiError ? e.retryAfter : null, e instanceof Offline ? "offline" : e.message);
  }
}

async function later(item, retryAfterSecs, why) {
  item.attempts += 1;
  const pause = retryAfterSecs ? retryAfterSecs * 1000 : Math.min(MAX_PAUSE_MS, 2000 * 2 ** (item.attempts - 1)) * (0.75 + Math.random() * 0.5);
  Object.assign(item, { state: "pending", next_at: Date.now() + pause, last_error: why });
  await save(item);
  changed();
  clearTimeout(timer);
  timer = setTimeout(kick, pause);
  return false;
}

async function sha256(blob) {
  if (!crypto.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function arrived(item, result) {
  if (item.kind === "photo") {
    // The server's digest of what it stored against the file on the phone: a network that
    // recompressed the picture on the way would show here, and the file is kept.
    const mine = await sha256(item.file);
    if (mine && mine !== result.sha256) {
      Object.assign(item, { state: "failed", result, error: { status: 0, problem: { detail: "the photo arrived altered", code: "altered" } } });
      await save(item);
      changed();
      return true;
    }
    item.file = null;
  }
  Object.assign(item, { state: "done", result, done_at: new Date().toISOString(), error: null, last_error: null });
  await save(item);
  await reflect(item);
  changed();
  return true;
}

/// A yearly record refused as stale (412), or created meanwhile (428): if the server holds
/// exactly this record, an earlier attempt arrived and only its answer was lost.
async function compare(item) {
  const res = await request(`/households/${item.household_id}/years/${item.year}`);
  if (res.ok) {
    const current = await res.json();
    if (sameData(current.record, item.record)) return arrived(item, current);
    Object.assign(item, { state: "conflict", server: current });
    await save(item);
    changed();
    return true;
  }
  if (res.status === 404) {
    item.base_version = null;
    return later(item, 1, "record gone");
  }
  return later(item, null, `HTTP ${res.status}`);
}

/// What an arrived item changes in the phone's copy of the household, until the next sync.
async function reflect(item) {
  const r = item.result;
  if (item.kind === "location") {
    await updateHousehold(item.household_id, (h) => ({
      ...h,
      ...(r.became_home ? { has_location: true, home: { location_id: r.id, lat: r.wgs84.lat, lon: r.wgs84.lon, accuracy_m: r.accuracy_m, captured_at: r.captured_at } } : {}),
      ...(r.status === "pending_move" ? { pending_move_id: r.id } : {}),
    }));
  } else if (item.kind === "photo") {
    await updateHousehold(item.household_id, (h) => {
      const p = h._photos || { items: [], missing_kinds: null };
      const items = [...(p.items || []).filter((x) => x.id !== r.id), photoSummary(r)];
      const missing = p.missing_kinds && r.status !== "rejected" ? p.missing_kinds.filter((k) => k !== r.kind) : p.missing_kinds;
      return { ...h, _photos: { ...p, items, missing_kinds: missing, set_complete: missing ? missing.length === 0 : p.set_complete } };
    });
  } else if (item.kind === "member") {
    await updateHousehold(item.household_id, (h) => ({ ...h, members: r.members, version: r.version }));
  } else if (item.kind === "year") {
    await updateHousehold(item.household_id, (h) => ({ ...h, year_record: r }));
    // Edits saved while this one was on its way were written on top of it.
    for (const later of await items()) {
      if (later.kind === "year" && later.household_id === item.household_id && later.year === item.year && later.seq > item.seq
        && OPEN.includes(later.state) && later.base_version === item.base_version) {
        later.base_version = r.version;
        await save(later);
      }
    }
  }
}

export function photoSummary(p) {
  return { id: p.id, kind: p.kind, status: p.status, sha256: p.sha256, taken_at: p.taken_at, reasons: p.checks?.reasons || [], distance_m: p.checks?.distance_m ?? null, duplicate_of: p.checks?.duplicate_of || [] };
}

async function change(seq, fn) {
  const item = (await items()).find((i) => i.seq === seq);
  if (!item) return;
  fn(item);
  await save(item);
  changed();
  kick();
}

/// The cadre sends a refused item again, as it is (a deliberate choice, never automatic).
export const retry = (seq) => change(seq, (i) => Object.assign(i, { state: "pending", attempts: 0, next_at: 0, error: null }));
/// The cadre gives an item up: it stays listed as discarded and is never sent.
export const discard = (seq) => change(seq, (i) => Object.assign(i, { state: "discarded", done_at: new Date().toISOString(), file: null }));
/// After a conflict: the cadre's record again, over the server's current version.
export const redo = (seq) => change(seq, (i) => Object.assign(i, { state: "pending", attempts: 0, next_at: 0, base_version: i.server?.version ?? null }));
/// After a conflict: the server's version stays; the phone shows it.
export async function keepServer(seq) {
  const item = (await items()).find((i) => i.seq === seq);
  if (item?.server) await updateHousehold(item.household_id, (h) => ({ ...h, year_record: item.server }));
  await discard(seq);
}
