//! The township review console 审核台 at `/console/`: plain JavaScript modules and a bundled
//! Leaflet, embedded in the binary (a county office may have no internet), and its session.
//!
//! The session keeps the access token in the page's memory only. The refresh token lives in an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to `/console/session`, which the page cannot read;
//! `POST /console/session/refresh` rotates it (the API's reuse detection applies) and answers a
//! new access token. Session requests must carry `X-Fangpin-Console: 1`, which a cross-site form
//! cannot send. Everything the console shows comes from the `/api/v1` endpoints with the access
//! token, so it sees exactly the caller's jurisdiction.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};

use super::body::Checked;
use super::cookie_session::CookieSession;
use super::v1::auth::LoginBody;
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
    ("archive.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/archive.js")),
    ("problems.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/problems.js")),
    ("screening.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/screening.js")),
    ("assistance.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/console/assistance.js")),
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

/// The console's session (`api::cookie_session`).
const SESSION: CookieSession = CookieSession { cookie: COOKIE, path: COOKIE_PATH, header: "x-fangpin-console", name: "console" };

/// Log in: the access token in the answer, the refresh token in the cookie.
#[post("/console/session")]
pub async fn login(state: Data<AppState>, req: HttpRequest, body: Checked<LoginBody>) -> Result<HttpResponse, ApiError> {
    SESSION.login(&state, &req, body).await
}

/// A new access token from the cookie (rotated); 401 sends the page back to its login form.
#[post("/console/session/refresh")]
pub async fn refresh(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    SESSION.refresh(&state, &req).await
}

/// Log out: the refresh token's family is revoked and the cookie removed.
#[post("/console/session/logout")]
pub async fn logout(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    SESSION.logout(&state, &req).await
}
