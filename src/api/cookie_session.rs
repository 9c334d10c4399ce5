//! The browser session shared by the review console and the phone app: the access token in the
//! answer (kept in the page's memory only), the refresh token in an `HttpOnly`,
//! `SameSite=Strict` cookie scoped to the session's path, rotated on refresh (the API's reuse
//! detection applies) and revoked on logout. Every session request must carry a custom header
//! (`X-Fangpin-Console: 1`, `X-Fangpin-App: 1`), which a cross-site form cannot send. The
//! session paths take a body before login, so `limits::public_body` caps them.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::body::Checked;
use super::v1::auth::{LoginBody, TokenView, credentials, login_pair, refresh_pair, revoke};
use super::v1::users::UserView;
use crate::error::ApiError;
use crate::state::AppState;

/// One kind of browser session: its cookie, the path the cookie is scoped to, the header its
/// requests carry and what to call it in messages.
pub struct CookieSession {
    pub cookie: &'static str,
    pub path: &'static str,
    pub header: &'static str,
    pub name: &'static str,
}

/// What the page receives: no refresh token, it stays in the cookie.
#[derive(Serialize)]
struct SessionView {
    access_token: String,
    expires_in: i64,
    user: UserView,
}

impl CookieSession {
    fn require_header(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match req.headers().get(self.header).and_then(|v| v.to_str().ok()) {
            Some("1") => Ok(()),
            _ => Err(ApiError::Forbidden(format!("{} session requests carry {}: 1", self.name, self.header))),
        }
    }

    fn cookie(&self, req: &HttpRequest, value: String, max_age: CookieDuration) -> Cookie<'static> {
        Cookie::build(self.cookie, value)
            .path(self.path)
            .http_only(true)
            .same_site(SameSite::Strict)
            // Secure where it is served over TLS (phones need TLS for the app: see the README);
            // a plain-HTTP office network still works for the console.
            .secure(req.connection_info().scheme() == "https")
            .max_age(max_age)
            .finish()
    }

    fn answer(&self, req: &HttpRequest, state: &Data<AppState>, view: TokenView) -> HttpResponse {
        let max_age = CookieDuration::days(state.settings.refresh_token_ttl_days);
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(self.cookie(req, view.refresh_token, max_age))
            .json(SessionView { access_token: view.access_token, expires_in: view.expires_in, user: view.user })
    }

    /// Log in: the access token in the answer, the refresh token in the cookie.
    pub async fn login(&self, state: &Data<AppState>, req: &HttpRequest, body: Checked<LoginBody>) -> Result<HttpResponse, ApiError> {
        self.require_header(req)?;
        let (username, password) = credentials(body)?;
        let view = login_pair(state, req, username, password).await?;
        Ok(self.answer(req, state, view))
    }

    /// A new access token from the cookie (rotated); 401 sends the page back to its login.
    pub async fn refresh(&self, state: &Data<AppState>, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.require_header(req)?;
        let token = req.cookie(self.cookie).map(|c| c.value().to_owned()).ok_or_else(|| ApiError::Unauthorized(format!("no {} session: log in", self.name)))?;
        let view = refresh_pair(state, token).await?;
        Ok(self.answer(req, state, view))
    }

    /// Log out: the refresh token's family is revoked and the cookie removed.
    pub async fn logout(&self, state: &Data<AppState>, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        self.require_header(req)?;
        if let Some(c) = req.cookie(self.cookie) {
            revoke(state, c.value().to_owned()).await?;
        }
        Ok(HttpResponse::NoContent().cookie(self.cookie(req, String::new(), CookieDuration::ZERO)).finish())
    }
}
