//! Data cleaning: `/quality/rules`, `/quality/runs`, the problem ledger 问题台账
//! `/quality/problems` (with CSV and xlsx exports) and `/quality/summary`.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{etag, if_match, path_id, utc};
use crate::auth::AuthUser;
use crate::db::models::{ProblemRow, QualityRunRow};
use crate::db::repo::cursor;
use crate::db::repo::quality::ProblemFilter;
use crate::domain::quality::{RULES, STATUSES, Severity};
use crate::domain::{DivisionCode, FieldErrors, Role};
use crate::error::{ApiError, Problem};
use crate::services::quality::{self as service, People, StatusChange};
use crate::services::{Caller, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(rules).service(run).service(problems).service(problems_csv).service(problems_xlsx).service(summary).service(change);
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    pub id: &'static str,
    pub severity: Severity,
    /// 规则说明
    pub description_zh: &'static str,
    pub description: &'static str,
    /// The fields it points at.
    pub fields: &'static [&'static str],
}

/// List the cleaning rules
///
/// Every cleaning rule.
///
/// Each rule's id and what it checks; the ids are what `rule` filters the ledger by.
#[utoipa::path(operation_id = "list_quality_rules", tag = "quality", security(("bearer" = [])), responses((status = 200, body = Vec<RuleView>)))]
#[get("/quality/rules")]
pub async fn rules(_user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(RULES.iter().map(|r| RuleView { id: r.id, severity: r.severity, description_zh: r.zh, description: r.en, fields: r.fields }).collect::<Vec<_>>())
}

/// The division of a ledger request: inside the caller's jurisdiction, not for cadres.
pub(crate) fn ledger_division(user: &Caller, division: Option<&str>) -> Result<DivisionCode, ApiError> {
    user.require(user.role != Role::Cadre, "work the problem ledger")?;
    let scope = user.scope();
    let d = match division {
        Some(d) => DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))?,
        None => scope.division().clone(),
    };
    if scope.covers(&d) { Ok(d) } else { Err(ApiError::NotFound) }
}

#[derive(Deserialize, IntoParams)]
pub struct DivisionQuery {
    /// A division inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year of the records and photos checked (default: this year).
    pub year: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    pub division: String,
    pub households: i64,
    /// Rule hits found.
    pub hits: i64,
    /// New problems opened in the ledger.
    pub opened: i64,
    /// Dismissed problems reopened because the data changed.
    pub reopened: i64,
    /// Problems whose rule no longer fires (`resolved_by_data`).
    pub resolved: i64,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<QualityRunRow> for RunView {
    fn from(r: QualityRunRow) -> Self {
        Self { id: r.id, division: r.division_code, households: r.households, hits: r.hits, opened: r.opened, reopened: r.reopened, resolved: r.resolved, started_at: utc(r.started_at), finished_at: r.finished_at.map(utc) }
    }
}

/// Run the cleaning rules
///
/// Run every rule over the division and reconcile the ledger (village officer and above).
///
/// New findings open problems; problems whose rule no longer fires become `resolved_by_data`;
/// dismissed ones stay dismissed.
#[utoipa::path(operation_id = "run_quality_rules", tag = "quality", security(("bearer" = [])), params(DivisionQuery), responses(
    (status = 200, body = RunView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/quality/runs")]
pub async fn run(state: Data<AppState>, user: Caller, q: Query<DivisionQuery>) -> Result<HttpResponse, ApiError> {
    let division = ledger_division(&user, q.division.as_deref())?;
    user.require(user.role.edits_households(), "run the cleaning rules")?;
    let row = service::run(&state, &user, division, q.year).await?;
    Ok(HttpResponse::Ok().json(RunView::from(row)))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemView {
    pub id: String,
    /// None for a problem of a whole village.
    pub household_id: Option<String>,
    pub household_number: String,
    /// 户主
    pub head_name: String,
    pub village_code: String,
    pub township_code: String,
    /// 问题来源: `cleaning` (the rules) or who found it.
    pub source: String,
    /// The cleaning rule (a problem of `source` `cleaning`).
    pub rule: Option<String>,
    /// 问题类别 of a problem found by people.
    pub category: Option<String>,
    /// Which of 两不愁三保障 is not met (category `guarantee_unmet`).
    pub guarantee: Option<String>,
    pub severity: String,
    /// 问题描述: the rule's text, or the category's name.
    pub description: String,
    /// What the rule found, or what the people who found it wrote.
    pub detail: String,
    /// The member concerned, if the problem is one person's.
    pub member_id: Option<String>,
    /// Who found it (a team, an audit office, a complaint's channel).
    pub found_by: Option<String>,
    /// 发现日期
    pub found_on: NaiveDate,
    /// `open`, `verified`, `rectified`, `closed`, `dismissed`, `resolved_by_data`.
    pub status: String,
    pub note: Option<String>,
    /// 整改措施
    pub measure: Option<String>,
    /// 责任人: a user of the county, or a name.
    pub responsible_user_id: Option<String>,
    pub responsible_name: Option<String>,
    /// 整改期限
    pub deadline: NaiveDate,
    pub overdue: bool,
    /// 帮扶责任人
    pub cadre_name: Option<String>,
    pub opened_at: chrono::DateTime<chrono::Utc>,
    pub status_changed_at: chrono::DateTime<chrono::Utc>,
    pub version: i64,
}

/// A page of `ProblemView`s (`services::Page`).
pub type ProblemPage = Page<ProblemView>;

pub(crate) fn problem_view(people: &People, r: &ProblemRow, today: chrono::NaiveDate) -> ProblemView {
    let (number, head) = people.number_and_head(r.household_id.as_deref());
    let rule = Some(r.rule_id.clone()).filter(|x| !x.is_empty());
    let description = match (&rule, &r.category) {
        (Some(rule), _) => crate::domain::quality::rule(rule).map(|x| x.zh).unwrap_or_default().to_owned(),
        (None, Some(category)) => crate::domain::labels::zh("problem_category", category),
        (None, None) => String::new(),
    };
    ProblemView {
        id: r.id.clone(),
        household_id: r.household_id.clone(),
        household_number: number,
        head_name: head,
        village_code: r.village_code.clone(),
        township_code: r.township_code.clone(),
        source: r.source.clone(),
        rule,
        category: r.category.clone(),
        guarantee: r.guarantee.clone(),
        severity: r.severity.clone(),
        description,
        detail: r.detail.clone(),
        member_id: Some(r.subject.clone()).filter(|s| !s.is_empty()),
        found_by: r.found_by.clone(),
        found_on: r.found_on.unwrap_or_else(|| r.created_at.date()),
        status: r.status.clone(),
        note: r.note.clone(),
        measure: r.measure.clone(),
        responsible_user_id: r.responsible_user_id.clone(),
        responsible_name: r.responsible_name.clone(),
        deadline: r.deadline,
        overdue: r.deadline < today && ["open", "verified", "rectified"].contains(&r.status.as_str()),
        cadre_name: people.cadre(r.household_id.as_deref()),
        opened_at: utc(r.created_at),
        status_changed_at: utc(r.status_changed_at),
        version: r.version,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ProblemQuery {
    pub division: Option<String>,
    /// A village (shortcut for `division`).
    pub village: Option<String>,
    pub rule: Option<String>,
    pub status: Option<String>,
    /// `cleaning` or who found it (`self_check`, `audit`, `inspection`, `third_party`, `complaint`).
    pub source: Option<String>,
    /// Only open, verified or rectified problems past their deadline.
    pub overdue: Option<bool>,
    /// `json` (default), `csv` or `xlsx` (every matching problem, for the township office).
    pub format: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

const EXPORT_HEADERS: [&str; 16] = ["乡镇", "行政村", "户编号", "户主", "来源", "规则", "问题描述", "详情", "严重程度", "状态", "发现日期", "整改期限", "状态变更日期", "帮扶责任人", "整改措施", "责任人"];

/// The problem ledger 问题台账
///
/// The problem ledger 问题台账 of a division, paged, or exported as CSV or xlsx.
///
/// Filter by division, village, rule, status and overdue; `format=csv` or `format=xlsx` answers
/// every matching problem at once for the township office (a generated client asks
/// `export_problems_csv` or `export_problems_xlsx` instead).
#[utoipa::path(operation_id = "list_problems", tag = "quality", security(("bearer" = [])), params(ProblemQuery), responses(
    (status = 200, description = "the ledger: JSON, or every matching problem as CSV (?format=csv) or a workbook (?format=xlsx)", content(
        (ProblemPage = "application/json"),
        (String = "text/csv"),
        (inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/problems")]
pub async fn problems(state: Data<AppState>, user: Caller, q: Query<ProblemQuery>) -> Result<HttpResponse, ApiError> {
    ledger(state, user, q.into_inner()).await
}

/// Problems of the ledger to export: the filters of `list_problems`.
#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    pub division: Option<String>,
    /// A village (shortcut for `division`).
    pub village: Option<String>,
    pub rule: Option<String>,
    pub status: Option<String>,
    /// `cleaning` or who found it.
    pub source: Option<String>,
    /// Only open, verified or rectified problems past their deadline.
    pub overdue: Option<bool>,
}

impl ExportQuery {
    fn as_format(self, format: &str) -> ProblemQuery {
        let ExportQuery { division, village, rule, status, source, overdue } = self;
        ProblemQuery { division, village, rule, status, source, overdue, format: Some(format.to_owned()), limit: None, cursor: None }
    }
}

/// The problem ledger as CSV
///
/// Every matching problem of the ledger 问题台账 as UTF-8 CSV with Chinese headers, for the
/// township office (what `list_problems` answers with `format=csv`, as an operation of its own
/// so a generated client downloads it as a file).
#[utoipa::path(operation_id = "export_problems_csv", tag = "quality", security(("bearer" = [])), params(ExportQuery), responses(
    (status = 200, description = "the ledger as CSV", content((String = "text/csv"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/problems.csv")]
pub async fn problems_csv(state: Data<AppState>, user: Caller, q: Query<ExportQuery>) -> Result<HttpResponse, ApiError> {
    ledger(state, user, q.into_inner().as_format("csv")).await
}

/// The problem ledger as a workbook
///
/// Every matching problem of the ledger 问题台账 in a one-sheet workbook for the township office
/// (what `list_problems` answers with `format=xlsx`, as an operation of its own so a generated
/// client downloads it as a file).
#[utoipa::path(operation_id = "export_problems_xlsx", tag = "quality", security(("bearer" = [])), params(ExportQuery), responses(
    (status = 200, description = "the ledger as a workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/problems.xlsx")]
pub async fn problems_xlsx(state: Data<AppState>, user: Caller, q: Query<ExportQuery>) -> Result<HttpResponse, ApiError> {
    ledger(state, user, q.into_inner().as_format("xlsx")).await
}

async fn ledger(state: Data<AppState>, user: Caller, q: ProblemQuery) -> Result<HttpResponse, ApiError> {
    let division = ledger_division(&user, q.village.as_deref().or(q.division.as_deref()))?;
    if q.rule.as_deref().is_some_and(|r| !RULES.iter().any(|x| x.id == r)) {
        return Err(ApiError::invalid("rule", "invalid_value", "see /quality/rules"));
    }
    if q.status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(ApiError::invalid("status", "invalid_value", STATUSES.join(", ")));
    }
    let source = parse_source(q.source.as_deref())?;
    let export = match crate::api::media::format(q.format.as_deref(), crate::api::media::LEDGER_FORMATS)? {
        "json" => None,
        f => Some(f.to_owned()),
    };
    let today = state.today();
    let f = ProblemFilter {
        rule: q.rule,
        status: q.status,
        source,
        overdue_on: q.overdue.filter(|o| *o).map(|_| today),
        after: if export.is_some() { None } else { cursor::decode(q.cursor.as_deref())? },
        limit: if export.is_some() { 1_000_000 } else { crate::api::page_limit(q.limit)? },
    };
    let limit = f.limit;
    let ledger = service::ledger(&state, &user, division, f).await?;
    let Some(format) = export else {
        let people = &ledger.people;
        return Ok(HttpResponse::Ok().json(Page::of(ledger.rows, limit, |r| &r.id).map(|r| problem_view(people, &r, today))));
    };
    let name = |code: &str| ledger.names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&state.tz).date_naive().to_string();
    let table: Vec<Vec<String>> = ledger
        .rows
        .iter()
        .map(|r| problem_view(&ledger.people, r, today))
        .map(|v| {
            vec![
                name(&v.township_code),
                name(&v.village_code),
                v.household_number,
                v.head_name,
                crate::domain::labels::zh("problem_source", &v.source),
                v.rule.unwrap_or_default(),
                v.description,
                v.detail,
                crate::domain::labels::zh("severity", &v.severity),
                crate::domain::labels::zh("problem_status", &v.status),
                v.found_on.to_string(),
                v.deadline.to_string(),
                day(v.status_changed_at),
                v.cadre_name.unwrap_or_default(),
                v.measure.unwrap_or_default(),
                v.responsible_name.unwrap_or_default(),
            ]
        })
        .collect();
    let (bytes, content_type) = if format == "csv" {
        (crate::xlsx::csv(&EXPORT_HEADERS, &table).map_err(|e| ApiError::Internal(e.into()))?, "text/csv; charset=utf-8")
    } else {
        (crate::xlsx::table("问题台账", &EXPORT_HEADERS, &table).map_err(|e| ApiError::Internal(e.into()))?, crate::api::media::XLSX)
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"problems-{}.{format}\"", today)))
        .body(bytes))
}

#[derive(Serialize, ToSchema)]
pub struct SummaryRow {
    /// A village (in `villages`) or a township (in `townships`, the sum of its villages).
    pub code: String,
    pub name: Option<String>,
    pub township_code: String,
    /// Problems by status.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// Open, verified or rectified.
    pub unsettled: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Summary {
    pub townships: Vec<SummaryRow>,
    pub villages: Vec<SummaryRow>,
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// A division inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// `cleaning` or who found it (default: every source).
    pub source: Option<String>,
}

/// A `source` filter: one of `quality::people::Source` (422 otherwise).
pub(crate) fn parse_source(s: Option<&str>) -> Result<Option<String>, ApiError> {
    s.map(|s| crate::domain::quality::people::ProblemSource::parse(s).map(|x| x.as_str().to_owned()).map_err(|e| ApiError::invalid("source", e.code, e.message))).transpose()
}

fn add(rows: &mut Vec<SummaryRow>, code: &str, township: &str, status: &str, n: i64) {
    let i = match rows.iter().position(|r| r.code == code) {
        Some(i) => i,
        None => {
            rows.push(SummaryRow { code: code.to_owned(), name: None, township_code: township.to_owned(), counts: Default::default(), unsettled: 0 });
            rows.len() - 1
        }
    };
    *rows[i].counts.entry(status.to_owned()).or_default() += n;
    if ["open", "verified", "rectified"].contains(&status) {
        rows[i].unsettled += n;
    }
}

/// Problem counts by village and township
///
/// Problem counts per village and per township, by status (the township office's daily view),
/// of every source or of one.
#[utoipa::path(operation_id = "quality_summary", tag = "quality", security(("bearer" = [])), params(SummaryQuery), responses((status = 200, body = Summary), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/quality/summary")]
pub async fn summary(state: Data<AppState>, user: Caller, q: Query<SummaryQuery>) -> Result<HttpResponse, ApiError> {
    let division = ledger_division(&user, q.division.as_deref())?;
    let source = parse_source(q.source.as_deref())?;
    let (rows, names) = service::summary(&state, &user, division, source).await?;
    let mut out = Summary { townships: Vec::new(), villages: Vec::new() };
    for (township, village, status, n) in &rows {
        add(&mut out.villages, village, township, status, *n);
        add(&mut out.townships, township, township, status, *n);
    }
    for r in out.villages.iter_mut().chain(out.townships.iter_mut()) {
        r.name = names.get(&r.code).cloned();
    }
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, validator::Validate, ToSchema)]
pub struct ProblemChange {
    /// `verified`, `rectified`, `closed` or `dismissed`.
    #[validate(required)]
    #[schema(value_type = String)]
    pub status: Option<String>,
    /// What was found or done; required to dismiss.
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

/// Move a problem along
///
/// Move a problem along open → verified → rectified → closed, or dismiss it with a reason; `If-
/// Match` required; skipping a step is 409.
#[utoipa::path(operation_id = "change_problem", tag = "quality", security(("bearer" = [])), params(("id" = String, Path, description = "problem id"), ("If-Match" = String, Header, description = "ETag")), request_body = ProblemChange, responses(
    (status = 200, body = ProblemView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "a skipped step", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/quality/problems/{id}")]
pub async fn change(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: crate::api::body::Checked<ProblemChange>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let division = ledger_division(&user, None)?;
    let (body, errs) = body.into_parts();
    let change = parse_change(body, errs);
    let today = state.today();
    let (row, people) = service::change_status(&state, &user, division, id, Precondition::new(if_match(&req)), change).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(problem_view(&people, &row, today)))
}

/// The change of a PATCH, `errs` holding what the body's declarative rules found already.
fn parse_change(b: ProblemChange, mut errs: FieldErrors) -> Result<StatusChange, ApiError> {
    let status = b.status.filter(|s| {
        let known = crate::domain::quality::SETTABLE_STATUSES.contains(&s.as_str());
        if !known {
            errs.add("status", "invalid_value", "verified, rectified, closed or dismissed");
        }
        known
    });
    let note = errs.check("note", crate::domain::validation::optional_text(b.note.as_deref(), 1000)).flatten();
    if status.as_deref() == Some("dismissed") && note.is_none() && !errs.has("note") {
        errs.add("note", "required", "say why it is not a problem");
    }
    let Some(status) = status.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    Ok(StatusChange { status, note })
}
