//! The yearly basic information 年度基础信息 of a household: a year's record (validated against
//! the household's current members, with its per-capita net income) and the comparison with
//! last year 信息采集对照表.

use std::collections::HashMap;

use super::Caller;
use crate::db::models::{HouseholdRow, YearlyRow};
use crate::db::repo::divisions;
use crate::db::repo::households::{self, ListFilter};
use crate::db::repo::yearly::{self as repo, Saved};
use crate::domain::projects::{AssistanceYear, ComparedRow, LoanStatus, LoanTerms, WorkLine, compared_rows};
use crate::domain::yearly::{Change, Listed, StatYear, YearRecord, changes, check_members};
use crate::domain::{DivisionCode, FieldError, FieldErrors, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// The household and its record of the year (404 when none was entered).
#[tracing::instrument(skip_all, fields(household = %household_id, year = year.value()))]
pub async fn get(state: &AppState, caller: &Caller, household_id: String, year: StatYear) -> Result<(HouseholdRow, YearlyRow), ApiError> {
    let scope = caller.read_scope();
    let (household, row) = state
        .db
        .run(move |c| {
            let h = households::get(c, &scope, &household_id)?;
            Ok((h, repo::find(c, &scope, &household_id, year.value())?))
        })
        .await?;
    Ok((household, row.ok_or(ApiError::NotFound)?))
}

/// A record as read from the request: what could be parsed (`None` when something is missing
/// or refused), the member each entry names (by index, `None` where none was given) and the
/// problems found on the way. The service adds what needs the household (each member one of
/// the year, once), so one 422 lists every problem.
pub struct YearDraft {
    pub record: Option<YearRecord>,
    pub member_ids: Vec<Option<String>>,
    pub errors: FieldErrors,
}

/// Enters or replaces the record of a year (cadre and above; 404, then 403 for an auditor, then
/// the record's problems); `expected` is required once the record exists.
#[tracing::instrument(skip_all, fields(household = %household_id, year = year.value()))]
pub async fn put(state: &AppState, caller: &Caller, household_id: String, year: StatYear, expected: Option<i64>, draft: YearDraft) -> Result<(HouseholdRow, Saved), ApiError> {
    let (scope, actor, may) = (caller.scope(), caller.actor(), caller.role != Role::Auditor);
    state
        .db
        .run(move |c| {
            let h = households::get(c, &scope, &household_id)?;
            if !may {
                return Err(ApiError::Forbidden("an auditor may not change yearly records".into()));
            }
            let members: Vec<Listed> = households::members_of(c, std::slice::from_ref(&h.id), true)?
                .into_iter()
                .map(|m| Listed { id: m.id, removed: m.removed_at.is_some(), left_on: m.left_on, joined_on: m.joined_on })
                .collect();
            let record = checked(draft, &members, year.value())?;
            let current = members.iter().filter(|m| !m.removed).count();
            let per_capita = repo::PerCapita { net: record.per_capita_net_income(current), after_rigid_expenses: record.per_capita_after_rigid_expenses(current) };
            let saved = repo::save(c, &scope, &actor, &household_id, year.value(), expected, &record, per_capita)?;
            Ok((h, saved))
        })
        .await
}

/// The record of a draft once its members are checked against the household's (current, or
/// gone in the record's year or later; their errors listed with the member's others, first).
fn checked(draft: YearDraft, members: &[Listed], year: i32) -> Result<YearRecord, FieldErrors> {
    let YearDraft { record, member_ids, mut errors } = draft;
    let ids: Vec<Option<&str>> = member_ids.iter().map(Option::as_deref).collect();
    let found = check_members(&ids, members, year).into_iter().map(|(i, e)| FieldError { field: format!("members[{i}].member_id"), code: e.code.to_owned(), message: e.message });
    errors.0.splice(0..0, found);
    record.filter(|_| errors.is_empty()).ok_or(errors)
}

/// Last year's record beside this year's, with the fields that changed.
pub struct Comparison {
    pub household: HouseholdRow,
    /// The household's members (id, name), removed ones too, in the order they were recorded:
    /// a comparison names members, and last year's may have left since.
    pub members: Vec<(String, String)>,
    pub previous: Option<YearRecord>,
    pub current: Option<YearRecord>,
    pub changed: Vec<Change>,
    /// Projects, loans and migrant work of the two years (`domain::projects::compared_rows`).
    pub assistance: Vec<ComparedRow>,
}

/// The assistance rows of the comparison of each household of `ids` (`members`: the
/// household's (id, name)s).
fn assistance_rows(c: &mut crate::db::DbConnection, ids: &[String], members: &HashMap<String, Vec<(String, String)>>, year: i32) -> Result<HashMap<String, Vec<ComparedRow>>, ApiError> {
    use crate::db::repo::assistance::{loans, migrant_work, projects};
    let mut p: HashMap<String, Vec<(i32, Option<i64>)>> = HashMap::new();
    for (h, row, benefit) in projects::of_households(c, ids)? {
        p.entry(h).or_default().push((row.year, benefit));
    }
    let mut l: HashMap<String, Vec<(i64, LoanTerms)>> = HashMap::new();
    for row in loans::of_households(c, ids)? {
        let Ok(status) = LoanStatus::parse(&row.status) else { continue };
        l.entry(row.household_id).or_default().push((row.amount_fen, LoanTerms { issued_on: row.issued_on, due_on: row.due_on, extended_to: row.extended_to, status, repaid_on: row.repaid_on }));
    }
    let mut w: HashMap<String, Vec<WorkLine>> = HashMap::new();
    for row in migrant_work::of_households(c, ids, None)?.into_iter().filter(|r| r.year == year || r.year == year - 1) {
        let name = members.get(&row.household_id).and_then(|m| m.iter().find(|m| m.0 == row.member_id)).map(|m| m.1.clone()).unwrap_or_default();
        w.entry(row.household_id).or_default().push((name, row.year, row.destination_code, row.months_away, row.income_fen, row.programme));
    }
    Ok(ids
        .iter()
        .map(|id| {
            let a = AssistanceYear { projects: p.get(id).map(Vec::as_slice).unwrap_or_default(), loans: l.get(id).map(Vec::as_slice).unwrap_or_default(), work: w.get(id).map(Vec::as_slice).unwrap_or_default() };
            (id.clone(), compared_rows(&a, year))
        })
        .collect())
}

fn parse(r: Option<YearlyRow>) -> Result<Option<YearRecord>, ApiError> {
    r.map(|r| serde_json::from_str(&r.record_json).map_err(|e| ApiError::Internal(e.into()))).transpose()
}

#[tracing::instrument(skip_all, fields(household = %household_id, year = year.value()))]
pub async fn comparison(state: &AppState, caller: &Caller, household_id: String, year: StatYear) -> Result<Comparison, ApiError> {
    let scope = caller.read_scope();
    let (household, members, prev, cur, mut assistance) = state
        .db
        .run(move |c| {
            let h = households::get(c, &scope, &household_id)?;
            let members: Vec<(String, String)> = households::members_of(c, std::slice::from_ref(&h.id), true)?.into_iter().map(|m| (m.id, m.name)).collect();
            let by_household = HashMap::from([(h.id.clone(), members.clone())]);
            let assistance = assistance_rows(c, std::slice::from_ref(&h.id), &by_household, year.value())?;
            Ok::<_, ApiError>((h, members, repo::find(c, &scope, &household_id, year.value() - 1)?, repo::find(c, &scope, &household_id, year.value())?, assistance))
        })
        .await?;
    let (previous, current) = (parse(prev)?, parse(cur)?);
    let changed = changes(previous.as_ref(), current.as_ref());
    let assistance = assistance.remove(&household.id).unwrap_or_default();
    Ok(Comparison { household, members, previous, current, changed, assistance })
}

/// A village's name and the comparisons of every household of it the caller may read, by
/// 户编号 (the handler checked the village is in the caller's jurisdiction; an unknown one is 404).
#[tracing::instrument(skip_all, fields(village = %village, year = year.value()))]
pub async fn village_comparison(state: &AppState, caller: &Caller, village: DivisionCode, year: StatYear) -> Result<(String, Vec<Comparison>), ApiError> {
    // A bulk read: the current jurisdiction (a cadre's former pairings are for single reads).
    let scope = caller.scope();
    let (name, found, mut members, mut prev, mut cur, mut assistance) = state
        .db
        .run(move |c| {
            let name = divisions::get(c, village.as_str())?.filter(|d| d.level == "village").ok_or(ApiError::NotFound)?.name;
            let mut found: Vec<HouseholdRow> = Vec::new();
            loop {
                let filter = ListFilter { division: Some(village.clone()), after: found.last().map(|h| h.id.clone()), limit: 1000, ..Default::default() };
                let page = households::list(c, &scope, &filter)?;
                let full = page.len() == 1000;
                found.extend(page);
                if !full {
                    break;
                }
            }
            let ids: Vec<String> = found.iter().map(|h| h.id.clone()).collect();
            let mut members: HashMap<String, Vec<(String, String)>> = HashMap::new();
            for m in households::members_of(c, &ids, true)? {
                members.entry(m.household_id).or_default().push((m.id, m.name));
            }
            let by_household = |rows: Vec<YearlyRow>| rows.into_iter().map(|r| (r.household_id.clone(), r)).collect::<HashMap<_, _>>();
            let prev = by_household(repo::for_households(c, &ids, year.value() - 1)?);
            let cur = by_household(repo::for_households(c, &ids, year.value())?);
            let assistance = assistance_rows(c, &ids, &members, year.value())?;
            Ok::<_, ApiError>((name, found, members, prev, cur, assistance))
        })
        .await?;
    let mut out = Vec::with_capacity(found.len());
    for household in found {
        let (previous, current) = (parse(prev.remove(&household.id))?, parse(cur.remove(&household.id))?);
        let changed = changes(previous.as_ref(), current.as_ref());
        let rows = assistance.remove(&household.id).unwrap_or_default();
        out.push(Comparison { members: members.remove(&household.id).unwrap_or_default(), household, previous, current, changed, assistance: rows });
    }
    out.sort_by(|a, b| a.household.number.cmp(&b.household.number));
    Ok((name, out))
}
