//! The township review console 审核台 at `/console/`: plain JavaScript modules and a bundled
//! Leaflet, embedded in the binary (a county office may have no internet), and its session.
//!
//! The session keeps the access token in the page's memory only. The refresh token lives in an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to `/console/session`, which the page cannot read;
//! `POST /console/session/refresh` rotates it (the API's reuse detection applies) and answers a
//! new access token. Session requests must carry `X-Fangpin-Console: 1`, which a cross-site form
//! cannot send. Everything the console shows comes from the `/api/v1` endpoints with the access
//! token, so it sees exactly the caller's jurisdiction.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde::Serialize;

use super::body::Checked;
use super::v1::auth::{LoginBody, TokenView, credentials, login_pair, refresh_pair, revoke};
use super::v1::users::UserView;
use crate::error::ApiError;
use crate::state::AppState;

const COOKIE: &str = "fangpin_console_refresh";
const COOKIE_PATH: &str = "/console/session";

/// (name, content type, bytes) of every file under `assets/console/`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../assets/console/app.css")),
    ("main.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/main.js")),
    ("api.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/api.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/i18n.js")),
    ("coverage.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/coverage.js")),
    ("csv.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/csv.js")),
    ("map.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/map.js")),
    ("photos.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/photos.js")),
    ("ledger.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/ledger.js")),
    ("moves.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/moves.js")),
    ("vendor/leaflet.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/vendor/leaflet.js")),
    ("vendor/leaflet.css", "text/css; charset=utf-8", include_bytes!("../../assets/console/vendor/leaflet.css")),
];

const INDEX: &str = include_str!("../../assets/console/index.html");

/// Tiles may come from any map server the office configures; scripts, styles and API calls only
/// from this server.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob: http: https:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn page(body: &'static [u8], content_type: &str, cache: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

#[get("/console")]
pub async fn root() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/console/")).finish()
}

/// The page; every view of the console is a `#fragment` of it.
#[get("/console/")]
pub async fn index() -> HttpResponse {
    page(INDEX.as_bytes(), "text/html; charset=utf-8", "no-cache")
}

#[get("/console/{file}")]
pub async fn asset(file: Path<String>) -> Result<HttpResponse, ApiError> {
    serve_asset(&file)
}

#[get("/console/vendor/{file}")]
pub async fn vendor_asset(file: Path<String>) -> Result<HttpResponse, ApiError> {
    serve_asset(&format!("vendor/{file}"))
}

fn serve_asset(name: &str) -> Result<HttpResponse, ApiError> {
    let (_, content_type, body) = ASSETS.iter().find(|(n, _, _)| *n == name).ok_or(ApiError::NotFound)?;
    // Assets change with the binary: revalidate rather than cache across upgrades.
    Ok(page(body, content_type, "no-cache"))
}

/// What the page receives: no refresh token, it stays in the cookie.
#[derive(Serialize)]
struct SessionView {
    access_token: String,
    expires_in: i64,
    user: UserView,
}

fn require_console_header(req: &HttpRequest) -> Result<(), ApiError> {
    match req.headers().get("x-fangpin-console").and_then(|v| v.to_str().ok()) {
        Some("1") => Ok(()),
        _ => Err(ApiError::Forbidden("console session requests carry X-Fangpin-Console: 1".into())),
    }
}

fn cookie(req: &HttpRequest, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        // Secure where the office serves it over TLS; a plain-HTTP office network still works.
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

/// Log in: the access token in the answer, the refresh token in the cookie.
#[post("/console/session")]
pub async fn login(state: Data<AppState>, req: HttpRequest, body: Checked<LoginBody>) -> Result<HttpResponse, ApiError> {
    require_console_header(&req)?;
    let (username, password) = credentials(body)?;
    let view = login_pair(&state, &req, username, password).await?;
    Ok(session(&req, &state, view))
}

/// A new access token from the cookie (rotated); 401 sends the page back to its login form.
#[post("/console/session/refresh")]
pub async fn refresh(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    require_console_header(&req)?;
    let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).ok_or_else(|| ApiError::Unauthorized("no console session: log in".into()))?;
    let view = refresh_pair(&state, token).await?;
    Ok(session(&req, &state, view))
}

/// Log out: the refresh token's family is revoked and the cookie removed.
#[post("/console/session/logout")]
pub async fn logout(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    require_console_header(&req)?;
    if let Some(c) = req.cookie(COOKIE) {
        revoke(&state, c.value().to_owned()).await?;
    }
    Ok(HttpResponse::NoContent().cookie(cookie(&req, String::new(), CookieDuration::ZERO)).finish())
}
