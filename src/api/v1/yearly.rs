//! `/households/{id}/years/{year}`: the yearly basic information 年度基础信息 and the comparison
//! with last year 信息采集对照表.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse, get, put};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::{etag, if_match, path_id, utc};
use crate::db::models::YearlyRow;
use crate::db::repo::yearly::Saved;
use crate::domain::yearly::{Change, StatYear, YearRecord, threshold_for};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::yearly::{self as service, Comparison};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_year).service(put_year).service(comparison);
}

#[derive(Serialize, ToSchema)]
pub struct Period {
    /// 1 October of the previous year.
    pub start: NaiveDate,
    /// 30 September.
    pub end: NaiveDate,
    /// The day state indicators (health, school) describe.
    pub state_date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct Standing {
    /// 人均纯收入, yuan.
    pub per_capita_net_income: f64,
    /// The configured poverty line for the province and year.
    pub poverty_line: Option<f64>,
    /// The configured minimum for exiting.
    pub exit_minimum: Option<f64>,
    pub below_poverty_line: Option<bool>,
    pub meets_exit_minimum: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct YearView {
    pub household_id: String,
    pub year: i32,
    pub period: Period,
    pub record: YearRecord,
    pub standing: Standing,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn period(y: StatYear) -> Period {
    Period { start: y.period_start(), end: y.period_end(), state_date: y.period_end() }
}

fn standing(state: &AppState, household_county: &str, year: i32, per_capita: f64) -> Standing {
    let rule = threshold_for(&state.settings.thresholds, &household_county[..2.min(household_county.len())], year);
    Standing {
        per_capita_net_income: per_capita,
        poverty_line: rule.map(|r| r.poverty_line),
        exit_minimum: rule.map(|r| r.exit_minimum),
        below_poverty_line: rule.map(|r| per_capita < r.poverty_line),
        meets_exit_minimum: rule.map(|r| per_capita >= r.exit_minimum),
    }
}

pub fn view(state: &AppState, county: &str, y: StatYear, row: &YearlyRow) -> Result<YearView, ApiError> {
    let record: YearRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(YearView {
        household_id: row.household_id.clone(),
        year: row.year,
        period: period(y),
        standing: standing(state, county, row.year, row.per_capita_net_income),
        record,
        version: row.version,
        updated_by: row.updated_by.clone(),
        updated_at: utc(row.updated_at),
    })
}

fn year(state: &AppState, y: i32) -> Result<StatYear, ApiError> {
    StatYear::parse(y, state.today()).map_err(|e| ApiError::invalid("year", e.code, e.message))
}

/// The household's record for a statistical year (404 when none was entered).
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year")), responses(
    (status = 200, body = YearView, headers(("ETag" = String, description = "the version"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/years/{year}")]
pub async fn get_year(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let (household, row) = service::get(&state, &user, id, y).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(view(&state, &household.county_code, y, &row)?))
}

/// Enter or update the record for a year (cadre and above); `If-Match` once it exists.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year"), ("If-Match" = Option<String>, Header, description = "ETag of the record, required once it exists")), request_body = YearRecord, responses(
    (status = 201, description = "created", body = YearView),
    (status = 200, description = "updated", body = YearView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/households/{id}/years/{year}")]
pub async fn put_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Json<YearRecord>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let record = body.into_inner();
    let expected = if_match(&req)?;
    let (household, saved) = service::put(&state, &user, id, y, expected, record).await?;
    let (status, row) = match saved {
        Saved::Created(r) => (StatusCode::CREATED, r),
        Saved::Updated(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(view(&state, &household.county_code, y, &row)?))
}

#[derive(Serialize, ToSchema)]
pub struct ComparisonView {
    pub household_id: String,
    pub year: i32,
    pub previous_year: i32,
    pub period: Period,
    /// Last year's record, if entered.
    pub previous: Option<YearRecord>,
    /// This year's record, if entered.
    pub current: Option<YearRecord>,
    /// Every field whose value differs (members matched by id).
    pub changed: Vec<Change>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `xlsx`: a one-sheet workbook to print.
    pub format: Option<String>,
}

/// Last year's values beside this year's, with the changed fields: the 信息采集对照表.
#[utoipa::path(tag = "households", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("year" = i32, Path, description = "statistical year"), FormatQuery), responses(
    (status = 200, description = "the comparison: JSON, or a workbook with ?format=xlsx", content(
        (ComparisonView = "application/json"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/years/{year}/comparison")]
pub async fn comparison(state: Data<AppState>, user: Caller, path: Path<(String, i32)>, q: actix_web::web::Query<FormatQuery>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, year(&state, y)?);
    let xlsx = match q.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(_) => return Err(ApiError::invalid("format", "invalid_value", "json or xlsx")),
    };
    let Comparison { household, previous, current, changed } = service::comparison(&state, &user, id.clone(), y).await?;
    if xlsx {
        let title = format!("信息采集对照表  户编号 {}  户主 {}  {} 年 (统计期 {} 至 {})", household.number, household.head_name, y.value(), y.period_start(), y.period_end());
        let rows = crate::domain::yearly::all_fields(previous.as_ref(), current.as_ref());
        let bytes = crate::xlsx::comparison(&title, y.value(), &rows).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"comparison-{}-{}.xlsx\"", household.number, y.value())))
            .body(bytes));
    }
    Ok(HttpResponse::Ok().json(ComparisonView { household_id: id, year: y.value(), previous_year: y.value() - 1, period: period(y), previous, current, changed }))
}
