//! `/households/{id}/members`: members 家庭成员 added, corrected and removed (the record is
//! kept); each answers with the household as it now is, `If-Match` on the household's version.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web::{Data, Path, Query}};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::households::{HouseholdView, MemberBody, parse_member, written};
use crate::api::body::Checked;
use crate::api::{if_match, path_id};
use crate::db::repo::households::MemberChanges;
use crate::domain::household::parse_person_name;
use crate::domain::{Phone, Relation, RemovalReason};
use crate::error::{ApiError, Problem};
use crate::services::members as service;
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(add_member).service(update_member).service(remove_member);
}

/// Add a member
///
/// Add a member (birth, marriage in, …); village officer and above.
///
/// `If-Match` with the household's ETag is optional here (a new member changes no one's
/// values); the answer is the household with its new version.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("If-Match" = Option<String>, Header, description = "optional ETag of the household")), request_body = MemberBody, responses(
    (status = 201, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/members")]
pub async fn add_member(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<MemberBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, mut errs) = body.into_parts();
    let member = parse_member("", &body, state.today(), &mut errs);
    let Some(member) = member.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let record = service::add(&state, &user, id, Precondition::new(if_match(&req)), member).await?;
    Ok(written(&state, StatusCode::CREATED, record))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct UpdateMemberBody {
    #[validate(length(max = 40))]
    pub name: Option<String>,
    /// Not `head`: transfer headship with PATCH /households/{id}.
    #[schema(value_type = Option<Relation>)]
    pub relation: Option<String>,
    /// Empty text clears it.
    pub phone: Option<String>,
}

/// Correct a member
///
/// Correct a member; needs `If-Match` with the household's ETag.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), ("If-Match" = String, Header, description = "ETag of the household")), request_body = UpdateMemberBody, responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the ID number is already registered", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/households/{id}/members/{member_id}")]
pub async fn update_member(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, String)>, body: Checked<UpdateMemberBody>) -> Result<HttpResponse, ApiError> {
    let (id, member_id) = path.into_inner();
    let (id, member_id) = (path_id(&id)?, path_id(&member_id)?);
    let (b, mut errs) = body.into_parts();
    let name = b.name.as_deref().map(|n| errs.check("name", parse_person_name(n))).flatten();
    let relation = b.relation.as_deref().map(|r| errs.check("relation", Relation::parse(r))).flatten();
    let phone = b.phone.as_deref().map(|p| if p.trim().is_empty() { Some(None) } else { errs.check("phone", Phone::parse(p)).map(Some) }).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let changes = MemberChanges { name, relation, phone };
    let record = service::update(&state, &user, id, member_id, Precondition::new(if_match(&req)), changes).await?;
    Ok(written(&state, StatusCode::OK, record))
}

#[derive(Deserialize, IntoParams)]
pub struct RemoveQuery {
    /// Why the member left: death, marriage_out, moved_out, other.
    #[param(value_type = RemovalReason)]
    pub reason: String,
}

/// Remove a member
///
/// Remove a member with a reason; the record is kept with `removed_at`.
///
/// Needs `If-Match` with the household's ETag; the reason is one of `RemovalReason`.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), RemoveQuery, ("If-Match" = Option<String>, Header, description = "optional ETag of the household")), responses(
    (status = 200, body = HouseholdView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the head cannot be removed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/households/{id}/members/{member_id}")]
pub async fn remove_member(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, String)>, q: Query<RemoveQuery>) -> Result<HttpResponse, ApiError> {
    let (id, member_id) = path.into_inner();
    let (id, member_id) = (path_id(&id)?, path_id(&member_id)?);
    let reason = RemovalReason::parse(&q.reason).map_err(|e| ApiError::invalid("reason", e.code, e.message))?;
    let record = service::remove(&state, &user, id, member_id, Precondition::new(if_match(&req)), reason).await?;
    Ok(written(&state, StatusCode::OK, record))
}
