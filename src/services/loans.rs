//! Microcredit 小额信贷: the loans of a household, recorded and changed with `If-Match`.

use super::{Caller, Created, Page, Precondition};
use crate::db::repo::assistance::loans::{self as repo, ListedLoan, LoanFilter, LoanRow};
use crate::error::ApiError;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn list(state: &AppState, caller: &Caller, household_id: String) -> Result<Vec<LoanRow>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::of_household(c, &scope, &household_id)?)).await
}

/// The loans of a division's households (inside the current jurisdiction, else 404), by id: a
/// township's list of loans, or of the overdue ones.
#[tracing::instrument(skip_all, fields(division = %filter.division))]
pub async fn list_in(state: &AppState, caller: &Caller, filter: LoanFilter) -> Result<Page<ListedLoan>, ApiError> {
    // A list: the current jurisdiction (a cadre's former pairings are for single reads).
    let scope = caller.scope();
    if !scope.covers(&filter.division) {
        return Err(ApiError::NotFound);
    }
    let limit = filter.limit;
    let rows = state.db.run(move |c| Ok(repo::page_in(c, &scope, &filter)?)).await?;
    Ok(Page::of(rows, limit, |l| &l.row.id))
}

/// Records a loan (village officer and above; 404, then 403, then the loan's problems).
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn add(state: &AppState, caller: &Caller, household_id: String, loan: Result<LoanRow, ApiError>) -> Result<Created<LoanRow>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(crate::db::repo::households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "record loans")?;
    let mut row = loan?;
    row.household_id = household_id;
    let actor = caller.actor();
    Ok(state.db.run(move |c| Ok(repo::add(c, &scope, &actor, row)?)).await?.into())
}

/// Changes a loan: `apply` merges the change into the stored loan and checks the result.
#[tracing::instrument(skip_all, fields(loan = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, precondition: Precondition, apply: impl FnOnce(LoanRow) -> Result<LoanRow, ApiError> + Send + 'static) -> Result<LoanRow, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    let current = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change loans")?;
    let expected = precondition.required()?;
    let next = apply(current)?;
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::update(c, &scope, &actor, expected, next)?)).await
}
