//! Statutory procedures: `/cases` (inclusion, exit, risk re-marking, elimination rollback) and
//! their steps, `/households/{id}/exclusions` (the nine exclusion conditions).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Json, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id, require_if_match, utc};
use crate::auth::AuthUser;
use crate::db::models::{CaseRow, CaseStepRow, ExclusionRow};
use crate::db::repo::cursor;
use crate::db::repo::procedures::{self as repo, CaseFilter, ExclusionChange, NewCase, NewStep, Opened};
use crate::db::{new_id, now};
use crate::domain::procedure::{self, CaseKind, Exclusion, NextStep, Outcome, Position, Stage, Step, required_signatories};
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{Category, DivisionCode, FieldErrors, Role};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_cases)
        .service(open_case)
        .service(get_case)
        .service(add_step)
        .service(list_exclusions)
        .service(add_exclusion)
        .service(change_exclusion);
}

const RISK_TYPES: &[&str] = &["illness", "disability", "schooling", "disaster", "accident", "unstable_work", "high_expenses", "labour_shortage", "other"];

#[derive(Serialize, ToSchema)]
pub struct Signatory {
    /// `township_cadre` 包村干部, `village_secretary` 村支书, `first_secretary` 第一书记, or another role.
    pub role: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct StepView {
    pub step: Step,
    pub outcome: Outcome,
    pub date: NaiveDate,
    #[schema(value_type = Vec<Object>)]
    pub signatories: Value,
    /// County cross-check: each department's answer.
    #[schema(value_type = Option<Vec<Object>>)]
    pub departments: Option<Value>,
    pub note: Option<String>,
    /// The user who entered it.
    pub entered_by: String,
    pub entered_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub household_id: String,
    pub village_code: String,
    pub kind: CaseKind,
    pub reason: String,
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
    pub version: i64,
}

fn case_view(r: &CaseRow, steps: &[CaseStepRow]) -> CaseView {
    let kind = CaseKind::parse(&r.kind).unwrap_or(CaseKind::Inclusion);
    let stage = Stage::parse(&r.stage).unwrap_or(Stage::Start);
    CaseView {
        id: r.id.clone(),
        household_id: r.household_id.clone(),
        village_code: r.village_code.clone(),
        kind,
        reason: r.reason.clone(),
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
                entered_by: s.entered_by.clone(),
                entered_at: utc(s.entered_at),
            })
            .collect(),
        next_steps: procedure::next_steps(kind, Position { stage, since: r.stage_since }),
        version: r.version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct CaseQuery {
    pub division: Option<String>,
    #[param(value_type = Option<CaseKind>)]
    pub kind: Option<String>,
    /// Only open (true) or closed (false) cases.
    pub open: Option<bool>,
    /// Open cases waiting longer than the configured days at their current step.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Cases in the caller's jurisdiction (`overdue=true`: waiting too long at a step).
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(CaseQuery), responses((status = 200, body = CasePage), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/cases")]
pub async fn list_cases(state: Data<AppState>, user: AuthUser, q: Query<CaseQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut errs = FieldErrors::new();
    let division = q.division.as_deref().map(|d| errs.check("division", DivisionCode::parse(d))).flatten();
    let kind = q.kind.as_deref().map(|k| errs.check("kind", CaseKind::parse(k))).flatten();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let scope = user.scope();
    if division.as_ref().is_some_and(|d| !scope.covers(d)) {
        return Err(ApiError::NotFound);
    }
    let overdue_before = q.overdue.filter(|o| *o).map(|_| state.today() - chrono::Duration::days(state.settings.case_overdue_days));
    let f = CaseFilter { division, open: q.open, waiting_since_before: overdue_before, kind, after: cursor::decode(q.cursor.as_deref())?, limit: cursor::limit(q.limit) };
    let limit = f.limit;
    let (rows, steps) = state
        .db
        .run(move |c| {
            let rows = repo::list(c, &scope, &f)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, repo::steps_of_cases(c, &ids)?))
        })
        .await?;
    let next_cursor = cursor::next(&rows, limit, |r| &r.id);
    let items = rows
        .iter()
        .map(|r| case_view(r, &steps.iter().filter(|s| s.case_id == r.id).cloned().collect::<Vec<_>>()))
        .collect();
    Ok(HttpResponse::Ok().json(CasePage { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct CaseBody {
    pub household_id: String,
    #[schema(value_type = CaseKind)]
    pub kind: String,
    pub reason: String,
    /// Risk types 风险类型 (illness, disability, schooling, disaster, accident, unstable_work,
    /// high_expenses, labour_shortage, other); required for inclusion and re-marking.
    #[serde(default)]
    pub risk_types: Vec<String>,
    /// Inclusion: the monitoring category to assign (required); exit: optional new category.
    #[schema(value_type = Option<Category>)]
    pub target_category: Option<String>,
    pub client_id: Option<String>,
}

/// Open a case for a household (village officer and above); one open case per household.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = CaseBody, responses(
    (status = 201, body = CaseView),
    (status = 200, description = "the same client_id was sent before", body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the household has an open case", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases")]
pub async fn open_case(state: Data<AppState>, user: AuthUser, body: Json<CaseBody>) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let household_id = parse_uuid("household_id", Some(&b.household_id), &mut errs);
    let kind = errs.check("kind", CaseKind::parse(&b.kind));
    let reason = errs.check("reason", required_text(&b.reason, 1000));
    for (i, t) in b.risk_types.iter().enumerate() {
        if !RISK_TYPES.contains(&t.as_str()) {
            errs.add(format!("risk_types[{i}]"), "invalid_value", format!("one of {}", RISK_TYPES.join(", ")));
        }
    }
    if matches!(kind, Some(CaseKind::Inclusion | CaseKind::RiskRemark)) && b.risk_types.is_empty() {
        errs.add("risk_types", "required", "name at least one risk type");
    }
    let target = b.target_category.as_deref().map(|c| errs.check("target_category", Category::parse(c))).flatten();
    match (kind, target) {
        (Some(CaseKind::Inclusion), Some(Category::MonitoredUnstable | Category::MonitoredMarginal | Category::MonitoredHardship)) => {}
        (Some(CaseKind::Inclusion), _) => errs.add("target_category", "required", "an inclusion names the monitoring category: monitored_unstable, monitored_marginal or monitored_hardship"),
        (Some(CaseKind::RiskRemark | CaseKind::RiskRollback), Some(_)) => errs.add("target_category", "invalid_value", "a risk change keeps the category"),
        _ => {}
    }
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(household_id), Some(kind), Some(reason)) = (household_id, kind, reason) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let scope = user.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "open cases")?;
    let mut risk_types = b.risk_types;
    risk_types.dedup();
    let new = NewCase { household_id, kind, reason, risk_types, target_category: target.map(|t| t.as_str().to_owned()), client_id };
    let (actor, today) = (user.actor(), state.today());
    let (status, row) = state
        .db
        .run(move |c| {
            Ok(match repo::open(c, &scope, &actor, &new, today)? {
                Opened::New(r) => (StatusCode::CREATED, r),
                Opened::Existing(r) => (StatusCode::OK, r),
            })
        })
        .await?;
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(case_view(&row, &[])))
}

/// A case with its steps and what may come next.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id")), responses((status = 200, body = CaseView), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/cases/{id}")]
pub async fn get_case(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (path_id(&id)?, user.read_scope());
    let (row, steps) = state
        .db
        .run(move |c| {
            let r = repo::get(c, &scope, &id)?;
            let s = repo::steps_of(c, &r.id)?;
            Ok((r, s))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(case_view(&row, &steps)))
}

#[derive(Deserialize, ToSchema)]
pub struct SignatoryBody {
    pub role: String,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct DepartmentBody {
    /// 公安, 住建, 财政, 人社, 市场监管, 农机, 银行, 证券, 保险 …
    pub department: String,
    /// `clear` or `suspicion`.
    pub result: String,
    pub note: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct StepBody {
    #[schema(value_type = Step)]
    pub step: String,
    pub date: NaiveDate,
    #[schema(value_type = Outcome)]
    pub outcome: String,
    /// Who signed: the township cadre and village secretary, and the first secretary where the
    /// village has one (not needed for the application and objections).
    #[serde(default)]
    pub signatories: Vec<SignatoryBody>,
    /// County cross-check: each department's answer (required for that step).
    pub departments: Option<Vec<DepartmentBody>>,
    pub note: Option<String>,
}

/// Record the next step of a case (village officer and above). Out of order or too early:
/// 409 `step_not_allowed` saying why, with the allowed steps and their earliest dates.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "case id"), ("If-Match" = Option<String>, Header, description = "optional ETag of the case")), request_body = StepBody, responses(
    (status = 201, body = CaseView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "step_not_allowed", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "signatories missing, bad values", body = Problem, content_type = "application/problem+json"),
))]
#[post("/cases/{id}/steps")]
pub async fn add_step(state: Data<AppState>, req: HttpRequest, user: AuthUser, id: Path<String>, body: Json<StepBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let scope = user.scope();
    let probe = (scope.clone(), id.clone());
    let case = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "record procedure steps")?;
    let expected = if_match(&req)?;
    let b = body.into_inner();
    let mut errs = FieldErrors::new();
    let step = errs.check("step", Step::parse(&b.step));
    // Each level records its own step: the township reviews, the county cross-checks.
    match step {
        Some(Step::TownshipReview) => user.require(matches!(user.role, Role::TownshipReviewer | Role::CountyAdmin), "record the township review")?,
        Some(Step::CountyCrossCheck) => user.require(user.role == Role::CountyAdmin, "record the county cross-check")?,
        _ => {}
    }
    let outcome = errs.check("outcome", Outcome::parse(&b.outcome));
    let note = errs.check("note", optional_text(b.note.as_deref(), 2000)).flatten();
    let mut signatories = Vec::new();
    for (i, s) in b.signatories.iter().enumerate() {
        let role = errs.check(format!("signatories[{i}].role"), required_text(&s.role, 40));
        let name = errs.check(format!("signatories[{i}].name"), required_text(&s.name, 40));
        if let (Some(role), Some(name)) = (role, name) {
            signatories.push(serde_json::json!({"role": role, "name": name}));
        }
    }
    let (village, date) = (case.village_code.clone(), b.date);
    let has_first_secretary = state.db.run(move |c| Ok(repo::village_has_first_secretary(c, &village, date)?)).await?;
    if let Some(step) = step {
        for role in required_signatories(step, has_first_secretary) {
            if !signatories.iter().any(|s| s["role"] == role) {
                errs.add("signatories", "missing_signatory", format!("{} must sign this step", role));
            }
        }
    }
    let departments = match (step, &b.departments) {
        (Some(Step::CountyCrossCheck), None) => {
            errs.add("departments", "required", "record each department's answer");
            None
        }
        (Some(Step::CountyCrossCheck), Some(ds)) => {
            let mut out = Vec::new();
            for (i, d) in ds.iter().enumerate() {
                let dep = errs.check(format!("departments[{i}].department"), required_text(&d.department, 60));
                if !["clear", "suspicion"].contains(&d.result.as_str()) {
                    errs.add(format!("departments[{i}].result"), "invalid_value", "clear or suspicion");
                }
                out.push(serde_json::json!({"department": dep, "result": d.result, "note": d.note}));
            }
            let suspicion = ds.iter().any(|d| d.result == "suspicion");
            if ds.is_empty() {
                errs.add("departments", "required", "record each department's answer");
            } else if suspicion != (outcome == Some(Outcome::Suspicion)) {
                errs.add("outcome", "inconsistent", "the outcome is suspicion exactly when a department reported one");
            }
            Some(Value::Array(out))
        }
        (_, Some(_)) => {
            errs.add("departments", "invalid_value", "only for the county cross-check");
            None
        }
        _ => None,
    };
    let (Some(step), Some(outcome)) = (step, outcome) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let new = NewStep { step, outcome, date: b.date, signatories: Value::Array(signatories), departments, note };
    let (actor, today) = (user.actor(), state.today());
    let (row, steps) = state
        .db
        .run(move |c| {
            let row = repo::add_step(c, &scope, &actor, &id, expected, &new, today)?;
            let steps = repo::steps_of(c, &row.id)?;
            Ok((row, steps))
        })
        .await?;
    Ok(HttpResponse::Created().insert_header(etag(row.version)).json(case_view(&row, &steps)))
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

/// Exclusion conditions recorded for a household.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<ExclusionView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/exclusions")]
pub async fn list_exclusions(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (path_id(&id)?, user.read_scope());
    let rows = state.db.run(move |c| Ok(repo::exclusions_of(c, &scope, &id)?)).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(exclusion_view).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
pub struct ExclusionBody {
    #[schema(value_type = Exclusion)]
    pub condition: String,
    pub evidence: String,
    pub recorded_on: NaiveDate,
}

/// Record that a household meets an exclusion condition 九不评, with evidence.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = ExclusionBody, responses(
    (status = 201, body = ExclusionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/exclusions")]
pub async fn add_exclusion(state: Data<AppState>, user: AuthUser, id: Path<String>, body: Json<ExclusionBody>) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (path_id(&id)?, user.scope());
    let probe = (scope.clone(), id.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    user.require(user.role.edits_households(), "record exclusion conditions")?;
    let mut errs = FieldErrors::new();
    let condition = errs.check("condition", Exclusion::parse(&body.condition));
    let evidence = errs.check("evidence", required_text(&body.evidence, 2000));
    errs.check("recorded_on", procedure::parse_date_not_future(body.recorded_on, state.today()));
    let (Some(condition), Some(evidence)) = (condition, evidence) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let row = ExclusionRow {
        id: new_id(),
        household_id: id,
        condition: condition.as_str().into(),
        evidence,
        recorded_on: body.recorded_on,
        recorded_by: user.username.clone(),
        approved_by: None,
        approval_reason: None,
        approved_at: None,
        lifted_by: None,
        lift_reason: None,
        lifted_at: None,
        version: 1,
        created_at: now(),
    };
    let (actor, saved) = (user.actor(), row.clone());
    state.db.run(move |c| Ok(repo::add_exclusion(c, &scope, &actor, &saved)?)).await?;
    Ok(HttpResponse::Created().insert_header(etag(row.version)).json(exclusion_view(&row)))
}

#[derive(Deserialize, ToSchema)]
pub struct ExclusionChangeBody {
    /// `approve` (county admin: the exception is approved) or `lift` (the condition no longer holds).
    pub action: String,
    pub reason: String,
}

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
pub async fn change_exclusion(state: Data<AppState>, req: HttpRequest, user: AuthUser, path: Path<(String, String)>, body: Json<ExclusionChangeBody>) -> Result<HttpResponse, ApiError> {
    let (hid, eid) = path.into_inner();
    let (hid, eid, scope) = (path_id(&hid)?, path_id(&eid)?, user.scope());
    let probe = (scope.clone(), hid.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    let reason = required_text(&body.reason, 1000).map_err(|e| ApiError::invalid("reason", e.code, e.message))?;
    let change = match body.action.as_str() {
        "approve" => {
            user.require(user.role == Role::CountyAdmin, "approve exclusion exceptions")?;
            ExclusionChange::Approve(reason)
        }
        "lift" => {
            user.require(user.role.edits_households(), "lift exclusions")?;
            ExclusionChange::Lift(reason)
        }
        _ => return Err(ApiError::invalid("action", "invalid_value", "approve or lift")),
    };
    let expected = require_if_match(&req)?;
    let actor = user.actor();
    let row = state.db.run(move |c| Ok(repo::change_exclusion(c, &scope, &actor, &hid, &eid, expected, &change)?)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(exclusion_view(&row)))
}
