//! Documents attached to a case 程序材料: a scan of the signed publicity list, the evaluation's
//! minutes, the application, the home-visit record — documents of the household's file, linked
//! to the case and (optionally) one of its recorded steps. A photo of the posted list whose EXIF
//! date falls before the posting day is flagged.

use chrono::TimeZone;

use super::{Caller, Created};
use crate::db::models::{CaseDocumentRow, DocumentRow};
use crate::db::repo::{case_documents as repo, documents, procedures};
use crate::domain::document::{DocumentKind, posting_flag};
use crate::domain::procedure::Step;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::keys;

/// Attaches a document of the case's household (404 for a case or document the caller cannot
/// see; 403 for a role that records no step; 422 for another household's document or a step the
/// case has not recorded).
#[tracing::instrument(skip_all, fields(case = %case_id, document = %document_id))]
pub async fn link(state: &AppState, caller: &Caller, case_id: String, document_id: String, step: Option<Step>) -> Result<Created<(CaseDocumentRow, DocumentRow)>, ApiError> {
    let scope = caller.scope();
    let (s, cid) = (scope.clone(), case_id.clone());
    let (case, steps) = state.db.run(move |c| Ok((procedures::get(c, &s, &cid)?, procedures::steps_of(c, &cid)?))).await?;
    caller.require(caller.role.edits_households(), "attach documents to cases")?;
    let (s, did) = (scope.clone(), document_id.clone());
    let document = state.db.run(move |c| Ok(documents::find(c, &s, &did)?)).await.map_err(|e| match e {
        ApiError::NotFound => ApiError::invalid("document_id", "not_found", "no document of this id in your jurisdiction"),
        e => e,
    })?;
    if document.household_id != case.household_id {
        return Err(ApiError::invalid("document_id", "other_household", "the document belongs to another household's file"));
    }
    let step_date = match step {
        None => None,
        Some(step) => Some(
            steps.iter().filter(|s| s.step == step.as_str()).map(|s| s.step_date).max().ok_or_else(|| ApiError::invalid("step", "not_recorded", "the case has not recorded this step"))?,
        ),
    };
    let exif_taken_on = if document.media_type == "image/jpeg" {
        let bytes = state.storage.get(&keys::document(&document.household_id, &document.id)).await?;
        // Parsed on the photo pool like an upload, never on the HTTP worker.
        let exif = state.photos.run(move || crate::photos::exif::read(&bytes)).await.map_err(super::photos::photo_pool_refused)?;
        exif.taken_local.map(|local| match exif.offset {
            Some(offset) => offset.from_local_datetime(&local).single().map(|t| t.with_timezone(&state.tz).date_naive()).unwrap_or(local.date()),
            None => local.date(),
        })
    } else {
        None
    };
    let kind = DocumentKind::parse(&document.kind).unwrap_or(DocumentKind::Other);
    let row = CaseDocumentRow {
        id: crate::db::new_id(),
        case_id: case.id.clone(),
        document_id: document.id.clone(),
        step: step.map(|s| s.as_str().to_owned()),
        step_date,
        exif_taken_on,
        flag: posting_flag(kind, exif_taken_on, step_date).map(str::to_owned),
        linked_by: caller.username.clone(),
        created_at: crate::db::now(),
    };
    let (actor, household, new_id) = (caller.actor(), case.household_id.clone(), row.id.clone());
    let saved = state.db.run(move |c| Ok(repo::link(c, &scope, &actor, &row, &household)?)).await?;
    let new = saved.id == new_id;
    Ok(if new { Created::New((saved, document)) } else { Created::Existing((saved, document)) })
}

/// A case's attached documents (404 outside the jurisdiction).
#[tracing::instrument(skip_all, fields(case = %case_id))]
pub async fn of_case(state: &AppState, caller: &Caller, case_id: String) -> Result<Vec<(CaseDocumentRow, DocumentRow)>, ApiError> {
    let scope = caller.read_scope();
    state
        .db
        .run(move |c| {
            procedures::get(c, &scope, &case_id)?;
            Ok(repo::for_case(c, &case_id)?)
        })
        .await
}
