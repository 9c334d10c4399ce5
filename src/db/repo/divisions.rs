//! Divisions: county → township → village.

use diesel::prelude::*;

use crate::db::models::DivisionRow;
use crate::db::schema::divisions;
use crate::db::DbConnection;

pub fn get(c: &mut DbConnection, code: &str) -> QueryResult<Option<DivisionRow>> {
    divisions::table.find(code).select(DivisionRow::as_select()).first(c).optional()
}

pub fn children(c: &mut DbConnection, code: &str) -> QueryResult<Vec<DivisionRow>> {
    divisions::table
        .filter(divisions::parent_code.eq(code))
        .order(divisions::code.asc())
        .select(DivisionRow::as_select())
        .load(c)
}

/// Inserts the divisions not yet present (existing codes keep their row); returns how many were new.
pub fn insert_missing(c: &mut DbConnection, rows: &[DivisionRow]) -> QueryResult<usize> {
    c.transaction(|c| {
        let mut added = 0;
        for chunk in rows.chunks(500) {
            let codes: Vec<&str> = chunk.iter().map(|r| r.code.as_str()).collect();
            let existing: Vec<String> =
                divisions::table.filter(divisions::code.eq_any(&codes)).select(divisions::code).load(c)?;
            for row in chunk.iter().filter(|r| !existing.contains(&r.code)) {
                diesel::insert_into(divisions::table).values(row).execute(c)?;
                added += 1;
            }
        }
        Ok(added)
    })
}

/// Names of divisions by code.
pub fn names(c: &mut DbConnection, codes: &[String]) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(divisions::table.filter(divisions::code.eq_any(codes)).select((divisions::code, divisions::name)).load::<(String, String)>(c)?.into_iter().collect())
}

/// A village named by a request field: it exists, lies inside `within` (the caller's county or
/// jurisdiction: a code outside gets the same answer as one that does not exist) and, unless
/// `merged_ok`, was not merged into another (records go to the village it became part of).
/// 422 naming `field` otherwise.
pub fn village_for(c: &mut DbConnection, code: &crate::domain::DivisionCode, within: &crate::domain::DivisionCode, field: &str, merged_ok: bool) -> Result<DivisionRow, crate::db::DbError> {
    use crate::db::DbError;
    let row = if within.contains(code) { get(c, code.as_str())?.filter(|d| d.level == "village") } else { None };
    let row = row.ok_or_else(|| DbError::invalid(field, "unknown_division", "no such administrative village in your jurisdiction"))?;
    match &row.merged_into {
        Some(m) if !merged_ok => Err(DbError::invalid(field, "merged_village", format!("the village was merged into {m}: use that village"))),
        _ => Ok(row),
    }
}

/// Names of every division of a county (code → name), for the division export's columns.
pub fn names_within(c: &mut DbConnection, county: &crate::domain::DivisionCode) -> QueryResult<std::collections::HashMap<String, String>> {
    let prefix = format!("{}%", &county.as_str()[..6]);
    Ok(divisions::table.filter(divisions::code.like(prefix)).select((divisions::code, divisions::name)).load::<(String, String)>(c)?.into_iter().collect())
}
