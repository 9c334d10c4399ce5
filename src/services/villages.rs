//! Villages: the village table 村表 of a year beside the figures derived from the household
//! records (账账相符), natural villages 自然村(组) and their tables, and village mergers 村庄合并.

use super::{Caller, Precondition};
use crate::domain::Scope;
use crate::db::models::{DivisionRow, NaturalVillageRow, PlaceYearRow};
use crate::db::repo::{divisions, households, villages as repo};
use crate::db::{DbConnection, new_id, now};
use crate::domain::DivisionCode;
use crate::domain::village::{DerivedCounts, FromNaturalVillages, NaturalVillageRecord, from_natural_villages};
use crate::domain::yearly::StatYear;
use crate::error::ApiError;
use crate::state::AppState;

fn known_village(c: &mut DbConnection, code: &DivisionCode) -> Result<DivisionRow, ApiError> {
    divisions::get(c, code.as_str())?.filter(|d| d.level == "village").ok_or(ApiError::NotFound)
}

/// A village that may still receive records: a merged one keeps its past tables (read-only),
/// new records go to the village it became part of (409).
fn live_village(c: &mut DbConnection, code: &DivisionCode) -> Result<DivisionRow, ApiError> {
    let row = known_village(c, code)?;
    match &row.merged_into {
        Some(m) => Err(ApiError::Conflict(format!("the village was merged into {m}: record it there"))),
        None => Ok(row),
    }
}

/// What the village's table of `year` takes from its natural villages' tables of that year.
fn from_groups(c: &mut DbConnection, code: &DivisionCode, year: i32) -> Result<FromNaturalVillages, ApiError> {
    let mut groups = Vec::new();
    for nv in repo::natural_villages_of(c, code)? {
        let record: Option<NaturalVillageRecord> = match repo::place_year(c, &nv.id, year)? {
            Some(row) => Some(serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored natural village table: {e}")))?),
            None => None,
        };
        groups.push((nv, record));
    }
    let view: Vec<_> = groups.iter().map(|(nv, r)| (nv.id.as_str(), nv.name.as_str(), r.as_ref())).collect();
    Ok(from_natural_villages(&view))
}

/// An administrative village with its township, its households in the caller's scope, the
/// counts derived from all its households and its latest table.
pub struct Village {
    pub village: DivisionRow,
    pub township: Option<DivisionRow>,
    pub households: i64,
    pub derived: DerivedCounts,
    /// The latest table, with what it takes from the natural villages' tables of its year.
    pub latest: Option<(PlaceYearRow, FromNaturalVillages)>,
}

/// A village of the caller's jurisdiction (the handler checked the code is inside it).
#[tracing::instrument(skip_all, fields(village = %code))]
pub async fn village(state: &AppState, scope: Scope, code: DivisionCode) -> Result<Village, ApiError> {
    state
        .db
        .run(move |c| {
            let v = known_village(c, &code)?;
            let township = divisions::get(c, v.parent_code.as_deref().unwrap_or_default())?;
            let households = households::count(c, &scope, Some(&code))?;
            let derived = repo::derived_for_village(c, &code)?;
            let latest = match repo::latest_place_year(c, code.as_str())? {
                Some(row) => {
                    let from = from_groups(c, &code, row.year)?;
                    Some((row, from))
                }
                None => None,
            };
            Ok(Village { village: v, township, households, derived, latest })
        })
        .await
}

/// The village table of a year (404 until entered) with the derived counts and what it takes
/// from its natural villages' tables.
#[tracing::instrument(skip_all, fields(village = %code, year = year.value()))]
pub async fn village_year(state: &AppState, code: DivisionCode, year: StatYear) -> Result<(PlaceYearRow, DerivedCounts, FromNaturalVillages), ApiError> {
    state
        .db
        .run(move |c| {
            known_village(c, &code)?;
            let row = repo::place_year(c, code.as_str(), year.value())?.ok_or(ApiError::NotFound)?;
            Ok((row, repo::derived_for_village(c, &code)?, from_groups(c, &code, year.value())?))
        })
        .await
}

/// A table as saved: the row, the derived counts, and whether it was created (and for an
/// administrative village, what it takes from its natural villages).
pub struct SavedTable {
    pub row: PlaceYearRow,
    pub derived: DerivedCounts,
    pub created: bool,
    pub from_natural: FromNaturalVillages,
}

/// Enters or replaces a village table (the caller may; the record is valid); 409 for a merged
/// village, `expected` required once the table exists.
#[tracing::instrument(skip_all, fields(village = %code, year = year.value()))]
pub async fn put_village_year(state: &AppState, caller: &Caller, code: DivisionCode, year: StatYear, expected: Option<i64>, record_json: String) -> Result<SavedTable, ApiError> {
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            live_village(c, &code)?;
            let (row, created) = repo::save_place_year(c, &actor, code.as_str(), year.value(), expected, record_json)?;
            Ok(SavedTable { row, derived: repo::derived_for_village(c, &code)?, created, from_natural: from_groups(c, &code, year.value())? })
        })
        .await
}

/// The natural villages of a village with their household counts.
#[tracing::instrument(skip_all, fields(village = %code))]
pub async fn natural_villages(state: &AppState, code: DivisionCode) -> Result<Vec<(NaturalVillageRow, i64)>, ApiError> {
    state
        .db
        .run(move |c| {
            known_village(c, &code)?;
            let mut out = Vec::new();
            for r in repo::natural_villages_of(c, &code)? {
                let n = repo::derived_for_natural(c, &r.id)?.total;
                out.push((r, n));
            }
            Ok(out)
        })
        .await
}

/// A natural village as entered.
pub struct NewNaturalVillage {
    pub name: String,
    pub group_leader: Option<String>,
    pub population: Option<i32>,
    pub client_id: Option<String>,
}

/// Registers a natural village of a live village; a retry (same `client_id`) gets the first.
/// Answers with its household count and whether it was created.
#[tracing::instrument(skip_all, fields(village = %code))]
pub async fn create_natural(state: &AppState, caller: &Caller, code: DivisionCode, new: NewNaturalVillage) -> Result<(NaturalVillageRow, bool, i64), ApiError> {
    let at = now();
    let row = NaturalVillageRow { id: new_id(), client_id: new.client_id, village_code: code.to_string(), name: new.name, group_leader: new.group_leader, population: new.population, version: 1, created_at: at, updated_at: at };
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            live_village(c, &code)?;
            let (row, created) = repo::create_natural_village(c, &actor, row)?;
            let n = repo::derived_for_natural(c, &row.id)?.total;
            Ok((row, created, n))
        })
        .await
}

/// A natural village's table of a year (404 until entered) with its derived counts.
#[tracing::instrument(skip_all, fields(natural_village = %id, year = year.value()))]
pub async fn natural_year(state: &AppState, caller: &Caller, id: String, year: StatYear) -> Result<(PlaceYearRow, DerivedCounts), ApiError> {
    let scope = caller.scope();
    state
        .db
        .run(move |c| {
            repo::natural_village(c, &scope, &id)?;
            let row = repo::place_year(c, &id, year.value())?.ok_or(ApiError::NotFound)?;
            Ok((row, repo::derived_for_natural(c, &id)?))
        })
        .await
}

/// Enters or replaces a natural village's table: 404 outside the jurisdiction, 403 for a role
/// that does not enter tables, then the record's problems, then `If-Match` (required once the
/// table exists).
#[tracing::instrument(skip_all, fields(natural_village = %id, year = year.value()))]
pub async fn put_natural_year(state: &AppState, caller: &Caller, id: String, year: StatYear, precondition: Precondition, record_json: Result<String, ApiError>) -> Result<SavedTable, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    state.db.run(move |c| Ok(repo::natural_village(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "enter natural village tables")?;
    let json = record_json?;
    let expected = precondition.optional()?;
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            let (row, created) = repo::save_place_year(c, &actor, &id, year.value(), expected, json)?;
            Ok(SavedTable { row, derived: repo::derived_for_natural(c, &id)?, created, from_natural: FromNaturalVillages::default() })
        })
        .await
}

/// Records a village merger (the caller is a county admin and both villages are theirs): the
/// village's records move in one transaction; answers with the merged village as it now is and
/// how many households moved.
#[tracing::instrument(skip_all, fields(village = %from, into = %into))]
pub async fn merge(state: &AppState, caller: &Caller, from: DivisionCode, into: DivisionCode) -> Result<(DivisionRow, usize), ApiError> {
    let (scope, actor) = (caller.scope(), caller.actor());
    state
        .db
        .run(move |c| {
            let moved = repo::merge(c, &scope, &actor, &from, &into)?;
            Ok((divisions::get(c, from.as_str())?.ok_or(ApiError::NotFound)?, moved))
        })
        .await
}
