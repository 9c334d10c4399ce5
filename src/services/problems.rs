//! Problems recorded by people and their rectification 整改: recording what the self-check
//! teams, audits, inspections, evaluations and complaints found; the measure, responsible person
//! and deadline; progress notes with evidence; the sign-offs of the village secretary and the
//! work-team leader; the township's daily rectification list 问题整改清单.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};

use super::quality::People;
use super::{Caller, Precondition};
use crate::db::models::{ProblemEvidenceRow, ProblemProgressRow, ProblemRow, ProblemSignoffRow};
use crate::db::repo::problems::{self as repo, Daily, EvidenceRef, RectificationPlan};
use crate::db::repo::quality as ledger;
use crate::db::{new_id, now};
use crate::domain::quality::people::{self, ProblemCategory, SignoffRole, ProblemSource};
use crate::domain::{DivisionCode, FieldErrors, Level, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// Where a problem was found: a household, or a whole village.
pub enum Place {
    Household(String),
    Village(DivisionCode),
}

/// A problem as read from the request: what could be parsed, and what was wrong.
pub struct Draft {
    pub place: Option<Place>,
    pub source: Option<ProblemSource>,
    pub category: Option<ProblemCategory>,
    pub guarantee: Option<people::Guarantee>,
    pub description: Option<String>,
    pub found_on: Option<NaiveDate>,
    pub found_by: Option<String>,
    pub severity: String,
    pub evidence: Vec<EvidenceRef>,
    pub errors: FieldErrors,
}

/// Records a problem found by people: 404 for a household or village outside the
/// jurisdiction, 403 for a role that does not work the ledger, then the body's problems (422).
/// Its deadline is the day it was found plus the days of its source and severity.
#[tracing::instrument(skip_all)]
pub async fn record(state: &AppState, caller: &Caller, draft: Draft) -> Result<(ProblemRow, People), ApiError> {
    let scope = caller.scope();
    if scope.cadre_user().is_some() {
        return Err(ApiError::Forbidden("the role cadre may not work the problem ledger".into()));
    }
    let place = match draft.place {
        Some(Place::Household(id)) => {
            let probe = (scope.clone(), id.clone());
            let (v, t, c) = state.db.run(move |c| Ok(repo::household_divisions(c, &probe.0, &probe.1)?)).await?;
            Some((Some(id), v, t, c))
        }
        Some(Place::Village(code)) => {
            if !scope.covers(&code) {
                return Err(ApiError::NotFound);
            }
            // A village that exists and was not merged (422 `unknown_division` / `merged_village`).
            let (probe, within) = (code.clone(), scope.division().clone());
            state.db.run(move |c| Ok(crate::db::repo::divisions::village_for(c, &probe, &within, "village_code", false)?)).await?;
            let (t, c) = (code.ancestor(Level::Township), code.ancestor(Level::County));
            Some((None, code.to_string(), t.map(|t| t.to_string()).unwrap_or_default(), c.map(|c| c.to_string()).unwrap_or_default()))
        }
        None => None,
    };
    caller.require(caller.role.edits_households(), "record problems")?;
    let mut errs = draft.errors;
    let today = state.today();
    if draft.found_on.is_some_and(|d| d > today) {
        errs.add("found_on", "in_future", "a problem cannot be found after today");
    }
    let (Some((household_id, village, township, county)), Some(source), Some(category), Some(description), Some(found_on)) = (place, draft.source, draft.category, draft.description, draft.found_on) else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let at = now();
    let row = ProblemRow {
        id: new_id(),
        household_id,
        village_code: village,
        township_code: township,
        county_code: county,
        rule_id: String::new(),
        subject: String::new(),
        severity: draft.severity.clone(),
        detail: description,
        status: "open".into(),
        fingerprint: String::new(),
        deadline: found_on + Duration::days(state.settings.problem_deadline_days.days(source, &draft.severity)),
        note: None,
        opened_run: String::new(),
        last_run: String::new(),
        resolved_run: None,
        version: 1,
        created_at: at,
        status_changed_at: at,
        status_changed_by: Some(caller.username.clone()),
        source: source.as_str().into(),
        category: Some(category.as_str().into()),
        guarantee: draft.guarantee.map(|g| g.as_str().into()),
        found_by: draft.found_by,
        found_on: Some(found_on),
        measure: None,
        responsible_user_id: None,
        responsible_name: None,
    };
    let (actor, evidence) = (caller.actor(), draft.evidence);
    state
        .db
        .run(move |c| {
            let row = repo::insert(c, &actor, row, &evidence)?;
            let people = People::load(c, std::slice::from_ref(&row))?;
            Ok((row, people))
        })
        .await
}

/// A problem with its rectification's evidence, progress, sign-offs and what is missing.
pub struct Detail {
    pub row: ProblemRow,
    pub people: People,
    pub evidence: Vec<ProblemEvidenceRow>,
    pub progress: Vec<ProblemProgressRow>,
    pub signoffs: Vec<ProblemSignoffRow>,
    pub missing: Vec<&'static str>,
}

fn detail_on(c: &mut crate::db::DbConnection, row: ProblemRow) -> Result<Detail, ApiError> {
    let people = People::load(c, std::slice::from_ref(&row))?;
    let (evidence, progress, signoffs) = repo::details(c, &row.id)?;
    let missing = if row.source == "cleaning" { Vec::new() } else { people::missing(&repo::rectification(c, &row)?) };
    Ok(Detail { row, people, evidence, progress, signoffs, missing })
}

/// One problem of the caller's ledger with its rectification.
#[tracing::instrument(skip_all, fields(problem = %id))]
pub async fn detail(state: &AppState, caller: &Caller, division: DivisionCode, id: String) -> Result<Detail, ApiError> {
    let scope = caller.scope();
    state
        .db
        .run(move |c| {
            let row = ledger::get(c, &scope, &division, &id)?;
            detail_on(c, row)
        })
        .await
}

/// Sets the measure, responsible person and deadline: 404, 403, `If-Match`, then 422.
#[tracing::instrument(skip_all, fields(problem = %id))]
pub async fn plan(state: &AppState, caller: &Caller, division: DivisionCode, id: String, precondition: Precondition, plan: Result<RectificationPlan, ApiError>) -> Result<Detail, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), division.clone(), id.clone());
    state.db.run(move |c| Ok(ledger::get(c, &probe.0, &probe.1, &probe.2)?)).await?;
    caller.require(caller.role.edits_households(), "plan rectifications")?;
    let expected = precondition.required()?;
    let plan = plan?;
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            let row = repo::set_rectification(c, &scope, &division, &actor, &id, expected, plan)?;
            detail_on(c, row)
        })
        .await
}

/// A progress note as read from the request.
pub struct ProgressDraft {
    pub noted_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    pub errors: FieldErrors,
}

/// Adds a progress note with evidence of completion: 404, 403, then 422.
#[tracing::instrument(skip_all, fields(problem = %id))]
pub async fn progress(state: &AppState, caller: &Caller, division: DivisionCode, id: String, draft: ProgressDraft) -> Result<Detail, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), division.clone(), id.clone());
    state.db.run(move |c| Ok(ledger::get(c, &probe.0, &probe.1, &probe.2)?)).await?;
    caller.require(caller.role.edits_households(), "record rectification progress")?;
    let mut errs = draft.errors;
    if draft.noted_on.is_some_and(|d| d > state.today()) {
        errs.add("noted_on", "in_future", "progress cannot be noted after today");
    }
    let (Some(noted_on), Some(note)) = (draft.noted_on, draft.note) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (actor, evidence) = (caller.actor(), draft.evidence);
    state
        .db
        .run(move |c| {
            repo::add_progress(c, &scope, &division, &actor, &id, noted_on, note, &evidence)?;
            let row = ledger::get(c, &scope, &division, &id)?;
            detail_on(c, row)
        })
        .await
}

/// Signs a rectification off. The village secretary signs with an account of the village (a
/// village officer whose jurisdiction is that village). The work-team leader — the first
/// secretary of the village's current team — signs with their own account when their cadre
/// record is linked to one; without one, an officer of the village or township records their
/// name. Anyone else: 403 (a cadre who does not lead the team sees no ledger: 404).
#[tracing::instrument(skip_all, fields(problem = %id))]
pub async fn sign(state: &AppState, caller: &Caller, id: String, role: Result<SignoffRole, ApiError>, name: Option<String>) -> Result<Detail, ApiError> {
    let scope = caller.scope();
    let today = state.today();
    let county = caller.jurisdiction.ancestor(Level::County).unwrap_or_else(|| caller.jurisdiction.clone());
    let (me, probe) = (caller.id.clone(), id.clone());
    let is_cadre = scope.cadre_user().is_some();
    let (problem, leader) = state
        .db
        .run(move |c| {
            let problem = if is_cadre { repo::in_county(c, &county, &probe)? } else { ledger::get(c, &scope, &scope.division().clone(), &probe)? };
            let leader = repo::team_leader(c, &problem.village_code, today)?;
            // A cadre reaches a problem only as the linked account of the team's leader.
            if is_cadre && leader.as_ref().and_then(|l| l.1.as_deref()) != Some(me.as_str()) {
                return Err(ApiError::NotFound);
            }
            Ok((problem, leader))
        })
        .await?;
    let role = role?;
    let village_officer = caller.role == Role::VillageOfficer && caller.jurisdiction.as_str() == problem.village_code;
    let (signer_name, signer_user_id) = match role {
        SignoffRole::VillageSecretary => {
            caller.require(village_officer, "sign as the village secretary: the village's own account signs")?;
            (name.unwrap_or_else(|| caller.username.clone()), Some(caller.id.clone()))
        }
        SignoffRole::TeamLeader => match leader {
            Some((leader_name, Some(account))) => {
                if account != caller.id {
                    return Err(ApiError::Forbidden(format!("the work-team leader {leader_name} has an account and signs with it")));
                }
                (leader_name, Some(account))
            }
            other => {
                caller.require(village_officer || matches!(caller.role, Role::TownshipReviewer | Role::CountyAdmin), "record the work-team leader's sign-off")?;
                let Some(n) = name.or(other.map(|l| l.0)) else {
                    return Err(ApiError::invalid("name", "required", "the village has no current work team: name who signed"));
                };
                (n, None)
            }
        },
    };
    if problem.source == "cleaning" {
        return Err(ApiError::Conflict("a problem of the cleaning rules is corrected in the data and takes no sign-off".into()));
    }
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            repo::sign(c, &actor, &problem, role, signer_name, signer_user_id)?;
            let row = repo::in_county(c, &DivisionCode::parse(&problem.county_code).map_err(|_| ApiError::NotFound)?, &problem.id)?;
            detail_on(c, row)
        })
        .await
}

/// The township's daily list, with its households and the rectification of each problem.
pub struct DailyList {
    pub daily: Daily,
    pub people: People,
    pub signoffs: Vec<ProblemSignoffRow>,
    pub names: std::collections::HashMap<String, String>,
}

/// The start of `day` in the deployment's time zone, as the stored naive UTC.
pub fn day_start(tz: chrono_tz::Tz, day: NaiveDate) -> NaiveDateTime {
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().map(|t| t.naive_utc()).unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The daily rectification list 问题整改清单 of a township (or a village's part of it):
/// problems opened today, unsettled and due in the next 3 days, overdue, closed today.
#[tracing::instrument(skip_all, fields(division = %township))]
pub async fn daily(state: &AppState, caller: &Caller, township: DivisionCode) -> Result<DailyList, ApiError> {
    let scope = caller.scope();
    let today = state.today();
    let (from, to) = (day_start(state.tz, today), day_start(state.tz, today + Duration::days(1)));
    state
        .db
        .run(move |c| {
            let daily = repo::daily(c, &scope, &township, from, to, today, today + Duration::days(3))?;
            let all: Vec<ProblemRow> = [&daily.opened, &daily.due_soon, &daily.overdue, &daily.closed].into_iter().flatten().cloned().collect();
            let people = People::load(c, &all)?;
            let mut ids: Vec<String> = all.iter().map(|r| r.id.clone()).collect();
            ids.sort();
            ids.dedup();
            let signoffs = repo::signoffs_of(c, &ids)?;
            let mut codes: Vec<String> = all.iter().flat_map(|r| [r.village_code.clone(), r.township_code.clone()]).collect();
            codes.sort();
            codes.dedup();
            let names = crate::db::repo::divisions::names(c, &codes)?;
            Ok(DailyList { daily, people, signoffs, names })
        })
        .await
}
