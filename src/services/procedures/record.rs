//! Recording one step of one case inside a transaction the caller opened (a single step or a
//! village batch): order and timing (`domain::procedure::apply`), the exclusion conditions at
//! an inclusion's township review, the exit's eligibility at its evaluation (with a county
//! admin's override), and what a completed case does to its household.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::db::models::{CaseRow, CaseStepRow, HouseholdRow};
use crate::db::repo::audit::{self, Actor, Entry};
use crate::db::repo::procedures as repo;
use crate::db::repo::{households, sync};
use crate::db::{DbConnection, DbError, new_id, now};
use crate::domain::household_profile::{EliminationWay, Profile};
use crate::domain::procedure::eligibility::{self, ExitFacts};
use crate::domain::procedure::{self, CaseKind, Outcome, Position, Stage, Step};
use crate::domain::yearly::{ThresholdRule, YearRecord, threshold_for};
use crate::domain::{Category, Scope};
use crate::error::ApiError;

/// The county's rules a step is judged by (from the settings).
#[derive(Clone)]
pub struct Rules {
    pub thresholds: Vec<ThresholdRule>,
    pub forbidding: Vec<String>,
    pub departments: Vec<String>,
}

impl Rules {
    pub fn of(state: &crate::state::AppState) -> Self {
        let settings = &state.settings;
        Rules { thresholds: settings.thresholds.clone(), forbidding: settings.exit_forbidding_rules.clone(), departments: settings.cross_check_departments.clone() }
    }
}

/// A step that passed validation.
#[derive(Clone)]
pub struct NewStep {
    pub step: Step,
    pub outcome: Outcome,
    pub date: NaiveDate,
    pub signatories: Value,
    pub departments: Option<Value>,
    pub note: Option<String>,
    /// What the step carries besides (home visit, spot check), as checked.
    pub details: Option<Value>,
    /// A county admin's reason to let an ineligible exit through (audited).
    pub eligibility_override: Option<String>,
    pub batch_id: Option<String>,
}

/// The step's problems that need the case (its stage): the extras of a second evaluation.
pub fn stage_of(case: &CaseRow) -> Result<(CaseKind, Stage), DbError> {
    let kind = CaseKind::parse(&case.kind).map_err(|e| DbError::corrupt("kind", e))?;
    let stage = Stage::parse(&case.stage).map_err(|e| DbError::corrupt("stage", e))?;
    Ok((kind, stage))
}

/// Records a step of `case` (read in this transaction): refused with 409 `step_not_allowed`
/// out of order or too early, `exit_not_allowed` for an ineligible exit without an override.
pub fn apply_step(c: &mut DbConnection, actor: &Actor, rules: &Rules, case: &CaseRow, s: &NewStep, today: NaiveDate) -> Result<CaseRow, ApiError> {
    let (kind, stage) = stage_of(case)?;
    let pos = Position { stage, since: case.stage_since };
    let next = procedure::apply(kind, pos, s.step, s.outcome, s.date, today)?;
    if kind.flow() == procedure::Flow::TwoEvaluations && s.step == Step::TownshipReview && s.outcome == Outcome::Approved {
        let blocking = repo::blocking_exclusions(c, &case.household_id)?;
        if let Some(x) = blocking.first() {
            return Err(ApiError::from(procedure::Refusal {
                message: format!("the household meets the exclusion condition {} (recorded {}): the township cannot approve it unless a county admin approves the exception", x.condition, x.recorded_on),
                allowed: procedure::next_steps(kind, pos).into_iter().filter(|n| n.step != Step::TownshipReview || n.outcomes.contains(&Outcome::Rejected)).collect(),
            }));
        }
    }
    let mut details = s.details.clone();
    if kind == CaseKind::Exit && s.step == Step::VillageEvaluation && s.outcome == Outcome::Approved {
        let (year, failures) = exit_eligibility(c, rules, case, s.date)?;
        let found = serde_json::to_value(&failures).unwrap_or_default();
        match (&s.eligibility_override, failures.is_empty()) {
            (_, true) => details = Some(json!({"eligibility": {"year": year, "failures": []}})),
            (Some(reason), false) => {
                details = Some(json!({"eligibility": {"year": year, "failures": found, "override": {"by": actor.name, "reason": reason}}}));
                audit::append(c, actor, Entry { action: "exit_eligibility_override", entity_type: "case", entity_id: &case.id, household_id: Some(&case.household_id), before: Some(json!({"failures": found})), after: Some(json!({"reason": reason})) })?;
            }
            (None, false) => {
                let list: Vec<String> = failures.iter().map(|f| format!("{} ({})", f.text, f.figure)).collect();
                return Err(ApiError::Refused { code: "exit_not_allowed", message: format!("the household does not meet the exit conditions of {year}: {}; a county admin may override with a reason", list.join("; ")), failures: Some(found) });
            }
        }
    } else if s.eligibility_override.is_some() {
        return Err(ApiError::invalid("eligibility_override", "invalid_value", "only for the village evaluation approving an exit"));
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
        details: details.as_ref().map(|d| d.to_string()),
        batch_id: s.batch_id.clone(),
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
    audit::append(c, actor, Entry { action: "case_step", entity_type: "case", entity_id: &case.id, household_id: Some(&case.household_id), before: Some(json!({"stage": case.stage})), after: Some(json!({"step": step.step, "outcome": step.outcome, "date": step.step_date, "stage": updated.stage, "batch_id": step.batch_id, "details": details})) })?;
    if next.stage == Stage::Done {
        complete(c, actor, &updated, kind, s.date)?;
    }
    Ok(updated)
}

/// The exit conditions of the statistical year the evaluation on `date` judges.
fn exit_eligibility(c: &mut DbConnection, rules: &Rules, case: &CaseRow, date: NaiveDate) -> Result<(i32, Vec<eligibility::Failure>), ApiError> {
    let year = eligibility::statistical_year(date);
    let (row, members) = repo::exit_facts(c, &case.household_id, year)?;
    let record: Option<YearRecord> = match &row {
        Some(r) => Some(serde_json::from_str(&r.record_json).map_err(|e| DbError::corrupt("record_json", e))?),
        None => None,
    };
    let province = &case.county_code[..2.min(case.county_code.len())];
    let threshold = threshold_for(&rules.thresholds, province, year);
    let facts = ExitFacts {
        year,
        record: record.as_ref(),
        members: members.iter().map(|m| (m.id.clone(), m.birth_date)).collect(),
        exit_minimum: threshold.map(|t| t.exit_minimum),
        poverty_line: threshold.map(|t| t.poverty_line),
        member_count: members.len(),
    };
    Ok((year, eligibility::check(&facts, &rules.forbidding)))
}

/// The effect of a completed case on its household (`domain::procedure::effect`), referenced in
/// the household's history; the dates it sets are the completing step's.
fn complete(c: &mut DbConnection, actor: &Actor, case: &CaseRow, kind: CaseKind, date: NaiveDate) -> Result<(), ApiError> {
    households::lock(c, &case.household_id)?;
    let before: HouseholdRow = repo::household_of(c, case)?;
    let mut next = before.clone();
    let target = case.target_category.as_deref().and_then(|t| Category::parse(t).ok());
    let effect = procedure::effect(kind, target);
    if let Some(cat) = effect.category {
        next.category = cat.as_str().into();
    }
    match effect.risk_status {
        Some(Some(status)) => next.risk_status = Some(status.into()),
        Some(None) => {
            next.risk_status = None;
            next.risk_types = None;
        }
        None => {}
    }
    if effect.set_risk_types && case.risk_types != "[]" {
        next.risk_types = Some(case.risk_types.clone());
    }
    let mut profile = Profile::from_stored(&before.profile);
    if effect.monitoring_included {
        profile.monitoring_included_on = Some(date);
        profile.risk_eliminated_on = None;
        profile.risk_elimination_way = None;
    }
    if effect.fallback_reason {
        profile.fallback_reason = case.return_reason.clone();
    }
    if effect.risk_eliminated {
        profile.risk_eliminated_on = Some(date);
        profile.risk_elimination_way = Some(EliminationWay::Assisted);
    }
    next.profile = profile.to_stored();
    let saved = households::bump_with(c, &before, next)?;
    let change = |r: &HouseholdRow| json!({"category": r.category, "risk_status": r.risk_status, "risk_types": r.risk_types});
    audit::append(c, actor, Entry { action: "case_complete", entity_type: "household", entity_id: &case.household_id, household_id: Some(&case.household_id), before: Some(change(&before)), after: Some(json!({"case_id": case.id, "kind": case.kind, "household": change(&saved)})) })?;
    sync::stamp(c, std::slice::from_ref(&case.household_id), &[])?;
    Ok(())
}

/// A case of the scope, read again in the transaction.
pub fn case_in(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<CaseRow, ApiError> {
    Ok(repo::get(c, scope, id)?)
}
