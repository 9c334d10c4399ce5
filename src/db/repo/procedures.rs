//! Cases 程序 of households and their steps, exclusion conditions and spot checks: stored and
//! scoped here; which step may come when, and what a completed case does to its household, is
//! decided by `services::procedures` with `domain::procedure`.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::{CampaignScheduleRow, CaseRow, CaseStepRow, ExclusionRow, HouseholdRow, MemberRow, SpotCheckItemRow, SpotCheckRow, YearlyRow};
use crate::db::schema::{campaign_schedules, case_steps, cases, exclusions, households as h, members, spot_check_items, spot_checks, work_teams};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::procedure::{CaseKind, Stage};
use crate::domain::{DivisionCode, Scope};

pub struct NewCase {
    pub household_id: String,
    pub kind: CaseKind,
    pub reason: String,
    /// 返贫原因 (re-inclusion).
    pub return_reason: Option<String>,
    pub risk_types: Vec<String>,
    pub target_category: Option<String>,
    pub client_id: Option<String>,
    /// Opened from the risk screening: (statistical year, criterion id).
    pub screening: Option<(i32, String)>,
}

pub enum Opened {
    New(CaseRow),
    Existing(CaseRow),
}

/// Opens a case; a household has at most one open case (409), and `may_open` decides whether
/// this kind may start from the household as it is (in the same transaction).
pub fn open<E: From<DbError>>(c: &mut DbConnection, scope: &Scope, actor: &Actor, new: &NewCase, today: NaiveDate, may_open: impl FnOnce(&HouseholdRow) -> Result<(), E>) -> Result<Opened, E> {
    write_tx(c, |c| open_in(c, scope, actor, new, today, may_open))
}

/// [`open`] inside the caller's transaction (several cases opened all or nothing).
pub fn open_in<E: From<DbError>>(c: &mut DbConnection, scope: &Scope, actor: &Actor, new: &NewCase, today: NaiveDate, may_open: impl FnOnce(&HouseholdRow) -> Result<(), E>) -> Result<Opened, E> {
    {
        if let Some(cid) = &new.client_id {
            let existing: Option<CaseRow> = cases::table.filter(cases::client_id.eq(cid)).select(CaseRow::as_select()).first(c).optional().map_err(DbError::from)?;
            if let Some(e) = existing {
                return if e.household_id == new.household_id && households::find(c, scope, &e.household_id).map_err(DbError::from)?.is_some() {
                    Ok(Opened::Existing(e))
                } else {
                    Err(DbError::Conflict("this client_id was used for another case".into()).into())
                };
            }
        }
        let hh = households::get(c, scope, &new.household_id)?;
        households::lock(c, &hh.id).map_err(DbError::from)?;
        let open: Option<(String, String)> = cases::table
            .filter(cases::household_id.eq(&hh.id))
            .filter(cases::is_open.eq(true))
            .select((cases::id, cases::kind))
            .first(c)
            .optional()
            .map_err(DbError::from)?;
        if let Some((id, kind)) = open {
            return Err(DbError::Conflict(format!("the household has an open {kind} case ({id}): finish it first")).into());
        }
        may_open(&hh)?;
        let at = now();
        let row = CaseRow {
            id: new_id(),
            client_id: new.client_id.clone(),
            household_id: hh.id.clone(),
            village_code: hh.village_code.clone(),
            township_code: hh.township_code.clone(),
            county_code: hh.county_code.clone(),
            kind: new.kind.as_str().into(),
            reason: new.reason.clone(),
            risk_types: serde_json::to_string(&new.risk_types).unwrap_or_else(|_| "[]".into()),
            target_category: new.target_category.clone(),
            stage: Stage::Start.as_str().into(),
            stage_since: today,
            opened_on: today,
            is_open: true,
            version: 1,
            created_by: actor.name.clone().unwrap_or_default(),
            created_at: at,
            updated_at: at,
            return_reason: new.return_reason.clone(),
            screening_year: new.screening.as_ref().map(|s| s.0),
            screening_criterion: new.screening.as_ref().map(|s| s.1.clone()),
        };
        diesel::insert_into(cases::table).values(&row).execute(c).map_err(DbError::from)?;
        let after = json!({"kind": row.kind, "reason": row.reason, "return_reason": row.return_reason, "screening_year": row.screening_year, "screening_criterion": row.screening_criterion});
        audit::append(c, actor, Entry { action: "case_open", entity_type: "case", entity_id: &row.id, household_id: Some(&hh.id), before: None, after: Some(after) }).map_err(DbError::from)?;
        Ok(Opened::New(row))
    }
}

pub fn get(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<CaseRow, DbError> {
    cases::table
        .filter(cases::id.eq(id))
        .filter(filters::cases::in_scope(scope))
        .select(CaseRow::as_select())
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

pub fn steps_of(c: &mut DbConnection, case_id: &str) -> QueryResult<Vec<CaseStepRow>> {
    case_steps::table.filter(case_steps::case_id.eq(case_id)).order((case_steps::entered_at.asc(), case_steps::id.asc())).select(CaseStepRow::as_select()).load(c)
}

/// Steps of several cases in one query (case lists).
pub fn steps_of_cases(c: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<CaseStepRow>> {
    case_steps::table.filter(case_steps::case_id.eq_any(case_ids)).order((case_steps::entered_at.asc(), case_steps::id.asc())).select(CaseStepRow::as_select()).load(c)
}

/// When an open case is late: waiting at its stage since before a date, or (by the county's
/// campaign schedule) every open case, or those still at the stages listed.
#[derive(Debug, Default, Clone)]
pub struct Overdue {
    pub waiting_since_before: NaiveDate,
    pub all_open: bool,
    pub late_stages: Vec<String>,
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub division: Option<DivisionCode>,
    pub open: Option<bool>,
    /// Only open cases that are late.
    pub overdue: Option<Overdue>,
    pub kind: Option<CaseKind>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(c: &mut DbConnection, scope: &Scope, f: &CaseFilter) -> QueryResult<Vec<CaseRow>> {
    let mut q = cases::table.filter(filters::cases::in_scope(scope)).into_boxed();
    if let Some(d) = &f.division {
        q = q.filter(filters::cases::in_division(d));
    }
    if let Some(o) = f.open {
        q = q.filter(cases::is_open.eq(o));
    }
    if let Some(o) = &f.overdue {
        q = q.filter(cases::is_open.eq(true));
        if !o.all_open {
            q = q.filter(cases::stage_since.lt(o.waiting_since_before).or(cases::stage.eq_any(o.late_stages.clone())));
        }
    }
    if let Some(k) = f.kind {
        q = q.filter(cases::kind.eq(k.as_str()));
    }
    if let Some(a) = &f.after {
        q = q.filter(cases::id.gt(a.clone()));
    }
    q.order(cases::id.asc()).limit(f.limit).select(CaseRow::as_select()).load(c)
}

/// Whether the village has a current first secretary 第一书记 (then they sign too).
pub fn village_has_first_secretary(c: &mut DbConnection, village: &str, on: NaiveDate) -> QueryResult<bool> {
    let n: i64 = work_teams::table
        .filter(work_teams::village_code.eq(village))
        .filter(work_teams::first_secretary_id.is_not_null())
        .filter(work_teams::term_start.le(on))
        .filter(work_teams::term_end.is_null().or(work_teams::term_end.ge(on)))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// Active exclusions of a household that the county has not approved.
pub fn blocking_exclusions(c: &mut DbConnection, household_id: &str) -> QueryResult<Vec<ExclusionRow>> {
    exclusions::table
        .filter(exclusions::household_id.eq(household_id))
        .filter(exclusions::lifted_at.is_null())
        .filter(exclusions::approved_at.is_null())
        .select(ExclusionRow::as_select())
        .load(c)
}

/// Records a step of a case (`services::procedures` decided it may be taken).
pub fn insert_step(c: &mut DbConnection, step: &CaseStepRow) -> QueryResult<()> {
    diesel::insert_into(case_steps::table).values(step).execute(c).map(|_| ())
}

/// Saves a case moved on by a step, if it is still at `version` (0 rows otherwise).
pub fn save_case(c: &mut DbConnection, case: &CaseRow, version: i64) -> QueryResult<usize> {
    diesel::update(cases::table.filter(cases::id.eq(&case.id)).filter(cases::version.eq(version))).set(case).execute(c)
}

/// The household of a case, as it is now (the case was reached through the caller's scope).
pub fn household_of(c: &mut DbConnection, case: &CaseRow) -> QueryResult<HouseholdRow> {
    h::table.find(&case.household_id).select(HouseholdRow::as_select()).first(c)
}

/// Cases of the scope by id, in the order asked (a batch; ids outside the scope are left out).
pub fn get_many(c: &mut DbConnection, scope: &Scope, ids: &[String]) -> QueryResult<Vec<CaseRow>> {
    cases::table.filter(cases::id.eq_any(ids)).filter(filters::cases::in_scope(scope)).select(CaseRow::as_select()).load(c)
}

/// The household's yearly record of `year` and its current members (an exit's eligibility).
pub fn exit_facts(c: &mut DbConnection, household_id: &str, year: i32) -> QueryResult<(Option<YearlyRow>, Vec<MemberRow>)> {
    let ids = [household_id.to_owned()];
    let record = super::yearly::for_households(c, &ids, year)?.into_iter().next();
    Ok((record, households::members_of(c, &ids, false)?))
}

/// A county's campaign schedule of a year.
pub fn schedule(c: &mut DbConnection, county: &str, year: i32) -> QueryResult<Option<CampaignScheduleRow>> {
    campaign_schedules::table
        .filter(campaign_schedules::county_code.eq(county))
        .filter(campaign_schedules::year.eq(year))
        .select(CampaignScheduleRow::as_select())
        .first(c)
        .optional()
}

/// Sets a county's schedule of a year (`expected`: the version replaced, `None` for a first one).
pub fn put_schedule(c: &mut DbConnection, actor: &Actor, row: &CampaignScheduleRow, expected: Option<i64>) -> Result<CampaignScheduleRow, DbError> {
    write_tx(c, |c| {
        let before = schedule(c, &row.county_code, row.year)?;
        let mut next = row.clone();
        match (&before, expected) {
            (Some(b), Some(v)) if b.version == v => {
                next.id = b.id.clone();
                next.version = b.version + 1;
                diesel::update(campaign_schedules::table.find(&b.id)).set(&next).execute(c)?;
            }
            (Some(_), None) => return Err(DbError::PreconditionRequired),
            (Some(_), Some(_)) | (None, Some(_)) => return Err(DbError::PreconditionFailed),
            (None, None) => {
                diesel::insert_into(campaign_schedules::table).values(&next).execute(c)?;
            }
        }
        let dates = |r: &CampaignScheduleRow| json!({"collection_by": r.collection_by, "evaluation_by": r.evaluation_by, "entry_by": r.entry_by, "acceptance_by": r.acceptance_by});
        audit::append(c, actor, Entry { action: "campaign_schedule", entity_type: "campaign_schedule", entity_id: &next.id, household_id: None, before: before.as_ref().map(dates), after: Some(dates(&next)) })?;
        Ok(next)
    })
}

/// The cases of a village whose `step` was posted on `date` (a publicity or announcement list),
/// with their households, in household number order.
pub fn posted(c: &mut DbConnection, scope: &Scope, village: &str, step: &str, date: NaiveDate) -> QueryResult<Vec<(CaseRow, HouseholdRow, Option<String>)>> {
    let on_the_day = case_steps::table.filter(case_steps::step.eq(step)).filter(case_steps::step_date.eq(date));
    let found: Vec<CaseRow> = cases::table
        .filter(filters::cases::in_scope(scope))
        .filter(cases::village_code.eq(village))
        .filter(cases::id.eq_any(on_the_day.select(case_steps::case_id)))
        .select(CaseRow::as_select())
        .load(c)?;
    let ids: Vec<String> = found.iter().map(|r| r.id.clone()).collect();
    let batches: Vec<(String, Option<String>)> = on_the_day.filter(case_steps::case_id.eq_any(&ids)).select((case_steps::case_id, case_steps::batch_id)).load(c)?;
    let household_ids: Vec<String> = found.iter().map(|r| r.household_id.clone()).collect();
    let homes: Vec<HouseholdRow> = h::table.filter(h::id.eq_any(&household_ids)).select(HouseholdRow::as_select()).load(c)?;
    let mut out: Vec<(CaseRow, HouseholdRow, Option<String>)> = found
        .into_iter()
        .filter_map(|r| {
            let home = homes.iter().find(|x| x.id == r.household_id)?.clone();
            let batch = batches.iter().find(|(id, _)| *id == r.id).and_then(|(_, b)| b.clone());
            Some((r, home, batch))
        })
        .collect();
    out.sort_by(|a, b| (&a.1.number, &a.0.id).cmp(&(&b.1.number, &b.0.id)));
    Ok(out)
}

/// The current heads of households (for the lists: their sealed ID numbers are masked by the caller).
pub fn heads_of(c: &mut DbConnection, household_ids: &[String]) -> QueryResult<Vec<MemberRow>> {
    members::table
        .filter(members::household_id.eq_any(household_ids))
        .filter(members::relation.eq("head"))
        .filter(members::removed_at.is_null())
        .select(MemberRow::as_select())
        .load(c)
}

// ---- exclusions ----

pub fn exclusions_of(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<Vec<ExclusionRow>, DbError> {
    households::get(c, scope, household_id)?;
    Ok(exclusions::table.filter(exclusions::household_id.eq(household_id)).order(exclusions::created_at.asc()).select(ExclusionRow::as_select()).load(c)?)
}

pub fn add_exclusion(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: &ExclusionRow) -> Result<(), DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        diesel::insert_into(exclusions::table).values(row).execute(c)?;
        audit::append(c, actor, Entry { action: "exclusion_record", entity_type: "exclusion", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(json!({"condition": row.condition, "evidence": row.evidence, "recorded_on": row.recorded_on})) })?;
        Ok(())
    })
}

pub enum ExclusionChange {
    /// A county admin approves the exception (the household may still be included).
    Approve(String),
    /// The condition no longer holds.
    Lift(String),
}

pub fn change_exclusion(c: &mut DbConnection, scope: &Scope, actor: &Actor, household_id: &str, id: &str, expected: i64, change: &ExclusionChange) -> Result<ExclusionRow, DbError> {
    write_tx(c, |c| {
        households::get(c, scope, household_id)?;
        let before: ExclusionRow = exclusions::table
            .filter(exclusions::id.eq(id))
            .filter(exclusions::household_id.eq(household_id))
            .select(ExclusionRow::as_select())
            .first(c)
            .optional()?
            .ok_or(DbError::NotFound)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        if before.lifted_at.is_some() {
            return Err(DbError::Conflict("the exclusion was lifted already".into()));
        }
        let mut next = before.clone();
        let (action, reason) = match change {
            ExclusionChange::Approve(r) => {
                if before.approved_at.is_some() {
                    return Err(DbError::Conflict("the exception was approved already".into()));
                }
                next.approved_by = actor.name.clone();
                next.approval_reason = Some(r.clone());
                next.approved_at = Some(now());
                ("exclusion_approve", r)
            }
            ExclusionChange::Lift(r) => {
                next.lifted_by = actor.name.clone();
                next.lift_reason = Some(r.clone());
                next.lifted_at = Some(now());
                ("exclusion_lift", r)
            }
        };
        next.version += 1;
        if diesel::update(exclusions::table.filter(exclusions::id.eq(id)).filter(exclusions::version.eq(expected))).set(&next).execute(c)? == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action, entity_type: "exclusion", entity_id: id, household_id: Some(household_id), before: None, after: Some(json!({"condition": next.condition, "reason": reason})) })?;
        Ok(next)
    })
}

// ---- spot checks ----

/// Household ids of a village, for sampling.
pub fn household_ids_in(c: &mut DbConnection, village: &str) -> QueryResult<Vec<String>> {
    h::table.filter(h::village_code.eq(village)).order(h::id.asc()).select(h::id).load(c)
}

pub fn save_spot_check(c: &mut DbConnection, actor: &Actor, check: &SpotCheckRow, items: &[SpotCheckItemRow]) -> Result<(), DbError> {
    write_tx(c, |c| {
        diesel::insert_into(spot_checks::table).values(check).execute(c)?;
        for chunk in items.chunks(500) {
            for item in chunk {
                diesel::insert_into(spot_check_items::table).values(item).execute(c)?;
            }
        }
        audit::append(c, actor, Entry { action: "spot_check_draw", entity_type: "spot_check", entity_id: &check.id, household_id: None, before: None, after: Some(json!({"division": check.division_code, "seed": check.seed, "households": items.len()})) })?;
        Ok(())
    })
}

pub fn spot_check(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<(SpotCheckRow, Vec<SpotCheckItemRow>), DbError> {
    let check: SpotCheckRow = spot_checks::table.find(id).select(SpotCheckRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    match DivisionCode::parse(&check.division_code) {
        Ok(d) if scope.covers(&d) => {}
        _ => return Err(DbError::NotFound),
    }
    let items = spot_check_items::table
        .filter(spot_check_items::spot_check_id.eq(id))
        .order((spot_check_items::village_code.asc(), spot_check_items::household_id.asc()))
        .select(SpotCheckItemRow::as_select())
        .load::<SpotCheckItemRow>(c)?
        .into_iter()
        // A household that has left the scope since the draw (its village merged into another
        // township's) is no longer this caller's to see or record.
        .filter(|i| DivisionCode::parse(&i.village_code).is_ok_and(|v| scope.covers(&v)))
        .collect();
    Ok((check, items))
}

pub struct ItemResult {
    pub household_id: String,
    pub identification_correct: Option<bool>,
    pub data_correct: Option<bool>,
    pub note: Option<String>,
}

/// Records outcomes for households of the sample (422 for a household not in it).
pub fn record_results(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, results: &[ItemResult]) -> Result<(), DbError> {
    write_tx(c, |c| {
        let (_, items) = spot_check(c, scope, id)?;
        for (i, r) in results.iter().enumerate() {
            if !items.iter().any(|it| it.household_id == r.household_id) {
                return Err(DbError::invalid(&format!("results[{i}].household_id"), "not_in_sample", "the household is not in this sample"));
            }
            diesel::update(spot_check_items::table.filter(spot_check_items::spot_check_id.eq(id)).filter(spot_check_items::household_id.eq(&r.household_id)))
                .set((
                    spot_check_items::identification_correct.eq(r.identification_correct),
                    spot_check_items::data_correct.eq(r.data_correct),
                    spot_check_items::note.eq(r.note.clone()),
                    spot_check_items::checked_at.eq(Some(now())),
                ))
                .execute(c)?;
        }
        audit::append(c, actor, Entry { action: "spot_check_results", entity_type: "spot_check", entity_id: id, household_id: None, before: None, after: Some(json!({"results": results.len()})) })?;
        Ok(())
    })
}
