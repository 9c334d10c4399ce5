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
