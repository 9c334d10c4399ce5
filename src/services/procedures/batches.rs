//! Village batches 动态调整名单: one step with one date and one set of signatories applied to
//! many cases of one village in one transaction — all or nothing; when any case refuses, none
//! is changed and every refusal is listed (409 `batch_refused`).

use serde_json::{Value, json};

use super::record::{Rules, apply_step, stage_of};
use super::{Caller, StepDraft, may_record, signatures};
use crate::db::models::{CaseRow, CaseStepRow};
use crate::db::repo::procedures as repo;
use crate::db::{new_id, write_tx};
use crate::domain::procedure::steps as step_rules;
use crate::domain::procedure::{Outcome, Step};
use crate::domain::FieldErrors;
use crate::error::ApiError;
use crate::state::AppState;

/// A case as the batch left it, with its steps.
pub type CaseWithSteps = (CaseRow, Vec<CaseStepRow>);

/// A batch as read from the request: the cases (each with its own outcome, or the batch's) and
/// the step every one of them takes.
pub struct BatchStep {
    pub cases: Vec<(String, Option<Outcome>)>,
    pub draft: StepDraft,
}

/// The answer of a refused case: its id, household, code and reason (and what was allowed or
/// failed).
fn refusal(case: &CaseRow, e: &ApiError) -> Value {
    let p = e.problem();
    json!({"case_id": case.id, "household_id": case.household_id, "code": p.code, "detail": p.detail, "allowed": p.allowed, "failures": p.failures, "errors": p.errors})
}

/// Applies one step to every case of the batch: 404 unless every case is in the jurisdiction,
/// 403 for a role that does not record the step, 422 for the batch's own problems (the cases of
/// several villages, a bad date, missing signatures), then each case's step — every refusal
/// listed, nothing written when there is one.
#[tracing::instrument(skip_all, fields(cases = batch.cases.len()))]
pub async fn batch_steps(state: &AppState, caller: &Caller, batch: BatchStep) -> Result<(String, Vec<CaseWithSteps>), ApiError> {
    let scope = caller.scope();
    let ids: Vec<String> = batch.cases.iter().map(|(id, _)| id.clone()).collect();
    let probe = (scope.clone(), ids.clone());
    let found = state.db.run(move |c| Ok(repo::get_many(c, &probe.0, &probe.1)?)).await?;
    if ids.iter().any(|id| !found.iter().any(|c| &c.id == id)) {
        return Err(ApiError::NotFound);
    }
    let draft = batch.draft;
    may_record(caller, draft.step, draft.eligibility_override.is_some())?;
    let rules = Rules::of(state);
    let (actor, today) = (caller.actor(), state.today());
    let outcomes = batch.cases;
    state
        .db
        .run(move |c| {
            let mut errs = draft.errors.clone();
            let villages: Vec<&str> = found.iter().map(|c| c.village_code.as_str()).collect();
            if villages.windows(2).any(|w| w[0] != w[1]) {
                errs.add("cases", "several_villages", "a batch is one village's meeting: its cases are of one village");
            }
            let village = found.first().map(|c| c.village_code.clone()).unwrap_or_default();
            let signatories = signatures(c, &draft, &village, &mut errs)?;
            super::check_departments(&rules, &draft, &mut errs);
            errs.0.extend(draft.department_errors.0.clone());
            if outcomes.iter().any(|(_, o)| o.is_none()) && draft.outcome.is_none() && !errs.has("outcome") {
                errs.add("outcome", "required", "give the batch's outcome, or each case's");
            }
            let (Some(step), Some(date)) = (draft.step, draft.date) else { return Err(errs.into()) };
            if !errs.is_empty() {
                return Err(errs.into());
            }
            let batch_id = new_id();
            write_tx(c, |c| {
                let mut done = Vec::new();
                let mut refused = Vec::new();
                for (id, own) in &outcomes {
                    let case = repo::get(c, &scope, id)?;
                    let outcome = own.or(draft.outcome).unwrap_or(Outcome::Done);
                    match one(c, &actor, &rules, &case, step, outcome, date, &signatories, &draft, &batch_id, today) {
                        Ok(row) => done.push(row),
                        Err(e @ (ApiError::StepNotAllowed { .. } | ApiError::Refused { .. } | ApiError::Validation(_) | ApiError::PreconditionFailed)) => refused.push(refusal(&case, &e)),
                        Err(e) => return Err(e),
                    }
                }
                if !refused.is_empty() {
                    let n = refused.len();
                    return Err(ApiError::Refused { code: "batch_refused", message: format!("{n} of {} cases refused the step: nothing was recorded", outcomes.len()), failures: Some(Value::Array(refused)) });
                }
                let mut out = Vec::new();
                for row in done {
                    let steps = repo::steps_of(c, &row.id)?;
                    out.push((row, steps));
                }
                Ok((batch_id.clone(), out))
            })
        })
        .await
}

/// One case of the batch: its own extras' problems (a second evaluation after a suspicion
/// needs the note), then the step.
#[allow(clippy::too_many_arguments)]
fn one(
    c: &mut crate::db::DbConnection,
    actor: &crate::db::repo::audit::Actor,
    rules: &Rules,
    case: &CaseRow,
    step: Step,
    outcome: Outcome,
    date: chrono::NaiveDate,
    signatories: &Value,
    draft: &StepDraft,
    batch_id: &str,
    today: chrono::NaiveDate,
) -> Result<CaseRow, ApiError> {
    let (_, stage) = stage_of(case)?;
    let mut errs = FieldErrors::new();
    let extras = super::with_attachments(c, case, Some(step), &draft.extras)?;
    let details = step_rules::check(step, stage, &extras, &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let new = super::NewStep {
        step,
        outcome,
        date,
        signatories: signatories.clone(),
        departments: draft.departments.clone(),
        note: draft.note.clone(),
        details,
        eligibility_override: draft.eligibility_override.clone(),
        batch_id: Some(batch_id.to_owned()),
    };
    apply_step(c, actor, rules, case, &new, today)
}
