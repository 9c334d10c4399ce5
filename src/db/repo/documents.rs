//! Documents of the household file 一户一档: scoped like households (each row carries its
//! household's division codes), one row per distinct file of a household (its SHA-256), the
//! kinds a household's file holds for a year (its completeness).

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::{DocumentRow, HouseholdRow};
use crate::db::schema::{documents, households as hh};
use crate::db::{DbConnection, DbError, filters, write_tx};
use crate::domain::{DivisionCode, Scope};

pub fn find(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<DocumentRow, DbError> {
    documents::table
        .filter(filters::documents::in_scope(scope))
        .filter(documents::id.eq(id))
        .select(DocumentRow::as_select())
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// The household's document with these bytes, if it has one (a resent file is the same document).
pub fn by_sha256(c: &mut DbConnection, household_id: &str, sha256: &str) -> QueryResult<Option<DocumentRow>> {
    documents::table.filter(documents::household_id.eq(household_id)).filter(documents::sha256.eq(sha256)).select(DocumentRow::as_select()).first(c).optional()
}

/// Stores the row (its object is already in the store), audited; the household must be in scope.
pub fn insert(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: &DocumentRow) -> Result<(), DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        diesel::insert_into(documents::table).values(row).execute(c)?;
        let after = json!({"document_id": row.id, "kind": row.kind, "year": row.year, "media_type": row.media_type, "sha256": row.sha256, "size_bytes": row.size_bytes});
        audit::append(c, actor, Entry { action: "document_upload", entity_type: "document", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(after) })?;
        Ok(())
    })
}

/// A household's documents (of one year, or all), oldest first.
pub fn for_household(c: &mut DbConnection, scope: &Scope, household_id: &str, year: Option<i32>) -> Result<(HouseholdRow, Vec<DocumentRow>), DbError> {
    let household = households::get(c, scope, household_id)?;
    let mut q = documents::table.filter(documents::household_id.eq(household_id)).into_boxed();
    if let Some(y) = year {
        q = q.filter(documents::year.eq(y));
    }
    Ok((household, q.order(documents::id.asc()).select(DocumentRow::as_select()).load(c)?))
}

/// (household id, category, kinds of its documents of `year`) for the households of a division
/// in scope with a category in `categories`, after `after` by id, `limit` households at a time:
/// what the file completeness of a division is counted from.
pub fn kinds_by_household(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, categories: &[&str], year: i32, after: Option<&str>, limit: i64) -> QueryResult<Vec<(String, String, Vec<String>)>> {
    let mut q = hh::table
        .filter(filters::households::in_scope(scope))
        .filter(filters::households::in_division(division))
        .filter(hh::category.eq_any(categories.iter().map(|c| c.to_string()).collect::<Vec<_>>()))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(hh::id.gt(a.to_owned()));
    }
    let page: Vec<(String, String)> = q.order(hh::id.asc()).limit(limit).select((hh::id, hh::category)).load(c)?;
    let ids: Vec<&str> = page.iter().map(|(id, _)| id.as_str()).collect();
    let kinds: Vec<(String, String)> =
        documents::table.filter(documents::household_id.eq_any(&ids)).filter(documents::year.eq(year)).select((documents::household_id, documents::kind)).distinct().load(c)?;
    let mut by_household: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (h, k) in kinds {
        by_household.entry(h).or_default().push(k);
    }
    Ok(page.into_iter().map(|(id, category)| {
        let k = by_household.remove(&id).unwrap_or_default();
        (id, category, k)
    }).collect())
}

/// Which of these document ids have a row (object garbage collection).
pub fn existing(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(documents::table.filter(documents::id.eq_any(chunk)).select(documents::id).load::<String>(c)?);
    }
    Ok(out)
}
