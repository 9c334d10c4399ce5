//! Problems recorded by people and their rectification 整改: `POST /quality/problems`, one
//! problem with its rectification, the measure and responsible person, progress notes with
//! evidence, sign-offs, and the township's daily rectification list 问题整改清单.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::quality::{ProblemView, ledger_division, problem_view};
use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_uuid, path_id, utc};
use crate::db::models::{ProblemEvidenceRow, ProblemProgressRow, ProblemRow, ProblemSignoffRow};
use crate::db::repo::problems::{EvidenceRef, RectificationPlan};
use crate::domain::labels::zh;
use crate::domain::quality::people::{EvidenceKind, EvidencePurpose, Guarantee, ProblemCategory, ProblemSource, SignoffRole};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{DivisionCode, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::services::problems::{self as service, Detail, Draft, Place, ProgressDraft};
use crate::services::{Caller, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record_problem).service(get_problem).service(plan_rectification).service(add_progress).service(sign_off).service(daily_list).service(daily_list_xlsx);
}

/// A photo of the household (the photo pipeline) or a document of its file 一户一档.
#[derive(Deserialize, Validate, ToSchema)]
pub struct EvidenceBody {
    #[validate(required)]
    #[schema(value_type = EvidenceKind)]
    pub kind: Option<String>,
    /// The photo's or the document's id.
    #[validate(required)]
    #[schema(value_type = String)]
    pub id: Option<String>,
}

fn parse_evidence(items: Option<Vec<EvidenceBody>>, errs: &mut FieldErrors) -> Vec<EvidenceRef> {
    let items = items.unwrap_or_default();
    if items.len() > 50 {
        errs.add("evidence", "too_many", "at most 50 pieces of evidence at once");
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, e) in items.iter().enumerate() {
        let kind = e.kind.as_deref().and_then(|k| errs.check(format!("evidence[{i}].kind"), EvidenceKind::parse(k)));
        let id = parse_uuid(&format!("evidence[{i}].id"), e.id.as_deref(), errs);
        match (kind, id) {
            (Some(EvidenceKind::Photo), Some(id)) => out.push(EvidenceRef::Photo(id)),
            (Some(EvidenceKind::Document), Some(id)) => out.push(EvidenceRef::Document(id)),
            _ => {}
        }
    }
    out
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct ProblemBody {
    /// The household concerned, or
    pub household_id: Option<String>,
    /// the village, for a problem of the whole village.
    pub village_code: Option<String>,
    /// Who found it (not `cleaning`: that is the rules').
    #[validate(required)]
    #[schema(value_type = ProblemSource)]
    pub source: Option<String>,
    #[validate(required)]
    #[schema(value_type = ProblemCategory)]
    pub category: Option<String>,
    /// Which guarantee is unmet: required with `guarantee_unmet`, refused with another category.
    #[schema(value_type = Option<Guarantee>)]
    pub guarantee: Option<String>,
    /// 问题描述
    #[validate(required, length(max = 2000))]
    #[schema(value_type = String)]
    pub description: Option<String>,
    /// 发现日期, not after today.
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub found_on: Option<NaiveDate>,
    /// Who found it: a self-check team, an audit office, the 12317 line …
    #[validate(length(max = 100))]
    pub found_by: Option<String>,
    /// `error` (default: a problem found) or `warning` (to verify).
    pub severity: Option<String>,
    /// Photos of the household (or, for a village's problem, of a household of the village), or
    /// documents of its file.
    #[validate(nested)]
    pub evidence: Option<Vec<EvidenceBody>>,
}

fn parse_problem(b: ProblemBody, mut errs: FieldErrors) -> Draft {
    let place = match (b.household_id.as_deref(), b.village_code.as_deref()) {
        (Some(h), None) => parse_uuid("household_id", Some(h), &mut errs).map(Place::Household),
        (None, Some(v)) => match DivisionCode::parse(v) {
            Ok(code) if code.level() == crate::domain::Level::Village => Some(Place::Village(code)),
            Ok(_) => {
                errs.add("village_code", "not_a_village", "a village's code");
                None
            }
            Err(e) => {
                errs.add("village_code", e.code, e.message);
                None
            }
        },
        _ => {
            errs.add("household_id", "household_or_village", "name the household (household_id) or the village (village_code), not both");
            None
        }
    };
    let source = b.source.as_deref().and_then(|s| errs.check("source", ProblemSource::parse(s)));
    let source = source.filter(|s| {
        if !s.recorded_by_people() {
            errs.add("source", "invalid_value", "cleaning problems are the rules' (POST /quality/runs)");
        }
        s.recorded_by_people()
    });
    let category = b.category.as_deref().and_then(|s| errs.check("category", ProblemCategory::parse(s)));
    let guarantee = b.guarantee.as_deref().and_then(|s| errs.check("guarantee", Guarantee::parse(s)));
    match (category, guarantee) {
        (Some(ProblemCategory::GuaranteeUnmet), None) if !errs.has("guarantee") => errs.add("guarantee", "required", "name the guarantee that is unmet"),
        (Some(c), Some(_)) if c != ProblemCategory::GuaranteeUnmet => errs.add("guarantee", "not_allowed", "only with the category guarantee_unmet"),
        _ => {}
    }
    let description = b.description.as_deref().and_then(|d| errs.check("description", required_text(d, 2000)));
    let found_by = errs.check("found_by", optional_text(b.found_by.as_deref(), 100)).flatten();
    let severity = b.severity.unwrap_or_else(|| "error".into());
    if !["error", "warning"].contains(&severity.as_str()) {
        errs.add("severity", "invalid_value", "error or warning");
    }
    let evidence = parse_evidence(b.evidence, &mut errs);
    Draft { place, source, category, guarantee, description, found_on: b.found_on, found_by, severity, evidence, errors: errs }
}

/// Record a problem found by people
///
/// Record what a self-check visit, an audit, an inspection, a third-party evaluation or a
/// complaint found (village officer and above), of a household or a whole village, with
/// evidence.
///
/// It joins the ledger 问题台账 as `open`, with a deadline from its source and severity
/// (`problem_deadline_days`); it is rectified with a measure, a responsible person, evidence of
/// completion and the two sign-offs, and closed (销号) by the township.
#[utoipa::path(operation_id = "record_problem", tag = "quality", security(("bearer" = [])), request_body = ProblemBody, responses(
    (status = 201, body = ProblemView, headers(("ETag" = String, description = "the problem's version"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/quality/problems")]
pub async fn record_problem(state: Data<AppState>, user: Caller, body: Checked<ProblemBody>) -> Result<HttpResponse, ApiError> {
    let (body, errs) = body.into_parts();
    let draft = parse_problem(body, errs);
    let (row, people) = service::record(&state, &user, draft).await?;
    Ok(HttpResponse::Created().insert_header(etag(row.version)).json(problem_view(&people, &row, state.today())))
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: String,
    pub kind: EvidenceKind,
    pub photo_id: Option<String>,
    pub document_id: Option<String>,
    pub purpose: EvidencePurpose,
    /// The progress note it came with.
    pub progress_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProgressView {
    pub id: String,
    pub noted_on: NaiveDate,
    pub note: String,
    pub created_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignoffView {
    pub role: SignoffRole,
    pub signer_name: String,
    /// The signer's own account, when they signed with it.
    pub signer_user_id: Option<String>,
    pub recorded_by: String,
    pub signed_at: chrono::DateTime<chrono::Utc>,
}

/// A problem with its rectification.
#[derive(Serialize, ToSchema)]
pub struct ProblemDetail {
    pub problem: ProblemView,
    pub evidence: Vec<EvidenceView>,
    pub progress: Vec<ProgressView>,
    pub signoffs: Vec<SignoffView>,
    /// What it still needs before it may be marked rectified (empty for the rules' problems).
    pub missing: Vec<String>,
}

fn evidence_view(e: ProblemEvidenceRow) -> EvidenceView {
    let purpose = EvidencePurpose::parse(&e.purpose).unwrap_or(EvidencePurpose::Finding);
    let kind = EvidenceKind::parse(&e.kind).unwrap_or(EvidenceKind::Photo);
    EvidenceView { id: e.id, kind, photo_id: e.photo_id, document_id: e.document_id, purpose, progress_id: e.progress_id, created_at: utc(e.created_at), created_by: e.created_by }
}

fn progress_view(p: ProblemProgressRow) -> ProgressView {
    ProgressView { id: p.id, noted_on: p.noted_on, note: p.note, created_by: p.created_by }
}

pub(crate) fn signoff_view(s: ProblemSignoffRow) -> SignoffView {
    let role = SignoffRole::parse(&s.role).unwrap_or(SignoffRole::VillageSecretary);
    SignoffView { role, signer_name: s.signer_name, signer_user_id: s.signer_user_id, recorded_by: s.recorded_by, signed_at: utc(s.signed_at) }
}

fn detail_response(d: Detail, today: NaiveDate, created: bool) -> HttpResponse {
    let body = ProblemDetail {
        problem: problem_view(&d.people, &d.row, today),
        evidence: d.evidence.into_iter().map(evidence_view).collect(),
        progress: d.progress.into_iter().map(progress_view).collect(),
        signoffs: d.signoffs.into_iter().map(signoff_view).collect(),
        missing: d.missing.into_iter().map(str::to_owned).collect(),
    };
    let mut res = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    res.insert_header(etag(d.row.version)).json(body)
}

/// A problem and its rectification
///
/// One problem of the ledger with its evidence, progress notes, sign-offs and what its
/// rectification still needs.
#[utoipa::path(operation_id = "get_problem", tag = "quality", security(("bearer" = [])), params(("id" = String, Path, description = "problem id")), responses(
    (status = 200, body = ProblemDetail, headers(("ETag" = String, description = "the problem's version"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/problems/{id}")]
pub async fn get_problem(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let division = ledger_division(&user, None)?;
    let d = service::detail(&state, &user, division, id).await?;
    Ok(detail_response(d, state.today(), false))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct RectificationBody {
    /// 整改措施
    #[validate(required, length(max = 2000))]
    #[schema(value_type = String)]
    pub measure: Option<String>,
    /// 责任人: a user of the county, or
    pub responsible_user_id: Option<String>,
    /// the responsible person's name (without an account).
    #[validate(length(max = 40))]
    pub responsible_name: Option<String>,
    /// 整改期限: not before the day the problem was found (default: kept).
    pub deadline: Option<NaiveDate>,
}

fn parse_plan(b: RectificationBody, mut errs: FieldErrors) -> Result<RectificationPlan, ApiError> {
    let measure = b.measure.as_deref().and_then(|m| errs.check("measure", required_text(m, 2000)));
    let responsible_user_id = parse_uuid("responsible_user_id", b.responsible_user_id.as_deref(), &mut errs);
    let responsible_name = errs.check("responsible_name", optional_text(b.responsible_name.as_deref(), 40)).flatten();
    if b.responsible_user_id.is_none() && responsible_name.is_none() && !errs.has("responsible_name") {
        errs.add("responsible_name", "required", "name the responsible person (responsible_user_id or responsible_name)");
    }
    let Some(measure) = measure.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    Ok(RectificationPlan { measure, responsible_user_id, responsible_name, deadline: b.deadline })
}

/// Plan a rectification
///
/// Set a problem's rectification measure 整改措施, responsible person 责任人 and deadline
/// (`If-Match`; village officer and above).
///
/// A deadline before the day the problem was found is 422; a problem rectified, closed or
/// dismissed is 409.
#[utoipa::path(operation_id = "plan_rectification", tag = "quality", security(("bearer" = [])), params(("id" = String, Path, description = "problem id"), ("If-Match" = String, Header, description = "ETag")), request_body = RectificationBody, responses(
    (status = 200, body = ProblemDetail, headers(("ETag" = String, description = "the problem's version"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[put("/quality/problems/{id}/rectification")]
pub async fn plan_rectification(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<RectificationBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let division = ledger_division(&user, None)?;
    let (body, errs) = body.into_parts();
    let d = service::plan(&state, &user, division, id, Precondition::new(if_match(&req)), parse_plan(body, errs)).await?;
    Ok(detail_response(d, state.today(), false))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ProgressBody {
    /// 日期: not before the problem was found, not after today.
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub noted_on: Option<NaiveDate>,
    /// 整改进展
    #[validate(required, length(max = 2000))]
    #[schema(value_type = String)]
    pub note: Option<String>,
    /// Evidence of completion 整改佐证: photos through the photo pipeline, or documents.
    #[validate(nested)]
    pub evidence: Option<Vec<EvidenceBody>>,
}

/// Note rectification progress
///
/// Add a dated progress note 整改进展 to a problem being worked (open or verified), with evidence
/// of completion (village officer and above).
#[utoipa::path(operation_id = "add_rectification_progress", tag = "quality", security(("bearer" = [])), params(("id" = String, Path, description = "problem id")), request_body = ProgressBody, responses(
    (status = 201, body = ProblemDetail, headers(("ETag" = String, description = "the problem's version"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/quality/problems/{id}/progress")]
pub async fn add_progress(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<ProgressBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let division = ledger_division(&user, None)?;
    let (b, mut errs) = body.into_parts();
    let note = b.note.as_deref().and_then(|n| errs.check("note", required_text(n, 2000)));
    let evidence = parse_evidence(b.evidence, &mut errs);
    let draft = ProgressDraft { noted_on: b.noted_on, note, evidence, errors: errs };
    let d = service::progress(&state, &user, division, id, draft).await?;
    Ok(detail_response(d, state.today(), true))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SignoffBody {
    #[validate(required)]
    #[schema(value_type = SignoffRole)]
    pub role: Option<String>,
    /// The name as signed: the village secretary's (default: the account's), or the work-team
    /// leader's when they have no account (default: the team's first secretary).
    #[validate(length(max = 40))]
    pub name: Option<String>,
}

/// Sign a rectification off
///
/// The village secretary 村支书 (with the village's account) or the work-team leader 驻村工作队长
/// (with their own account when their cadre record has one; else recorded by name by the
/// village or township) signs a verified problem's rectification off.
///
/// A user without that role in that village: 403. A problem not verified, or a role that signed
/// already: 409.
#[utoipa::path(operation_id = "sign_off_rectification", tag = "quality", security(("bearer" = [])), params(("id" = String, Path, description = "problem id")), request_body = SignoffBody, responses(
    (status = 201, body = ProblemDetail, headers(("ETag" = String, description = "the problem's version"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/quality/problems/{id}/signoffs")]
pub async fn sign_off(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<SignoffBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (b, mut errs) = body.into_parts();
    let name = errs.check("name", optional_text(b.name.as_deref(), 40)).flatten();
    let role = b.role.as_deref().and_then(|r| errs.check("role", SignoffRole::parse(r)));
    let role = match role {
        Some(r) if errs.is_empty() => Ok(r),
        _ => Err(errs.into()),
    };
    let d = service::sign(&state, &user, id, role, name).await?;
    Ok(detail_response(d, state.today(), true))
}

#[derive(Deserialize, IntoParams)]
pub struct DailyQuery {
    /// A township (or a village of it) inside the jurisdiction (default: all of it).
    pub division: Option<String>,
}

/// The daily rectification list 问题整改清单 of a township.
#[derive(Serialize, ToSchema)]
pub struct DailyList {
    pub division: String,
    pub date: NaiveDate,
    /// Recorded or opened today.
    pub opened_today: Vec<ProblemView>,
    /// Unsettled and due within the next 3 days.
    pub due_soon: Vec<ProblemView>,
    /// Unsettled and past their deadline.
    pub overdue: Vec<ProblemView>,
    /// Closed (销号) today.
    pub closed_today: Vec<ProblemView>,
}

async fn load_daily(state: &AppState, user: &Caller, division: Option<&str>) -> Result<(DailyList, service::DailyList), ApiError> {
    let division = ledger_division(user, division)?;
    let list = service::daily(state, user, division.clone()).await?;
    let today = state.today();
    let views = |rows: &[ProblemRow]| rows.iter().map(|r| problem_view(&list.people, r, today)).collect::<Vec<_>>();
    let out = DailyList { division: division.to_string(), date: today, opened_today: views(&list.daily.opened), due_soon: views(&list.daily.due_soon), overdue: views(&list.daily.overdue), closed_today: views(&list.daily.closed) };
    Ok((out, list))
}

/// The daily rectification list
///
/// A township's problems opened today, due within 3 days, overdue and closed today (the
/// township sends it to its leaders every evening; `daily_rectification_list_xlsx` as a workbook).
#[utoipa::path(operation_id = "daily_rectification_list", tag = "quality", security(("bearer" = [])), params(DailyQuery), responses(
    (status = 200, body = DailyList),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/daily")]
pub async fn daily_list(state: Data<AppState>, user: Caller, q: Query<DailyQuery>) -> Result<HttpResponse, ApiError> {
    let (out, _) = load_daily(&state, &user, q.division.as_deref()).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Headers of the rectification sheets (问题整改清单, 整改清单).
pub(crate) const RECTIFICATION_HEADERS: [&str; 14] = ["行政村", "户编号", "户主", "来源", "问题类别", "问题描述", "发现日期", "整改措施", "责任人", "整改期限", "状态", "村支书签字", "驻村工作队长签字", "逾期"];

/// A problem as a row of the rectification sheets.
pub(crate) fn rectification_row(v: &ProblemView, village: &str, signoffs: &[ProblemSignoffRow]) -> Vec<String> {
    let signed = |role: &str| signoffs.iter().find(|s| s.problem_id == v.id && s.role == role).map(|s| format!("{} {}", s.signer_name, s.signed_at.date())).unwrap_or_default();
    vec![
        village.to_owned(),
        v.household_number.clone(),
        v.head_name.clone(),
        zh("problem_source", &v.source),
        v.description.clone(),
        v.detail.clone(),
        v.found_on.to_string(),
        v.measure.clone().unwrap_or_default(),
        v.responsible_name.clone().unwrap_or_default(),
        v.deadline.to_string(),
        zh("problem_status", &v.status),
        signed("village_secretary"),
        signed("team_leader"),
        if v.overdue { "是".into() } else { String::new() },
    ]
}

/// The daily rectification list as a workbook
///
/// The daily list 问题整改清单 as a workbook of four sheets laid out for A4 (今日新增, 三日内到期,
/// 已逾期, 今日销号), with its title and the signature lines.
#[utoipa::path(operation_id = "daily_rectification_list_xlsx", tag = "quality", security(("bearer" = [])), params(DailyQuery), responses(
    (status = 200, description = "the daily list as a workbook", content((inline(crate::api::media::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/quality/daily.xlsx")]
pub async fn daily_list_xlsx(state: Data<AppState>, user: Caller, q: Query<DailyQuery>) -> Result<HttpResponse, ApiError> {
    let (out, list) = load_daily(&state, &user, q.division.as_deref()).await?;
    let name = |code: &str| list.names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let rows = |views: &[ProblemView]| views.iter().map(|v| rectification_row(v, &name(&v.village_code), &list.signoffs)).collect::<Vec<_>>();
    let (a, b, c, d) = (rows(&out.opened_today), rows(&out.due_soon), rows(&out.overdue), rows(&out.closed_today));
    let place = list.names.get(&out.division).cloned().unwrap_or_else(|| out.division.clone());
    let subtitle = format!("{place}　{}", out.date);
    let signatures: &[&str] = &["填表人", "乡镇分管领导"];
    let reports = [
        crate::xlsx::Report { sheet: "今日新增", title: "问题整改清单（今日新增）", subtitle: &subtitle, headers: &RECTIFICATION_HEADERS, rows: &a, signatures },
        crate::xlsx::Report { sheet: "三日内到期", title: "问题整改清单（三日内到期）", subtitle: &subtitle, headers: &RECTIFICATION_HEADERS, rows: &b, signatures },
        crate::xlsx::Report { sheet: "已逾期", title: "问题整改清单（已逾期）", subtitle: &subtitle, headers: &RECTIFICATION_HEADERS, rows: &c, signatures },
        crate::xlsx::Report { sheet: "今日销号", title: "问题整改清单（今日销号）", subtitle: &subtitle, headers: &RECTIFICATION_HEADERS, rows: &d, signatures },
    ];
    let bytes = crate::xlsx::reports(&reports).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::api::media::XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"daily-{}-{}.xlsx\"", out.division, out.date)))
        .body(bytes))
}
