//! Pairings 结对帮扶 of cadres with households: pages, a new pairing (ending the current one)
//! and the end of a pairing.

use super::{Caller, Created, Page, Precondition};
use crate::db::models::{CadreRow, PairingRow};
use crate::db::repo::assistance::pairings::{self as repo, PairingFilter, PairingInput};
use crate::db::repo::assistance::cadres;
use crate::db::repo::households;
use crate::error::ApiError;
use crate::state::AppState;

/// Pairings of the households in the caller's scope (a cadre: their own), with their cadres.
#[tracing::instrument(skip_all, fields(household = filter.household_id.as_deref(), cadre = filter.cadre_id.as_deref()))]
pub async fn list(state: &AppState, caller: &Caller, filter: PairingFilter) -> Result<Page<(PairingRow, CadreRow)>, ApiError> {
    let (scope, limit) = (caller.scope(), filter.limit);
    let rows = state.db.run(move |c| Ok(repo::list_pairings(c, &scope, &filter)?)).await?;
    Ok(Page::of(rows, limit, |r| &r.0.id))
}

/// Pairs a cadre with a household (village officer and above; 404 for a household outside the
/// jurisdiction first); a retry with the same `client_id` gets the first pairing.
#[tracing::instrument(skip_all, fields(household = %input.household_id, cadre = %input.cadre_id))]
pub async fn create(state: &AppState, caller: &Caller, input: PairingInput) -> Result<Created<(PairingRow, CadreRow)>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), input.household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "pair cadres with households")?;
    let (actor, today) = (caller.actor(), state.today());
    state
        .db
        .run(move |c| {
            let created = Created::from(repo::create_pairing(c, &scope, &actor, &input, today)?);
            created.try_map(|row| {
                let cadre = cadres::cadre_by_id(c, &row.cadre_id)?;
                Ok((row, cadre))
            })
        })
        .await
}

/// Why and when a pairing ends.
pub struct Ending {
    pub end_date: chrono::NaiveDate,
    pub reason: String,
}

/// Ends a pairing (village officer and above; 404 outside the jurisdiction first), `If-Match`
/// required; the household leaves the cadre's phone.
#[tracing::instrument(skip_all, fields(pairing = %id))]
pub async fn end(state: &AppState, caller: &Caller, id: String, precondition: Precondition, ending: Result<Ending, ApiError>) -> Result<(PairingRow, CadreRow), ApiError> {
    let (probe_scope, probe_id) = (caller.scope(), id.clone());
    state.db.run(move |c| Ok(repo::pairing_in_scope(c, &probe_scope, &probe_id)?)).await?;
    caller.require(caller.role.edits_households(), "end pairings")?;
    let expected = precondition.required()?;
    let ending = ending?;
    let (scope, actor, today) = (caller.scope(), caller.actor(), state.today());
    state.db.run(move |c| Ok(repo::end_pairing(c, &scope, &actor, &id, expected, ending.end_date, &ending.reason, today)?)).await
}
