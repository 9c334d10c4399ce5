//! Statutory procedures: cases 程序 and the validation of their steps (order and timing from
//! `domain::procedure`, who records and who signs, the preconditions of each kind, exclusions
//! that block an approval, an exit's eligibility), village batches, the campaign schedule and
//! the publicity lists; the exclusion conditions 九不评.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{Caller, Created, Page, Precondition};
use crate::db::models::{CaseRow, CaseStepRow, ExclusionRow, HouseholdRow};
use crate::db::repo::procedures::{self as repo, CaseFilter, ExclusionChange, NewCase, Opened};
use crate::db::repo::{households, users};
use crate::db::{DbConnection, new_id, now, write_tx};
use crate::domain::household_profile::Profile;
use crate::domain::procedure::opening::{HouseholdState, may_open};
use crate::domain::procedure::steps::{self as step_rules, Extras};
use crate::domain::procedure::{Exclusion, Outcome, Recorder, Step, recorder_level, required_signatories};
use crate::domain::{Category, DivisionCode, FieldErrors, Role};
use crate::error::ApiError;
use crate::state::AppState;

mod batches;
mod lists;
mod record;

pub use batches::{BatchStep, batch_steps};
pub use lists::{ListRow, PostedList, ScheduleInput, posted_list, put_schedule, schedule};
pub use record::NewStep;
use record::{Rules, apply_step, case_in, stage_of};

/// What a list of cases asks for.
pub struct CaseSearch {
    pub division: Option<DivisionCode>,
    pub kind: Option<crate::domain::procedure::CaseKind>,
    pub open: Option<bool>,
    /// Only open cases late by the county's campaign schedule, or waiting longer than the
    /// configured days at their step.
    pub overdue: bool,
    pub after: Option<String>,
    pub limit: i64,
}

/// Cases of the caller's jurisdiction (of a division inside it) with their steps.
#[tracing::instrument(skip_all, fields(division = search.division.as_ref().map(|d| d.as_str())))]
pub async fn list(state: &AppState, caller: &Caller, search: CaseSearch) -> Result<(Page<CaseRow>, Vec<CaseStepRow>), ApiError> {
    let scope = caller.scope();
    let today = state.today();
    let overdue_days = state.settings.case_overdue_days;
    let county = caller.jurisdiction.as_str().get(..6).map(|c| format!("{c}000000"));
    let (division, open, kind, after, limit, overdue) = (search.division, search.open, search.kind, search.after, search.limit, search.overdue);
    let (rows, steps) = state
        .db
        .run(move |c| {
            let overdue = match overdue {
                false => None,
                true => {
                    let schedule = match &county {
                        Some(county) => repo::schedule(c, county, chrono::Datelike::year(&today))?,
                        None => None,
                    };
                    Some(lists::overdue_filter(today, overdue_days, schedule.as_ref()))
                }
            };
            let f = CaseFilter { division, open, overdue, kind, after, limit };
            let rows = repo::list(c, &scope, &f)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            Ok((rows, repo::steps_of_cases(c, &ids)?))
        })
        .await?;
    Ok((Page::of(rows, limit, |r| &r.id), steps))
}

fn household_state(h: &HouseholdRow) -> (Category, Option<String>, Option<NaiveDate>) {
    let profile = Profile::from_stored(&h.profile);
    (Category::parse(&h.category).unwrap_or(Category::Ordinary), h.risk_status.clone(), profile.risk_eliminated_on)
}

/// The step's extras with what is attached to the case (an application's scan stands for the
/// note saying where the handwritten application is kept).
pub(super) fn with_attachments(c: &mut DbConnection, case: &CaseRow, step: Option<Step>, extras: &step_rules::Extras) -> Result<step_rules::Extras, ApiError> {
    let mut x = extras.clone();
    if step == Some(Step::Application) {
        x.application_attached = crate::db::repo::case_documents::for_case(c, &case.id)?.iter().any(|(_, d)| d.kind == crate::domain::document::DocumentKind::Application.as_str());
    }
    Ok(x)
}

/// Opens a case for a household of the jurisdiction (village officer and above: 404 before
/// 403); a household has at most one open case; a kind the household's state does not allow is
/// 409 `case_not_allowed` with the reason; a retry gets the first.
#[tracing::instrument(skip_all, fields(household = %new.household_id, kind = new.kind.as_str(), client_id = new.client_id.as_deref()))]
pub async fn open(state: &AppState, caller: &Caller, new: NewCase) -> Result<Created<CaseRow>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), new.household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "open cases")?;
    let (actor, today) = (caller.actor(), state.today());
    let kind = new.kind;
    let opened = state
        .db
        .run(move |c| {
            repo::open(c, &scope, &actor, &new, today, |h| may_start(kind, h))
        })
        .await?;
    Ok(match opened {
        Opened::New(r) => Created::New(r),
        Opened::Existing(r) => Created::Existing(r),
    })
}

/// Whether a case of `kind` may start for the household as it stands: 409 `case_not_allowed`
/// with the reason.
pub(crate) fn may_start(kind: crate::domain::procedure::CaseKind, h: &HouseholdRow) -> Result<(), ApiError> {
    let (category, risk, eliminated_on) = household_state(h);
    may_open(kind, HouseholdState { category, risk_status: risk.as_deref(), risk_eliminated_on: eliminated_on })
        .map_err(|why| ApiError::Refused { code: "case_not_allowed", message: format!("a {} case cannot start: {why}", kind.as_str()), failures: None })
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

/// A signature on a step: a person by name, or a user account (then shown with its name).
pub struct Signatory {
    pub role: String,
    pub name: Option<String>,
    pub user_id: Option<String>,
}

/// A step as read from the request: what could be parsed, and the problems found on the way
/// (`errors`, then `department_errors`). The service adds what needs the case and the database
/// (who may record the step, who must sign it, the step's extras against the case's stage)
/// between the two, so one 422 lists every problem in the order of the body.
pub struct StepDraft {
    pub step: Option<Step>,
    pub outcome: Option<Outcome>,
    /// Absent: refused as required already (in `errors`).
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
    pub signatories: Vec<Signatory>,
    /// Each department's answer of a county cross-check.
    pub departments: Option<Value>,
    /// The departments answered (names), for the county's list.
    pub answered: Vec<String>,
    pub extras: Extras,
    pub eligibility_override: Option<String>,
    pub errors: FieldErrors,
    pub department_errors: FieldErrors,
}

/// 403 unless the caller's role records `step` (the township its reviews and spot checks, the
/// county its cross-check; an override of an exit's eligibility is the county admin's).
fn may_record(caller: &Caller, step: Option<Step>, overriding: bool) -> Result<(), ApiError> {
    caller.require(caller.role.edits_households(), "record procedure steps")?;
    match step.map(recorder_level) {
        Some(Recorder::Township) => caller.require(matches!(caller.role, Role::TownshipReviewer | Role::CountyAdmin), "record the township's review or spot check")?,
        Some(Recorder::County) => caller.require(caller.role == Role::CountyAdmin, "record the county cross-check")?,
        _ => {}
    }
    if overriding {
        caller.require(caller.role == Role::CountyAdmin, "override an exit's eligibility")?;
    }
    Ok(())
}

/// The signatures as stored: accounts resolved to their names (an account outside the county,
/// or disabled, is refused under its field), the required roles checked.
fn signatures(c: &mut DbConnection, draft: &StepDraft, village: &str, errs: &mut FieldErrors) -> Result<Value, ApiError> {
    let has_first_secretary = match draft.date {
        Some(date) => Some(repo::village_has_first_secretary(c, village, date)?),
        None => None,
    };
    let county = DivisionCode::parse(&format!("{}000000", village.get(..6).unwrap_or_default())).ok();
    let mut out = Vec::new();
    for (i, s) in draft.signatories.iter().enumerate() {
        let mut name = s.name.clone();
        if let Some(uid) = &s.user_id {
            match users::find_by_id(c, uid)? {
                Some(u) if !u.disabled && county.as_ref().is_some_and(|k| u.jurisdiction.starts_with(&k.as_str()[..6])) => name = Some(u.display_name),
                _ => errs.add(format!("signatories[{i}].user_id"), "unknown_user", "no active user account of this county"),
            }
        } else if name.is_none() {
            errs.add(format!("signatories[{i}].name"), "required", "name the signatory, or give their user_id");
        }
        out.push(json!({"role": s.role, "name": name, "user_id": s.user_id}));
    }
    if let (Some(step), Some(has_first_secretary)) = (draft.step, has_first_secretary) {
        for role in required_signatories(step, has_first_secretary) {
            if !draft.signatories.iter().any(|s| s.role == role) {
                errs.add("signatories", "missing_signatory", format!("{} must sign this step", role));
            }
        }
    }
    Ok(Value::Array(out))
}

/// The configured departments a cross-check left out (422 under `departments`).
fn check_departments(rules: &Rules, draft: &StepDraft, errs: &mut FieldErrors) {
    if draft.step == Some(Step::CountyCrossCheck) && draft.departments.is_some() {
        let answered: Vec<&str> = draft.answered.iter().map(String::as_str).collect();
        let missing = step_rules::missing_departments(&rules.departments, &answered);
        if !missing.is_empty() {
            errs.add("departments", "missing_department", format!("the county cross-checks with every department of its list: no answer from {}", missing.join(", ")));
        }
    }
}

/// Records the next step of a case: 404 outside the jurisdiction, 403 for a role that does not
/// record it, then `If-Match`, then the step's problems (422: values, signatures, extras), then
/// its order, timing and conditions (409 `step_not_allowed`, `exit_not_allowed`). A step that
/// completes the case applies it to the household in the same transaction.
#[tracing::instrument(skip_all, fields(case = %case_id))]
pub async fn add_step(state: &AppState, caller: &Caller, case_id: String, precondition: Precondition, draft: StepDraft) -> Result<(CaseRow, Vec<CaseStepRow>), ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), case_id.clone());
    let case = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    may_record(caller, draft.step, draft.eligibility_override.is_some())?;
    let expected = precondition.optional()?;
    let rules = Rules::of(state);
    let (actor, today) = (caller.actor(), state.today());
    state
        .db
        .run(move |c| {
            let (_, stage) = stage_of(&case)?;
            let mut errs = draft.errors.clone();
            let signatories = signatures(c, &draft, &case.village_code, &mut errs)?;
            let extras = with_attachments(c, &case, draft.step, &draft.extras)?;
            let details = draft.step.and_then(|step| step_rules::check(step, stage, &extras, &mut errs));
            check_departments(&rules, &draft, &mut errs);
            errs.0.extend(draft.department_errors.0.clone());
            let (Some(step), Some(outcome), Some(date)) = (draft.step, draft.outcome, draft.date) else { return Err(errs.into()) };
            if !errs.is_empty() {
                return Err(errs.into());
            }
            let new = NewStep { step, outcome, date, signatories, departments: draft.departments.clone(), note: draft.note.clone(), details, eligibility_override: draft.eligibility_override.clone(), batch_id: None };
            write_tx(c, |c| {
                let case = case_in(c, &scope, &case_id)?;
                if expected.is_some_and(|v| v != case.version) {
                    return Err(ApiError::PreconditionFailed);
                }
                let row = apply_step(c, &actor, &rules, &case, &new, today)?;
                let steps = repo::steps_of(c, &row.id)?;
                Ok((row, steps))
            })
        })
        .await
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
