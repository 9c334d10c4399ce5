//! `/projects`: assistance projects 项目管理 (category, villages, investment and its composition,
//! status and dates, beneficiary households) and `/households/{id}/projects`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::amount::Amount;
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id, utc};
use crate::db::new_id;
use crate::db::repo::assistance::projects::{Project, ProjectFilter, ProjectInput, ProjectRow};
use crate::db::repo::cursor;
use crate::domain::projects::{Investment, ProjectCategory, ProjectStatus, check_project_dates, check_project_year};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DivisionCode, FieldErrors, Money};
use crate::error::{ApiError, Problem};
use crate::services::projects as service;
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_projects).service(create_project).service(get_project).service(update_project).service(add_beneficiary).service(remove_beneficiary).service(household_projects);
}

/// A beneficiary household 受益户 of a project.
#[derive(Serialize, ToSchema)]
pub struct BeneficiaryView {
    pub household_id: String,
    /// 户编号
    pub household_number: String,
    pub village_code: String,
    /// 受益金额 per household, yuan, where known.
    pub benefit_yuan: Option<Money>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub category: ProjectCategory,
    /// 项目名称
    pub name: String,
    /// 项目年度
    pub year: i32,
    /// 实施村: the project's administrative villages.
    pub village_codes: Vec<String>,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// 总投资, yuan.
    pub total_investment_yuan: Money,
    /// 中央财政资金, yuan.
    pub central_funds_yuan: Money,
    /// 省级财政资金, yuan.
    pub provincial_funds_yuan: Money,
    /// 市县财政资金, yuan.
    pub county_funds_yuan: Money,
    /// 其他资金 (社会帮扶、群众自筹…), yuan.
    pub other_funds_yuan: Money,
    pub description: Option<String>,
    /// 受益户: those of the caller's jurisdiction (a cadre: the paired households).
    pub beneficiaries: Vec<BeneficiaryView>,
    pub version: i64,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page of `ProjectView`s (`services::Page`).
pub type ProjectPage = Page<ProjectView>;

impl ProjectView {
    fn build(p: Project) -> Self {
        let r = p.row;
        Self {
            category: ProjectCategory::parse(&r.category).unwrap_or(ProjectCategory::Other),
            status: ProjectStatus::parse(&r.status).unwrap_or(ProjectStatus::Planned),
            total_investment_yuan: Money::from_fen(r.total_fen),
            central_funds_yuan: Money::from_fen(r.central_fen),
            provincial_funds_yuan: Money::from_fen(r.provincial_fen),
            county_funds_yuan: Money::from_fen(r.county_fen),
            other_funds_yuan: Money::from_fen(r.other_fen),
            beneficiaries: p.beneficiaries.into_iter().map(|b| BeneficiaryView { household_id: b.household_id, household_number: b.number, village_code: b.village_code, benefit_yuan: b.benefit_fen.map(Money::from_fen) }).collect(),
            village_codes: p.villages,
            id: r.id,
            name: r.name,
            year: r.year,
            start_date: r.start_date,
            end_date: r.end_date,
            description: r.description,
            version: r.version,
            created_by: r.created_by,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ProjectQuery {
    /// A division inside the jurisdiction (default: all of it): projects with a village in it.
    pub division: Option<String>,
    pub year: Option<i32>,
    #[param(value_type = Option<ProjectCategory>)]
    pub category: Option<String>,
    #[param(value_type = Option<ProjectStatus>)]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List assistance projects 项目管理
///
/// Projects with a village in the division (default: the caller's jurisdiction; a cadre: the
/// villages of their paired households), by id; filters `year`, `category`, `status`.
#[utoipa::path(operation_id = "list_projects", tag = "assistance", security(("bearer" = [])), params(ProjectQuery), responses((status = 200, body = ProjectPage), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/projects")]
pub async fn list_projects(state: Data<AppState>, user: Caller, q: Query<ProjectQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let division = q.division.as_deref().map(|d| DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))).transpose()?;
    if division.as_ref().is_some_and(|d| !user.scope().covers(d)) {
        return Err(ApiError::NotFound);
    }
    let mut errs = FieldErrors::new();
    let category = q.category.as_deref().and_then(|c| errs.check("category", ProjectCategory::parse(c))).map(|c| c.as_str().to_owned());
    let status = q.status.as_deref().and_then(|s| errs.check("status", ProjectStatus::parse(s))).map(|s| s.as_str().to_owned());
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (after, limit) = (cursor::decode(q.cursor.as_deref())?, crate::api::page_limit(q.limit)?);
    let filter = ProjectFilter { division, year: q.year, category, status, after, limit };
    let page = service::list(&state, &user, filter).await?;
    Ok(HttpResponse::Ok().json(page.map(ProjectView::build)))
}

/// On POST `category`, `name`, `year`, `village_codes`, `status` and `total_investment_yuan`
/// are required (the funds' parts default to 0 and must sum to the total); on PATCH every field
/// is optional and the result is checked whole.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ProjectBody {
    #[schema(value_type = Option<ProjectCategory>)]
    pub category: Option<String>,
    #[validate(length(max = 200))]
    pub name: Option<String>,
    /// 项目年度: 2013 to next year.
    pub year: Option<i32>,
    /// 实施村: administrative villages of one county inside the caller's jurisdiction.
    #[validate(length(min = 1, max = 200))]
    pub village_codes: Option<Vec<String>>,
    #[schema(value_type = Option<ProjectStatus>)]
    pub status: Option<String>,
    /// Required once the project is in progress (and for completed and accepted ones).
    pub start_date: Option<NaiveDate>,
    /// Required once the project is completed or accepted; not before the start.
    pub end_date: Option<NaiveDate>,
    /// 总投资, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub total_investment_yuan: Option<Amount>,
    /// 中央财政资金, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub central_funds_yuan: Option<Amount>,
    /// 省级财政资金, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub provincial_funds_yuan: Option<Amount>,
    /// 市县财政资金, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub county_funds_yuan: Option<Amount>,
    /// 其他资金, yuan.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub other_funds_yuan: Option<Amount>,
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    pub client_id: Option<String>,
}

fn villages(b: &ProjectBody, errs: &mut FieldErrors) -> Option<Vec<DivisionCode>> {
    let codes = b.village_codes.as_ref()?;
    let parsed: Vec<Option<DivisionCode>> = codes.iter().enumerate().map(|(i, v)| errs.check(format!("village_codes[{i}]"), DivisionCode::parse(v))).collect();
    parsed.into_iter().collect()
}

/// The project a body makes of `current` (none on POST), every problem in one 422.
fn merge(current: Option<&Project>, b: ProjectBody, mut errs: FieldErrors, today: NaiveDate) -> Result<ProjectInput, ApiError> {
    let creating = current.is_none();
    let need = |errs: &mut FieldErrors, field: &str, given: bool| {
        if creating && !given {
            errs.add(field, "required", "must be given");
        }
    };
    need(&mut errs, "category", b.category.is_some());
    need(&mut errs, "name", b.name.is_some());
    need(&mut errs, "year", b.year.is_some());
    need(&mut errs, "village_codes", b.village_codes.is_some());
    need(&mut errs, "status", b.status.is_some());
    need(&mut errs, "total_investment_yuan", b.total_investment_yuan.is_some());
    let category = b.category.as_deref().and_then(|c| errs.check("category", ProjectCategory::parse(c)));
    let name = b.name.as_deref().and_then(|n| errs.check("name", required_text(n, 200)));
    let year = b.year.and_then(|y| errs.check("year", check_project_year(y, today)));
    let named = villages(&b, &mut errs);
    let status = b.status.as_deref().and_then(|s| errs.check("status", ProjectStatus::parse(s)));
    let description = errs.check("description", optional_text(b.description.as_deref(), 2000)).flatten();
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let money = |a: &Option<Amount>| a.as_ref().and_then(Amount::money);
    let old = current.map(|p| p.row.clone());
    let fen = |a: &Option<Amount>, stored: fn(&ProjectRow) -> i64| money(a).map(Money::fen).or(old.as_ref().map(stored)).unwrap_or(0);
    let investment = Investment {
        total: Money::from_fen(fen(&b.total_investment_yuan, |r| r.total_fen)),
        central: Money::from_fen(fen(&b.central_funds_yuan, |r| r.central_fen)),
        provincial: Money::from_fen(fen(&b.provincial_funds_yuan, |r| r.provincial_fen)),
        county: Money::from_fen(fen(&b.county_funds_yuan, |r| r.county_fen)),
        other: Money::from_fen(fen(&b.other_funds_yuan, |r| r.other_fen)),
    };
    if !errs.has("total_investment_yuan") {
        errs.check("investment", investment.check());
    }
    let status = status.or_else(|| old.as_ref().and_then(|r| ProjectStatus::parse(&r.status).ok()));
    let start = b.start_date.or(old.as_ref().and_then(|r| r.start_date));
    let end = b.end_date.or(old.as_ref().and_then(|r| r.end_date));
    if let Some(s) = status
        && let Err((field, e)) = check_project_dates(s, start, end)
    {
        errs.add(field, e.code, e.message);
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let villages = named.or_else(|| current.map(|p| p.villages.iter().filter_map(|v| DivisionCode::parse(v).ok()).collect())).unwrap_or_default();
    let at = crate::db::now();
    let row = ProjectRow {
        id: old.as_ref().map(|r| r.id.clone()).unwrap_or_else(new_id),
        client_id: old.as_ref().map(|r| r.client_id.clone()).unwrap_or(client_id),
        county_code: old.as_ref().map(|r| r.county_code.clone()).unwrap_or_default(),
        category: category.map(|c| c.as_str().to_owned()).or(old.as_ref().map(|r| r.category.clone())).unwrap_or_default(),
        name: name.or(old.as_ref().map(|r| r.name.clone())).unwrap_or_default(),
        year: year.or(old.as_ref().map(|r| r.year)).unwrap_or_default(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        start_date: start,
        end_date: end,
        total_fen: investment.total.fen(),
        central_fen: investment.central.fen(),
        provincial_fen: investment.provincial.fen(),
        county_fen: investment.county.fen(),
        other_fen: investment.other.fen(),
        description: if b.description.is_some() { description } else { old.as_ref().and_then(|r| r.description.clone()) },
        version: old.as_ref().map_or(1, |r| r.version),
        created_by: old.as_ref().map(|r| r.created_by.clone()).unwrap_or_default(),
        created_at: old.as_ref().map_or(at, |r| r.created_at),
        updated_at: at,
    };
    Ok(ProjectInput { row, villages })
}

/// Register a project
///
/// Register an assistance project (village officer and above, for villages of their
/// jurisdiction: 404 outside). The funds' parts must sum to the total (422 `sum_mismatch` on
/// `investment`).
#[utoipa::path(operation_id = "create_project", tag = "assistance", security(("bearer" = [])), request_body = ProjectBody, responses(
    (status = 201, body = ProjectView),
    (status = 200, description = "the same client_id was sent before", body = ProjectView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/projects")]
pub async fn create_project(state: Data<AppState>, user: Caller, body: Checked<ProjectBody>) -> Result<HttpResponse, ApiError> {
    let (b, errs) = body.into_parts();
    let named = villages(&b, &mut FieldErrors::new()).unwrap_or_default();
    let mut input = merge(None, b, errs, state.today());
    if let Ok(i) = &mut input {
        i.row.created_by = user.username.clone();
    }
    let (status, p) = match service::create(&state, &user, input, named).await? {
        Created::New(p) => (StatusCode::CREATED, p),
        Created::Existing(p) => (StatusCode::OK, p),
    };
    Ok(HttpResponse::build(status).insert_header(etag(p.row.version)).json(ProjectView::build(p)))
}

/// Get a project
///
/// A project with its villages and the beneficiaries of the caller's jurisdiction.
#[utoipa::path(operation_id = "get_project", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "project id")), responses((status = 200, body = ProjectView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/projects/{id}")]
pub async fn get_project(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let p = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(p.row.version)).json(ProjectView::build(p)))
}

/// Change a project
///
/// Change a project with `If-Match` (village officer and above whose jurisdiction holds every
/// village of it, else 403); the result is checked whole (parts summing to the total, dates for
/// the status); a village that still has beneficiaries cannot be left out (422).
#[utoipa::path(operation_id = "update_project", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "project id"), ("If-Match" = String, Header, description = "ETag of the project")), request_body = ProjectBody, responses(
    (status = 200, body = ProjectView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/projects/{id}")]
pub async fn update_project(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<ProjectBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (mut b, mut errs) = body.into_parts();
    if b.client_id.take().is_some() {
        errs.add("client_id", "read_only", "a project keeps the client_id it was created with");
    }
    let today = state.today();
    let p = service::update(&state, &user, id, Precondition::new(if_match(&req)), move |cur| merge(Some(cur), b, errs, today)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(p.row.version)).json(ProjectView::build(p)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct BeneficiaryBody {
    /// A household of the caller's jurisdiction living in one of the project's villages.
    #[validate(required)]
    #[schema(value_type = String)]
    pub household_id: Option<String>,
    /// 受益金额 per household, yuan, where known.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub benefit_yuan: Option<Amount>,
}

/// Add a beneficiary household
///
/// Adds a household 受益户 to the project (as `update_project` may): one living outside the
/// project's villages is 422 `outside_project_villages`, one listed already 409.
#[utoipa::path(operation_id = "add_project_beneficiary", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "project id")), request_body = BeneficiaryBody, responses(
    (status = 201, body = ProjectView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/projects/{id}/beneficiaries")]
pub async fn add_beneficiary(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<BeneficiaryBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (b, mut errs) = body.into_parts();
    let household = parse_uuid("household_id", b.household_id.as_deref(), &mut errs);
    let benefit = b.benefit_yuan.as_ref().and_then(Amount::money).map(Money::fen);
    let parsed = match household {
        Some(h) if errs.is_empty() => Ok((h, benefit)),
        _ => Err(errs.into()),
    };
    let p = service::add_beneficiary(&state, &user, id, parsed).await?;
    Ok(HttpResponse::Created().insert_header(etag(p.row.version)).json(ProjectView::build(p)))
}

/// Remove a beneficiary household
///
/// Removes a household from the project's beneficiaries (as `update_project` may).
#[utoipa::path(operation_id = "remove_project_beneficiary", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "project id"), ("household_id" = String, Path, description = "household id")), responses(
    (status = 200, body = ProjectView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/projects/{id}/beneficiaries/{household_id}")]
pub async fn remove_beneficiary(state: Data<AppState>, user: Caller, path: Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (id, household) = path.into_inner();
    let p = service::remove_beneficiary(&state, &user, path_id(&id)?, path_id(&household)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(p.row.version)).json(ProjectView::build(p)))
}

/// A project a household benefits from.
#[derive(Serialize, ToSchema)]
pub struct HouseholdProjectView {
    pub project_id: String,
    pub category: ProjectCategory,
    pub name: String,
    pub year: i32,
    pub status: ProjectStatus,
    pub total_investment_yuan: Money,
    /// The household's benefit 受益金额, yuan, where known.
    pub benefit_yuan: Option<Money>,
}

/// List a household's projects
///
/// The projects a household benefits from, newest year first.
#[utoipa::path(operation_id = "list_household_projects", tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<HouseholdProjectView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/projects")]
pub async fn household_projects(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = service::of_household(&state, &user, path_id(&id)?).await?;
    let views: Vec<HouseholdProjectView> = rows
        .into_iter()
        .map(|(r, benefit)| HouseholdProjectView {
            category: ProjectCategory::parse(&r.category).unwrap_or(ProjectCategory::Other),
            status: ProjectStatus::parse(&r.status).unwrap_or(ProjectStatus::Planned),
            total_investment_yuan: Money::from_fen(r.total_fen),
            benefit_yuan: benefit.map(Money::from_fen),
            project_id: r.id,
            name: r.name,
            year: r.year,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
