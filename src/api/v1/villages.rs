//! `/villages` and `/natural-villages`: village tables 村表 per year with the household figures
//! derived from the records beside the typed ones (账账相符), and natural villages 自然村(组).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web::{Data, Json, Path}};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{etag, if_match, parse_client_id, path_id, utc};
use crate::auth::Scope;
use crate::db::models::{NaturalVillageRow, PlaceYearRow};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::village::{DerivedCounts, Discrepancy, NaturalVillageRecord, VillageRecord, discrepancies};
use crate::domain::yearly::StatYear;
use crate::domain::{DivisionCode, FieldErrors, Level};
use crate::error::{ApiError, Problem};
use crate::services::villages::{self as service, NewNaturalVillage, SavedTable, Village};
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(village)
        .service(get_village_year)
        .service(put_village_year)
        .service(list_natural)
        .service(create_natural)
        .service(get_natural_year)
        .service(put_natural_year);
}

/// An administrative village in the caller's scope, or 404.
fn village_code(user: &Caller, code: &str) -> Result<(DivisionCode, Scope), ApiError> {
    let code = DivisionCode::parse(code).map_err(|_| ApiError::NotFound)?;
    let scope = user.scope();
    if code.level() != Level::Village || !scope.covers(&code) {
        return Err(ApiError::NotFound);
    }
    Ok((code, scope))
}

fn stat_year(state: &AppState, y: i32) -> Result<StatYear, ApiError> {
    StatYear::parse(y, state.today()).map_err(|e| ApiError::invalid("year", e.code, e.message))
}

#[derive(Serialize, ToSchema)]
pub struct VillageYearView {
    pub village_code: String,
    pub year: i32,
    pub record: VillageRecord,
    /// Household counts from the household records (not typed).
    pub derived: DerivedCounts,
    /// Typed figures that disagree with the records (账账相符 check); empty when all agree.
    pub discrepancies: Vec<Discrepancy>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn village_year_view(row: &PlaceYearRow, derived: DerivedCounts) -> Result<VillageYearView, ApiError> {
    let record: VillageRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(VillageYearView {
        village_code: row.place_id.clone(),
        year: row.year,
        discrepancies: discrepancies(record.households, &record.households_by_category, &derived),
        record,
        derived,
        version: row.version,
        updated_by: row.updated_by.clone(),
        updated_at: utc(row.updated_at),
    })
}

#[derive(Serialize, ToSchema)]
pub struct VillageView {
    /// 行政村 code.
    pub code: String,
    pub name: String,
    pub township_code: String,
    pub township_name: Option<String>,
    /// Set when the village was merged into another.
    pub merged_into: Option<String>,
    /// Households in the caller's scope in this village, derived from the household records.
    pub households: i64,
    /// All households of the village by category, derived from the records.
    pub derived: DerivedCounts,
    /// The latest village table, if one was entered.
    pub current_year: Option<VillageYearView>,
}

/// An administrative village 行政村 with figures derived from its households and its latest table.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit village code")), responses((status = 200, body = VillageView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}")]
pub async fn village(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let (code, scope) = village_code(&user, &code)?;
    let Village { village: v, township, households, derived, latest } = service::village(&state, scope, code).await?;
    let current_year = latest.map(|r| village_year_view(&r, derived.clone())).transpose()?;
    let township_code = v.parent_code.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(VillageView { code: v.code, name: v.name, township_code, township_name: township.map(|t| t.name), merged_into: v.merged_into, households, derived, current_year }))
}

/// The village table 村表 of a year (404 until entered).
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code"), ("year" = i32, Path, description = "year")), responses(
    (status = 200, body = VillageYearView, headers(("ETag" = String, description = "the version"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/villages/{code}/years/{year}")]
pub async fn get_village_year(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (code, y) = path.into_inner();
    let ((code, _), y) = (village_code(&user, &code)?, stat_year(&state, y)?);
    let (row, derived) = service::village_year(&state, code, y).await?;
    let view = village_year_view(&row, derived)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Enter or replace the village table of a year (village officer and above); `If-Match` once
/// it exists. The answer lists typed household figures that disagree with the records.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code"), ("year" = i32, Path, description = "year"), ("If-Match" = Option<String>, Header, description = "ETag, required once the table exists")), request_body = VillageRecord, responses(
    (status = 201, body = VillageYearView),
    (status = 200, body = VillageYearView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the village was merged into another", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/villages/{code}/years/{year}")]
pub async fn put_village_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Json<VillageRecord>) -> Result<HttpResponse, ApiError> {
    let (code, y) = path.into_inner();
    let ((code, _), y) = (village_code(&user, &code)?, stat_year(&state, y)?);
    user.require(user.role.edits_households(), "enter village tables")?;
    let record = body.into_inner();
    record.validate(y.value())?;
    let expected = if_match(&req)?;
    let json = serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.into()))?;
    let SavedTable { row, derived, created } = service::put_village_year(&state, &user, code, y, expected, json).await?;
    let view = village_year_view(&row, derived)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).insert_header(etag(view.version)).json(view))
}

#[derive(Serialize, ToSchema)]
pub struct NaturalVillageView {
    pub id: String,
    pub village_code: String,
    /// 自然村 / 组 name.
    pub name: String,
    /// 小组长
    pub group_leader: Option<String>,
    /// 人口 as entered.
    pub population: Option<i32>,
    /// Households assigned to it (from the household records).
    pub households: i64,
    pub version: i64,
}

fn natural_view(r: &NaturalVillageRow, households: i64) -> NaturalVillageView {
    NaturalVillageView {
        id: r.id.clone(),
        village_code: r.village_code.clone(),
        name: r.name.clone(),
        group_leader: r.group_leader.clone(),
        population: r.population,
        households,
        version: r.version,
    }
}

/// Natural villages / groups 自然村(组) of a village, with their household counts.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code")), responses((status = 200, body = Vec<NaturalVillageView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}/natural-villages")]
pub async fn list_natural(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let (code, _) = village_code(&user, &code)?;
    let items: Vec<NaturalVillageView> = service::natural_villages(&state, code).await?.iter().map(|(r, n)| natural_view(r, *n)).collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Deserialize, ToSchema)]
pub struct NaturalVillageBody {
    pub name: String,
    pub group_leader: Option<String>,
    pub population: Option<i32>,
    pub client_id: Option<String>,
}

/// Register a natural village / group of a village (village officer and above).
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code")), request_body = NaturalVillageBody, responses(
    (status = 201, body = NaturalVillageView),
    (status = 200, description = "the same client_id was sent before", body = NaturalVillageView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the name is taken in the village, or the village was merged into another", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/villages/{code}/natural-villages")]
pub async fn create_natural(state: Data<AppState>, user: Caller, code: Path<String>, body: Json<NaturalVillageBody>) -> Result<HttpResponse, ApiError> {
    let (code, _) = village_code(&user, &code)?;
    user.require(user.role.edits_households(), "register natural villages")?;
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let name = errs.check("name", required_text(&b.name, 60));
    let group_leader = errs.check("group_leader", optional_text(b.group_leader.as_deref(), 40)).flatten();
    if b.population.is_some_and(|p| p < 0) {
        errs.add("population", "out_of_range", "a count is not negative");
    }
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let Some(name) = name.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let new = NewNaturalVillage { name, group_leader, population: b.population, client_id };
    let (row, created, households) = service::create_natural(&state, &user, code, new).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(natural_view(&row, households)))
}

#[derive(Serialize, ToSchema)]
pub struct NaturalVillageYearView {
    pub natural_village_id: String,
    pub year: i32,
    pub record: NaturalVillageRecord,
    pub derived: DerivedCounts,
    pub discrepancies: Vec<Discrepancy>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn natural_year_view(row: &PlaceYearRow, derived: DerivedCounts) -> Result<NaturalVillageYearView, ApiError> {
    let record: NaturalVillageRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(NaturalVillageYearView {
        natural_village_id: row.place_id.clone(),
        year: row.year,
        discrepancies: discrepancies(record.households, &record.households_by_category, &derived),
        record,
        derived,
        version: row.version,
        updated_by: row.updated_by.clone(),
        updated_at: utc(row.updated_at),
    })
}

/// The yearly table of a natural village (404 until entered).
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("id" = String, Path, description = "natural village id"), ("year" = i32, Path, description = "year")), responses(
    (status = 200, body = NaturalVillageYearView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/natural-villages/{id}/years/{year}")]
pub async fn get_natural_year(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, stat_year(&state, y)?);
    let (row, derived) = service::natural_year(&state, &user, id, y).await?;
    let view = natural_year_view(&row, derived)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// Enter or replace a natural village's yearly table; `If-Match` once it exists.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("id" = String, Path, description = "natural village id"), ("year" = i32, Path, description = "year"), ("If-Match" = Option<String>, Header, description = "ETag, required once the table exists")), request_body = NaturalVillageRecord, responses(
    (status = 201, body = NaturalVillageYearView),
    (status = 200, body = NaturalVillageYearView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/natural-villages/{id}/years/{year}")]
pub async fn put_natural_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Json<NaturalVillageRecord>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, stat_year(&state, y)?);
    let record = body.into_inner();
    let json = record.validate().map_err(ApiError::from).and_then(|()| serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.into())));
    let SavedTable { row, derived, created } = service::put_natural_year(&state, &user, id, y, Precondition::new(if_match(&req)), json).await?;
    let view = natural_year_view(&row, derived)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).insert_header(etag(view.version)).json(view))
}
