// The API client of the console: the access token lives in this module's memory only; the refresh
// token is an HttpOnly cookie the page cannot read (POST /console/session/refresh rotates it).
const SESSION_HEADERS = { "X-Fangpin-Console": "1", "Content-Type": "application/json" };
let token = null;
let user = null;
let refreshing = null;
let onExpired = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function currentUser() { return user; }
export function whenExpired(fn) { onExpired = fn; }

function accept(session) {
  token = session.access_token;
  user = session.user;
  return user;
}

export async function login(username, password) {
  const res = await fetch("/console/session", { method: "POST", headers: SESSION_HEADERS, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return accept(await res.json());
}

/// A new access token from the cookie; false when there is no session (log in).
export function refresh() {
  refreshing ??= fetch("/console/session/refresh", { method: "POST", headers: SESSION_HEADERS })
    .then(async (res) => (res.ok ? (accept(await res.json()), true) : false))
    .catch(() => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

export async function logout() {
  await fetch("/console/session/logout", { method: "POST", headers: SESSION_HEADERS }).catch(() => null);
  token = null;
  user = null;
}

/// Calls /api/v1 with the access token; on 401 refreshes once and retries, else hands the page
/// to the login form (`whenExpired`) and waits for the user to log in again.
export async function api(path, { method = "GET", body, ifMatch, raw = false, form } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    // A multipart `form` (a photo) sets its own Content-Type.
    const res = await fetch(`/api/v1${path}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    if (res.status === 401 && attempt < 3) {
      if (!(await refresh())) await onExpired();
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    if (raw) return res;
    return res.status === 204 ? null : res.json();
  }
}

/// Sends a multipart form (a file upload) to /api/v1 with the access token, as `api` does.
export async function upload(path, form) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`/api/v1${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form });
    if (res.status === 401 && attempt < 3) {
      if (!(await refresh())) await onExpired();
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res.json();
  }
}

/// Every page of a paged list (`items`, `next_cursor`), up to `max` items.
export async function all(path, max = 5000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/// An object URL for an authenticated image or file (an <img> cannot send the token).
export async function blobUrl(path) {
  const res = await api(path.replace(/^\/api\/v1/, ""), { raw: true });
  return URL.createObjectURL(await res.blob());
}

export function download(url, filename) {
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
