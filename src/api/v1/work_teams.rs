//! `/work-teams`: resident work teams 驻村工作队 of villages (a first secretary 第一书记 and
//! members, cadres of the county).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::cadres::clearable;
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id};
use crate::db::models::WorkTeamRow;
use crate::db::repo::assistance::work_teams::TeamInput;
use crate::db::repo::cursor;
use crate::domain::assistance::check_period;
use crate::domain::validation::required_text;
use crate::domain::{DivisionCode, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::services::work_teams::{self as service, TeamChanges};
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_teams).service(create_team).service(update_team);
}

#[derive(Serialize, ToSchema)]
pub struct WorkTeamView {
    pub id: String,
    pub village_code: String,
    /// 驻村工作队 name.
    pub name: String,
    /// 第一书记 (a cadre id).
    pub first_secretary_id: Option<String>,
    /// 队员 (cadre ids).
    pub member_ids: Vec<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub version: i64,
}

/// A page of `WorkTeamView`s (`services::Page`).
pub type WorkTeamPage = Page<WorkTeamView>;

impl WorkTeamView {
    fn build(r: &WorkTeamRow) -> Self {
        Self {
            id: r.id.clone(),
            village_code: r.village_code.clone(),
            name: r.name.clone(),
            first_secretary_id: r.first_secretary_id.clone(),
            member_ids: serde_json::from_str(&r.member_ids).unwrap_or_default(),
            term_start: r.term_start,
            term_end: r.term_end,
            version: r.version,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct TeamQuery {
    /// A division inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List work teams
///
/// Resident work teams 驻村工作队 of the caller's jurisdiction.
#[utoipa::path(operation_id = "list_work_teams", tag = "assistance", security(("bearer" = [])), params(TeamQuery), responses((status = 200, body = WorkTeamPage), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/work-teams")]
pub async fn list_teams(state: Data<AppState>, user: Caller, q: Query<TeamQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let division = q.division.as_deref().map(|d| DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))).transpose()?;
    if division.as_ref().is_some_and(|d| !user.scope().covers(d)) {
        return Err(ApiError::NotFound);
    }
    let (after, limit) = (cursor::decode(q.cursor.as_deref())?, crate::api::page_limit(q.limit)?);
    let page = service::list(&state, &user, division, after, limit).await?;
    Ok(HttpResponse::Ok().json(page.map(|r| WorkTeamView::build(&r))))
}

/// On POST `village_code`, `name` and `term_start` are required; on PATCH each field is optional
/// (and the village stays).
#[derive(Deserialize, Validate, ToSchema)]
pub struct WorkTeamBody {
    /// 行政村 code (on create).
    pub village_code: Option<String>,
    #[validate(length(max = 100))]
    pub name: Option<String>,
    /// 第一书记: a cadre of the county; empty text clears it on PATCH.
    pub first_secretary_id: Option<String>,
    /// 队员: cadres of the county.
    pub member_ids: Option<Vec<String>>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub client_id: Option<String>,
}

fn parse_members(ids: &Option<Vec<String>>, errs: &mut FieldErrors) -> Option<Vec<String>> {
    let ids = ids.as_ref()?;
    let parsed: Vec<Option<String>> = ids.iter().enumerate().map(|(i, m)| parse_uuid(&format!("member_ids[{i}]"), Some(m), errs)).collect();
    let mut out: Vec<String> = parsed.into_iter().flatten().collect();
    out.dedup();
    Some(out)
}

/// Register a work team
///
/// Register a village's work team (village officer and above).
#[utoipa::path(operation_id = "create_work_team", tag = "assistance", security(("bearer" = [])), request_body = WorkTeamBody, responses(
    (status = 201, body = WorkTeamView),
    (status = 200, description = "the same client_id was sent before", body = WorkTeamView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/work-teams")]
pub async fn create_team(state: Data<AppState>, user: Caller, body: Checked<WorkTeamBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    let village = match &b.village_code {
        Some(v) => errs.check("village_code", DivisionCode::parse(v)),
        None => {
            errs.add("village_code", "required", "must be given");
            None
        }
    };
    let name = errs.check("name", required_text(b.name.as_deref().unwrap_or_default(), 100));
    let first_secretary_id = b.first_secretary_id.as_deref().filter(|f| !f.trim().is_empty()).and_then(|f| parse_uuid("first_secretary_id", Some(f), &mut errs));
    let member_ids = parse_members(&b.member_ids, &mut errs).unwrap_or_default();
    if b.term_start.is_none() {
        errs.add("term_start", "required", "must be given");
    }
    if let Some(start) = b.term_start {
        errs.check("term_end", check_period(start, b.term_end));
    }
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(village), Some(name), Some(term_start)) = (village, name, b.term_start) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let input = TeamInput { village, name, first_secretary_id, member_ids, term_start, term_end: b.term_end, client_id };
    let (status, row) = match service::create(&state, &user, input).await? {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(WorkTeamView::build(&row)))
}

/// Change a work team
///
/// Change a work team (members, first secretary, term) with `If-Match`.
#[utoipa::path(operation_id = "update_work_team", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "work team id"), ("If-Match" = String, Header, description = "ETag of the team")), request_body = WorkTeamBody, responses(
    (status = 200, body = WorkTeamView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/work-teams/{id}")]
pub async fn update_team(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<WorkTeamBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, errs) = body.into_parts();
    let changes = parse_team_changes(body, errs);
    let row = service::update(&state, &user, id, Precondition::new(if_match(&req)), changes).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(WorkTeamView::build(&row)))
}

/// The changes of a PATCH, `errs` holding what the body's declarative rules found already.
fn parse_team_changes(b: WorkTeamBody, mut errs: FieldErrors) -> Result<TeamChanges, ApiError> {
    if b.village_code.is_some() {
        errs.add("village_code", "read_only", "a work team stays with its village");
    }
    let name = b.name.as_deref().map(|n| errs.check("name", required_text(n, 100))).flatten();
    let first_secretary = clearable("first_secretary_id", b.first_secretary_id.as_deref(), &mut errs, |v| {
        uuid::Uuid::parse_str(v).map(|u| u.to_string()).map_err(|_| crate::domain::validation::DomainError::new("invalid_value", "must be an id (UUID)"))
    });
    let members = parse_members(&b.member_ids, &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    Ok(TeamChanges { name, first_secretary_id: first_secretary, member_ids: members, term_start: b.term_start, term_end: b.term_end })
}
