//! Documents of the household's file attached to its case: one row per (case, document), audited.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use crate::db::models::{CaseDocumentRow, DocumentRow};
use crate::db::schema::{case_documents as cd, documents};
use crate::db::{DbConnection, DbError, write_tx};
use crate::domain::Scope;

/// Attaches a document to a case (both in the scope: the caller checked them), audited; the
/// same document attached again answers the first attachment.
pub fn link(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: &CaseDocumentRow, household_id: &str) -> Result<CaseDocumentRow, DbError> {
    write_tx(c, |c| {
        super::households::get(c, scope, household_id)?;
        let first: Option<CaseDocumentRow> =
            cd::table.filter(cd::case_id.eq(&row.case_id)).filter(cd::document_id.eq(&row.document_id)).select(CaseDocumentRow::as_select()).first(c).optional()?;
        if let Some(first) = first {
            return Ok(first);
        }
        diesel::insert_into(cd::table).values(row).execute(c)?;
        let after = json!({"case_id": row.case_id, "document_id": row.document_id, "step": row.step, "flag": row.flag});
        audit::append(c, actor, Entry { action: "case_document", entity_type: "case", entity_id: &row.case_id, household_id: Some(household_id), before: None, after: Some(after) })?;
        Ok(row.clone())
    })
}

/// A case's attached documents, oldest first (the case is in the scope: the caller checked it).
pub fn for_case(c: &mut DbConnection, case_id: &str) -> QueryResult<Vec<(CaseDocumentRow, DocumentRow)>> {
    cd::table
        .inner_join(documents::table)
        .filter(cd::case_id.eq(case_id))
        .order(cd::id.asc())
        .select((CaseDocumentRow::as_select(), DocumentRow::as_select()))
        .load(c)
}
