// Small helpers shared by the screens: elements, messages, ids, formats.
import { t, label, language } from "./i18n.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

export function message(text, kind = "info") {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
  clearTimeout(message.timer);
  if (text) message.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

/// A random UUID (v4). `crypto.randomUUID` exists only on HTTPS pages; this works everywhere.
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/// A field's refusal: the server's code in the interface's language, with its message.
export function fieldMessage(e) {
  const code = label("err", e.code);
  return language() === "zh" && code !== e.code ? `${code}（${e.message}）` : e.message;
}

/// The text of a refusal: each field's message, else the detail.
export function problemText(problem, status) {
  const fields = (problem?.errors || []).map((f) => `${f.field}: ${fieldMessage(f)}`).join("; ");
  return `${t("error.generic")} (${status ?? "?"}): ${fields || problem?.detail || problem?.title || ""}`;
}

export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function metres(m) {
  return m === null || m === undefined ? "" : `${Math.round(m)} m`;
}

/// Two JSON values equal as data (key order ignored).
export function sameData(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b || (a == null && b == null);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== null && a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== null && b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameData(a[k], b[k]));
}

/// Today as the service counts days (YYYY-MM-DD in Beijing time, 北京时间, the service's default
/// FANGPIN_TIMEZONE): not the UTC day of `toISOString()`, which until 08:00 is yesterday's, so a
/// birth recorded at 01:00 would be "in the future" to the form.
export function serviceDay(at = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}
