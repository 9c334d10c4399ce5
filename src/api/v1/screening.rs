//! Risk screening 集中摸排: candidates for inclusion, for rolling back an eliminated risk, and for
//! eliminating a risk, found in the yearly records of a division, as JSON pages and as the
//! village's list 摸排名单 (xlsx).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get, post};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::v1::procedures::{CaseBody, CaseView, case_view, new_case};
use crate::domain::FieldErrors;
use crate::domain::procedure::CaseKind;
use crate::domain::screening::CRITERIA;
use crate::services::Created;

use crate::db::repo::cursor;
use crate::domain::labels;
use crate::domain::screening::Proposal;
use crate::domain::yearly::StatYear;
use crate::domain::{Category, DivisionCode};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::screening::{self as service, Row};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(workbook).service(open_cases);
}

#[derive(Deserialize, IntoParams)]
pub struct ScreeningListQuery {
    /// A county, township or village inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year (default: this year); the year before is read too.
    pub year: Option<i32>,
    /// Only the rows proposing this.
    #[param(value_type = Option<Proposal>)]
    pub proposal: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ScreeningQuery {
    /// A county, township or village inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year (default: this year); the year before is read too.
    pub year: Option<i32>,
    /// Only the rows proposing this.
    #[param(value_type = Option<Proposal>)]
    pub proposal: Option<String>,
    /// 1–500 rows, default 50 (a household's rows are never split across pages).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One criterion that fired for one household.
#[derive(Serialize, ToSchema)]
pub struct ScreeningView {
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub village_code: String,
    pub category: Category,
    /// `not_eliminated` / `eliminated` for a monitoring object.
    pub risk_status: Option<String>,
    /// The criterion's id (`income_below_monitoring_line`, `sudden_event`, `income_fell`, …).
    pub criterion: String,
    pub proposal: Proposal,
    /// What fired, in Chinese and English.
    pub text_zh: String,
    pub text_en: String,
    /// The figures it fired on: yuan (`per_capita`, `monitoring_line`, `exit_minimum`, …), shares
    /// in percent, counts of members.
    pub figures: BTreeMap<String, String>,
}

pub type ScreeningPage = crate::services::Page<ScreeningView>;

impl ScreeningView {
    fn of(r: Row) -> Self {
        let h = r.household;
        Self {
            household_id: h.id,
            number: h.number,
            head_name: h.head_name,
            village_code: h.village_code,
            category: Category::parse(&h.category).unwrap_or(Category::Ordinary),
            risk_status: h.risk_status,
            criterion: r.criterion.id.into(),
            proposal: r.criterion.proposal,
            text_zh: r.criterion.zh.into(),
            text_en: r.criterion.en.into(),
            figures: r.figures.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

struct Asked {
    division: DivisionCode,
    year: StatYear,
    proposal: Option<Proposal>,
}

fn asked(state: &AppState, user: &Caller, q: &ScreeningListQuery) -> Result<Asked, ApiError> {
    let division = match q.division.as_deref() {
        Some(d) => DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))?,
        None => user.scope().division().clone(),
    };
    let today = state.today();
    let year = StatYear::parse(q.year.unwrap_or(today.year()), today).map_err(|e| ApiError::invalid("year", e.code, e.message))?;
    let proposal = q.proposal.as_deref().map(|p| Proposal::parse(p).map_err(|e| ApiError::invalid("proposal", e.code, e.message))).transpose()?;
    Ok(Asked { division, year, proposal })
}

/// Risk screening 集中摸排
///
/// Every household of the division judged from its yearly records of the year and the year before:
/// **inclusion** 纳入监测 — not in monitoring, and per-capita net income below the monitoring line
/// (the poverty line of the province and year × `screening.monitoring_line_factor`, default 1.5),
/// or rigid expenses at or above `rigid_expense_share` (0.5) of the net income, or a member newly
/// seriously ill or disabled, or disaster expenses in the year; **rollback** 风险消除回退 — risk
/// eliminated, and the per-capita income fell by more than `income_drop_share` (0.3) against last
/// year, or transfers are at or above `transfer_share` (0.8) of the income, or rigid expenses are
/// uncontrolled; **elimination** 风险消除 — risk not eliminated, at or above the exit minimum
/// this year and last, every guarantee met. Each row names its criterion and figures. Paged by
/// household (`cursor`); `GET /screening.xlsx` gives a division's whole list.
#[utoipa::path(operation_id = "list_screening", tag = "procedures", security(("bearer" = [])), params(ScreeningQuery), responses(
    (status = 200, body = ScreeningPage),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/screening")]
pub async fn list(state: Data<AppState>, user: Caller, q: Query<ScreeningQuery>) -> Result<HttpResponse, ApiError> {
    let a = asked(&state, &user, &ScreeningListQuery { division: q.division.clone(), year: q.year, proposal: q.proposal.clone() })?;
    let limit = crate::api::page_limit(q.limit)?;
    let after = cursor::decode(q.cursor.as_deref())?;
    let s = service::screen_division(&state, &user, a.division, a.year, a.proposal, after, limit).await?;
    let page = ScreeningPage { items: s.rows.into_iter().map(ScreeningView::of).collect(), next_cursor: s.next.map(|id| cursor::encode(&id)) };
    Ok(HttpResponse::Ok().json(page))
}

const HEADERS: [&str; 9] = ["户编号", "户主", "行政村代码", "户类型", "风险状态", "建议", "摸排依据", "数据", "核实结果"];

/// Rows screened at a time for the workbook.
const WORKBOOK_PAGE: i64 = 5000;

/// Risk screening list 摸排名单 (xlsx)
///
/// The whole screening of a division (a village's list to take on the home visits) as a
/// workbook: number, head, village, category, risk status, the proposal, the criterion and its
/// figures in Chinese, and an empty column for what the visit found.
#[utoipa::path(operation_id = "export_screening", tag = "procedures", security(("bearer" = [])), params(ScreeningListQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/screening.xlsx")]
pub async fn workbook(state: Data<AppState>, user: Caller, q: Query<ScreeningListQuery>) -> Result<HttpResponse, ApiError> {
    let a = asked(&state, &user, &q)?;
    let zh = |field: &str, v: &str| labels::zh(field, v);
    let tmp = state.settings.data_dir.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| ApiError::Internal(e.into()))?;
    let mut book = crate::xlsx::TableWriter::new("摸排名单", &HEADERS, Some(&tmp)).map_err(|e| ApiError::Internal(e.into()))?;
    // Page by page: a county's list is written as it is screened, never held whole.
    let mut after = None;
    loop {
        let s = service::screen_division(&state, &user, a.division.clone(), a.year, a.proposal, after, WORKBOOK_PAGE).await?;
        for r in s.rows {
            if book.rows() >= crate::xlsx::TableWriter::MAX_ROWS {
                return Err(ApiError::invalid("division", "too_many_rows", "more rows than a worksheet holds: ask for a township or a village, or page through GET /screening"));
            }
            let h = &r.household;
            let cells = [
                h.number.clone(),
                h.head_name.clone(),
                h.village_code.clone(),
                zh("category", &h.category),
                h.risk_status.as_deref().map(|s| zh("risk_status", s)).unwrap_or_default(),
                zh("screening_proposal", r.criterion.proposal.as_str()),
                r.criterion.zh.to_owned(),
                r.figures.iter().map(|(k, v)| format!("{}: {v}", zh("screening_figure", k))).collect::<Vec<_>>().join("；"),
                String::new(),
            ];
            book.row(&cells).map_err(|e| ApiError::Internal(e.into()))?;
        }
        match s.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let bytes = actix_web::web::block(move || book.finish()).await.map_err(|e| ApiError::Internal(e.into()))?.map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"screening-{}-{}.xlsx\"", a.division.as_str(), a.year.value())))
        .body(bytes))
}

/// Cases to open from the screening of a year.
#[derive(Deserialize, Validate, ToSchema)]
pub struct ScreeningCasesBody {
    /// The statistical year screened.
    #[validate(required)]
    #[schema(value_type = i32)]
    pub year: Option<i32>,
    /// 1–200 households, each with its case.
    #[validate(length(min = 1, max = 200), nested)]
    #[serde(default)]
    #[schema(min_items = 1, max_items = 200)]
    pub cases: Vec<ScreeningCaseBody>,
}

/// One household chosen from the screening, with the case to open for it (the fields of
/// `POST /cases`; the reason defaults to the criterion's text).
#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct ScreeningCaseBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub household_id: Option<String>,
    /// The criterion of the screening row (`GET /screening`'s `criterion`).
    #[validate(required)]
    #[schema(value_type = String)]
    pub criterion: Option<String>,
    #[validate(required)]
    #[schema(value_type = CaseKind)]
    pub kind: Option<String>,
    /// Default: 集中摸排 and the criterion's text.
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
    #[serde(default)]
    pub risk_types: Vec<String>,
    #[schema(value_type = Option<Category>)]
    pub target_category: Option<String>,
    pub return_reason: Option<String>,
    pub client_id: Option<String>,
}

/// The cases opened.
#[derive(Serialize, ToSchema)]
pub struct ScreeningCases {
    pub items: Vec<CaseView>,
}

/// Open cases from the screening 摸排纳入
///
/// A township opens the cases for the households it chose from `GET /screening` in one request,
/// all or nothing: inclusion 新纳入 or re-inclusion 返贫 for an `inclusion` row, risk rollback
/// 风险消除回退 or re-marking 风险再标注 for a `rollback` row, exit 风险消除 for an `elimination`
/// row. Each household is screened again when the request comes: its criterion must still apply
/// (`not_screened`) and the kind must be what it proposes (`kind_not_proposed`); then the case
/// opens as `POST /cases` opens one (`case_not_allowed`, an open case). Any refusal is 409
/// `batch_refused` with each refused household in `failures`, and nothing is opened. Each case
/// keeps its screening row (`screening`: year and criterion). 201 when opened; 200 when every
/// case was sent before with its `client_id`.
#[utoipa::path(operation_id = "open_screening_cases", tag = "procedures", security(("bearer" = [])), request_body = ScreeningCasesBody, responses(
    (status = 201, body = ScreeningCases),
    (status = 200, description = "every case was sent before with its client_id", body = ScreeningCases),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "batch_refused", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/screening/cases")]
pub async fn open_cases(state: Data<AppState>, user: Caller, body: Checked<ScreeningCasesBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    let today = state.today();
    let year = b.year.and_then(|y| errs.check("year", StatYear::parse(y, today)));
    let mut items = Vec::new();
    for (i, item) in b.cases.into_iter().enumerate() {
        let criterion = item.criterion.as_deref().and_then(|id| {
            let found = CRITERIA.iter().find(|c| c.id == id);
            if found.is_none() {
                errs.add(format!("cases[{i}].criterion"), "invalid_value", format!("one of {}", CRITERIA.iter().map(|c| c.id).collect::<Vec<_>>().join(", ")));
            }
            found
        });
        let reason = item.reason.or_else(|| criterion.map(|c| format!("集中摸排：{}", c.zh)));
        let body = CaseBody { household_id: item.household_id, kind: item.kind, reason, risk_types: item.risk_types, target_category: item.target_category, return_reason: item.return_reason, client_id: item.client_id };
        let mut own = FieldErrors::new();
        let case = new_case(body, &mut own);
        for mut e in own.0 {
            e.field = format!("cases[{i}].{}", e.field);
            errs.0.push(e);
        }
        if let (Some(mut case), Some(criterion)) = (case, criterion) {
            case.screening = year.map(|y| (y.value(), criterion.id.to_owned()));
            items.push(service::FromScreening { case, criterion });
        }
    }
    let Some(year) = year.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let opened = service::open_cases(&state, &user, year, items).await?;
    let status = if opened.iter().all(|o| matches!(o, Created::Existing(_))) { StatusCode::OK } else { StatusCode::CREATED };
    let items = opened.into_iter().map(|o| match o {
        Created::New(r) | Created::Existing(r) => case_view(&r, &[]),
    });
    Ok(HttpResponse::build(status).json(ScreeningCases { items: items.collect() }))
}
