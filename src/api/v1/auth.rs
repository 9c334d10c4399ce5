//! `/auth/*` and `/me`: login with throttling, rotating refresh tokens, logout.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web::Data};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::users::UserView;
use crate::api::body::Checked;
use crate::auth::AuthUser;
use crate::db::repo::{self, tokens};
use crate::db::{DbConnection, new_id, now, write_tx};
use crate::domain::Role;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login).service(refresh).service(logout).service(me).service(change_password);
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginBody {
    /// 用户名
    #[validate(required)]
    #[schema(value_type = String)]
    pub username: Option<String>,
    #[validate(required)]
    #[schema(value_type = String)]
    pub password: Option<String>,
}

/// The username and password of a login body, or a 422 naming what is missing.
pub fn credentials(body: Checked<LoginBody>) -> Result<(String, String), ApiError> {
    let (b, errs) = body.into_parts();
    match (b.username, b.password) {
        (Some(username), Some(password)) if errs.is_empty() => Ok((username, password)),
        _ => Err(errs.into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use token for `/auth/refresh`; rotates on every use.
    pub refresh_token: String,
    pub user: UserView,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct RefreshBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub refresh_token: Option<String>,
}

impl RefreshBody {
    /// The token, or a 422 naming it as missing.
    fn token(body: Checked<Self>) -> Result<String, ApiError> {
        let (b, errs) = body.into_parts();
        b.refresh_token.filter(|_| errs.is_empty()).ok_or_else(|| errs.into())
    }
}

fn issue_pair(state: &AppState, c: &mut DbConnection, user: &crate::db::models::UserRow, family: &str) -> Result<TokenView, ApiError> {
    let refresh_token = tokens::issue(c, &user.id, family, Duration::days(state.settings.refresh_token_ttl_days))?;
    Ok(TokenView {
        access_token: state.jwt.issue(&user.id, user.token_generation)?,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_secs,
        refresh_token,
        user: UserView::from_row(user, &state.crypto, false),
    })
}

/// Log in
///
/// Log in with username and password.
///
/// Answers a short-lived access token (JWT) and a refresh token. Wrong credentials answer 401
/// without saying which was wrong; repeated failures for one user or from one address answer 429
/// with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, body = TokenView),
        (status = 401, description = "invalid_credentials", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts for this username or address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(state: Data<AppState>, req: HttpRequest, body: Checked<LoginBody>) -> Result<HttpResponse, ApiError> {
    let (username, password) = credentials(body)?;
    let view = login_pair(&state, &req, username, password).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view))
}

/// Checks the password and issues a token pair; shared by the API and the console's cookie
/// session. Throttling, counted before the password is checked (so parallel guesses cannot
/// all pass): an address gets 429 after `login_max_failures_per_address` failures in the
/// window, and one username from one address after `login_max_failures_per_user`; the
/// username itself is never locked (an attacker could lock its owner out), but once it has
/// failed that often from anywhere each further attempt waits 1, 2, 4 … 16 s first.
pub async fn login_pair(state: &Data<AppState>, req: &HttpRequest, username: String, pw: String) -> Result<TokenView, ApiError> {
    // An IPv6 client is counted by its /64 (one host holds a whole /64 of addresses).
    let address = match state.client_ip(req) {
        Some(std::net::IpAddr::V6(v6)) => ipnet::Ipv6Net::new(v6, 64).map(|n| n.trunc().to_string()).unwrap_or_else(|_| v6.to_string()),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    };
    let name = username.trim().to_lowercase();
    let s = state.settings.clone();
    let window = Duration::seconds(s.login_window_secs);
    // Kept as keyed hashes: what someone typed as a username (a phone number, say) and their
    // address are not stored in clear.
    let hashed = |kind: &str, v: &str| state.crypto.lookup_hash(kind, v);
    let (user_key, pair_key, addr_key) =
        (format!("user:{}", hashed("login-user", &name)), format!("pair:{}", hashed("login-pair", &format!("{name}@{address}"))), format!("addr:{}", hashed("login-address", &address)));
    let lookup = username.trim().to_owned();
    let clear_key = pair_key.clone();
    let (attempt, user) = state
        .db
        .run(move |c| {
            let limited = [(pair_key.as_str(), s.login_max_failures_per_user), (addr_key.as_str(), s.login_max_failures_per_address)];
            let attempt = tokens::reserve_attempt(c, &limited, &user_key, window)?;
            let user = match attempt {
                tokens::Attempt::Reserved { .. } => repo::users::find_by_username(c, &lookup)?,
                tokens::Attempt::Refused { .. } => None,
            };
            Ok((attempt, user))
        })
        .await?;
    let (rows, user_failures) = match attempt {
        tokens::Attempt::Refused { retry_after_secs } => return Err(ApiError::TooManyRequests { retry_after_secs }),
        tokens::Attempt::Reserved { rows, user_failures } => (rows, user_failures),
    };
    let over = user_failures - state.settings.login_max_failures_per_user;
    if over >= 0 {
        let delay = 1u64 << over.clamp(0, 4);
        tokio::time::sleep(std::time::Duration::from_secs(delay)).await;
    }
    let ok = state.passwords.verify(pw, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        return Err(ApiError::InvalidCredentials);
    };
    let st = state.clone();
    state
        .db
        .run(move |c| {
            tokens::forget_attempt(c, &rows)?;
            tokens::clear_failures(c, &clear_key, now() - window)?;
            issue_pair(&st, c, &user, &new_id())
        })
        .await
}

/// Refresh a session
///
/// Exchange a refresh token for a new pair. The old one stops working; presenting a spent one again
/// revokes its whole family (it was stolen or replayed).
///
/// The phone calls this when the access token expires, then keeps the new refresh token in place of
/// the old one.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshBody,
    responses((status = 200, body = TokenView), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[post("/auth/refresh")]
pub async fn refresh(state: Data<AppState>, body: Checked<RefreshBody>) -> Result<HttpResponse, ApiError> {
    let view = refresh_pair(&state, RefreshBody::token(body)?).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view))
}

/// Rotates a refresh token into a new pair (reuse revokes the family); shared with the console.
pub async fn refresh_pair(state: &Data<AppState>, token: String) -> Result<TokenView, ApiError> {
    let st = state.clone();
    // Reuse detection must persist even though the request fails: decide first, then answer.
    enum Outcome {
        Pair(Box<TokenView>),
        Refused(&'static str),
        /// A spent token presented again: the user's sessions and access tokens were ended.
        Reused(String),
    }
    let outcome = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let Some(row) = tokens::find(c, &token)? else { return Ok(Outcome::Refused("unknown refresh token")) };
                if row.revoked_at.is_some() {
                    return Ok(Outcome::Refused("the refresh token was revoked"));
                }
                if row.used_at.is_some() || !tokens::mark_used(c, &row.id)? {
                    tokens::revoke_family(c, &row.family_id)?;
                    tracing::warn!(user = %row.user_id, "refresh token reused: family revoked");
                    return Ok(Outcome::Reused(row.user_id));
                }
                if row.expires_at < now() {
                    return Ok(Outcome::Refused("the refresh token expired: log in again"));
                }
                let user = repo::users::find_by_id(c, &row.user_id)?.filter(|u| !u.disabled);
                let Some(user) = user else { return Ok(Outcome::Refused("the account is disabled")) };
                Ok(Outcome::Pair(Box::new(issue_pair(&st, c, &user, &row.family_id)?)))
            })
        })
        .await?;
    match outcome {
        Outcome::Pair(view) => Ok(*view),
        Outcome::Refused(why) => Err(ApiError::Unauthorized(why.into())),
        Outcome::Reused(user_id) => {
            state.users.invalidate(&user_id);
            Err(ApiError::Unauthorized("the refresh token was already used: all sessions of it are revoked".into()))
        }
    }
}

/// Log out
///
/// Revoke a refresh token (and the tokens rotated from it).
///
/// Send the refresh token of the session to end. The access token still works until it expires
/// (minutes); the phone forgets both.
#[utoipa::path(tag = "auth", request_body = RefreshBody, responses((status = 204, description = "revoked")))]
#[post("/auth/logout")]
pub async fn logout(state: Data<AppState>, body: Checked<RefreshBody>) -> Result<HttpResponse, ApiError> {
    revoke(&state, RefreshBody::token(body)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a refresh token's family and ends the user's access tokens (their other sessions
/// get new ones from their own refresh tokens); unknown tokens are ignored.
pub async fn revoke(state: &Data<AppState>, token: String) -> Result<(), ApiError> {
    let user = state
        .db
        .run(move |c| {
            let Some(row) = tokens::find(c, &token)? else { return Ok(None) };
            write_tx(c, |c| Ok::<_, ApiError>(tokens::revoke_family(c, &row.family_id)?))?;
            Ok(Some(row.user_id))
        })
        .await?;
    if let Some(id) = user {
        state.users.invalidate(&id);
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Division code of the jurisdiction 管辖区划.
    pub jurisdiction: String,
}

/// Who am I
///
/// The caller.
///
/// The user behind the access token: id, username, role and jurisdiction.
#[utoipa::path(operation_id = "get_me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = MeView), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/me")]
pub async fn me(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(MeView {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        jurisdiction: user.jurisdiction.to_string(),
    })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct PasswordBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub current_password: Option<String>,
    /// At least 8 characters from 3 of: lower case, upper case, digits, symbols.
    #[validate(required)]
    #[schema(value_type = String)]
    pub new_password: Option<String>,
}

/// Change my password
///
/// Change one's own password; every session ends, this one included (log in again).
///
/// A password needs at least 8 characters and three of: lowercase, uppercase, digits, other signs.
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = PasswordBody, responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[put("/me/password")]
pub async fn change_password(state: Data<AppState>, user: AuthUser, body: Checked<PasswordBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    if let Some(p) = &b.new_password {
        errs.check("new_password", crate::domain::password::check_policy(p));
    }
    let (Some(current_password), Some(new_password)) = (b.current_password, b.new_password) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let actor = user.actor();
    let id = user.id.clone();
    let current = state.db.run(move |c| Ok(repo::users::find_by_id(c, &id)?)).await?.ok_or(ApiError::NotFound)?;
    if !state.passwords.verify(current_password, Some(current.password_hash.clone())).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let new_hash = state.passwords.hash(new_password).await?;
    let uid = user.id.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let row = repo::users::find_by_id(c, &uid)?.ok_or(ApiError::NotFound)?;
                if row.password_hash != current.password_hash {
                    // Changed meanwhile by another request: the checked password is no longer current.
                    return Err(ApiError::PreconditionFailed);
                }
                let mut next = row.clone();
                next.password_hash = new_hash;
                repo::users::update(c, &next, row.version)?;
                tokens::revoke_user(c, &row.id)?;
                repo::audit::append(c, &actor, repo::audit::Entry { action: "password_change", entity_type: "user", entity_id: &row.id, household_id: None, before: None, after: None })?;
                Ok(())
            })
        })
        .await?;
    state.users.invalidate(&user.id);
    Ok(HttpResponse::NoContent().finish())
}
