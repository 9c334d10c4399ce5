//! Migrant work 外出务工信息 of a member per statistical year, entered from the phone (the paired
//! cadre) or the office.

use super::Caller;
use crate::db::repo::assistance::migrant_work::{self as repo, MigrantWork, MigrantWorkRow};
use crate::domain::Role;
use crate::error::ApiError;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(household = %household_id, year))]
pub async fn list(state: &AppState, caller: &Caller, household_id: String, year: Option<i32>) -> Result<Vec<MigrantWorkRow>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::of_household(c, &scope, &household_id, year)?)).await
}

/// The member's record of the year (404 when none was entered).
#[tracing::instrument(skip_all, fields(household = %household_id, member = %member_id, year))]
pub async fn get(state: &AppState, caller: &Caller, household_id: String, member_id: String, year: i32) -> Result<MigrantWorkRow, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| repo::find(c, &scope, &household_id, &member_id, year)?.ok_or(ApiError::NotFound)).await
}

/// Enters or replaces the record (cadre and above, not an auditor: 404, 403, then the body's
/// problems, then `If-Match` once the record exists).
#[tracing::instrument(skip_all, fields(household = %household_id, member = %member_id, year))]
pub async fn put(state: &AppState, caller: &Caller, household_id: String, member_id: String, year: Result<i32, ApiError>, expected: Result<Option<i64>, ApiError>, work: Result<MigrantWork, ApiError>) -> Result<(MigrantWorkRow, bool), ApiError> {
    let (scope, actor, may) = (caller.scope(), caller.actor(), caller.role != Role::Auditor);
    state
        .db
        .run(move |c| {
            repo::check_member(c, &scope, &household_id, &member_id)?;
            if !may {
                return Err(ApiError::Forbidden("an auditor may not change migrant work".into()));
            }
            let (year, expected) = (year?, expected?);
            let work = work?;
            Ok(repo::save(c, &scope, &actor, &household_id, &member_id, year, expected, work)?)
        })
        .await
}
