//! Migrant work 外出务工信息 of a household's members per statistical year, scoped through the
//! household; a write stamps the sync sequence (phones hold it with the household).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::households;
use crate::db::schema::{members as m, migrant_work as w};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::Scope;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = w)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct MigrantWorkRow {
    pub id: String,
    pub household_id: String,
    pub member_id: String,
    pub year: i32,
    pub destination_code: String,
    pub employer: Option<String>,
    pub sector: Option<String>,
    pub months_away: i32,
    pub income_fen: i64,
    pub programme: bool,
    pub version: i64,
    pub updated_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a PUT sets.
#[derive(Debug, Clone)]
pub struct MigrantWork {
    pub destination_code: String,
    pub employer: Option<String>,
    pub sector: Option<String>,
    pub months_away: i32,
    pub income_fen: i64,
    pub programme: bool,
}

/// The member belongs to the household (in scope: 404 otherwise, also for a member of another
/// household).
pub fn check_member(c: &mut DbConnection, scope: &Scope, household_id: &str, member_id: &str) -> Result<(), DbError> {
    households::get(c, scope, household_id)?;
    let n: i64 = m::table.filter(m::id.eq(member_id)).filter(m::household_id.eq(household_id)).count().get_result(c)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// The member's record of the year, if any.
pub fn find(c: &mut DbConnection, scope: &Scope, household_id: &str, member_id: &str, year: i32) -> Result<Option<MigrantWorkRow>, DbError> {
    check_member(c, scope, household_id, member_id)?;
    Ok(w::table.filter(w::member_id.eq(member_id)).filter(w::year.eq(year)).select(MigrantWorkRow::as_select()).first(c).optional()?)
}

/// The household's records (of a year, or all), by member and year.
pub fn of_household(c: &mut DbConnection, scope: &Scope, household_id: &str, year: Option<i32>) -> Result<Vec<MigrantWorkRow>, DbError> {
    households::get(c, scope, household_id)?;
    let mut q = w::table.filter(w::household_id.eq(household_id)).into_boxed();
    if let Some(y) = year {
        q = q.filter(w::year.eq(y));
    }
    Ok(q.order((w::year.desc(), w::member_id)).select(MigrantWorkRow::as_select()).load(c)?)
}

/// The records of several households for one year (sync pages) or every year (exports).
pub fn of_households(c: &mut DbConnection, ids: &[String], year: Option<i32>) -> QueryResult<Vec<MigrantWorkRow>> {
    let mut q = w::table.filter(w::household_id.eq_any(ids)).into_boxed();
    if let Some(y) = year {
        q = q.filter(w::year.eq(y));
    }
    q.order((w::household_id, w::year.desc(), w::member_id)).select(MigrantWorkRow::as_select()).load(c)
}

/// Creates the record, or replaces it if `expected` is its version (428 without one once it
/// exists, 412 when stale); returns it and whether it was created.
pub fn save(c: &mut DbConnection, scope: &Scope, actor: &Actor, household_id: &str, member_id: &str, year: i32, expected: Option<i64>, work: MigrantWork) -> Result<(MigrantWorkRow, bool), DbError> {
    write_tx(c, |c| {
        let before = find(c, scope, household_id, member_id, year)?;
        let at = now();
        let who = actor.name.clone().unwrap_or_default();
        let (row, created) = match before {
            None => {
                let row = MigrantWorkRow {
                    id: new_id(),
                    household_id: household_id.to_owned(),
                    member_id: member_id.to_owned(),
                    year,
                    destination_code: work.destination_code,
                    employer: work.employer,
                    sector: work.sector,
                    months_away: work.months_away,
                    income_fen: work.income_fen,
                    programme: work.programme,
                    version: 1,
                    updated_by: who,
                    created_at: at,
                    updated_at: at,
                };
                diesel::insert_into(w::table).values(&row).execute(c)?;
                (row, true)
            }
            Some(old) => {
                let expected = expected.ok_or(DbError::PreconditionRequired)?;
                if old.version != expected {
                    return Err(DbError::PreconditionFailed);
                }
                let row = MigrantWorkRow { destination_code: work.destination_code, employer: work.employer, sector: work.sector, months_away: work.months_away, income_fen: work.income_fen, programme: work.programme, version: expected + 1, updated_by: who, updated_at: at, ..old };
                let n = diesel::update(w::table.filter(w::id.eq(&row.id)).filter(w::version.eq(expected))).set(&row).execute(c)?;
                if n == 0 {
                    return Err(DbError::PreconditionFailed);
                }
                (row, false)
            }
        };
        let after = json!({"member_id": member_id, "year": year, "destination_code": row.destination_code, "months_away": row.months_away, "income_fen": row.income_fen, "programme": row.programme, "version": row.version});
        audit::append(c, actor, Entry { action: if created { "migrant_work_create" } else { "migrant_work_update" }, entity_type: "migrant_work", entity_id: &row.id, household_id: Some(household_id), before: None, after: Some(after) })?;
        super::super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        Ok((row, created))
    })
}
