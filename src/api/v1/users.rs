//! `/users`: accounts, managed by county admins and township reviewers within their jurisdiction;
//! nobody grants a role or jurisdiction above their own.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{etag, path_id, require_if_match, utc};
use crate::crypto::Crypto;
use crate::db::models::UserRow;
use crate::db::repo::cursor;
use crate::domain::phone::mask_phone;
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DivisionCode, Phone, Role};
use crate::error::{ApiError, Problem};
use crate::services::users::{self as service, NewUser, UserChanges, check_grant};
use crate::services::{Caller, Page};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update);
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Division code of the jurisdiction.
    pub jurisdiction: String,
    /// Masked in lists.
    pub phone: Option<String>,
    /// 工作单位
    pub work_unit: Option<String>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl UserView {
    pub fn from_row(u: &UserRow, crypto: &Crypto, full: bool) -> Self {
        let phone = u.phone_enc.as_deref().and_then(|p| crypto.open(p).ok());
        Self {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: Role::parse(&u.role).unwrap_or(Role::Auditor),
            jurisdiction: u.jurisdiction.clone(),
            phone: phone.map(|p| if full { p } else { mask_phone(&p) }),
            work_unit: u.work_unit.clone(),
            disabled: u.disabled,
            version: u.version,
            created_at: utc(u.created_at),
        }
    }
}

/// A page of `UserView`s (`services::Page`).
pub type UserPage = Page<UserView>;

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page.
    pub cursor: Option<String>,
}

/// List users
///
/// Users inside the caller's jurisdiction.
///
/// Paged by `cursor`; `limit` 1–500.
#[utoipa::path(operation_id = "list_users", tag = "auth", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = UserPage), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/users")]
pub async fn list(state: Data<AppState>, user: Caller, q: Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.manages_users(), "manage users")?;
    let after = cursor::decode(q.cursor.as_deref())?;
    let limit = crate::api::page_limit(q.limit)?;
    let page = service::list(&state, &user, after, limit).await?;
    Ok(HttpResponse::Ok().json(page.map(|r| UserView::from_row(&r, &state.crypto, false))))
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct CreateUserBody {
    #[validate(required, length(max = 64))]
    #[schema(value_type = String)]
    pub username: Option<String>,
    /// At least 8 characters from 3 of: lower case, upper case, digits, symbols.
    #[validate(required)]
    #[schema(value_type = String)]
    pub password: Option<String>,
    #[validate(required, length(max = 64))]
    #[schema(value_type = String)]
    pub display_name: Option<String>,
    #[validate(required)]
    #[schema(value_type = Role)]
    pub role: Option<String>,
    /// 12-digit division code: county for county_admin, township for township_reviewer, village
    /// for village_officer and cadre, any for auditor.
    #[validate(required)]
    #[schema(value_type = String)]
    pub jurisdiction: Option<String>,
    pub phone: Option<String>,
    #[validate(length(max = 100))]
    pub work_unit: Option<String>,
}

/// Create a user
///
/// Create a user (admins; never above the caller's own role or jurisdiction).
#[utoipa::path(operation_id = "create_user", tag = "auth", security(("bearer" = [])), request_body = CreateUserBody, responses(
    (status = 201, body = UserView, headers(("Location" = String, description = "the user's path, `/api/v1/users/{id}`"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/users")]
pub async fn create(state: Data<AppState>, user: Caller, body: Checked<CreateUserBody>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.manages_users(), "manage users")?;
    let (b, mut errs) = body.into_parts();
    let username = b.username.as_deref().map(|u| errs.check("username", required_text(u, 64))).flatten();
    if username.as_ref().is_some_and(|u| !u.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))) {
        errs.add("username", "invalid_value", "letters, digits, dot, dash and underscore only");
    }
    // A username is kept, shown and logged in clear: it may not be someone's phone or ID number.
    if username.as_ref().is_some_and(|u| Phone::parse(u).is_ok() || crate::domain::IdNumber::parse(u, state.today()).is_ok()) {
        errs.add("username", "personal_number", "a username may not be a phone or ID number (it is kept in clear)");
    }
    let password = b.password.filter(|p| errs.check("password", crate::domain::password::check_policy(p)).is_some());
    let display_name = b.display_name.as_deref().map(|d| errs.check("display_name", required_text(d, 64))).flatten();
    let role = b.role.as_deref().map(|r| errs.check("role", Role::parse(r))).flatten();
    let jurisdiction = b.jurisdiction.as_deref().map(|j| errs.check("jurisdiction", DivisionCode::parse(j))).flatten();
    let phone = b.phone.as_deref().filter(|p| !p.trim().is_empty()).map(|p| errs.check("phone", Phone::parse(p))).flatten();
    let work_unit = errs.check("work_unit", optional_text(b.work_unit.as_deref(), 100)).flatten();
    if let (Some(r), Some(j)) = (role, &jurisdiction) {
        check_grant(&user, r, j, &mut errs)?;
    }
    let (Some(username), Some(password), Some(display_name), Some(role), Some(jurisdiction)) = (username, password, display_name, role, jurisdiction) else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let new = NewUser { username, password, display_name, role, jurisdiction, phone, work_unit };
    let saved = service::create(&state, &user, new).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(saved.version))
        .insert_header(("Location", format!("/api/v1/users/{}", saved.id)))
        .json(UserView::from_row(&saved, &state.crypto, true)))
}

/// Read a user
///
/// One user inside the caller's jurisdiction.
#[utoipa::path(operation_id = "get_user", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "user id")), responses((status = 200, body = UserView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}")]
pub async fn get_one(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.manages_users(), "manage users")?;
    let (row, full) = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(UserView::from_row(&row, &state.crypto, full)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateUserBody {
    #[validate(length(max = 64))]
    pub display_name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    pub jurisdiction: Option<String>,
    /// Disabling logs the user out everywhere at once.
    pub disabled: Option<bool>,
    /// Reset the password (the policy applies).
    pub password: Option<String>,
    pub phone: Option<String>,
    #[validate(length(max = 100))]
    pub work_unit: Option<String>,
}

/// Change a user
///
/// Change a user's role, jurisdiction, password or disable them; needs `If-Match`. Only a strictly
/// higher role changes another user (a county admin never resets another county admin's password);
/// one's own account minus role and jurisdiction.
#[utoipa::path(operation_id = "update_user", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "user id"), ("If-Match" = String, Header, description = "ETag of the user")), request_body = UpdateUserBody, responses(
    (status = 200, body = UserView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/users/{id}")]
pub async fn update(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<UpdateUserBody>) -> Result<HttpResponse, ApiError> {
    user.require(user.role.manages_users(), "manage users")?;
    let id = path_id(&id)?;
    let (b, mut errs) = body.into_parts();
    let role = b.role.as_deref().map(|r| errs.check("role", Role::parse(r))).flatten();
    let jurisdiction = b.jurisdiction.as_deref().map(|j| errs.check("jurisdiction", DivisionCode::parse(j))).flatten();
    let display_name = b.display_name.as_deref().map(|d| errs.check("display_name", required_text(d, 64))).flatten();
    if let Some(p) = &b.password {
        errs.check("password", crate::domain::password::check_policy(p));
    }
    let phone = b.phone.as_deref().map(|p| if p.trim().is_empty() { Some(None) } else { errs.check("phone", Phone::parse(p)).map(Some) }).flatten();
    let work_unit = b.work_unit.as_deref().map(|w| errs.check("work_unit", optional_text(Some(w), 100))).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let expected = require_if_match(&req)?;
    let changes = UserChanges { display_name, role, jurisdiction, disabled: b.disabled, password: b.password, phone, work_unit };
    let saved = service::update(&state, &user, id, expected, changes).await?;
    Ok(HttpResponse::Ok().insert_header(etag(saved.version)).json(UserView::from_row(&saved, &state.crypto, true)))
}
