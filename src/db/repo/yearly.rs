//! Yearly records 年度基础信息 of households, scoped through their household.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::YearlyRow;
use crate::db::schema::yearly_records as y;
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::Money;
use crate::domain::yearly::YearRecord;

/// The per-capita figures of a record, stored beside it (whole fen).
#[derive(Debug, Clone, Copy)]
pub struct PerCapita {
    pub net: Money,
    pub after_rigid_expenses: Money,
}
use crate::domain::Scope;

/// The record of `year`, if the household is in scope (404 otherwise) and has one.
pub fn find(c: &mut DbConnection, scope: &Scope, household_id: &str, year: i32) -> Result<Option<YearlyRow>, DbError> {
    households::get(c, scope, household_id)?;
    Ok(y::table.filter(y::household_id.eq(household_id)).filter(y::year.eq(year)).select(YearlyRow::as_select()).first(c).optional()?)
}

pub enum Saved {
    Created(YearlyRow),
    Updated(YearlyRow),
}

/// Creates the record, or replaces it if `expected` is its current version (412 if stale, 428
/// if the record exists and no version was given).
pub fn save(c: &mut DbConnection, scope: &Scope, actor: &Actor, household_id: &str, year: i32, expected: Option<i64>, record: &YearRecord, per_capita: PerCapita) -> Result<Saved, DbError> {
    write_tx(c, |c| {
        let before = find(c, scope, household_id, year)?;
        let json = serde_json::to_string(record).map_err(|e| DbError::Internal(e.into()))?;
        let at = now();
        let saved = match before {
            None => {
                let row = YearlyRow {
                    id: new_id(),
                    household_id: household_id.to_owned(),
                    year,
                    record_json: json,
                    per_capita_net_income_fen: per_capita.net.fen(),
                    per_capita_after_rigid_expenses_fen: per_capita.after_rigid_expenses.fen(),
                    version: 1,
                    updated_by: actor.name.clone().unwrap_or_default(),
                    created_at: at,
                    updated_at: at,
                };
                diesel::insert_into(y::table).values(&row).execute(c)?;
                Saved::Created(row)
            }
            Some(old) => {
                let expected = expected.ok_or(DbError::PreconditionRequired)?;
                let mut row = old.clone();
                row.record_json = json;
                row.per_capita_net_income_fen = per_capita.net.fen();
                row.per_capita_after_rigid_expenses_fen = per_capita.after_rigid_expenses.fen();
                row.version = expected + 1;
                row.updated_by = actor.name.clone().unwrap_or_default();
                row.updated_at = at;
                let n = diesel::update(y::table.filter(y::id.eq(&old.id)).filter(y::version.eq(expected))).set(&row).execute(c)?;
                if n == 0 {
                    return Err(DbError::PreconditionFailed);
                }
                Saved::Updated(row)
            }
        };
        let (row, action) = match &saved {
            Saved::Created(r) => (r, "year_create"),
            Saved::Updated(r) => (r, "year_update"),
        };
        let after = json!({"year": year, "version": row.version, "per_capita_net_income": per_capita.net, "per_capita_after_rigid_expenses": per_capita.after_rigid_expenses});
        audit::append(c, actor, Entry { action, entity_type: "yearly_record", entity_id: &row.id, household_id: Some(household_id), before: None, after: Some(after) })?;
        super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        Ok(saved)
    })
}

/// The records of several households for one year (sync pages).
pub fn for_households(c: &mut DbConnection, household_ids: &[String], year: i32) -> QueryResult<Vec<YearlyRow>> {
    y::table.filter(y::household_id.eq_any(household_ids)).filter(y::year.eq(year)).select(YearlyRow::as_select()).load(c)
}

/// The row of an imported record: its members' ids are indices into `member_ids` (the new
/// household's members, in order), replaced by the ids; `current` members share the income.
pub fn imported_row(household_id: &str, year: i32, record: &YearRecord, member_ids: &[String], current: usize, actor: &Actor) -> Result<YearlyRow, DbError> {
    let mut record = record.clone();
    for m in &mut record.members {
        let i: usize = m.member_id.parse().map_err(|_| DbError::Internal(anyhow::anyhow!("an imported member year without its member's index")))?;
        m.member_id = member_ids.get(i).cloned().ok_or_else(|| DbError::Internal(anyhow::anyhow!("member index {i} out of range")))?;
    }
    let at = now();
    Ok(YearlyRow {
        id: new_id(),
        household_id: household_id.to_owned(),
        year,
        per_capita_net_income_fen: record.per_capita_net_income(current).fen(),
        per_capita_after_rigid_expenses_fen: record.per_capita_after_rigid_expenses(current).fen(),
        record_json: serde_json::to_string(&record).map_err(|e| DbError::Internal(e.into()))?,
        version: 1,
        updated_by: actor.name.clone().unwrap_or_default(),
        created_at: at,
        updated_at: at,
    })
}
