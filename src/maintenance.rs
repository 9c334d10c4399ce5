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

/// The settings of a cleaning run for a division and year: thresholds of the province, the
/// ledger's deadline and the shared-phone limit.
pub fn quality_settings(state: &AppState, division: &crate::domain::DivisionCode, year: Option<i32>) -> crate::db::repo::quality::RunSettings {
    let today = state.today();
    let year = year.unwrap_or_else(|| crate::db::repo::quality::current_year(today));
    let rule = crate::domain::yearly::threshold_for(&state.settings.thresholds, &division.as_str()[..2], year);
    crate::db::repo::quality::RunSettings {
        year,
        today,
        poverty_line: rule.map(|r| r.poverty_line),
        exit_minimum: rule.map(|r| r.exit_minimum),
        deadline_days: state.settings.quality_deadline_days,
        phone_max_households: state.settings.quality_phone_max_households,
    }
}
