//! `/households/{id}/members/{member_id}/migrant-work/{year}` and `/households/{id}/migrant-work`:
//! migrant work 外出务工信息 of a member per statistical year (destination, employer or sector,
//! months away, income from work, 稳岗就业).

use actix_web::{HttpRequest, HttpResponse, get, put, web::{Data, Path, Query}};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::amount::Amount;
use crate::api::body::Checked;
use crate::api::{etag, if_match, path_id, utc};
use crate::db::repo::assistance::migrant_work::{MigrantWork, MigrantWorkRow};
use crate::domain::projects::{check_destination, check_months_away};
use crate::domain::validation::optional_text;
use crate::domain::yearly::StatYear;
use crate::domain::{FieldErrors, Money};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::migrant_work as service;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_migrant_work).service(get_migrant_work).service(put_migrant_work);
}

#[derive(Serialize, ToSchema)]
pub struct MigrantWorkView {
    pub id: String,
    pub household_id: String,
    pub member_id: String,
    /// The statistical year (1 October of the year before to 30 September).
    pub year: i32,
    /// 务工地点: a province, city or county code.
    pub destination_code: String,
    /// 务工单位
    pub employer: Option<String>,
    /// 务工行业
    pub sector: Option<String>,
    /// 外出务工时间 (months, 0–12).
    pub months_away: i32,
    /// 务工收入, yuan.
    pub income_yuan: Money,
    /// 稳岗就业: arranged through an employment programme.
    pub programme: bool,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl MigrantWorkView {
    pub fn build(r: MigrantWorkRow) -> Self {
        Self {
            income_yuan: Money::from_fen(r.income_fen),
            id: r.id,
            household_id: r.household_id,
            member_id: r.member_id,
            year: r.year,
            destination_code: r.destination_code,
            employer: r.employer,
            sector: r.sector,
            months_away: r.months_away,
            programme: r.programme,
            version: r.version,
            updated_by: r.updated_by,
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct MigrantWorkQuery {
    /// A statistical year (default: every year).
    pub year: Option<i32>,
}

/// List a household's migrant work 外出务工信息
///
/// Every member's record of the year (or of every year), newest year first.
#[utoipa::path(operation_id = "list_migrant_work", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), MigrantWorkQuery), responses((status = 200, body = Vec<MigrantWorkView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/migrant-work")]
pub async fn list_migrant_work(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<MigrantWorkQuery>) -> Result<HttpResponse, ApiError> {
    let rows = service::list(&state, &user, path_id(&id)?, q.year).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(MigrantWorkView::build).collect::<Vec<_>>()))
}

/// Get a member's migrant work of a year
///
/// 404 when none was entered (or the member is not one of the household).
#[utoipa::path(operation_id = "get_migrant_work", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), ("year" = i32, Path, description = "statistical year")), responses((status = 200, body = MigrantWorkView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/members/{member_id}/migrant-work/{year}")]
pub async fn get_migrant_work(state: Data<AppState>, user: Caller, path: Path<(String, String, i32)>) -> Result<HttpResponse, ApiError> {
    let (id, member, year) = path.into_inner();
    let row = service::get(&state, &user, path_id(&id)?, path_id(&member)?, year).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(MigrantWorkView::build(row)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct MigrantWorkBody {
    /// 务工地点: a 12-digit province, city or county code (e.g. 江苏省昆山市 `320583000000`).
    #[validate(required)]
    #[schema(value_type = String)]
    pub destination_code: Option<String>,
    #[validate(length(max = 200))]
    pub employer: Option<String>,
    #[validate(length(max = 100))]
    pub sector: Option<String>,
    /// 0 to 12.
    #[validate(required)]
    #[schema(value_type = i32)]
    pub months_away: Option<i32>,
    /// 务工收入, yuan (default 0).
    #[validate(custom(function = "crate::api::amount::check"))]
    pub income_yuan: Option<Amount>,
    /// 稳岗就业 (default false).
    pub programme: Option<bool>,
}

fn parse(b: MigrantWorkBody, mut errs: FieldErrors) -> Result<MigrantWork, ApiError> {
    let destination = b.destination_code.as_deref().and_then(|d| errs.check("destination_code", check_destination(d)));
    let months = b.months_away.and_then(|m| errs.check("months_away", check_months_away(m)));
    let employer = errs.check("employer", optional_text(b.employer.as_deref(), 200)).flatten();
    let sector = errs.check("sector", optional_text(b.sector.as_deref(), 100)).flatten();
    let (Some(destination), Some(months_away)) = (destination, months) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let income_fen = b.income_yuan.as_ref().and_then(Amount::money).map_or(0, Money::fen);
    Ok(MigrantWork { destination_code: destination.to_string(), employer, sector, months_away, income_fen, programme: b.programme.unwrap_or(false) })
}

/// Enter a member's migrant work of a year
///
/// Creates the record (201), then replaces it with `If-Match` (428 without, 412 stale); the
/// paired cadre from the phone, village officer and above (an auditor 403). A year from 2014
/// to this one.
#[utoipa::path(operation_id = "put_migrant_work", tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("member_id" = String, Path, description = "member id"), ("year" = i32, Path, description = "statistical year"), ("If-Match" = Option<String>, Header, description = "ETag of the record, once it exists")), request_body = MigrantWorkBody, responses(
    (status = 201, body = MigrantWorkView),
    (status = 200, body = MigrantWorkView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/households/{id}/members/{member_id}/migrant-work/{year}")]
pub async fn put_migrant_work(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, String, i32)>, body: Checked<MigrantWorkBody>) -> Result<HttpResponse, ApiError> {
    let (id, member, year) = path.into_inner();
    let (id, member) = (path_id(&id)?, path_id(&member)?);
    let year = StatYear::parse(year, state.today()).map(StatYear::value).map_err(|e| ApiError::invalid("year", e.code, e.message));
    let (b, errs) = body.into_parts();
    let (row, created) = service::put(&state, &user, id, member, year, if_match(&req), parse(b, errs)).await?;
    let mut res = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(res.insert_header(etag(row.version)).json(MigrantWorkView::build(row)))
}
