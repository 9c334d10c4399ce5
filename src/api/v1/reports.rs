//! The year's reports of a village, township or county, as JSON or as a workbook laid out for
//! A4 with its title and signature lines: 问题台账 (`/reports/problems`), 整改清单
//! (`/reports/rectification`) and 自查评估汇总 (`/reports/self-assessment`).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web::{Data, Query}};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problems::{RECTIFICATION_HEADERS, SignoffView, rectification_row};
use super::quality::{ProblemView, ledger_division, problem_view};
use crate::domain::labels::zh;
use crate::domain::procedure::Accuracy;
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::reports::{self as service, YearLedger};
use crate::state::AppState;
use crate::xlsx::Report;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(problem_ledger).service(rectification_list).service(self_assessment).service(problem_ledger_xlsx).service(rectification_list_xlsx).service(self_assessment_xlsx);
}

/// A report's division and year.
#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// A village, township or county inside the jurisdiction (default: all of it).
    pub division: Option<String>,
    /// Statistical year (default: this year).
    pub year: Option<i32>,
}


struct Asked {
    division: crate::domain::DivisionCode,
    year: i32,
    xlsx: bool,
}

fn asked(state: &AppState, user: &Caller, q: &ReportQuery, xlsx: bool) -> Result<Asked, ApiError> {
    let division = ledger_division(user, q.division.as_deref())?;
    let year = q.year.unwrap_or_else(|| state.today().year());
    if !(2014..=2100).contains(&year) {
        return Err(ApiError::invalid("year", "out_of_range", "a statistical year from 2014"));
    }
    Ok(Asked { division, year, xlsx })
}

fn workbook(reports: &[Report<'_>], file: String) -> Result<HttpResponse, ApiError> {
    let bytes = crate::xlsx::reports(reports).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().content_type(crate::api::media::XLSX).insert_header(("Content-Disposition", format!("attachment; filename=\"{file}\""))).body(bytes))
}

fn place(ledger: &YearLedger, code: &str) -> String {
    ledger.names.get(code).cloned().unwrap_or_else(|| code.to_owned())
}

/// The problems of a year.
#[derive(Serialize, ToSchema)]
pub struct ProblemReport {
    pub division: String,
    pub year: i32,
    pub items: Vec<ProblemView>,
}

const LEDGER_HEADERS: [&str; 12] = ["乡镇", "行政村", "户编号", "户主", "来源", "问题类别", "问题描述", "发现日期", "发现人", "整改期限", "状态", "备注"];

/// 问题台账 of a year
///
/// Every problem found in the statistical year (every source); `report_problem_ledger_xlsx`
/// answers it as an A4 workbook with title and signature lines (填报人, 审核人, 单位负责人).
#[utoipa::path(operation_id = "report_problem_ledger", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, body = ProblemReport),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/problems")]
pub async fn problem_ledger(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    problem_ledger_body(&state, &user, &q, false).await
}

/// 问题台账 as a workbook
///
/// The 问题台账 of `report_problem_ledger` as an A4 workbook with title and signature lines (an operation of
/// its own, so a generated client downloads it as a file).
#[utoipa::path(operation_id = "report_problem_ledger_xlsx", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/problems.xlsx")]
pub async fn problem_ledger_xlsx(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    problem_ledger_body(&state, &user, &q, true).await
}

async fn problem_ledger_body(state: &AppState, user: &Caller, q: &ReportQuery, xlsx: bool) -> Result<HttpResponse, ApiError> {
    let a = asked(state, user, q, xlsx)?;
    let ledger = service::year_ledger(&state, &user, a.division.clone(), a.year).await?;
    let today = state.today();
    let items: Vec<ProblemView> = ledger.rows.iter().map(|r| problem_view(&ledger.people, r, today)).collect();
    if !a.xlsx {
        return Ok(HttpResponse::Ok().json(ProblemReport { division: a.division.to_string(), year: a.year, items }));
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|v| {
            vec![
                place(&ledger, &v.township_code),
                place(&ledger, &v.village_code),
                v.household_number.clone(),
                v.head_name.clone(),
                zh("problem_source", &v.source),
                v.description.clone(),
                v.detail.clone(),
                v.found_on.to_string(),
                v.found_by.clone().unwrap_or_default(),
                v.deadline.to_string(),
                zh("problem_status", &v.status),
                v.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let title = format!("{}{}年问题台账", place(&ledger, a.division.as_str()), a.year);
    let subtitle = format!("填报日期：{today}");
    workbook(&[Report { sheet: "问题台账", title: &title, subtitle: &subtitle, headers: &LEDGER_HEADERS, rows: &rows, signatures: &["填报人", "审核人", "单位负责人"] }], format!("problem-ledger-{}-{}.xlsx", a.division, a.year))
}

/// A problem of the 整改清单 with its sign-offs.
#[derive(Serialize, ToSchema)]
pub struct RectificationItem {
    pub problem: ProblemView,
    pub signoffs: Vec<SignoffView>,
}

#[derive(Serialize, ToSchema)]
pub struct RectificationReport {
    pub division: String,
    pub year: i32,
    pub items: Vec<RectificationItem>,
}

/// 整改清单 of a year
///
/// The problems found by people in the statistical year with their measures, responsible
/// people, deadlines and sign-offs; `report_rectification_list_xlsx` answers it as an A4
/// workbook with the signature lines of the village secretary, the work-team leader and the
/// township.
#[utoipa::path(operation_id = "report_rectification_list", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, body = RectificationReport),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/rectification")]
pub async fn rectification_list(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    rectification_list_body(&state, &user, &q, false).await
}

/// 整改清单 as a workbook
///
/// The 整改清单 of `report_rectification_list` as an A4 workbook with title and signature lines (an operation of
/// its own, so a generated client downloads it as a file).
#[utoipa::path(operation_id = "report_rectification_list_xlsx", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/rectification.xlsx")]
pub async fn rectification_list_xlsx(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    rectification_list_body(&state, &user, &q, true).await
}

async fn rectification_list_body(state: &AppState, user: &Caller, q: &ReportQuery, xlsx: bool) -> Result<HttpResponse, ApiError> {
    let a = asked(state, user, q, xlsx)?;
    let ledger = service::year_ledger(&state, &user, a.division.clone(), a.year).await?;
    let today = state.today();
    let people_found: Vec<&crate::db::models::ProblemRow> = ledger.rows.iter().filter(|r| r.source != "cleaning").collect();
    if !a.xlsx {
        let items = people_found
            .iter()
            .map(|r| RectificationItem {
                problem: problem_view(&ledger.people, r, today),
                signoffs: ledger.signoffs.iter().filter(|s| s.problem_id == r.id).cloned().map(super::problems::signoff_view).collect(),
            })
            .collect();
        return Ok(HttpResponse::Ok().json(RectificationReport { division: a.division.to_string(), year: a.year, items }));
    }
    let rows: Vec<Vec<String>> = people_found.iter().map(|r| rectification_row(&problem_view(&ledger.people, r, today), &place(&ledger, &r.village_code), &ledger.signoffs)).collect();
    let title = format!("{}{}年问题整改清单", place(&ledger, a.division.as_str()), a.year);
    let subtitle = format!("填报日期：{today}");
    workbook(&[Report { sheet: "整改清单", title: &title, subtitle: &subtitle, headers: &RECTIFICATION_HEADERS, rows: &rows, signatures: &["村支书", "驻村工作队长", "乡镇审核人"] }], format!("rectification-{}-{}.xlsx", a.division, a.year))
}

/// Households and people of a category.
#[derive(Serialize, ToSchema)]
pub struct CategoryFigures {
    pub households: i64,
    pub people: i64,
}

/// Problems of a source found in the year.
#[derive(Serialize, ToSchema)]
pub struct SourceFigures {
    pub found: i64,
    /// Rectified or closed.
    pub rectified: i64,
    /// Closed (销号).
    pub closed: i64,
    /// Unsettled past their deadline.
    pub overdue: i64,
}

/// The latest spot check over the division and its accuracy against 98 % and 95 %.
#[derive(Serialize, ToSchema)]
pub struct SpotCheckFigures {
    pub id: String,
    pub division: String,
    pub drawn_at: chrono::DateTime<chrono::Utc>,
    pub accuracy: Accuracy,
}

/// 自查评估汇总: each figure the sum of what a detail endpoint lists.
#[derive(Serialize, ToSchema)]
pub struct SelfAssessmentView {
    pub division: String,
    pub name: String,
    pub year: i32,
    /// By category (`GET /households?category=`).
    pub by_category: BTreeMap<String, CategoryFigures>,
    /// Monitoring objects whose risk is eliminated (风险已消除), and the others.
    pub risks_eliminated: i64,
    pub risks_remaining: i64,
    /// 帮扶对象 and how many are located, have the year's photo set, and a complete file
    /// 一户一档 (`GET /coverage`).
    pub assisted_households: i64,
    pub located: i64,
    pub located_pct: f64,
    pub photo_sets_complete: i64,
    pub photo_sets_complete_pct: f64,
    pub files_complete: i64,
    pub files_complete_pct: f64,
    /// Problems of the year by source (`GET /reports/problems`).
    pub problems: BTreeMap<String, SourceFigures>,
    pub spot_check: Option<SpotCheckFigures>,
}

fn pct(n: i64, of: i64) -> f64 {
    if of == 0 { 0.0 } else { (n as f64 * 1000.0 / of as f64).round() / 10.0 }
}

/// 自查评估汇总 of a year
///
/// The self-assessment summary: households and people by category, risks eliminated and
/// remaining, located, photo-complete and file-complete shares of the 帮扶对象, problems found,
/// rectified and overdue by source, and the latest spot check's accuracies against 98 % and
/// 95 %; `report_self_assessment_xlsx` answers it as an A4 workbook with signature lines.
#[utoipa::path(operation_id = "report_self_assessment", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, body = SelfAssessmentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/self-assessment")]
pub async fn self_assessment(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    self_assessment_body(&state, &user, &q, false).await
}

/// 自查评估汇总 as a workbook
///
/// The 自查评估汇总 of `report_self_assessment` as an A4 workbook with title and signature lines (an operation of
/// its own, so a generated client downloads it as a file).
#[utoipa::path(operation_id = "report_self_assessment_xlsx", tag = "reports", security(("bearer" = [])), params(ReportQuery), responses(
    (status = 200, description = "the workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/reports/self-assessment.xlsx")]
pub async fn self_assessment_xlsx(state: Data<AppState>, user: Caller, q: Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    self_assessment_body(&state, &user, &q, true).await
}

async fn self_assessment_body(state: &AppState, user: &Caller, q: &ReportQuery, xlsx: bool) -> Result<HttpResponse, ApiError> {
    let a = asked(state, user, q, xlsx)?;
    let s = service::self_assessment(&state, &user, a.division.clone(), a.year).await?;
    let view = SelfAssessmentView {
        division: a.division.to_string(),
        name: s.division_name.clone(),
        year: a.year,
        by_category: s.by_category.iter().map(|(c, (h, p))| (c.clone(), CategoryFigures { households: *h, people: *p })).collect(),
        risks_eliminated: s.risks_eliminated,
        risks_remaining: s.risks_remaining,
        assisted_households: s.assisted,
        located: s.located,
        located_pct: pct(s.located, s.assisted),
        photo_sets_complete: s.photo_sets_complete,
        photo_sets_complete_pct: pct(s.photo_sets_complete, s.assisted),
        files_complete: s.files_complete,
        files_complete_pct: pct(s.files_complete, s.assisted),
        problems: s.problems.iter().map(|(k, v)| (k.clone(), SourceFigures { found: v.found, rectified: v.rectified, closed: v.closed, overdue: v.overdue })).collect(),
        spot_check: s.spot_check.map(|(check, accuracy)| SpotCheckFigures { id: check.id, division: check.division_code, drawn_at: crate::api::utc(check.created_at), accuracy }),
    };
    if !a.xlsx {
        return Ok(HttpResponse::Ok().json(view));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (c, f) in &view.by_category {
        rows.push(vec![format!("{}（户/人）", zh("category", c)), format!("{} 户 / {} 人", f.households, f.people)]);
    }
    rows.push(vec!["监测对象风险已消除（户）".into(), view.risks_eliminated.to_string()]);
    rows.push(vec!["监测对象风险未消除（户）".into(), view.risks_remaining.to_string()]);
    rows.push(vec!["帮扶对象（户）".into(), view.assisted_households.to_string()]);
    rows.push(vec!["已定位".into(), format!("{} 户（{}%）", view.located, view.located_pct)]);
    rows.push(vec!["入户照片齐全".into(), format!("{} 户（{}%）", view.photo_sets_complete, view.photo_sets_complete_pct)]);
    rows.push(vec!["一户一档材料齐全".into(), format!("{} 户（{}%）", view.files_complete, view.files_complete_pct)]);
    for (source, f) in &view.problems {
        rows.push(vec![format!("问题（{}）：发现/已整改/已销号/逾期", zh("problem_source", source)), format!("{} / {} / {} / {}", f.found, f.rectified, f.closed, f.overdue)]);
    }
    match &view.spot_check {
        Some(sc) => {
            let show = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{:.1}%", x * 100.0));
            rows.push(vec!["最近抽查识别准确率（目标98%）".into(), show(sc.accuracy.identification_accuracy)]);
            rows.push(vec!["最近抽查数据准确率（目标95%）".into(), show(sc.accuracy.data_accuracy)]);
        }
        None => rows.push(vec!["最近抽查".into(), "无".into()]),
    }
    let title = format!("{}{}年自查评估汇总", view.name, a.year);
    let subtitle = format!("填报日期：{}", state.today());
    workbook(&[Report { sheet: "自查评估汇总", title: &title, subtitle: &subtitle, headers: &["指标", "数值"], rows: &rows, signatures: &["填报人", "审核人", "单位负责人"] }], format!("self-assessment-{}-{}.xlsx", a.division, a.year))
}
