// The console's shell: login, header, the hash router (#/view?filters), messages. Views keep
// their filters in the hash, so an expired session (login again) or a reload keeps them.
import { api, currentUser, login, logout, refresh, whenExpired, ApiError } from "./api.js";
import { label, setLabels, t, toggleLanguage, translate } from "./i18n.js";
import { coverageView } from "./coverage.js";
import { mapView } from "./map.js";
import { photosView } from "./photos.js";
import { ledgerView } from "./ledger.js";
import { movesView } from "./moves.js";
import { dailyView, problemsView } from "./problems.js";
import { screeningView } from "./screening.js";
import { loansView, projectsView } from "./assistance.js";

const VIEWS = { coverage: coverageView, map: mapView, photos: photosView, ledger: ledgerView, moves: movesView, problems: problemsView, daily: dailyView, screening: screeningView, projects: projectsView, loans: loansView };
const view = document.getElementById("view");
let cleanup = null;

export function route() {
  const [name, query] = (location.hash.replace(/^#\/?/, "") || "coverage").split("?");
  return { name: VIEWS[name] ? name : "coverage", params: new URLSearchParams(query || "") };
}

/// Changes the hash's filters (the router renders again).
export function go(name, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  location.hash = `#/${name}${q.toString() ? `?${q}` : ""}`;
}

/// The division a view shows: the one in the hash, else the caller's jurisdiction.
export function division(params) {
  return params.get("division") || currentUser()?.jurisdiction;
}

/// A division's name for headings and breadcrumbs (its code if the name cannot be read).
const names = new Map();
export async function placeName(code) {
  if (!names.has(code)) names.set(code, api(`/divisions/${code}`).then((d) => d.name).catch(() => code));
  return names.get(code);
}

export function message(text, kind = "info") {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
  clearTimeout(message.timer);
  if (text) message.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

export function problemText(e) {
  if (e instanceof ApiError) {
    const fields = (e.problem.errors || []).map((f) => f.message).join("; ");
    return `${t("error.generic")}: ${fields || e.message}`;
  }
  return `${t("error.generic")}: ${e.message}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null));
  return node;
}

let renderGen = 0;

/// Draws the view the hash names into a fresh container. A render overtaken by a newer one (the
/// user clicked on while it loaded) draws into its detached container and is cleaned up at once.
async function render() {
  const gen = ++renderGen;
  message("");
  if (cleanup) cleanup();
  cleanup = null;
  const { name, params } = route();
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", a.getAttribute("href") === `#/${name}`);
  const holder = el("div", {}, el("p", { class: "muted" }, t("loading")));
  view.replaceChildren(holder);
  try {
    const done = await VIEWS[name](holder, params);
    if (gen === renderGen) cleanup = done;
    else if (done) done();
  } catch (e) {
    holder.replaceChildren(el("p", { class: "error" }, problemText(e)));
  }
}

function showShell() {
  const user = currentUser();
  document.getElementById("top").hidden = false;
  const who = document.getElementById("who");
  who.textContent = `${user.display_name || user.username} · ${label("role", user.role)} · ${user.jurisdiction}`;
  // The jurisdiction by name once it is read (the code until then).
  placeName(user.jurisdiction).then((name) => { who.textContent = `${user.display_name || user.username} · ${label("role", user.role)} · ${name}`; });
  document.getElementById("lang").textContent = t("lang");
  translate();
}

/// Opens the login form and resolves once the user is logged in again. Requests that find the
/// session ended at the same time all wait for the same login (a second form handler would
/// leave the first request waiting for ever).
let pendingLogin = null;
function askLogin(expired) {
  const dialog = document.getElementById("login-dialog");
  const form = document.getElementById("login");
  document.getElementById("login-note").hidden = !expired;
  if (pendingLogin) return pendingLogin;
  translate(dialog);
  if (!dialog.open) dialog.showModal();
  pendingLogin = new Promise((resolve) => {
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const error = document.getElementById("login-error");
      try {
        await login(form.username.value, form.password.value);
        form.password.value = "";
        error.hidden = true;
        dialog.close();
        showShell();
        pendingLogin = null;
        resolve();
      } catch (e) {
        error.textContent = e.status === 401 ? t("login.failed") : problemText(e);
        error.hidden = false;
      }
    };
  });
  return pendingLogin;
}

whenExpired(() => askLogin(true));

document.getElementById("lang").addEventListener("click", () => { toggleLanguage(); showShell(); render(); });
document.getElementById("logout").addEventListener("click", async () => {
  await logout();
  document.getElementById("top").hidden = true;
  view.replaceChildren();
  await askLogin(false);
  render();
});
document.getElementById("login-dialog").addEventListener("cancel", (ev) => ev.preventDefault());
window.addEventListener("hashchange", render);

translate();
if (!(await refresh())) await askLogin(false);
await api("/me");
setLabels(await api("/labels"));
showShell();
render();
