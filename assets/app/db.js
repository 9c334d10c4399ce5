// The phone's own storage (IndexedDB, kept across closing the app and restarting the phone):
// `households` as the last sync delivered them (ID and phone numbers masked before they are
// stored: the phone needs names, not numbers), `outbox` (every action, written before anything
// is sent, in order) and `meta` (the user, the sync cursor, the server's settings).
const NAME = "fangpin-app";
let opening = null;

export function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("meta");
      db.createObjectStore("households", { keyPath: "id" });
      db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    };
    req.onsuccess = () => {
      // Another tab upgrading the schema: let it, this tab reopens on its next call.
      req.result.onversionchange = () => { req.result.close(); opening = null; };
      resolve(req.result);
    };
    req.onerror = () => { opening = null; reject(req.error); };
  });
  return opening;
}

function settle(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/// Runs `fn(stores)` in one transaction; resolves with what `fn` returned once it committed.
/// `fn` must only issue requests (no other awaits), or the transaction commits early.
export async function tx(names, mode, fn) {
  const db = await open();
  const t = db.transaction(names, mode);
  const stores = Object.fromEntries([names].flat().map((n) => [n, t.objectStore(n)]));
  const committed = new Promise((resolve, reject) => {
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
  const value = fn(stores);
  await committed;
  return value;
}

export const get = (store, key) => tx(store, "readonly", (s) => settle(s[store].get(key)));
export const all = (store) => tx(store, "readonly", (s) => settle(s[store].getAll()));
export const put = (store, value, key) => tx(store, "readwrite", (s) => settle(key === undefined ? s[store].put(value) : s[store].put(value, key)));
export const del = (store, key) => tx(store, "readwrite", (s) => settle(s[store].delete(key)));

export const getMeta = (key) => get("meta", key);
export const setMeta = (key, value) => put("meta", value, key);

/// Names, not numbers: `610831********123X`, `138****5678`.
function maskId(v) { return v && v.length > 10 ? `${v.slice(0, 6)}${"*".repeat(v.length - 10)}${v.slice(-4)}` : v; }
function maskPhone(v) { return v && v.length >= 7 ? `${v.slice(0, 3)}****${v.slice(-4)}` : v; }

function masked(h) {
  return { ...h, members: (h.members || []).map((m) => ({ ...m, id_number: maskId(m.id_number), phone: maskPhone(m.phone) })) };
}

/// One page of `/sync` applied atomically with its cursor: households replaced (keeping what
/// the phone fetched beside them: photos, last year's record), tombstones removed. A first
/// page (no cursor before) starts from an empty store.
export function applySyncPage(page, first) {
  return tx(["households", "meta"], "readwrite", ({ households, meta }) => {
    if (first) households.clear();
    for (const item of page.items) {
      const req = households.get(item.id);
      req.onsuccess = () => {
        const old = req.result || {};
        households.put({ ...masked(item), _photos: old._photos, _prev: old._prev, _year: page.year });
      };
    }
    for (const gone of page.tombstones) households.delete(gone.household_id);
    meta.put(page.next_cursor, "cursor");
    meta.put(page.year, "year");
  });
}

/// Changes one stored household, if it is still there.
export function updateHousehold(id, change) {
  return tx("households", "readwrite", ({ households }) => {
    const req = households.get(id);
    req.onsuccess = () => { if (req.result) households.put(change(req.result)); };
  });
}

/// Everything of the previous user goes (their households and cursor); their unsent outbox
/// stays, tagged with their id, and is sent only under their login.
export function forgetHouseholds() {
  return tx(["households", "meta"], "readwrite", ({ households, meta }) => {
    households.clear();
    meta.delete("cursor");
    meta.delete("last_sync");
  });
}
