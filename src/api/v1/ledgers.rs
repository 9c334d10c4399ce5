//! The year's procedure ledgers 动态调整名单 and 清退台账 of a village, township or county, as JSON
//! and as workbooks laid out to print on A4 with a title and signature lines.

use actix_web::web::{Data, Query};
use actix_web::{HttpResponse, get};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::labels;
use crate::domain::procedure::{CaseKind, Stage};
use crate::domain::yearly::StatYear;
use crate::domain::{DivisionCode, Level};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::ledgers::{self as service, Ledger, LedgerOf};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(adjustments).service(adjustments_xlsx).service(removals).service(removals_xlsx);
}

#[derive(Deserialize, IntoParams)]
pub struct LedgerQuery {
    /// A village, township or county inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// The year of the campaign (default: this year): cases opened from 1 January to 31 December.
    pub year: Option<i32>,
}

/// A case as a ledger lists it.
#[derive(Serialize, ToSchema)]
pub struct LedgerRow {
    pub case_id: String,
    pub household_id: String,
    pub number: String,
    pub head_name: String,
    pub village_code: String,
    pub kind: CaseKind,
    pub reason: String,
    /// 返贫原因 of a re-inclusion.
    pub return_reason: Option<String>,
    pub opened_on: NaiveDate,
    /// Where the case stands (`done`, `rejected`, or the step it waits at).
    pub stage: Stage,
    pub is_open: bool,
    /// The date of its last step.
    pub last_step_on: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerView {
    pub division: String,
    pub division_name: String,
    pub year: i32,
    pub items: Vec<LedgerRow>,
}

fn view(l: LedgerOf) -> LedgerView {
    let items = l
        .cases
        .into_iter()
        .map(|c| LedgerRow {
            case_id: c.case.id,
            household_id: c.case.household_id,
            number: c.number,
            head_name: c.head_name,
            village_code: c.case.village_code,
            kind: CaseKind::parse(&c.case.kind).unwrap_or(CaseKind::Inclusion),
            reason: c.case.reason,
            return_reason: c.case.return_reason,
            opened_on: c.case.opened_on,
            stage: Stage::parse(&c.case.stage).unwrap_or(Stage::Start),
            is_open: c.case.is_open,
            last_step_on: c.last_step_on,
        })
        .collect();
    LedgerView { division: l.division.to_string(), division_name: l.name, year: l.year.value(), items }
}

async fn read(state: &AppState, user: &Caller, which: Ledger, q: &LedgerQuery) -> Result<LedgerOf, ApiError> {
    let division = q.division.as_deref().map(|d| DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))).transpose()?;
    let today = state.today();
    let year = StatYear::parse(q.year.unwrap_or(today.year()), today).map_err(|e| ApiError::invalid("year", e.code, e.message))?;
    service::ledger(state, user, which, division, year).await
}

/// The workbook: a title (division, year, ledger), the table, the signature lines a village's
/// list carries (包村干部, 村党组织书记, 驻村第一书记) or a township's and county's (负责人, 经办人).
fn workbook(which: Ledger, l: LedgerOf) -> Result<HttpResponse, ApiError> {
    let title = format!("{}{}年{}", l.name, l.year.value(), which.title());
    let lines = vec![format!("区划代码：{}    共 {} 户", l.division, l.cases.len())];
    let zh = |field: &str, v: &str| labels::zh(field, v);
    let headers: &[&str] = &["序号", "户编号", "户主", "行政村代码", "类型", "理由", "返贫原因", "开始日期", "办理结果", "最近步骤日期"];
    let rows: Vec<Vec<String>> = l
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                (i + 1).to_string(),
                c.number.clone(),
                c.head_name.clone(),
                c.case.village_code.clone(),
                zh("case_kind", &c.case.kind),
                c.case.reason.clone(),
                c.case.return_reason.as_deref().map(|r| zh("risk_type", r)).unwrap_or_default(),
                c.case.opened_on.to_string(),
                if c.case.is_open { format!("办理中（{}）", zh("stage", &c.case.stage)) } else { zh("stage", &c.case.stage) },
                c.last_step_on.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let signatures: &[&str] = if l.division.level() == Level::Village { &["乡镇（街道）包村干部", "村党组织书记", "驻村第一书记"] } else { &["负责人", "经办人"] };
    let bytes = crate::xlsx::posted_list(&title, &lines, headers, &rows, signatures).map_err(|e| ApiError::Internal(e.into()))?;
    let file = match which {
        Ledger::Adjustments => "adjustments",
        Ledger::Removals => "removals",
    };
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file}-{}-{}.xlsx\"", l.division, l.year.value())))
        .body(bytes))
}

/// Dynamic adjustment list 动态调整名单
///
/// The cases of the year's campaign in the division — inclusions 新纳入, re-inclusions 返贫, exits
/// 风险消除, removals 清退 and policy ends 已脱贫(不再享受政策) opened from 1 January to 31 December —
/// with the household, the reason, the opening date, where each stands and the date of its last
/// step, in order of village and household number. Not for cadres (403).
#[utoipa::path(operation_id = "list_adjustments", tag = "procedures", security(("bearer" = [])), params(LedgerQuery), responses(
    (status = 200, body = LedgerView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ledgers/adjustments")]
pub async fn adjustments(state: Data<AppState>, user: Caller, q: Query<LedgerQuery>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(read(&state, &user, Ledger::Adjustments, &q).await?)))
}

/// Dynamic adjustment list 动态调整名单 (xlsx, A4)
///
/// The list of `list_adjustments` as a workbook to print on A4: a title (division, year), the
/// table with Chinese headers, and the signature lines.
#[utoipa::path(operation_id = "export_adjustments", tag = "procedures", security(("bearer" = [])), params(LedgerQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ledgers/adjustments.xlsx")]
pub async fn adjustments_xlsx(state: Data<AppState>, user: Caller, q: Query<LedgerQuery>) -> Result<HttpResponse, ApiError> {
    workbook(Ledger::Adjustments, read(&state, &user, Ledger::Adjustments, &q).await?)
}

/// Removal ledger 清退台账
///
/// The households removed as wrongly included 清退 in the year's campaign: the case, the reason,
/// the opening date, where it stands and its last step. Not for cadres (403).
#[utoipa::path(operation_id = "list_removals", tag = "procedures", security(("bearer" = [])), params(LedgerQuery), responses(
    (status = 200, body = LedgerView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ledgers/removals")]
pub async fn removals(state: Data<AppState>, user: Caller, q: Query<LedgerQuery>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(read(&state, &user, Ledger::Removals, &q).await?)))
}

/// Removal ledger 清退台账 (xlsx, A4)
///
/// The ledger of `list_removals` as a workbook to print on A4 with its title and signature lines.
#[utoipa::path(operation_id = "export_removals", tag = "procedures", security(("bearer" = [])), params(LedgerQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ledgers/removals.xlsx")]
pub async fn removals_xlsx(state: Data<AppState>, user: Caller, q: Query<LedgerQuery>) -> Result<HttpResponse, ApiError> {
    workbook(Ledger::Removals, read(&state, &user, Ledger::Removals, &q).await?)
}
