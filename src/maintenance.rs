//! Maintenance jobs over the database and the object store together.

use chrono::Utc;

use crate::db::repo;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::keys;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Objects under `photos/` and `documents/` looked at.
    pub scanned: usize,
    /// Objects of photos and documents that have a row: kept.
    pub referenced: usize,
    /// Objects without a row, younger than the grace period (an upload may be in flight): kept.
    pub too_young: usize,
    /// Objects without a row: removed (or listed, with `dry_run`).
    pub removed: Vec<String>,
}

/// The folders of the store whose objects belong to a row, with how a key names its row and
/// which of the named rows exist.
type Owner = (&'static str, fn(&str) -> Option<&str>, fn(&mut crate::db::DbConnection, &[String]) -> diesel::QueryResult<Vec<String>>);
const OWNERS: [Owner; 2] = [("photos", keys::photo_id, repo::photos::existing), ("documents", keys::document_id, repo::documents::existing)];

/// Removes objects whose row (a photo, a household document) does not exist (a crash between
/// storing and committing), older than `grace` so that uploads in flight are left alone.
pub async fn storage_gc(state: &AppState, grace: chrono::Duration, dry_run: bool) -> Result<GcReport, ApiError> {
    let mut report = GcReport::default();
    let cutoff = Utc::now() - grace;
    for (folder, id_of, existing) in OWNERS {
        let objects = state.storage.list(folder).await?;
        let ids: Vec<String> = objects.iter().filter_map(|(k, _)| id_of(k).map(str::to_owned)).collect();
        let existing = state.db.run(move |c| Ok(existing(c, &ids)?)).await?;
        let existing: std::collections::HashSet<String> = existing.into_iter().collect();
        report.scanned += objects.len();
        for (key, modified) in objects {
            match id_of(&key) {
                Some(id) if existing.contains(id) => report.referenced += 1,
                _ if modified > cutoff => report.too_young += 1,
                _ => {
                    if !dry_run {
                        state.storage.delete(&key).await?;
                    }
                    report.removed.push(key);
                }
            }
        }
    }
    Ok(report)
}
