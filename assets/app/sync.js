// Sync: `/sync` by cursor into IndexedDB (the first call without one brings every paired
// household; later calls only changes, and tombstones for households that left the cadre's
// care), then what the feed does not carry: each household's photos of the year (what is still
// missing, the server's checks) and last year's record (shown beside the form, offline too).
import { json, request, ApiError } from "./api.js";
import { all, applySyncPage, getMeta, setMeta, updateHousehold } from "./db.js";
import { photoSummary } from "./outbox.js";
import { setLabels } from "./i18n.js";

let running = null;
let queued = null;

function emit(name, detail) { window.dispatchEvent(new CustomEvent(name, { detail })); }

/// One sync at a time. `full` also refreshes the photos of every household (a reviewer's
/// decision is not in the feed); otherwise only of households the feed changed, to spare data.
/// Asked while one runs (which may have read the feed already), another follows it.
export function syncNow({ full = false } = {}) {
  if (running) {
    queued ??= { full: false, promise: running.catch(() => null).then(() => { const next = queued; queued = null; return syncNow({ full: next.full }); }) };
    queued.full ||= full;
    return queued.promise;
  }
  running = run(full).finally(() => { running = null; emit("sync-state", false); emit("data-changed"); });
  return running;
}

export function syncing() { return running !== null; }

/// The labels table, once per start of the app while online, kept for offline use (a phone
/// that cannot fetch it keeps the one it has).
let labelsFetched = false;
async function refreshLabels() {
  if (labelsFetched) return;
  const table = await json("/labels");
  await setMeta("labels", table);
  setLabels(table);
  labelsFetched = true;
}

async function run(full) {
  emit("sync-state", true);
  await refreshLabels().catch(() => null);
  let cursor = await getMeta("cursor");
  const changed = new Set();
  for (;;) {
    let page;
    try {
      page = await json(`/sync?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    } catch (e) {
      // A cursor the server no longer accepts (another data key): start again from a snapshot.
      if (e instanceof ApiError && e.status === 400 && cursor) {
        cursor = null;
        continue;
      }
      throw e;
    }
    await applySyncPage(page, !cursor);
    for (const h of page.items) changed.add(h.id);
    cursor = page.next_cursor;
    if (!page.has_more) break;
  }
  await setMeta("last_sync", new Date().toISOString());
  emit("data-changed");
  const year = await getMeta("year");
  await details(year, (await all("households")).filter((h) => full || changed.has(h.id) || h._photos?.year !== year));
}

/// Photos of the year and last year's record of these households, four requests at a time.
async function details(year, queue) {
  const worker = async () => {
    for (let h = queue.shift(); h; h = queue.shift()) {
      try {
        const photos = await json(`/households/${h.id}/photos?year=${year}`);
        const summary = { year: photos.year, set_complete: photos.set_complete, missing_kinds: photos.missing_kinds, items: photos.items.map(photoSummary) };
        let prev = h._prev;
        if (year - 1 >= 2014 && (!prev || prev.year !== year - 1)) {
          const res = await request(`/households/${h.id}/years/${year - 1}`);
          if (res.ok) prev = { year: year - 1, record: (await res.json()).record };
          else if (res.status === 404) prev = { year: year - 1, record: null };
        }
        await updateHousehold(h.id, (x) => ({ ...x, _photos: summary, _prev: prev }));
      } catch (e) {
        // A household that left the cadre's care meanwhile (404) goes with the next sync.
        if (!(e instanceof ApiError)) throw e;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
