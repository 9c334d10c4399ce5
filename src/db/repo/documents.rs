//! Documents of the household file 一户一档: scoped like households (each row carries its
//! household's division codes), one row per distinct file of a household (its SHA-256), the
//! kinds a household's file holds for a year (its completeness).

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::{DocumentRow, HouseholdRow};
use crate::db::schema::documents;
use crate::db::{DbConnection, DbError, filters, write_tx};
use crate::domain::document::{Checklist, DocumentKind};
use crate::domain::household::Counted;
use crate::domain::{Category, DivisionCode, Level, Scope};

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

/// Households with a complete file for `year` per child of `division` (village of a township or
/// village, township above), counted from the documents table alone like the photo sets: a
/// household counts when its documents of the year hold every kind the checklist requires of its
/// category. Inlined values are a validated 12-digit code, an integer, and the domain's constant
/// names of categories and kinds (bind syntax differs between the backends in raw SQL).
pub fn coverage(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, counted: Counted, year: i32, checklist: &Checklist) -> QueryResult<Vec<(String, i64)>> {
    let group = match division.level() {
        Level::Township | Level::Village => "village_code",
        _ => "township_code",
    };
    let wanted = counted.categories();
    let required: Vec<(Category, &[DocumentKind])> =
        Category::ALL.iter().map(|c| (*c, checklist.required(*c))).filter(|(c, kinds)| !kinds.is_empty() && wanted.as_ref().is_none_or(|w| w.contains(&c.as_str()))).collect();
    if required.is_empty() {
        return Ok(Vec::new());
    }
    let quote = |v: &[&str]| v.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let needed = required.iter().map(|(c, kinds)| format!("(h.category = '{}' AND d.kind IN ({}))", c.as_str(), quote(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()))).collect::<Vec<_>>().join(" OR ");
    let count = required.iter().map(|(c, kinds)| format!("WHEN '{}' THEN {}", c.as_str(), kinds.len())).collect::<Vec<_>>().join(" ");
    let mut within = format!("{} AND {}", filters::division_sql_of("d.", scope.division()), filters::division_sql_of("d.", division));
    if let Some(user) = scope.cadre_user() {
        let user = uuid::Uuid::parse_str(user).map_err(|_| diesel::result::Error::NotFound)?;
        within.push_str(&format!(
            " AND d.household_id IN (SELECT p.household_id FROM pairings p JOIN cadres c ON c.id = p.cadre_id WHERE c.user_id = '{user}' AND p.end_date IS NULL)"
        ));
    }
    let sql = format!(
        "SELECT code, CAST(SUM(complete) AS BIGINT) AS complete FROM ( \
           SELECT d.{group} AS code, d.household_id, \
             CASE WHEN COUNT(DISTINCT d.kind) = MAX(CASE h.category {count} ELSE -1 END) THEN 1 ELSE 0 END AS complete \
           FROM documents d JOIN households h ON h.id = d.household_id \
           WHERE {within} AND d.year = {year} AND ({needed}) GROUP BY d.{group}, d.household_id \
         ) per_household GROUP BY code"
    );
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        complete: i64,
    }
    Ok(diesel::sql_query(sql).load::<Row>(c)?.into_iter().map(|r| (r.code, r.complete)).collect())
}

/// Which of these document ids have a row (object garbage collection).
pub fn existing(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(documents::table.filter(documents::id.eq_any(chunk)).select(documents::id).load::<String>(c)?);
    }
    Ok(out)
}
