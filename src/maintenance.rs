//! Maintenance jobs over the database and the object store together.

use chrono::Utc;

use crate::db::repo;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::keys;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Objects under `photos/` looked at.
    pub scanned: usize,
    /// Objects of photos that have a row: kept.
    pub referenced: usize,
    /// Objects without a row, younger than the grace period (an upload may be in flight): kept.
    pub too_young: usize,
    /// Objects without a row: removed (or listed, with `dry_run`).
    pub removed: Vec<String>,
}

/// Removes objects whose photo row does not exist (a crash between storing and committing),
/// older than `grace` so that uploads in flight are left alone.
pub async fn storage_gc(state: &AppState, grace: chrono::Duration, dry_run: bool) -> Result<GcReport, ApiError> {
    let objects = state.storage.list("photos").await?;
    let ids: Vec<String> = objects.iter().filter_map(|(k, _)| keys::photo_id(k).map(str::to_owned)).collect();
    let existing = state.db.run(move |c| Ok(repo::photos::existing(c, &ids)?)).await?;
    let existing: std::collections::HashSet<String> = existing.into_iter().collect();
    let mut report = GcReport { scanned: objects.len(), ..Default::default() };
    let cutoff = Utc::now() - grace;
    for (key, modified) in objects {
        match keys::photo_id(&key) {
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
    Ok(report)
}
