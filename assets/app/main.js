// The app's shell: login, the header (signal, last sync, outbox count), the hash router
// (#/, #/all, #/queue, #/h/<id>[/locate|/photos|/year|/member]) and when to send and sync: at start,
// when signal returns, after the outbox empties, on the button, and every ten minutes.
import { login, logout, refresh, ApiError, Offline, SessionEnded } from "./api.js";
import { getMeta, setMeta, forgetHouseholds } from "./db.js";
import * as outbox from "./outbox.js";
import { syncNow, syncing } from "./sync.js";
import { listView } from "./list.js";
import { householdView } from "./household.js";
import { locateView } from "./locate.js";
import { photosView } from "./photos.js";
import { yearlyView } from "./yearly.js";
import { memberView } from "./member.js";
import { queueView } from "./queue.js";
import { setLabels, t, toggleLanguage, translate } from "./i18n.js";
import { el, message, problemText, time } from "./ui.js";

const view = document.getElementById("view");
let user = null;
let cleanup = null;
let renderGen = 0;

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  return { parts, params: new URLSearchParams(query || "") };
}

async function render() {
  if (!user) return;
  const gen = ++renderGen;
  if (cleanup) cleanup();
  cleanup = null;
  const { parts, params } = route();
  // Drawn aside and swapped in when ready: a redraw neither flickers nor loses the scroll.
  const holder = el("div");
  for (const a of document.querySelectorAll("#tabs a")) a.classList.toggle("active", a.getAttribute("href") === `#/${parts[0] || ""}`);
  try {
    let done;
    if (parts[0] === "h" && parts[1]) {
      const screen = { locate: locateView, photos: photosView, year: yearlyView, member: memberView }[parts[2]] || householdView;
      done = await screen(holder, parts[1]);
    } else if (parts[0] === "queue") done = await queueView(holder);
    else done = await listView(holder, params, { today: parts[0] !== "all" });
    if (gen !== renderGen) return done?.();
    cleanup = done || null;
  } catch (e) {
    if (gen !== renderGen) return;
    holder.replaceChildren(el("p", { class: "error" }, e.message));
  }
  view.replaceChildren(holder);
  // A form the server refused opens at its first refused field.
  holder.querySelector(".invalid")?.scrollIntoView({ block: "center" });
}

/// Redraws a list or household screen when the data under it changed; forms, and a screen
/// whose search box is being typed in, are left alone.
function refreshScreen() {
  const { parts } = route();
  if (view.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return;
  if (parts[0] !== "h" || !parts[2]) render();
}

async function header() {
  const online = navigator.onLine;
  const last = await getMeta("last_sync");
  const net = document.getElementById("net");
  net.className = `net ${online ? "online" : "offline"}`;
  net.textContent = `${t(online ? "net.online" : "net.offline")} · ${syncing() ? t("net.syncing") : last ? `${t("net.last")} ${time(last)}` : t("net.never")}`;
  const n = await outbox.pendingCount();
  const badge = document.getElementById("pending");
  badge.textContent = String(n);
  badge.classList.toggle("zero", n === 0);
  document.getElementById("lang").textContent = t("lang");
}

async function syncQuietly(full = false) {
  try {
    await syncNow({ full });
  } catch (e) {
    if (e instanceof SessionEnded) sessionEnded();
    else if (!(e instanceof Offline)) message(problemText(e.problem, e.status), "error");
  }
  header();
}

function sessionEnded() {
  document.getElementById("session-note").hidden = false;
}

async function start(u) {
  user = u;
  outbox.setUser(u);
  document.getElementById("login").hidden = true;
  document.getElementById("top").hidden = false;
  document.getElementById("tabs").hidden = false;
  document.getElementById("who").textContent = u.display_name || u.username;
  // The labels the last sync kept: the app reads in Chinese offline too.
  setLabels(await getMeta("labels"));
  translate();
  await header();
  render();
}

/// After a login: another user's households leave the phone; the server's settings are kept
/// for offline use; storage is asked to persist so the browser does not evict the outbox.
async function loggedIn(u) {
  const before = await getMeta("user");
  if (before && before.id !== u.id) await forgetHouseholds();
  await setMeta("user", u);
  if (user && user.id !== u.id) {
    location.reload();
    return;
  }
  document.getElementById("session-note").hidden = true;
  navigator.storage?.persist?.().catch(() => null);
  fetch("/app/config.json").then((r) => (r.ok ? r.json() : null)).then((c) => c && setMeta("config", c)).catch(() => null);
  if (!user) await start(u);
  outbox.kick().then(() => syncQuietly(true));
}

function showLogin() {
  const box = document.getElementById("login");
  box.hidden = false;
  translate(box);
  document.getElementById("login-offline").hidden = navigator.onLine;
  outbox.anyUnsent().then((any) => { document.getElementById("login-unsent").hidden = !any; });
}

document.getElementById("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const error = document.getElementById("login-error");
  try {
    const u = await login(form.username.value, form.password.value);
    form.password.value = "";
    error.hidden = true;
    document.getElementById("login").hidden = true;
    await loggedIn(u);
  } catch (e) {
    error.textContent = e instanceof Offline ? t("login.offline") : e.status === 401 ? t("login.failed") : problemText(e.problem, e.status);
    error.hidden = false;
  }
});

document.getElementById("relogin").addEventListener("click", () => {
  document.getElementById("login").hidden = false;
  translate(document.getElementById("login"));
});
document.getElementById("lang").addEventListener("click", () => { toggleLanguage(); translate(); header(); render(); });
document.getElementById("sync").addEventListener("click", async () => {
  if (!navigator.onLine) return message(t("net.offline"), "error");
  await outbox.kick();
  await syncQuietly(true);
});
document.getElementById("logout").addEventListener("click", async () => {
  // Offline the server could not end the session: its cookie would stay valid on the phone.
  if (!navigator.onLine) return message(t("logout.offline"), "error");
  if ((await outbox.pendingCount()) > 0 && !confirm(t("logout.pending"))) return;
  if (!(await logout())) return message(t("logout.offline"), "error");
  await forgetHouseholds();
  await setMeta("user", null);
  user = null;
  outbox.setUser(null);
  document.getElementById("top").hidden = true;
  document.getElementById("tabs").hidden = true;
  view.replaceChildren();
  showLogin();
});

window.addEventListener("hashchange", render);
// Signal is back: send what waits, then sync (the feed then holds the phone's own writes).
window.addEventListener("online", () => { header(); outbox.kick().then(() => syncQuietly()); });
window.addEventListener("offline", header);
window.addEventListener("outbox-changed", () => { header(); refreshScreen(); });
window.addEventListener("data-changed", () => { header(); refreshScreen(); });
window.addEventListener("sync-state", header);
window.addEventListener("session-ended", sessionEnded);
// The queue emptied after sending: the feed now holds what was sent.
window.addEventListener("outbox-drained", (e) => { if (e.detail.sent > 0) syncQuietly(); });
setInterval(() => { if (navigator.onLine && user && document.visibilityState === "visible") outbox.kick().then(() => syncQuietly(true)); }, 10 * 60 * 1000);

navigator.serviceWorker?.register("/app/sw.js", { scope: "/app/" }).catch(() => null);
translate();
await outbox.recover();
const stored = await getMeta("user");
if (stored) {
  // Works without signal: the households and the outbox are on the phone.
  await start(stored);
  if (navigator.onLine) {
    refresh().then(loggedIn).catch((e) => { if (e instanceof SessionEnded) sessionEnded(); else if (e instanceof ApiError) message(problemText(e.problem, e.status), "error"); });
  }
} else {
  showLogin();
}
