//! Places beyond the division list: village tables 村表 per year, natural villages 自然村(组)
//! and village mergers (the households keep their former village code).

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::sync::{self, Leaving};
use crate::db::models::{HouseholdRow, NaturalVillageRow, PlaceYearRow};
use crate::db::schema::{divisions, households as h, natural_villages as nv, village_years as vy};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::village::DerivedCounts;
use crate::domain::{DivisionCode, Level, Scope};

/// Household counts by category of a village, from the household records.
pub fn derived_for_village(c: &mut DbConnection, village: &DivisionCode) -> QueryResult<DerivedCounts> {
    let pairs: Vec<(String, i64)> = h::table
        .filter(h::village_code.eq(village.to_string()))
        .group_by(h::category)
        .select((h::category, diesel::dsl::count_star()))
        .load(c)?;
    Ok(DerivedCounts::from_pairs(pairs.iter().map(|(c, n)| (c.as_str(), *n))))
}

/// Household counts by category of a natural village (households assigned to it).
pub fn derived_for_natural(c: &mut DbConnection, id: &str) -> QueryResult<DerivedCounts> {
    let pairs: Vec<(String, i64)> = h::table
        .filter(h::natural_village_id.eq(id))
        .group_by(h::category)
        .select((h::category, diesel::dsl::count_star()))
        .load(c)?;
    Ok(DerivedCounts::from_pairs(pairs.iter().map(|(c, n)| (c.as_str(), *n))))
}

pub fn place_year(c: &mut DbConnection, place_id: &str, year: i32) -> QueryResult<Option<PlaceYearRow>> {
    vy::table.filter(vy::place_id.eq(place_id)).filter(vy::year.eq(year)).select(PlaceYearRow::as_select()).first(c).optional()
}

/// The latest table of a place, if any.
pub fn latest_place_year(c: &mut DbConnection, place_id: &str) -> QueryResult<Option<PlaceYearRow>> {
    vy::table.filter(vy::place_id.eq(place_id)).order(vy::year.desc()).select(PlaceYearRow::as_select()).first(c).optional()
}

/// Creates the table of a year, or replaces it when `expected` is its version (428 without,
/// 412 when stale). Returns the row and whether it was created.
pub fn save_place_year(c: &mut DbConnection, actor: &Actor, place_id: &str, year: i32, expected: Option<i64>, json: String) -> Result<(PlaceYearRow, bool), DbError> {
    write_tx(c, |c| {
        let at = now();
        let (row, created) = match place_year(c, place_id, year)? {
            None => {
                let row = PlaceYearRow { id: new_id(), place_id: place_id.to_owned(), year, record_json: json, version: 1, updated_by: actor.name.clone().unwrap_or_default(), created_at: at, updated_at: at };
                diesel::insert_into(vy::table).values(&row).execute(c)?;
                (row, true)
            }
            Some(old) => {
                let expected = expected.ok_or(DbError::PreconditionRequired)?;
                let mut row = old.clone();
                row.record_json = json;
                row.version = expected + 1;
                row.updated_by = actor.name.clone().unwrap_or_default();
                row.updated_at = at;
                let n = diesel::update(vy::table.filter(vy::id.eq(&old.id)).filter(vy::version.eq(expected))).set(&row).execute(c)?;
                if n == 0 {
                    return Err(DbError::PreconditionFailed);
                }
                (row, false)
            }
        };
        let action = if created { "place_year_create" } else { "place_year_update" };
        audit::append(c, actor, Entry { action, entity_type: "place_year", entity_id: &row.id, household_id: None, before: None, after: Some(json!({"place_id": place_id, "year": year, "version": row.version})) })?;
        Ok((row, created))
    })
}

/// A natural village whose administrative village is in the scope, or 404.
pub fn natural_village(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<NaturalVillageRow, DbError> {
    let row: NaturalVillageRow = nv::table.find(id).select(NaturalVillageRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    match DivisionCode::parse(&row.village_code) {
        Ok(v) if scope.covers(&v) => Ok(row),
        _ => Err(DbError::NotFound),
    }
}

pub fn natural_villages_of(c: &mut DbConnection, village: &DivisionCode) -> QueryResult<Vec<NaturalVillageRow>> {
    nv::table.filter(nv::village_code.eq(village.to_string())).order(nv::name.asc()).select(NaturalVillageRow::as_select()).load(c)
}

pub fn create_natural_village(c: &mut DbConnection, actor: &Actor, row: NaturalVillageRow) -> Result<(NaturalVillageRow, bool), DbError> {
    write_tx(c, |c| {
        if let Some(cid) = &row.client_id {
            let existing: Option<NaturalVillageRow> = nv::table.filter(nv::client_id.eq(cid)).select(NaturalVillageRow::as_select()).first(c).optional()?;
            match existing {
                Some(e) if e.village_code == row.village_code => return Ok((e, false)),
                Some(_) => return Err(DbError::Conflict("this client_id was used for another natural village".into())),
                None => {}
            }
        }
        let taken: i64 = nv::table.filter(nv::village_code.eq(&row.village_code)).filter(nv::name.eq(&row.name)).count().get_result(c)?;
        if taken > 0 {
            return Err(DbError::Conflict(format!("the village has a natural village named {}", row.name)));
        }
        diesel::insert_into(nv::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "natural_village_create", entity_type: "natural_village", entity_id: &row.id, household_id: None, before: None, after: Some(json!({"village_code": row.village_code, "name": row.name})) })?;
        Ok((row, true))
    })
}

/// Every other table whose rows carry a village's division codes (for scoping or grouping)
/// follows the village: photos, documents, cases, problems, work teams, spot-check items and the villages of
/// projects take the new
/// village and its township (the county is the same: mergers stay within a county). Rows that
/// record the past keep the old code on purpose: the division itself (`merged_into`), the
/// households' `former_village_code`, the audit log, sync tombstones (phones of the old village
/// must still receive them), the old village's own tables (`village_years`, read-only once merged),
/// drawn spot checks and cleaning runs (the division they were run on), user accounts (a county
/// admin reassigns them: a merger never widens anyone's jurisdiction) and idempotency replays.
/// `tests/api/mergers.rs` checks every column of every table against this list.
fn move_division_rows(c: &mut DbConnection, old: &str, new: &str, township: &str) -> QueryResult<()> {
    use crate::db::schema::{cases, documents, photos, problems, spot_check_items as sci, work_teams as wt};
    diesel::update(photos::table.filter(photos::village_code.eq(old))).set((photos::village_code.eq(new), photos::township_code.eq(township))).execute(c)?;
    diesel::update(documents::table.filter(documents::village_code.eq(old))).set((documents::village_code.eq(new), documents::township_code.eq(township))).execute(c)?;
    diesel::update(cases::table.filter(cases::village_code.eq(old)))
        .set((cases::village_code.eq(new), cases::township_code.eq(township), cases::version.eq(cases::version + 1), cases::updated_at.eq(now())))
        .execute(c)?;
    diesel::update(problems::table.filter(problems::village_code.eq(old)))
        .set((problems::village_code.eq(new), problems::township_code.eq(township), problems::version.eq(problems::version + 1)))
        .execute(c)?;
    diesel::update(wt::table.filter(wt::village_code.eq(old)))
        .set((wt::village_code.eq(new), wt::township_code.eq(township), wt::version.eq(wt::version + 1), wt::updated_at.eq(now())))
        .execute(c)?;
    diesel::update(sci::table.filter(sci::village_code.eq(old))).set((sci::village_code.eq(new), sci::township_code.eq(township))).execute(c)?;
    super::assistance::projects::merge_village(c, old, new, township)?;
    Ok(())
}

/// Merges village `from` into `into` (both in the scope): `from` records what it was merged
/// into; its households, natural villages and every row scoped by its codes move to `into`
/// (`move_division_rows`), each household keeping `from` as its former village; phones holding
/// the old village lose them, those of `into` gain them.
pub fn merge(c: &mut DbConnection, scope: &Scope, actor: &Actor, from: &DivisionCode, into: &DivisionCode) -> Result<usize, DbError> {
    if !scope.covers(from) || !scope.covers(into) {
        return Err(DbError::NotFound);
    }
    write_tx(c, |c| {
        let old = super::divisions::get(c, from.as_str())?.filter(|d| d.level == "village").ok_or(DbError::NotFound)?;
        let new = super::divisions::get(c, into.as_str())?.filter(|d| d.level == "village").ok_or_else(|| DbError::invalid("into", "unknown_division", "no such administrative village"))?;
        if old.code == new.code {
            return Err(DbError::invalid("into", "same_village", "a village cannot be merged into itself"));
        }
        if let Some(m) = &old.merged_into {
            return Err(DbError::Conflict(format!("the village was merged into {m} already")));
        }
        if new.merged_into.is_some() {
            return Err(DbError::invalid("into", "merged_village", "that village was itself merged into another"));
        }
        if from.ancestor(Level::County) != into.ancestor(Level::County) {
            return Err(DbError::invalid("into", "other_county", "villages merge within a county"));
        }
        diesel::update(divisions::table.find(&old.code)).set(divisions::merged_into.eq(Some(&new.code))).execute(c)?;
        let moved: Vec<HouseholdRow> = h::table.filter(h::village_code.eq(&old.code)).select(HouseholdRow::as_select()).load(c)?;
        let township = into.ancestor(Level::Township).map(|d| d.to_string()).unwrap_or_default();
        diesel::update(h::table.filter(h::village_code.eq(&old.code)).filter(h::former_village_code.is_null()))
            .set(h::former_village_code.eq(Some(&old.code)))
            .execute(c)?;
        diesel::update(h::table.filter(h::village_code.eq(&old.code)))
            .set((h::village_code.eq(&new.code), h::township_code.eq(&township), h::version.eq(h::version + 1), h::updated_at.eq(now())))
            .execute(c)?;
        // Groups are named alike in every village (一组, 二组 …): a name the new village has
        // already is kept with the old village's name beside it.
        let taken: Vec<String> = nv::table.filter(nv::village_code.eq(&new.code)).select(nv::name).load(c)?;
        for (id, name) in nv::table.filter(nv::village_code.eq(&old.code)).filter(nv::name.eq_any(&taken)).select((nv::id, nv::name)).load::<(String, String)>(c)? {
            diesel::update(nv::table.find(&id)).set((nv::name.eq(format!("{name}（原{}）", old.name)), nv::version.eq(nv::version + 1))).execute(c)?;
        }
        diesel::update(nv::table.filter(nv::village_code.eq(&old.code))).set(nv::village_code.eq(&new.code)).execute(c)?;
        move_division_rows(c, &old.code, &new.code, &township)?;
        for m in &moved {
            audit::append(c, actor, Entry { action: "village_merge", entity_type: "household", entity_id: &m.id, household_id: Some(&m.id), before: Some(json!({"village_code": old.code})), after: Some(json!({"village_code": new.code, "former_village_code": old.code})) })?;
        }
        let ids: Vec<String> = moved.iter().map(|m| m.id.clone()).collect();
        let leaving: Vec<Leaving> = moved.iter().map(|m| Leaving::division(m, "village_merged")).collect();
        sync::stamp(c, &ids, &leaving)?;
        Ok(moved.len())
    })
}
