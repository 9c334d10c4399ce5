//! The household spreadsheet import (`crate::import`) into the caller's jurisdiction.

use super::Caller;
use crate::error::ApiError;
use crate::import::{Report, import_file};
use crate::state::AppState;

/// Imports a spooled workbook; rows outside the jurisdiction are refused in the report.
#[tracing::instrument(skip_all, fields(jurisdiction = %caller.jurisdiction))]
pub async fn import(state: &AppState, caller: &Caller, workbook: tempfile::NamedTempFile) -> Result<Report, ApiError> {
    let (scope, actor, crypto, today) = (caller.scope(), caller.actor(), state.crypto.clone(), state.today());
    state.db.run(move |c| import_file(c, &scope, &crypto, &actor, workbook.path(), today)).await
}
