//! `AuthUser`: the authenticated caller, loaded fresh from the database on each request so a
//! disabled user or a changed role takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web::Data};

use super::Scope;
use crate::db::repo;
use crate::domain::{DivisionCode, Role};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
}

impl AuthUser {
    pub fn scope(&self) -> Scope {
        Scope::for_user(self.role, &self.jurisdiction, &self.id)
    }

    /// The scope for reading a single record (a cadre also reaches past pairings, read-only).
    pub fn read_scope(&self) -> Scope {
        self.scope().for_reading()
    }

    /// 403 unless `allowed` holds for the caller's role.
    pub fn require(&self, allowed: bool, what: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("the role {} may not {what}", self.role.as_str())))
        }
    }

    /// The actor recorded in the audit log.
    pub fn actor(&self) -> repo::audit::Actor {
        repo::audit::Actor { id: Some(self.id.clone()), name: Some(self.username.clone()) }
    }
}

pub(crate) fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <access token>".into()))?;
    let value = header.to_str().map_err(|_| ApiError::Unauthorized("malformed Authorization header".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized("expected a Bearer token".into())),
    }
}

/// The caller of a bearer token, as every authenticated request sees it: a valid signature,
/// an enabled account and the token's generation still current (logout, a password change or
/// reset end it), with the role and jurisdiction the account has now.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let (user_id, generation) = state.jwt.verify(token).map_err(|e| ApiError::Unauthorized(format!("invalid access token: {e}")))?;
    let row = match state.users.get(&user_id) {
        Some(cached) => Some(cached),
        None => {
            let row = state.db.run(move |c| Ok(repo::users::find_by_id(c, &user_id)?)).await?;
            if let Some(r) = &row {
                state.users.put(r.clone());
            }
            row
        }
    };
    let row = row.filter(|u| !u.disabled).ok_or_else(|| ApiError::Unauthorized("the account is disabled".into()))?;
    if row.token_generation != generation {
        return Err(ApiError::Unauthorized("the session ended (logout or password change): log in again".into()));
    }
    let role = Role::parse(&row.role).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored role: {e}")))?;
    let jurisdiction = DivisionCode::parse(&row.jurisdiction).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored jurisdiction: {e}")))?;
    Ok(AuthUser { id: row.id, username: row.username, display_name: row.display_name, role, jurisdiction })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
            authenticate(&state, &token?).await
        })
    }
}
