//! Risk screening 集中摸排: candidates for inclusion, for rolling back an eliminated risk, and for
//! eliminating a risk, found in the yearly records of a division, as JSON pages and as the
//! village's list 摸排名单 (xlsx).

use std::collections::BTreeMap;

use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    cfg.service(list).service(workbook);
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
    let s = service::screen_division(&state, &user, a.division.clone(), a.year, a.proposal, None, i64::MAX).await?;
    let zh = |field: &str, v: &str| labels::zh(field, v);
    let rows: Vec<Vec<String>> = s
        .rows
        .into_iter()
        .map(|r| {
            let h = &r.household;
            vec![
                h.number.clone(),
                h.head_name.clone(),
                h.village_code.clone(),
                zh("category", &h.category),
                h.risk_status.as_deref().map(|s| zh("risk_status", s)).unwrap_or_default(),
                zh("screening_proposal", r.criterion.proposal.as_str()),
                r.criterion.zh.to_owned(),
                r.figures.iter().map(|(k, v)| format!("{}: {v}", zh("screening_figure", k))).collect::<Vec<_>>().join("；"),
                String::new(),
            ]
        })
        .collect();
    let bytes = crate::xlsx::table("摸排名单", &HEADERS, &rows).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"screening-{}-{}.xlsx\"", a.division.as_str(), a.year.value())))
        .body(bytes))
}
