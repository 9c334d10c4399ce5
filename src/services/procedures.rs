//! Statutory procedures: cases 程序 and the validation of their steps (order and timing from
//! `domain::procedure`, who records and who signs, exclusions that block an approval), a
//! completed case applied to its household; the exclusion conditions 九不评.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{Caller, Created, Page, Precondition};
use crate::db::models::{CaseRow, CaseStepRow, ExclusionRow, HouseholdRow};
use crate::db::repo::audit::{self, Actor, Entry};
use crate::db::repo::procedures::{self as repo, CaseFilter, ExclusionChange, NewCase, Opened};
use crate::db::repo::{households, sync};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::procedure::{self, CaseKind, Exclusion, Outcome, Position, Stage, Step, required_signatories};
use crate::domain::{DivisionCode, FieldErrors, Role, Scope};
use crate::error::ApiError;
use crate::state::AppState;

/// What a list of cases asks for.
pub struct CaseSearch {
    pub division: Option<DivisionCode>,
    pub kind: Option<CaseKind>,
    pub open: Option<bool>,
    /// Only open cases waiting longer than the configured days at their step.
    pub overdue: bool,
    pub after: Option<String>,
    pub limit: i64,
}

/// Cases of the caller's jurisdiction (of a division inside it) with their steps.
#[tracing::instrument(skip_all, fields(division = search.division.as_ref().map(|d| d.as_str())))]
pub async fn list(state: &AppState, caller: &Caller, search: CaseSearch) -> Result<(Page<CaseRow>, Vec<CaseStepRow>), ApiError> {
    let scope = caller.scope();
    let waiting_since_before = search.overdue.then(|| state.today() - chrono::Duration::days(state.settings.case_overdue_days));
    let f = CaseFilter { division: search.division, open: search.open, waiting_since_before, kind: search.kind, after: search.after, limit: search.limit };
    let limit = f.limit;
    let (rows, steps) = state
        .db
        .run(move |c| {
            let rows = repo::list(c, &scope, &f)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, repo::steps_of_cases(c, &ids)?))
        })
        .await?;
    Ok((Page::of(rows, limit, |r| &r.id), steps))
}

/// Opens a case for a household of the jurisdiction (village officer and above: 404 before
/// 403); a household has at most one open case; a retry gets the first.
#[tracing::instrument(skip_all, fields(household = %new.household_id, kind = new.kind.as_str(), client_id = new.client_id.as_deref()))]
pub async fn open(state: &AppState, caller: &Caller, new: NewCase) -> Result<Created<CaseRow>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), new.household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "open cases")?;
    let (actor, today) = (caller.actor(), state.today());
    Ok(match state.db.run(move |c| Ok(repo::open(c, &scope, &actor, &new, today)?)).await? {
        Opened::New(r) => Created::New(r),
        Opened::Existing(r) => Created::Existing(r),
    })
}

/// A case with its steps.
#[tracing::instrument(skip_all, fields(case = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<(CaseRow, Vec<CaseStepRow>), ApiError> {
    let scope = caller.read_scope();
    state
        .db
        .run(move |c| {
            let r = repo::get(c, &scope, &id)?;
            let s = repo::steps_of(c, &r.id)?;
            Ok((r, s))
        })
        .await
}

/// A signature on a step.
pub struct Signatory {
    pub role: String,
    pub name: String,
}

/// A step as read from the request: what could be parsed, and the problems found on the way
/// (`errors`, then `department_errors`). The service adds what needs the case and the database
/// (who may record the step, who must sign it) between the two, so one 422 lists every problem
/// in the order of the body.
pub struct StepDraft {
    pub step: Option<Step>,
    pub outcome: Option<Outcome>,
    /// Absent: refused as required already (in `errors`).
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
    pub signatories: Vec<Signatory>,
    /// Each department's answer of a county cross-check.
    pub departments: Option<Value>,
    pub errors: FieldErrors,
    pub department_errors: FieldErrors,
}

/// Records the next step of a case: 404 outside the jurisdiction, 403 for a role that does not
/// record steps (and for a step of another level: the township reviews, the county
/// cross-checks), then `If-Match`, then the step's problems (422: values, signatures), then
/// its order and timing (409 `step_not_allowed`). A step that completes the case applies it to
/// the household in the same transaction.
#[tracing::instrument(skip_all, fields(case = %case_id))]
pub async fn add_step(state: &AppState, caller: &Caller, case_id: String, precondition: Precondition, draft: StepDraft) -> Result<(CaseRow, Vec<CaseStepRow>), ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), case_id.clone());
    let case = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "record procedure steps")?;
    let expected = precondition.optional()?;
    match draft.step {
        Some(Step::TownshipReview) => caller.require(matches!(caller.role, Role::TownshipReviewer | Role::CountyAdmin), "record the township review")?,
        Some(Step::CountyCrossCheck) => caller.require(caller.role == Role::CountyAdmin, "record the county cross-check")?,
        _ => {}
    }
    // Who must sign depends on the village's team on the step's date (absent: refused already).
    let has_first_secretary = match draft.date {
        Some(date) => {
            let village = case.village_code.clone();
            Some(state.db.run(move |c| Ok(repo::village_has_first_secretary(c, &village, date)?)).await?)
        }
        None => None,
    };
    let mut errs = draft.errors;
    if let (Some(step), Some(has_first_secretary)) = (draft.step, has_first_secretary) {
        for role in required_signatories(step, has_first_secretary) {
            if !draft.signatories.iter().any(|s| s.role == role) {
                errs.add("signatories", "missing_signatory", format!("{} must sign this step", role));
            }
        }
    }
    errs.0.extend(draft.department_errors.0);
    let (Some(step), Some(outcome), Some(date)) = (draft.step, draft.outcome, draft.date) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let signatories = Value::Array(draft.signatories.iter().map(|s| json!({"role": s.role, "name": s.name})).collect());
    let new = NewStep { step, outcome, date, signatories, departments: draft.departments, note: draft.note };
    let (actor, today) = (caller.actor(), state.today());
    state
        .db
        .run(move |c| {
            let row = record_step(c, &scope, &actor, &case_id, expected, &new, today)?;
            let steps = repo::steps_of(c, &row.id)?;
            Ok((row, steps))
        })
        .await
}

/// A step that passed validation.
pub struct NewStep {
    pub step: Step,
    pub outcome: Outcome,
    pub date: NaiveDate,
    pub signatories: Value,
    pub departments: Option<Value>,
    pub note: Option<String>,
}

/// Records a step in order and in time (`domain::procedure::apply`); a township cannot approve
/// an inclusion while an exclusion condition holds that the county has not excepted.
fn record_step(c: &mut DbConnection, scope: &Scope, actor: &Actor, case_id: &str, expected: Option<i64>, s: &NewStep, today: NaiveDate) -> Result<CaseRow, ApiError> {
    write_tx(c, |c| {
        let case = repo::get(c, scope, case_id)?;
        if expected.is_some_and(|v| v != case.version) {
            return Err(ApiError::PreconditionFailed);
        }
        let kind = CaseKind::parse(&case.kind).map_err(|e| DbError::corrupt("kind", e))?;
        let stage = Stage::parse(&case.stage).map_err(|e| DbError::corrupt("stage", e))?;
        let pos = Position { stage, since: case.stage_since };
        let next = procedure::apply(kind, pos, s.step, s.outcome, s.date, today)?;
        if kind == CaseKind::Inclusion && s.step == Step::TownshipReview && s.outcome == Outcome::Approved {
            let blocking = repo::blocking_exclusions(c, &case.household_id)?;
            if let Some(x) = blocking.first() {
                return Err(ApiError::from(procedure::Refusal {
                    message: format!("the household meets the exclusion condition {} (recorded {}): the township cannot approve it unless a county admin approves the exception", x.condition, x.recorded_on),
                    allowed: procedure::next_steps(kind, pos).into_iter().filter(|n| n.step != Step::TownshipReview || n.outcomes.contains(&Outcome::Rejected)).collect(),
                }));
            }
        }
        let step = CaseStepRow {
            id: new_id(),
            case_id: case.id.clone(),
            step: s.step.as_str().into(),
            outcome: s.outcome.as_str().into(),
            step_date: s.date,
            signatories: s.signatories.to_string(),
            departments: s.departments.as_ref().map(|d| d.to_string()),
            note: s.note.clone(),
            entered_by: actor.name.clone().unwrap_or_default(),
            entered_at: now(),
        };
        repo::insert_step(c, &step)?;
        let mut updated = case.clone();
        updated.stage = next.stage.as_str().into();
        updated.stage_since = next.since;
        updated.is_open = !next.stage.is_closed();
        updated.version += 1;
        updated.updated_at = now();
        if repo::save_case(c, &updated, case.version)? == 0 {
            return Err(ApiError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "case_step", entity_type: "case", entity_id: &case.id, household_id: Some(&case.household_id), before: Some(json!({"stage": case.stage})), after: Some(json!({"step": step.step, "outcome": step.outcome, "date": step.step_date, "stage": updated.stage})) })?;
        if next.stage == Stage::Done {
            complete(c, actor, &updated, kind)?;
        }
        Ok(updated)
    })
}

/// The effect of a completed case on its household, referenced in the household's history.
fn complete(c: &mut DbConnection, actor: &Actor, case: &CaseRow, kind: CaseKind) -> Result<(), ApiError> {
    households::lock(c, &case.household_id)?;
    let before: HouseholdRow = repo::household_of(c, case)?;
    let mut next = before.clone();
    match kind {
        CaseKind::Inclusion => {
            if let Some(cat) = &case.target_category {
                next.category = cat.clone();
            }
            next.risk_status = Some("not_eliminated".into());
            next.risk_types = Some(case.risk_types.clone());
        }
        CaseKind::Exit => {
            if let Some(cat) = &case.target_category {
                next.category = cat.clone();
            }
            next.risk_status = Some("eliminated".into());
        }
        CaseKind::RiskRemark | CaseKind::RiskRollback => {
            next.risk_status = Some("not_eliminated".into());
            if case.risk_types != "[]" {
                next.risk_types = Some(case.risk_types.clone());
            }
        }
    }
    let saved = households::bump_with(c, &before, next)?;
    let change = |r: &HouseholdRow| json!({"category": r.category, "risk_status": r.risk_status, "risk_types": r.risk_types});
    audit::append(c, actor, Entry { action: "case_complete", entity_type: "household", entity_id: &case.household_id, household_id: Some(&case.household_id), before: Some(change(&before)), after: Some(json!({"case_id": case.id, "kind": case.kind, "household": change(&saved)})) })?;
    sync::stamp(c, std::slice::from_ref(&case.household_id), &[])?;
    Ok(())
}

// ---- exclusions ----

/// The exclusion conditions recorded for a household.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn exclusions(state: &AppState, caller: &Caller, household_id: String) -> Result<Vec<ExclusionRow>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::exclusions_of(c, &scope, &household_id)?)).await
}

/// An exclusion condition with its evidence, as entered.
pub struct NewExclusion {
    pub condition: Exclusion,
    pub evidence: String,
    pub recorded_on: NaiveDate,
}

/// Records that a household meets an exclusion condition (village officer and above; 404, then
/// 403, then the body's problems).
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn add_exclusion(state: &AppState, caller: &Caller, household_id: String, new: Result<NewExclusion, ApiError>) -> Result<ExclusionRow, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "record exclusion conditions")?;
    let new = new?;
    let row = ExclusionRow {
        id: new_id(),
        household_id,
        condition: new.condition.as_str().into(),
        evidence: new.evidence,
        recorded_on: new.recorded_on,
        recorded_by: caller.username.clone(),
        approved_by: None,
        approval_reason: None,
        approved_at: None,
        lifted_by: None,
        lift_reason: None,
        lifted_at: None,
        version: 1,
        created_at: now(),
    };
    let (actor, saved) = (caller.actor(), row.clone());
    state.db.run(move |c| Ok(repo::add_exclusion(c, &scope, &actor, &saved)?)).await?;
    Ok(row)
}

/// What happens to an exclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExclusionAction {
    /// A county admin approves the exception (the household may still be included).
    Approve,
    /// The condition no longer holds (village officer and above).
    Lift,
}

/// Approves or lifts an exclusion: 404 outside the jurisdiction, then the action and reason
/// (one 422 naming every problem of the body), then the role the action needs (403), then
/// `If-Match` (required).
#[tracing::instrument(skip_all, fields(household = %household_id, exclusion = %exclusion_id))]
pub async fn change_exclusion(state: &AppState, caller: &Caller, household_id: String, exclusion_id: String, precondition: Precondition, request: Result<(ExclusionAction, String), ApiError>) -> Result<ExclusionRow, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    let (action, reason) = request?;
    let change = match action {
        ExclusionAction::Approve => {
            caller.require(caller.role == Role::CountyAdmin, "approve exclusion exceptions")?;
            ExclusionChange::Approve(reason)
        }
        ExclusionAction::Lift => {
            caller.require(caller.role.edits_households(), "lift exclusions")?;
            ExclusionChange::Lift(reason)
        }
    };
    let expected = precondition.required()?;
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::change_exclusion(c, &scope, &actor, &household_id, &exclusion_id, expected, &change)?)).await
}
