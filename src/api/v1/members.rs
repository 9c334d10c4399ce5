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
use crate::db::repo::members::{Leave, MemberChanges};
use crate::domain::household::parse_person_name;
use crate::domain::{IdNumber, Phone, Relation, RemovalReason};
use crate::error::{ApiError, Problem};
use crate::services::members as service;
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(add_member).service(update_member).service(remove_member);
}

/// Add a member
///
/// Add a member (birth, marriage in, …); village officer and above, and the paired cadre.
///
/// A member who joins a recorded household is a natural increase 自然增加: give `join_reason`
/// (增加原因) and `joined_on` (增加时间, default the birth date for a birth, else today; not before
/// the birth, not in the future). A member without an ID number (a newborn not yet registered,
/// 无户籍人口) is recorded with `no_id_reason`, `sex` and `birth_date` instead, and is listed by
/// the cleaning rule `member_without_id_number` until a number is entered (PATCH the member).
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
    /// 身份证号 of a member recorded without one (`no_id_reason`): sex and birth date are taken
    /// from it and the reason cleared. A member who has a number keeps it (422 `has_id_number`).
    pub id_number: Option<String>,
}

/// Correct a member
///
/// Correct a member; needs `If-Match` with the household's ETag. Enter the ID number of a
/// member recorded without one (无户籍人口) here.
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
    let id_number = b.id_number.as_deref().map(|n| errs.check("id_number", IdNumber::parse(n, state.today()))).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let changes = MemberChanges { name, relation, phone, id_number };
    let record = service::update(&state, &user, id, member_id, Precondition::new(if_match(&req)), changes).await?;
    Ok(written(&state, StatusCode::OK, record))
}

#[derive(Deserialize, IntoParams)]
pub struct RemoveQuery {
    /// Why the member left 减少原因: death, marriage_out, moved_out, imprisoned, other.
    #[param(value_type = RemovalReason)]
    pub reason: String,
    /// The day the member left 减少时间 (`YYYY-MM-DD`; default today in the service's time zone):
    /// not before the birth or the joining, not in the future.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub left_on: Option<String>,
}

/// Remove a member
///
/// Remove a member with a reason; the record is kept with `removed_at`.
///
/// A natural decrease 自然减少: the reason 减少原因 is one of `RemovalReason`, the day 减少时间
/// `left_on` (default today). `If-Match` with the household's ETag is honoured when sent.
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
    let mut errs = crate::domain::FieldErrors::new();
    let reason = errs.check("reason", RemovalReason::parse(&q.reason));
    let on = q.left_on.as_deref().map(|d| errs.check("left_on", d.parse::<chrono::NaiveDate>().map_err(|_| crate::domain::validation::DomainError::new("invalid_date", "a date YYYY-MM-DD")))).flatten();
    let Some(reason) = reason.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let leave = Leave { reason, on, today: state.today() };
    let record = service::remove(&state, &user, id, member_id, Precondition::new(if_match(&req)), leave).await?;
    Ok(written(&state, StatusCode::OK, record))
}
