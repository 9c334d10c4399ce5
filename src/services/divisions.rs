//! Divisions 区划: a division and its children as far as the caller may see them.

use super::Caller;
use crate::db::models::DivisionRow;
use crate::db::repo::divisions as repo;
use crate::domain::DivisionCode;
use crate::error::ApiError;
use crate::state::AppState;

/// A division the caller may name (the handler checked), or 404 when it is not known.
#[tracing::instrument(skip_all, fields(division = %code))]
pub async fn get(state: &AppState, code: DivisionCode) -> Result<DivisionRow, ApiError> {
    state.db.run(move |c| Ok(repo::get(c, code.as_str())?)).await?.ok_or(ApiError::NotFound)
}

/// The direct children of a division the caller may name; of an ancestor of the jurisdiction,
/// only the branch leading to it.
#[tracing::instrument(skip_all, fields(division = %code))]
pub async fn children(state: &AppState, caller: &Caller, code: DivisionCode) -> Result<Vec<DivisionRow>, ApiError> {
    let rows = state
        .db
        .run(move |c| {
            repo::get(c, code.as_str())?.ok_or(ApiError::NotFound)?;
            Ok(repo::children(c, code.as_str())?)
        })
        .await?;
    let scope = caller.scope();
    Ok(rows.into_iter().filter(|r| DivisionCode::parse(&r.code).is_ok_and(|c| scope.may_view_division(&c))).collect())
}
