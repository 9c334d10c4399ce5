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

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::web::{self, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use futures_util::StreamExt;
use serde::Serialize;

use super::v1::auth::{LoginBody, TokenView, login_pair, refresh_pair, revoke};
use super::v1::users::UserView;
use crate::error::ApiError;
use crate::state::AppState;

const COOKIE: &str = "fangpin_app_refresh";
const COOKIE_PATH: &str = "/app/session";
/// Login bodies are a few hundred bytes; more is refused before it is held (as for `/auth/`).
const SESSION_BODY_LIMIT: usize = 16 * 1024;

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

/// What the page receives: no refresh token, it stays in the cookie.
#[derive(Serialize)]
struct SessionView {
    access_token: String,
    expires_in: i64,
    user: UserView,
}

fn require_app_header(req: &HttpRequest) -> Result<(), ApiError> {
    match req.headers().get("x-fangpin-app").and_then(|v| v.to_str().ok()) {
        Some("1") => Ok(()),
        _ => Err(ApiError::Forbidden("app session requests carry X-Fangpin-App: 1".into())),
    }
}

fn cookie(req: &HttpRequest, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        // Secure where it is served over TLS (as it must be for phones: see the README).
        .secure(req.connection_info().scheme() == "https")
        .max_age(max_age)
        .finish()
}

fn session(req: &HttpRequest, state: &AppState, view: TokenView) -> HttpResponse {
    let max_age = CookieDuration::days(state.settings.refresh_token_ttl_days);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(req, view.refresh_token, max_age))
        .json(SessionView { access_token: view.access_token, expires_in: view.expires_in, user: view.user })
}

/// A login body of at most [`SESSION_BODY_LIMIT`] bytes (the paths open before login hold no
/// more than that in memory).
async fn login_body(req: &HttpRequest, mut payload: web::Payload) -> Result<LoginBody, ApiError> {
    let json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType("send the body as application/json".into()));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("the body could not be read".into()))?;
        if body.len() + chunk.len() > SESSION_BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge(format!("a body here may have at most {SESSION_BODY_LIMIT} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {}", super::redact::deserializer_message(&e.to_string()))))
}

/// Log in: the access token in the answer, the refresh token in the cookie.
#[post("/app/session")]
pub async fn login(state: Data<AppState>, req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    require_app_header(&req)?;
    let body = login_body(&req, payload).await?;
    let view = login_pair(&state, &req, body).await?;
    Ok(session(&req, &state, view))
}

/// A new access token from the cookie (rotated); 401 sends the app back to its login screen,
/// with everything recorded offline kept.
#[post("/app/session/refresh")]
pub async fn refresh(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    require_app_header(&req)?;
    let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).ok_or_else(|| ApiError::Unauthorized("no app session: log in".into()))?;
    let view = refresh_pair(&state, token).await?;
    Ok(session(&req, &state, view))
}

/// Log out: the refresh token's family is revoked and the cookie removed.
#[post("/app/session/logout")]
pub async fn logout(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    require_app_header(&req)?;
    if let Some(c) = req.cookie(COOKIE) {
        revoke(&state, c.value().to_owned()).await?;
    }
    Ok(HttpResponse::NoContent().cookie(cookie(&req, String::new(), CookieDuration::ZERO)).finish())
}
