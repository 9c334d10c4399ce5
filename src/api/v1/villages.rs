//! `/villages` and `/natural-villages`: village tables 村表 per year with the household figures
//! derived from the records beside the typed ones (账账相符), and natural villages 自然村(组).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web::{Data, Path}};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::amount::Amount;
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, path_id, utc};
use crate::auth::Scope;
use crate::db::models::{NaturalVillageRow, PlaceYearRow};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::village::{CategoryCounts, DerivedCounts, Discrepancy, Infrastructure, NaturalVillageRecord, VillageRecord, FromNaturalVillages, check_lifted_year, discrepancies, natural_discrepancies};
use crate::domain::yearly::StatYear;
use crate::domain::{DivisionCode, FieldErrors, Level};
use crate::error::{ApiError, Problem};
use crate::services::villages::{self as service, NewNaturalVillage, SavedTable, Village};
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(village)
        .service(get_village_year)
        .service(village_comparison_xlsx)
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

// ---- request bodies of the tables: the domain's records with their required fields as
// `Option`s (see `api::body`) ----

/// Households by category as typed into a table (each figure optional).
#[derive(Default, Deserialize, Validate, ToSchema)]
pub struct CategoryCountsBody {
    /// 脱贫户
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub lifted_out: Option<i64>,
    /// 脱贫不稳定户
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub monitored_unstable: Option<i64>,
    /// 边缘易致贫户
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub monitored_marginal: Option<i64>,
    /// 突发严重困难户
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub monitored_hardship: Option<i64>,
    /// 一般农户
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub ordinary: Option<i64>,
}

impl From<CategoryCountsBody> for CategoryCounts {
    fn from(b: CategoryCountsBody) -> Self {
        Self { lifted_out: b.lifted_out, monitored_unstable: b.monitored_unstable, monitored_marginal: b.monitored_marginal, monitored_hardship: b.monitored_hardship, ordinary: b.ordinary }
    }
}

/// Infrastructure of a place: roads, water, electricity, broadband.
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct InfrastructureBody {
    /// 通硬化路
    #[validate(required)]
    #[schema(value_type = bool)]
    pub hardened_road: Option<bool>,
    /// 安全饮水
    #[validate(required)]
    #[schema(value_type = bool)]
    pub safe_drinking_water: Option<bool>,
    /// 自来水入户率, percent
    #[validate(range(min = 0.0, max = 100.0, message = "a percentage is between 0 and 100"))]
    pub tap_water_pct: Option<f64>,
    /// 通生活用电 / 动力电
    #[validate(required)]
    #[schema(value_type = bool)]
    pub grid_electricity: Option<bool>,
    /// 通宽带
    #[validate(required)]
    #[schema(value_type = bool)]
    pub broadband: Option<bool>,
}

impl InfrastructureBody {
    fn parse(self) -> Option<Infrastructure> {
        Some(Infrastructure {
            hardened_road: self.hardened_road?,
            safe_drinking_water: self.safe_drinking_water?,
            tap_water_pct: self.tap_water_pct,
            grid_electricity: self.grid_electricity?,
            broadband: self.broadband?,
        })
    }
}

/// The village table 村表 of an administrative village for a year.
#[derive(Deserialize, Validate, ToSchema)]
pub struct VillageRecordBody {
    /// 是否贫困村
    #[validate(required)]
    #[schema(value_type = bool)]
    pub poverty_village: Option<bool>,
    /// 摘帽年度: the year a poverty village was lifted out.
    pub lifted_year: Option<i32>,
    /// 总户数 as typed (compared with the household records).
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub households: Option<i64>,
    /// 户数 by category as typed (compared with the household records).
    #[serde(default)]
    #[validate(nested)]
    pub households_by_category: CategoryCountsBody,
    /// 户籍人口
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub registered_population: Option<i64>,
    /// 常住人口
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub resident_population: Option<i64>,
    #[validate(required, nested)]
    #[schema(value_type = InfrastructureBody)]
    pub infrastructure: Option<InfrastructureBody>,
    /// 村集体经济收入, yuan: at most two decimals, not below 0
    #[validate(required, custom(function = "crate::api::amount::check"))]
    #[schema(value_type = Amount)]
    pub collective_income: Option<Amount>,
    /// 党员人数
    #[validate(required, range(min = 0, message = "a count is not negative"))]
    #[schema(value_type = i64)]
    pub party_members: Option<i64>,
}

impl VillageRecordBody {
    /// The table for `year`, its lifting year checked too; refused with every error found.
    fn parse(self, year: i32, mut errs: FieldErrors) -> Result<VillageRecord, FieldErrors> {
        if let Some(lifted) = self.lifted_year {
            errs.check("lifted_year", check_lifted_year(self.poverty_village, lifted, year));
        }
        let record = (|| {
            Some(VillageRecord {
                poverty_village: self.poverty_village?,
                lifted_year: self.lifted_year,
                households: self.households,
                households_by_category: self.households_by_category.into(),
                registered_population: self.registered_population,
                resident_population: self.resident_population,
                infrastructure: self.infrastructure?.parse()?,
                collective_income: self.collective_income?.money()?,
                party_members: self.party_members?,
            })
        })();
        record.filter(|_| errs.is_empty()).ok_or(errs)
    }
}

/// The yearly table of a natural village / group 自然村(组).
#[derive(Deserialize, Validate, ToSchema)]
pub struct NaturalVillageRecordBody {
    /// 小组长
    #[validate(length(max = 500))]
    pub group_leader: Option<String>,
    /// 总户数 as typed (compared with the households assigned to the group).
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub households: Option<i64>,
    #[serde(default)]
    #[validate(nested)]
    pub households_by_category: CategoryCountsBody,
    /// 人口
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub population: Option<i64>,
    #[validate(required, nested)]
    #[schema(value_type = InfrastructureBody)]
    pub infrastructure: Option<InfrastructureBody>,
    /// 主导产业 / 生产条件
    #[validate(length(max = 500))]
    pub production_conditions: Option<String>,
    /// 生活条件
    #[validate(length(max = 500))]
    pub living_conditions: Option<String>,
}

impl NaturalVillageRecordBody {
    fn parse(self, errs: FieldErrors) -> Result<NaturalVillageRecord, FieldErrors> {
        let record = (|| {
            Some(NaturalVillageRecord {
                group_leader: self.group_leader,
                households: self.households,
                households_by_category: self.households_by_category.into(),
                population: self.population,
                infrastructure: self.infrastructure?.parse()?,
                production_conditions: self.production_conditions,
                living_conditions: self.living_conditions,
            })
        })();
        record.filter(|_| errs.is_empty()).ok_or(errs)
    }
}

#[derive(Serialize, ToSchema)]
pub struct VillageYearView {
    pub village_code: String,
    pub year: i32,
    pub record: VillageRecord,
    /// Household counts from the household records (not typed).
    pub derived: DerivedCounts,
    /// What the natural villages' tables of the year give: sums of the households (by
    /// category) and people of the groups (only when every group has a table with the figure),
    /// the group leaders 小组长, living and production conditions, infrastructure by group.
    pub from_natural_villages: FromNaturalVillages,
    /// Typed figures that disagree with the household records (账账相符 check), then with the
    /// natural villages' tables (`natural_villages.…`); empty when all agree.
    pub discrepancies: Vec<Discrepancy>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn village_year_view(row: &PlaceYearRow, derived: DerivedCounts, from: FromNaturalVillages) -> Result<VillageYearView, ApiError> {
    let record: VillageRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(e.into()))?;
    let mut found = discrepancies(record.households, &record.households_by_category, &derived);
    found.extend(natural_discrepancies(&record, &from));
    Ok(VillageYearView {
        village_code: row.place_id.clone(),
        year: row.year,
        discrepancies: found,
        from_natural_villages: from,
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

/// Read a village
///
/// An administrative village 行政村 with figures derived from its households and its latest table.
#[utoipa::path(operation_id = "get_village", tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit village code")), responses((status = 200, body = VillageView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}")]
pub async fn village(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let (code, scope) = village_code(&user, &code)?;
    let Village { village: v, township, households, derived, latest } = service::village(&state, scope, code).await?;
    let current_year = latest.map(|(r, from)| village_year_view(&r, derived.clone(), from)).transpose()?;
    let township_code = v.parent_code.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(VillageView { code: v.code, name: v.name, township_code, township_name: township.map(|t| t.name), merged_into: v.merged_into, households, derived, current_year }))
}

/// Read a village table
///
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
    let (row, derived, from) = service::village_year(&state, code, y).await?;
    let view = village_year_view(&row, derived, from)?;
    Ok(HttpResponse::Ok().insert_header(etag(view.version)).json(view))
}

/// The 信息采集对照表 of a village
///
/// Last year's values beside this year's for every household of the village the caller may
/// read, in one workbook: a contents sheet 目录 (工作表, 户编号, 户主, whether each year was
/// entered 已填报, the number of changed fields 变化项数), then one sheet per household named
/// by its 户编号 (at most 31 characters, unique), with every field by its Chinese name
/// (工资性收入, 文化程度 …), members by name, values as their labels (初中, 自来水, 是/否) and
/// the changed cells marked (✓ and shaded). A village outside the caller's jurisdiction is 404;
/// a year before 2014 or in the future 422.
#[utoipa::path(operation_id = "compare_village_years_xlsx", tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "12-digit village code"), ("year" = i32, Path, description = "statistical year")), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/villages/{code}/years/{year}/comparison.xlsx")]
pub async fn village_comparison_xlsx(state: Data<AppState>, user: Caller, path: Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (code, y) = path.into_inner();
    let ((code, _), y) = (village_code(&user, &code)?, stat_year(&state, y)?);
    let (name, households) = crate::services::yearly::village_comparison(&state, &user, code.clone(), y).await?;
    let title = format!("信息采集对照表  {name} ({code})  {} 年 (统计期 {} 至 {})  共 {} 户", y.value(), y.period_start(), y.period_end(), households.len());
    let sheets: Vec<_> = households.iter().map(|c| (c.household.number.clone(), c.household.head_name.clone(), super::yearly::comparison_sheet(c, y))).collect();
    let bytes = crate::xlsx::village_comparison(y.value(), &title, &sheets).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"comparison-{code}-{}.xlsx\"", y.value())))
        .body(bytes))
}

/// Enter a village table 村表
///
/// Enter or replace the village table of a year (village officer and above); `If-Match` once it
/// exists. The answer lists typed household figures that disagree with the records.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code"), ("year" = i32, Path, description = "year"), ("If-Match" = Option<String>, Header, description = "ETag, required once the table exists")), request_body = VillageRecordBody, responses(
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
pub async fn put_village_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Checked<VillageRecordBody>) -> Result<HttpResponse, ApiError> {
    let (code, y) = path.into_inner();
    let ((code, _), y) = (village_code(&user, &code)?, stat_year(&state, y)?);
    user.require(user.role.edits_households(), "enter village tables")?;
    let (body, errs) = body.into_parts();
    let record = body.parse(y.value(), errs)?;
    let expected = if_match(&req)?;
    let json = serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.into()))?;
    let SavedTable { row, derived, created, from_natural } = service::put_village_year(&state, &user, code, y, expected, json).await?;
    let view = village_year_view(&row, derived, from_natural)?;
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

/// List natural villages
///
/// Natural villages / groups 自然村(组) of a village, with their household counts.
#[utoipa::path(operation_id = "list_natural_villages", tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code")), responses((status = 200, body = Vec<NaturalVillageView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/villages/{code}/natural-villages")]
pub async fn list_natural(state: Data<AppState>, user: Caller, code: Path<String>) -> Result<HttpResponse, ApiError> {
    let (code, _) = village_code(&user, &code)?;
    let items: Vec<NaturalVillageView> = service::natural_villages(&state, code).await?.iter().map(|(r, n)| natural_view(r, *n)).collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct NaturalVillageBody {
    #[validate(required, length(max = 60))]
    #[schema(value_type = String)]
    pub name: Option<String>,
    #[validate(length(max = 40))]
    pub group_leader: Option<String>,
    #[validate(range(min = 0, message = "a count is not negative"))]
    pub population: Option<i32>,
    pub client_id: Option<String>,
}

/// Register a natural village
///
/// Register a natural village / group of a village (village officer and above).
#[utoipa::path(operation_id = "create_natural_village", tag = "villages", security(("bearer" = [])), params(("code" = String, Path, description = "village code")), request_body = NaturalVillageBody, responses(
    (status = 201, body = NaturalVillageView),
    (status = 200, description = "the same client_id was sent before", body = NaturalVillageView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the name is taken in the village, or the village was merged into another", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/villages/{code}/natural-villages")]
pub async fn create_natural(state: Data<AppState>, user: Caller, code: Path<String>, body: Checked<NaturalVillageBody>) -> Result<HttpResponse, ApiError> {
    let (code, _) = village_code(&user, &code)?;
    user.require(user.role.edits_households(), "register natural villages")?;
    let (b, mut errs) = body.into_parts();
    let name = b.name.as_deref().and_then(|n| errs.check("name", required_text(n, 60)));
    let group_leader = errs.check("group_leader", optional_text(b.group_leader.as_deref(), 40)).flatten();
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

/// Read a natural village's yearly table
///
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

/// Enter a natural village's yearly table
///
/// Enter or replace a natural village's yearly table; `If-Match` once it exists.
#[utoipa::path(tag = "villages", security(("bearer" = [])), params(("id" = String, Path, description = "natural village id"), ("year" = i32, Path, description = "year"), ("If-Match" = Option<String>, Header, description = "ETag, required once the table exists")), request_body = NaturalVillageRecordBody, responses(
    (status = 201, body = NaturalVillageYearView),
    (status = 200, body = NaturalVillageYearView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/natural-villages/{id}/years/{year}")]
pub async fn put_natural_year(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, i32)>, body: Checked<NaturalVillageRecordBody>) -> Result<HttpResponse, ApiError> {
    let (id, y) = path.into_inner();
    let (id, y) = (path_id(&id)?, stat_year(&state, y)?);
    let (body, errs) = body.into_parts();
    // Refused by the service after its scope and role checks (404 and 403 come first).
    let json = body.parse(errs).map_err(ApiError::from).and_then(|record| serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.into())));
    let SavedTable { row, derived, created, .. } = service::put_natural_year(&state, &user, id, y, Precondition::new(if_match(&req)), json).await?;
    let view = natural_year_view(&row, derived)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).insert_header(etag(view.version)).json(view))
}
