//! The cadre's phone app 入户采集 at `/app/`: an installable, offline-first web app embedded in
//! the binary (a county hands its cadres one link on the day it deploys, no app store), and its
//! session.
//!
//! The page works offline from a service worker's cache, so everything it needs is served from
//! here with no external URL, under a Content Security Policy stricter than the console's (no
//! map tiles: images only from this server or the phone itself). The service worker's cache is
//! named after a digest of every asset, so a new binary replaces the cached app on the next
//! visit with signal. The session follows the console's: the access token stays in the page's
//! memory; the refresh token is an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! `/app/session` that no script can read, rotated by `POST /app/session/refresh`. Session
//! requests carry `X-Fangpin-App: 1`, which a cross-site form cannot send. Everything the app
//! shows and records goes through `/api/v1` with the access token, so the cadre sees exactly
//! their paired households.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde::Serialize;

use super::body::Checked;
use super::cookie_session::CookieSession;
use super::v1::auth::LoginBody;
use crate::error::ApiError;
use crate::state::AppState;

const COOKIE: &str = "fangpin_app_refresh";
const COOKIE_PATH: &str = "/app/session";

const JS: &str = "text/javascript; charset=utf-8";

/// (name, content type, bytes) of every file under `assets/app/` but the service worker, which
/// is served with the shell's list and version written into it.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../assets/app/app.css")),
    ("main.js", JS, include_bytes!("../../assets/app/main.js")),
    ("api.js", JS, include_bytes!("../../assets/app/api.js")),
    ("db.js", JS, include_bytes!("../../assets/app/db.js")),
    ("i18n.js", JS, include_bytes!("../../assets/app/i18n.js")),
    ("ui.js", JS, include_bytes!("../../assets/app/ui.js")),
    ("outbox.js", JS, include_bytes!("../../assets/app/outbox.js")),
    ("sync.js", JS, include_bytes!("../../assets/app/sync.js")),
    ("list.js", JS, include_bytes!("../../assets/app/list.js")),
    ("household.js", JS, include_bytes!("../../assets/app/household.js")),
    ("locate.js", JS, include_bytes!("../../assets/app/locate.js")),
    ("photos.js", JS, include_bytes!("../../assets/app/photos.js")),
    ("yearly.js", JS, include_bytes!("../../assets/app/yearly.js")),
    ("member.js", JS, include_bytes!("../../assets/app/member.js")),
    ("queue.js", JS, include_bytes!("../../assets/app/queue.js")),
    ("manifest.webmanifest", "application/manifest+json", include_bytes!("../../assets/app/manifest.webmanifest")),
    ("icon-192.png", "image/png", include_bytes!("../../assets/app/icon-192.png")),
    ("icon-512.png", "image/png", include_bytes!("../../assets/app/icon-512.png")),
    ("icon-maskable-512.png", "image/png", include_bytes!("../../assets/app/icon-maskable-512.png")),
];

const INDEX: &str = include_str!("../../assets/app/index.html");
const SERVICE_WORKER: &str = include_str!("../../assets/app/sw.js");

/// Scripts, styles, API calls, the manifest and the worker only from this server; images also
/// from the phone itself (`blob:` thumbnails of photos not yet sent).
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

/// A digest of every file of the app: the service worker's cache is named after it.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (name, _, body) in ASSETS {
            h.update(name.as_bytes());
            h.update(body);
        }
        h.update(INDEX.as_bytes());
        h.update(SERVICE_WORKER.as_bytes());
        hex::encode(&h.finalize()[..8])
    })
}

/// The service worker with the shell it caches and the version it caches it under.
fn service_worker() -> &'static str {
    static SW: OnceLock<String> = OnceLock::new();
    SW.get_or_init(|| {
        let mut shell = vec!["/app/".to_owned()];
        shell.extend(ASSETS.iter().map(|(name, _, _)| format!("/app/{name}")));
        let shell = serde_json::to_string(&shell).unwrap_or_else(|_| "[]".into());
        SERVICE_WORKER.replace("\"__VERSION__\"", &format!("\"{}\"", version())).replace("[/*__SHELL__*/]", &shell)
    })
}

fn page<B: actix_web::body::MessageBody + 'static>(body: B, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        // Revalidated on every fetch with signal: the service worker holds the offline copy.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// Every route of the app (registered before the catch-all 404).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(root).service(index).service(worker).service(settings).service(login).service(refresh).service(logout).service(asset);
}

#[get("/app")]
pub async fn root() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/app/")).finish()
}

/// The page; every screen of the app is a `#fragment` of it.
#[get("/app/")]
pub async fn index() -> HttpResponse {
    page(INDEX, "text/html; charset=utf-8")
}

/// The service worker, at the app's root so that its scope is `/app/`.
#[get("/app/sw.js")]
pub async fn worker() -> HttpResponse {
    page(service_worker(), JS)
}

/// What the app must know of this server's configuration to judge a capture before sending it.
#[derive(Serialize)]
struct AppSettings {
    /// A capture less precise never becomes the home (`FANGPIN_LOCATION_MAX_ACCURACY_M`).
    location_max_accuracy_m: f64,
    /// Largest photo upload (`FANGPIN_PHOTO_MAX_BYTES`).
    photo_max_bytes: usize,
    /// The app's version (the service worker's cache).
    version: &'static str,
}

#[get("/app/config.json")]
pub async fn settings(state: Data<AppState>) -> HttpResponse {
    let s = AppSettings { location_max_accuracy_m: state.settings.location_max_accuracy_m, photo_max_bytes: state.settings.photo_max_bytes, version: version() };
    page(serde_json::to_string(&s).unwrap_or_default(), "application/json")
}

#[get("/app/{file}")]
pub async fn asset(file: Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, content_type, body) = ASSETS.iter().find(|(n, _, _)| *n == file.as_str()).ok_or(ApiError::NotFound)?;
    Ok(page(*body, content_type))
}

/// The app's session (`api::cookie_session`); its requests carry `X-Fangpin-App: 1`.
const SESSION: CookieSession = CookieSession { cookie: COOKIE, path: COOKIE_PATH, header: "x-fangpin-app", name: "app" };

/// Log in: the access token in the answer, the refresh token in the cookie. The body is at
/// most 16 KiB like every body before login (`limits::public_body`).
#[post("/app/session")]
pub async fn login(state: Data<AppState>, req: HttpRequest, body: Checked<LoginBody>) -> Result<HttpResponse, ApiError> {
    SESSION.login(&state, &req, body).await
}

/// A new access token from the cookie (rotated); 401 sends the app back to its login screen,
/// with everything recorded offline kept.
#[post("/app/session/refresh")]
pub async fn refresh(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    SESSION.refresh(&state, &req).await
}

/// Log out: the refresh token's family is revoked and the cookie removed.
#[post("/app/session/logout")]
pub async fn logout(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    SESSION.logout(&state, &req).await
}
