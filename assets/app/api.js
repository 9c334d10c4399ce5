// The API client of the phone app. The access token lives in this module's memory only; the
// refresh token is an HttpOnly cookie scoped to /app/session that no script can read, so a
// script injected into any page of this server could not carry it away. Everything else goes to
// /api/v1 with the access token.
const SESSION_HEADERS = { "X-Fangpin-App": "1", "Content-Type": "application/json" };
let token = null;
let expiresAt = 0;
let refreshing = null;

export class ApiError extends Error {
  constructor(status, problem, headers) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = Number(headers?.get?.("Retry-After")) || null;
  }
}

/// No answer at all: no signal, or the server cannot be reached.
export class Offline extends Error {}

/// The server no longer accepts this phone's session: log in again (nothing recorded is lost).
export class SessionEnded extends Error {}

export function hasToken() { return token !== null; }

function accept(session) {
  token = session.access_token;
  // Renewed a minute early: an upload is not sent only to be refused for an expired token.
  expiresAt = Date.now() + Math.max(0, session.expires_in - 60) * 1000;
  return session.user;
}

async function post(path) {
  try {
    return await fetch(path, { method: "POST", headers: SESSION_HEADERS, credentials: "same-origin" });
  } catch {
    throw new Offline("no connection");
  }
}

export async function login(username, password) {
  let res;
  try {
    res = await fetch("/app/session", { method: "POST", headers: SESSION_HEADERS, credentials: "same-origin", body: JSON.stringify({ username, password }) });
  } catch {
    throw new Offline("no connection");
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers);
  return accept(await res.json());
}

/// A new access token from the cookie. Resolves with the user, rejects with SessionEnded (the
/// server refused the cookie) or Offline. One refresh at a time across all open tabs of the
/// app: two sending the same cookie at once would look like a replayed token and end the session.
export function refresh() {
  const run = async () => {
    const res = await post("/app/session/refresh");
    if (res.status === 401 || res.status === 403) {
      token = null;
      throw new SessionEnded("session ended");
    }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers);
    return accept(await res.json());
  };
  refreshing ??= (navigator.locks ? navigator.locks.request("fangpin-app-refresh", run) : run()).finally(() => { refreshing = null; });
  return refreshing;
}

/// Ends the session on the server; false when the server could not be reached (the session
/// then stays, and so does everything on the phone).
export async function logout() {
  const res = await post("/app/session/logout").catch(() => null);
  if (!res || res.status >= 500) return false;
  token = null;
  expiresAt = 0;
  return true;
}

/// Calls /api/v1 and returns the Response (any status). Renews the token first when it is
/// about to expire, and once more on a 401. Throws Offline without an answer, SessionEnded when
/// the session cannot be renewed.
export async function request(path, { method = "GET", body, form, ifMatch, key } = {}) {
  if (!token || Date.now() > expiresAt) await refresh();
  for (let attempt = 0; ; attempt++) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    if (key) headers["Idempotency-Key"] = key;
    let res;
    try {
      res = await fetch(`/api/v1${path}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    } catch {
      throw new Offline("no connection");
    }
    if (res.status === 401 && attempt === 0) {
      await refresh();
      continue;
    }
    if (res.status === 401) throw new SessionEnded("session ended");
    return res;
  }
}

/// GET (or another method) answering JSON; ApiError for any refusal.
export async function json(path, options) {
  const res = await request(path, options);
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers);
  return res.status === 204 ? null : res.json();
}
