//! Statutory procedures: `/cases` (inclusion, re-inclusion, exit, removal, policy end, risk
//! re-marking, elimination rollback) and their steps, `/households/{id}/exclusions` (the nine
//! exclusion conditions). Village batches, the campaign schedule and the publicity lists are in
//! `procedure_lists`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id, utc};
use crate::db::models::{CaseRow, CaseStepRow, ExclusionRow};
use crate::db::repo::cursor;
use crate::db::repo::procedures::NewCase;
use crate::domain::procedure::steps::Extras;
use crate::domain::procedure::{self, CaseKind, Exclusion, NextStep, Outcome, Position, Stage, Step};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{Category, DivisionCode, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::services::procedures::{self as service, CaseSearch, ExclusionAction, NewExclusion, Signatory as SignatoryInput, StepDraft};
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    super::procedure_lists::routes(cfg);
    cfg.service(list_cases)
        .service(open_case)
        .service(get_case)
        .service(add_step)
        .service(list_exclusions)
        .service(add_exclusion)
        .service(change_exclusion);
}

use crate::domain::household::RISK_TYPES;

#[derive(Serialize, ToSchema)]
pub struct Signatory {
    /// `township_cadre` 包村干部, `village_secretary` 村支书, `first_secretary` 第一书记, or another role.
    pub role: String,
    /// As written, or the user account's name.
    pub name: String,
    /// The signatory's user account, when they have one.
    pub user_id: Option<String>,
}

/// A department's answer of a county cross-check, as recorded.
#[derive(ToSchema)]
pub struct DepartmentAnswer {
    /// 公安, 住建, 财政, 人社, 市场监管, 农机, 银行, 证券, 保险 …
    pub department: String,
    /// `clear` or `suspicion`.
    pub result: String,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StepView {
    pub step: Step,
    pub outcome: Outcome,
    pub date: NaiveDate,
    /// Who signed the step.
    #[schema(value_type = Vec<Signatory>)]
    pub signatories: Value,
    /// County cross-check 部门比对: each department's answer.
    #[schema(value_type = Option<Vec<DepartmentAnswer>>)]
    pub departments: Option<Value>,
    pub note: Option<String>,
    /// Home visit: `collectors`, `household_signed`, `proxy_signer` (代签人); township spot check:
    /// `checked_by`; an exit's evaluation: `eligibility` {year, failures, override {by, reason}}.
    #[schema(value_type = Option<StepDetails>)]
    pub details: Option<Value>,
    /// The village batch the step was applied in.
    pub batch_id: Option<String>,
    /// The user who entered it.
    pub entered_by: String,
    pub entered_at: chrono::DateTime<chrono::Utc>,
}

/// What a step carries besides its date and outcome (documentation of `details`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StepDetails {
    /// Home visit: who collected.
    pub collectors: Option<Vec<String>>,
    /// Home visit: the household signed itself.
    pub household_signed: Option<bool>,
    /// Home visit: 代签人.
    pub proxy_signer: Option<String>,
    /// Township spot check: who checked.
    pub checked_by: Option<Vec<String>>,
    /// An exit's evaluation: the conditions checked.
    pub eligibility: Option<EligibilityFound>,
}

/// The exit conditions checked at an exit's evaluation (documentation).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct EligibilityFound {
    /// The statistical year judged.
    pub year: i32,
    pub failures: Vec<crate::domain::procedure::eligibility::Failure>,
    /// A county admin's override, when the household failed.
    #[serde(rename = "override")]
    #[schema(value_type = Option<EligibilityOverrideFound>)]
    pub overridden: Option<Value>,
}

/// A county admin's override as recorded on the step (documentation).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EligibilityOverrideFound {
    pub by: Option<String>,
    pub reason: String,
}

/// A county admin's override of an exit's eligibility, shown on the case.
#[derive(Serialize, ToSchema)]
pub struct EligibilityOverride {
    pub by: Option<String>,
    pub reason: String,
    /// The conditions the household failed when it was overridden.
    #[schema(value_type = Vec<crate::domain::procedure::eligibility::Failure>)]
    pub failures: Value,
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub household_id: String,
    pub village_code: String,
    pub kind: CaseKind,
    pub reason: String,
    /// 返贫原因 of a re-inclusion.
    pub return_reason: Option<String>,
    pub risk_types: Vec<String>,
    /// The household's category once the case completes.
    pub target_category: Option<Category>,
    /// Where the case stands (`done` and `rejected` close it).
    pub state: Stage,
    pub state_since: NaiveDate,
    pub open: bool,
    pub opened_on: NaiveDate,
    pub steps: Vec<StepView>,
    /// What may come next, from when (and objections until when).
    pub next_steps: Vec<NextStep>,
    /// An exit let through by a county admin despite failed conditions.
    pub eligibility_override: Option<EligibilityOverride>,
    /// Opened from the year's risk screening 集中摸排 (`POST /screening/cases`).
    pub screening: Option<ScreeningLink>,
    pub version: i64,
}

/// The screening row a case was opened from: its statistical year and criterion.
#[derive(Serialize, ToSchema)]
pub struct ScreeningLink {
    pub year: i32,
    /// The criterion's id, as in `GET /screening`.
    pub criterion: String,
}

pub(crate) fn case_view(r: &CaseRow, steps: &[CaseStepRow]) -> CaseView {
    let kind = CaseKind::parse(&r.kind).unwrap_or(CaseKind::Inclusion);
    let stage = Stage::parse(&r.stage).unwrap_or(Stage::Start);
    CaseView {
        id: r.id.clone(),
        household_id: r.household_id.clone(),
        village_code: r.village_code.clone(),
        kind,
        reason: r.reason.clone(),
        return_reason: r.return_reason.clone(),
        risk_types: serde_json::from_str(&r.risk_types).unwrap_or_default(),
        target_category: r.target_category.as_deref().and_then(|c| Category::parse(c).ok()),
        state: stage,
        state_since: r.stage_since,
        open: r.is_open,
        opened_on: r.opened_on,
        steps: steps
            .iter()
            .map(|s| StepView {
                step: Step::parse(&s.step).unwrap_or(Step::Application),
                outcome: Outcome::parse(&s.outcome).unwrap_or(Outcome::Done),
                date: s.step_date,
                signatories: serde_json::from_str(&s.signatories).unwrap_or(Value::Null),
                departments: s.departments.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                note: s.note.clone(),
                details: s.details.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                batch_id: s.batch_id.clone(),
                entered_by: s.entered_by.clone(),
                entered_at: utc(s.entered_at),
            })
            .collect(),
        next_steps: procedure::next_steps(kind, Position { stage, since: r.stage_since }),
        eligibility_override: steps.iter().rev().filter_map(|s| s.details.as_deref()).filter_map(|d| serde_json::from_str::<Value>(d).ok()).find_map(|d| {
            let e = &d["eligibility"];
            let o = &e["override"];
            o["reason"].as_str().map(|reason| EligibilityOverride { by: o["by"].as_str().map(str::to_owned), reason: reason.to_owned(), failures: e["failures"].clone() })
        }),
        screening: r.screening_year.zip(r.screening_criterion.clone()).map(|(year, criterion)| ScreeningLink { year, criterion }),
        version: r.version,
    }
}

/// A page of `CaseView`s (`services::Page`).
pub type CasePage = Page<CaseView>;

#[derive(Deserialize, IntoParams)]
pub struct CaseQuery {
    pub division: Option<String>,
    #[param(value_type = Option<CaseKind>)]
    pub kind: Option<String>,
    /// Only open (true) or closed (false) cases.
    pub open: Option<bool>,
    /// Open cases waiting longer than the configured days at their current step.
    pub overdue: Option<bool>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List cases 程序
///
/// Cases in the caller's jurisdiction (`overdue=true`: waiting too long at a step).
///
/// Filter by division, kind and open/closed; paged by `cursor`.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(CaseQuery), responses((status = 200, body = CasePage), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/cases")]
pub async fn list_cases(state: Data<AppState>, user: Caller, q: Query<CaseQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut errs = FieldErrors::new();
    let division = q.division.as_deref().and_then(|d| errs.check("division", DivisionCode::parse(d)));
    let kind = q.kind.as_deref().and_then(|k| errs.check("kind", CaseKind::parse(k)));
    if !errs.is_empty() {
        return Err(errs.into());
    }
    if division.as_ref().is_some_and(|d| !user.scope().covers(d)) {
        return Err(ApiError::NotFound);
    }
    let search = CaseSearch { division, kind, open: q.open, overdue: q.overdue == Some(true), after: cursor::decode(q.cursor.as_deref())?, limit: crate::api::page_limit(q.limit)? };
    let (page, steps) = service::list(&state, &user, search).await?;
    Ok(HttpResponse::Ok().json(page.map(|r| case_view(&r, &steps.iter().filter(|s| s.case_id == r.id).cloned().collect::<Vec<_>>()))))
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct CaseBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub household_id: Option<String>,
    #[validate(required)]
    #[schema(value_type = CaseKind)]
    pub kind: Option<String>,
    #[validate(required, length(max = 1000))]
    #[schema(value_type = String)]
    pub reason: Option<String>,
    /// Risk types 风险类型 (illness, disability, schooling, disaster, accident, unstable_work,
    /// high_expenses, labour_shortage, other); required for inclusion and re-marking.
    #[serde(default)]
    pub risk_types: Vec<String>,
    /// Inclusion and re-inclusion: the monitoring category to assign (required); exit: optional
    /// new category.
    #[schema(value_type = Option<Category>)]
    pub target_category: Option<String>,
    /// 返贫原因 (required for a re-inclusion): one of the risk types.
    pub return_reason: Option<String>,
    pub client_id: Option<String>,
}

/// Open a case
///
/// Open a case for a household (village officer and above); one open case per household.
///
/// Kinds: inclusion 识别纳入, reinclusion 返贫 (with `return_reason`), exit 风险消除, removal 清退,
/// policy_end 已脱贫(不再享受政策), risk remark and rollback. A kind the household's state does not
/// allow is 409 `case_not_allowed` with the reason. The answer lists the steps allowed next and
/// from when.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = CaseBody, responses(
    (status = 201, body = CaseView),
    (status = 200, description = "the same client_id was sent before", body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the household has an open case; case_not_allowed", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases")]
pub async fn open_case(state: Data<AppState>, user: Caller, body: Checked<CaseBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    let new = new_case(b, &mut errs);
    let Some(new) = new.filter(|_| errs.is_empty()) else { return Err(errs.into()) };
    let (status, row) = match service::open(&state, &user, new).await? {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(case_view(&row, &[])))
}

/// A case to open as read from its body, every problem in `errs` (None when a required part is
/// missing or invalid; the caller answers 422 when `errs` is not empty).
pub(crate) fn new_case(b: CaseBody, errs: &mut FieldErrors) -> Option<NewCase> {
    let household_id = parse_uuid("household_id", b.household_id.as_deref(), errs);
    let kind = b.kind.as_deref().and_then(|k| errs.check("kind", CaseKind::parse(k)));
    let reason = b.reason.as_deref().and_then(|r| errs.check("reason", required_text(r, 1000)));
    for (i, t) in b.risk_types.iter().enumerate() {
        if !RISK_TYPES.contains(&t.as_str()) {
            errs.add(format!("risk_types[{i}]"), "invalid_value", format!("one of {}", RISK_TYPES.join(", ")));
        }
    }
    if matches!(kind, Some(CaseKind::Inclusion | CaseKind::Reinclusion | CaseKind::RiskRemark)) && b.risk_types.is_empty() {
        errs.add("risk_types", "required", "name at least one risk type");
    }
    let target = b.target_category.as_deref().and_then(|c| errs.check("target_category", Category::parse(c)));
    match (kind, target) {
        (Some(CaseKind::Inclusion | CaseKind::Reinclusion), Some(Category::MonitoredUnstable | Category::MonitoredMarginal | Category::MonitoredHardship)) => {}
        (Some(CaseKind::Inclusion | CaseKind::Reinclusion), _) => errs.add("target_category", "required", "an inclusion names the monitoring category: monitored_unstable, monitored_marginal or monitored_hardship"),
        (Some(CaseKind::RiskRemark | CaseKind::RiskRollback | CaseKind::Removal | CaseKind::PolicyEnd), Some(_)) => errs.add("target_category", "invalid_value", "this kind of case sets the category itself (a removal and a policy end: ordinary) or keeps it"),
        _ => {}
    }
    let return_reason = match (kind, b.return_reason.as_deref()) {
        (Some(CaseKind::Reinclusion), None) => {
            errs.add("return_reason", "required", "a re-inclusion 返贫 records the 返贫原因");
            None
        }
        (Some(CaseKind::Reinclusion), Some(r)) if !crate::domain::household_profile::FALLBACK_REASONS.contains(&r) => {
            errs.add("return_reason", "invalid_value", format!("one of {}", RISK_TYPES.join(", ")));
            None
        }
        (Some(CaseKind::Reinclusion), Some(r)) => Some(r.to_owned()),
        (_, Some(_)) => {
            errs.add("return_reason", "invalid_value", "only for a re-inclusion (返贫)");
            None
        }
        (_, None) => None,
    };
    let client_id = parse_client_id(b.client_id.as_deref(), errs);
    let (Some(household_id), Some(kind), Some(reason)) = (household_id, kind, reason) else { return None };
    let mut risk_types = b.risk_types;
    risk_types.dedup();
    Some(NewCase { household_id, kind, reason, return_reason, risk_types, target_category: target.map(|t| t.as_str().to_owned()), client_id, screening: None })
}

/// Read a case
///
/// A case with its steps and what may come next.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id")), responses((status = 200, body = CaseView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/cases/{id}")]
pub async fn get_case(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (row, steps) = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(case_view(&row, &steps)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SignatoryBody {
    #[validate(required, length(max = 40))]
    #[schema(value_type = String)]
    pub role: Option<String>,
    /// The signatory's name (required unless `user_id` is given).
    #[validate(length(max = 40))]
    pub name: Option<String>,
    /// A signatory with a user account (township cadre, village secretary, first secretary):
    /// linked by id and shown with the account's name.
    pub user_id: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct DepartmentBody {
    /// 公安, 住建, 财政, 人社, 市场监管, 农机, 银行, 证券, 保险 …
    #[validate(required, length(max = 60))]
    #[schema(value_type = String)]
    pub department: Option<String>,
    /// `clear` or `suspicion`.
    #[validate(required)]
    #[schema(value_type = String)]
    pub result: Option<String>,
    pub note: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct StepBody {
    #[validate(required)]
    #[schema(value_type = Step)]
    pub step: Option<String>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub date: Option<NaiveDate>,
    #[validate(required)]
    #[schema(value_type = Outcome)]
    pub outcome: Option<String>,
    /// Who signed: the township cadre and village secretary, and the first secretary where the
    /// village has one (not needed for the application and objections).
    #[serde(default)]
    #[validate(nested)]
    pub signatories: Vec<SignatoryBody>,
    /// County cross-check: each department's answer (required for that step).
    #[validate(nested)]
    pub departments: Option<Vec<DepartmentBody>>,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// Home visit 入户调查: who collected (at least two).
    #[serde(default)]
    pub collectors: Vec<String>,
    /// Home visit: the household signed the record itself.
    pub household_signed: Option<bool>,
    /// Home visit: who signed for a household that cannot write (代签人).
    #[validate(length(max = 40))]
    pub proxy_signer: Option<String>,
    /// Township spot check 抽查审核: who checked.
    #[serde(default)]
    pub checked_by: Vec<String>,
    /// County admin only: let an exit through its village evaluation although the household
    /// fails the exit conditions — the reason (audited, shown on the case).
    #[validate(length(max = 1000))]
    pub eligibility_override: Option<String>,
}

/// Record a step of a case
///
/// Record the next step of a case (village officer and above). Out of order or too early: 409
/// `step_not_allowed` saying why, with the allowed steps and their earliest dates.
///
/// Steps that need signatures (the village's evaluation 民主评议, say) must name who signed; the
/// home visit names its collectors and who signed it; the township records its review and spot
/// check; the county's cross-check answers for every department of its list. A publicity 公示 runs
/// 7 days counting the day posted, an announcement 5. At an exit's evaluation the household's
/// yearly record is checked: 409 `exit_not_allowed` lists each failed condition.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id"), ("If-Match" = Option<String>, Header, description = "optional ETag of the case")), request_body = StepBody, responses(
    (status = 201, body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "step_not_allowed, exit_not_allowed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "signatories missing, bad values", body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases/{id}/steps")]
pub async fn add_step(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<StepBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, errs) = body.into_parts();
    let draft = parse_step(body, errs);
    let (row, steps) = service::add_step(&state, &user, id, Precondition::new(if_match(&req)), draft).await?;
    Ok(HttpResponse::Created().insert_header(etag(row.version)).json(case_view(&row, &steps)))
}

/// The step as far as the body alone tells; the service checks the rest (`StepDraft`). `errs`
/// holds what the body's declarative rules found already.
pub(crate) fn parse_step(b: StepBody, mut errs: FieldErrors) -> StepDraft {
    let step = b.step.as_deref().and_then(|s| errs.check("step", Step::parse(s)));
    let outcome = b.outcome.as_deref().and_then(|o| errs.check("outcome", Outcome::parse(o)));
    let note = errs.check("note", optional_text(b.note.as_deref(), 2000)).flatten();
    let mut signatories = Vec::new();
    for (i, s) in b.signatories.iter().enumerate() {
        let role = s.role.as_deref().and_then(|r| errs.check(format!("signatories[{i}].role"), required_text(r, 40)));
        let name = s.name.as_deref().and_then(|n| errs.check(format!("signatories[{i}].name"), required_text(n, 40)));
        let user_id = s.user_id.as_deref().and_then(|u| parse_uuid(&format!("signatories[{i}].user_id"), Some(u), &mut errs));
        if let Some(role) = role {
            signatories.push(SignatoryInput { role, name, user_id });
        }
    }
    let mut department_errors = FieldErrors::new();
    let mut answered = Vec::new();
    let departments = match (step, &b.departments) {
        (Some(Step::CountyCrossCheck), None) => {
            department_errors.add("departments", "required", "record each department's answer");
            None
        }
        (Some(Step::CountyCrossCheck), Some(ds)) => {
            let mut out = Vec::new();
            for (i, d) in ds.iter().enumerate() {
                if let Some(dep) = d.department.as_deref() {
                    answered.push(dep.trim().to_owned());
                }
                let dep = d.department.as_deref().and_then(|n| department_errors.check(format!("departments[{i}].department"), required_text(n, 60)));
                if d.result.as_deref().is_some_and(|r| !crate::domain::procedure::CHECK_RESULTS.contains(&r)) {
                    department_errors.add(format!("departments[{i}].result"), "invalid_value", "clear or suspicion");
                }
                out.push(serde_json::json!({"department": dep, "result": d.result, "note": d.note}));
            }
            let suspicion = ds.iter().any(|d| d.result.as_deref() == Some("suspicion"));
            if ds.is_empty() {
                department_errors.add("departments", "required", "record each department's answer");
            } else if suspicion != (outcome == Some(Outcome::Suspicion)) {
                department_errors.add("outcome", "inconsistent", "the outcome is suspicion exactly when a department reported one");
            }
            Some(Value::Array(out))
        }
        (_, Some(_)) => {
            department_errors.add("departments", "invalid_value", "only for the county cross-check");
            None
        }
        _ => None,
    };
    // A department refused by the declarative rules (a missing or too long name) is not refused twice.
    department_errors.0.retain(|e| !errs.has(&e.field));
    let text_list = |field: &str, v: &[String], errs: &mut FieldErrors| -> Vec<String> {
        v.iter().enumerate().filter_map(|(i, n)| errs.check(format!("{field}[{i}]"), required_text(n, 40))).collect()
    };
    let extras = Extras {
        collectors: text_list("collectors", &b.collectors, &mut errs),
        household_signed: b.household_signed,
        proxy_signer: errs.check("proxy_signer", optional_text(b.proxy_signer.as_deref(), 40)).flatten(),
        checked_by: text_list("checked_by", &b.checked_by, &mut errs),
        note: note.clone(),
        application_attached: false,
    };
    let eligibility_override = errs.check("eligibility_override", optional_text(b.eligibility_override.as_deref(), 1000)).flatten();
    StepDraft { step, outcome, date: b.date, note, signatories, departments, answered, extras, eligibility_override, errors: errs, department_errors }
}

// ---- exclusions ----

#[derive(Serialize, ToSchema)]
pub struct ExclusionView {
    pub id: String,
    pub household_id: String,
    pub condition: Exclusion,
    /// 证据: what was found, where (a document number, a registry, a photo id).
    pub evidence: String,
    pub recorded_on: NaiveDate,
    pub recorded_by: String,
    /// Still holds (not lifted).
    pub active: bool,
    /// A county admin approved the exception.
    pub approved: bool,
    pub approved_by: Option<String>,
    pub approval_reason: Option<String>,
    pub lift_reason: Option<String>,
    pub version: i64,
}

fn exclusion_view(r: &ExclusionRow) -> ExclusionView {
    ExclusionView {
        id: r.id.clone(),
        household_id: r.household_id.clone(),
        condition: Exclusion::parse(&r.condition).unwrap_or(Exclusion::VerifiedReport),
        evidence: r.evidence.clone(),
        recorded_on: r.recorded_on,
        recorded_by: r.recorded_by.clone(),
        active: r.lifted_at.is_none(),
        approved: r.approved_at.is_some(),
        approved_by: r.approved_by.clone(),
        approval_reason: r.approval_reason.clone(),
        lift_reason: r.lift_reason.clone(),
        version: r.version,
    }
}

/// List exclusion conditions 九不评
///
/// Exclusion conditions recorded for a household.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<ExclusionView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/exclusions")]
pub async fn list_exclusions(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = service::exclusions(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(exclusion_view).collect::<Vec<_>>()))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ExclusionBody {
    #[validate(required)]
    #[schema(value_type = Exclusion)]
    pub condition: Option<String>,
    #[validate(required, length(max = 2000))]
    #[schema(value_type = String)]
    pub evidence: Option<String>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub recorded_on: Option<NaiveDate>,
}

/// Record an exclusion condition
///
/// Record that a household meets an exclusion condition 九不评, with evidence.
///
/// A household meeting a condition cannot be included unless the county approves an exception.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = ExclusionBody, responses(
    (status = 201, body = ExclusionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/exclusions")]
pub async fn add_exclusion(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<ExclusionBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, errs) = body.into_parts();
    let new = parse_exclusion(&body, errs, state.today());
    let row = service::add_exclusion(&state, &user, id, new).await?;
    Ok(HttpResponse::Created().insert_header(etag(row.version)).json(exclusion_view(&row)))
}

/// The exclusion of a POST, `errs` holding what the body's declarative rules found already.
fn parse_exclusion(body: &ExclusionBody, mut errs: FieldErrors, today: NaiveDate) -> Result<NewExclusion, ApiError> {
    let condition = body.condition.as_deref().and_then(|c| errs.check("condition", Exclusion::parse(c)));
    let evidence = body.evidence.as_deref().and_then(|e| errs.check("evidence", required_text(e, 2000)));
    let recorded_on = body.recorded_on.and_then(|d| errs.check("recorded_on", procedure::parse_date_not_future(d, today)));
    let (Some(condition), Some(evidence), Some(recorded_on)) = (condition, evidence, recorded_on) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    Ok(NewExclusion { condition, evidence, recorded_on })
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ExclusionChangeBody {
    /// `approve` (county admin: the exception is approved) or `lift` (the condition no longer holds).
    #[validate(required)]
    #[schema(value_type = String)]
    pub action: Option<String>,
    #[validate(required, length(max = 1000))]
    #[schema(value_type = String)]
    pub reason: Option<String>,
}

/// Approve an exception or lift an exclusion
///
/// Approve an exception (county admin) or lift an exclusion; `If-Match` required.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("exclusion_id" = String, Path, description = "exclusion id"), ("If-Match" = String, Header, description = "ETag")), request_body = ExclusionChangeBody, responses(
    (status = 200, body = ExclusionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/households/{id}/exclusions/{exclusion_id}")]
pub async fn change_exclusion(state: Data<AppState>, req: HttpRequest, user: Caller, path: Path<(String, String)>, body: Checked<ExclusionChangeBody>) -> Result<HttpResponse, ApiError> {
    let (hid, eid) = path.into_inner();
    let (hid, eid) = (path_id(&hid)?, path_id(&eid)?);
    let (body, mut errs) = body.into_parts();
    let reason = body.reason.as_deref().and_then(|r| errs.check("reason", required_text(r, 1000)));
    let action = match body.action.as_deref() {
        Some("approve") => Some(ExclusionAction::Approve),
        Some("lift") => Some(ExclusionAction::Lift),
        Some(_) => {
            errs.add("action", "invalid_value", "approve or lift");
            None
        }
        None => None,
    };
    let request = match (action, reason) {
        (Some(action), Some(reason)) => Ok((action, reason)),
        _ => Err(errs.into()),
    };
    let row = service::change_exclusion(&state, &user, hid, eid, Precondition::new(if_match(&req)), request).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(exclusion_view(&row)))
}
