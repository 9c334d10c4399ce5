//! The household file 一户一档: a document's upload (sniffed, size-capped, hashed while
//! received, one row per distinct file of a household, nothing left behind when a step fails),
//! a household's documents of a year with the file's completeness against the checklist, and a
//! document's bytes. (A division's complete files are counted with its coverage.)

use std::future::Future;

use bytes::Bytes;
use chrono::Datelike;

use super::photos::Spooled;
use super::{Caller, Created};
use crate::db::models::DocumentRow;
use crate::db::repo::documents as repo;
use crate::domain::document::{Completeness, DocumentKind, MediaType};
use crate::domain::{Category, Role};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{StorageError, keys};

/// What the uploader says about a document (the upload's `meta` part), parsed.
#[derive(Debug, Clone, Copy)]
pub struct DocumentMeta {
    pub kind: DocumentKind,
    /// The statistical year the document belongs to (default: this year).
    pub year: Option<i32>,
}

/// The body of an upload: the meta first, then the file, spooled to disk and hashed on the way.
pub trait DocumentUpload {
    fn meta(&mut self) -> impl Future<Output = Result<DocumentMeta, ApiError>>;
    fn file(self) -> impl Future<Output = Result<Spooled, ApiError>>;
}

/// Years a document may be filed under: from the first year of the campaigns to next year.
fn check_year(year: i32, this_year: i32) -> Result<i32, ApiError> {
    if (2013..=this_year + 1).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid("meta.year", "out_of_range", format!("a year from 2013 to {}", this_year + 1)))
    }
}

/// Adds a document to a household's file: 404 outside the jurisdiction, 403 for an auditor, then
/// the body (422 meta, 413 size, 415 a file that is not PDF, JPEG or PNG by its bytes). The same
/// bytes sent again for the household answer the document already filed (200), or 409
/// `filed_already` when they come as another kind or year.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn upload(state: &AppState, caller: &Caller, household_id: String, mut upload: impl DocumentUpload) -> Result<Created<DocumentRow>, ApiError> {
    let (scope, hid) = (caller.scope(), household_id.clone());
    let household = state.db.run(move |c| Ok(crate::db::repo::households::get(c, &scope, &hid)?)).await?;
    caller.require(caller.role != Role::Auditor, "add documents to a household's file")?;
    let meta = upload.meta().await?;
    let year = check_year(meta.year.unwrap_or_else(|| state.today().year()), state.today().year())?;
    let Spooled { body, size, sha256 } = upload.file().await?;
    let (bytes, held) = body.read().await.map_err(|e| ApiError::Internal(e.into()))?;
    let media = MediaType::sniff(&bytes).ok_or_else(|| ApiError::UnsupportedMediaType("a document is a PDF, JPEG or PNG file (known by its content, not its name)".into()))?;
    let (hid, sha) = (household_id.clone(), sha256.clone());
    let (kind, year) = (meta.kind.as_str(), year);
    if let Some(first) = state.db.run(move |c| Ok(repo::by_sha256(c, &hid, &sha)?)).await? {
        return filed_already(first, kind, year);
    }
    let id = crate::db::new_id();
    let key = keys::document(&household_id, &id);
    state.storage.put(&key, bytes).await?;
    // The bytes are stored: their memory goes back to the upload budget.
    drop(held);
    let row = DocumentRow {
        id,
        household_id: household_id.clone(),
        kind: kind.into(),
        year,
        media_type: media.mime().into(),
        sha256,
        size_bytes: size as i64,
        uploaded_by: caller.id.clone(),
        uploaded_by_name: caller.username.clone(),
        village_code: household.village_code,
        township_code: household.township_code,
        county_code: household.county_code,
        created_at: crate::db::now(),
    };
    let (scope, actor, saved) = (caller.scope(), caller.actor(), row.clone());
    if let Err(e) = state.db.run(move |c| Ok(repo::insert(c, &scope, &actor, &saved)?)).await {
        // No row, no object: the upload left nothing behind.
        let _ = state.storage.delete(&key).await;
        // The same file sent twice at once: the first committed, answer with it.
        let (hid, sha) = (household_id, row.sha256.clone());
        if let Ok(Some(first)) = state.db.run(move |c| Ok(repo::by_sha256(c, &hid, &sha)?)).await {
            return filed_already(first, kind, year);
        }
        return Err(e);
    }
    Ok(Created::New(row))
}

/// The same bytes sent again: the retry of an upload is answered with the document filed (200);
/// the same file under another kind or year is a conflict (409 `filed_already`, naming how it is
/// filed) — answering the first would tell the office it is filed as what they chose.
fn filed_already(first: DocumentRow, kind: &str, year: i32) -> Result<Created<DocumentRow>, ApiError> {
    if first.kind == kind && first.year == year {
        return Ok(Created::Existing(first));
    }
    Err(ApiError::Refused {
        code: "filed_already",
        message: format!("this file is in the household's file already, as {} of {} (document {}); it is filed once", first.kind, first.year, first.id),
        failures: None,
    })
}

/// A household's file of a year: its documents and how complete it is.
pub struct HouseholdFile {
    pub category: Category,
    pub rows: Vec<DocumentRow>,
    pub completeness: Completeness,
}

#[tracing::instrument(skip_all, fields(household = %household_id, year))]
pub async fn of_household(state: &AppState, caller: &Caller, household_id: String, year: i32) -> Result<HouseholdFile, ApiError> {
    let scope = caller.read_scope();
    let (household, rows) = state.db.run(move |c| Ok(repo::for_household(c, &scope, &household_id, Some(year))?)).await?;
    let category = Category::parse(&household.category).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored category: {}", e.message)))?;
    let present: Vec<DocumentKind> = rows.iter().filter_map(|r| DocumentKind::parse(&r.kind).ok()).collect();
    let completeness = state.settings.document_checklist.completeness(category, &present);
    Ok(HouseholdFile { category, rows, completeness })
}

/// A document the caller may read, or 404.
#[tracing::instrument(skip_all, fields(document = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<DocumentRow, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::find(c, &scope, &id)?)).await
}

/// A document's bytes, streamed from the store, with its row.
#[tracing::instrument(skip_all, fields(document = %id))]
pub async fn content(state: &AppState, caller: &Caller, id: String) -> Result<(DocumentRow, impl futures_util::Stream<Item = Result<Bytes, StorageError>> + use<>), ApiError> {
    let row = get(state, caller, id).await?;
    let stream = state.storage.stream(&keys::document(&row.household_id, &row.id)).await?;
    // A scan (an application, a 明白卡, a collection form) shows full ID and phone numbers: who
    // read it goes in the read log like a full record.
    state.read_log.record_entity(&caller.actor(), "document", &row.id, Some(&row.household_id));
    Ok((row, stream))
}
