//! Cadres 帮扶干部 of the caller's county: pages, registration, single reads (with who sees the
//! full numbers and the read log) and changes.

use super::{Caller, Created, Page, Precondition};
use crate::db::models::CadreRow;
use crate::db::repo::assistance::cadres::{self as repo, CadreChanges, CadreInput};
use crate::db::repo::assistance::county_of;
use crate::domain::disclosure::{Subject, full_numbers};
use crate::error::ApiError;
use crate::state::AppState;

/// A cadre and whether this caller sees their full phone and ID numbers.
pub struct Cadre {
    pub row: CadreRow,
    pub full_numbers: bool,
}

fn disclosed(caller: &Caller, row: CadreRow) -> Cadre {
    let full_numbers = full_numbers(caller.role, Subject::Cadre { own: row.user_id.as_deref() == Some(caller.id.as_str()) });
    Cadre { row, full_numbers }
}

/// Cadres of the caller's county whose name or work unit contains `q`.
#[tracing::instrument(skip_all, fields(jurisdiction = %caller.jurisdiction))]
pub async fn list(state: &AppState, caller: &Caller, q: Option<String>, after: Option<String>, limit: i64) -> Result<Page<CadreRow>, ApiError> {
    let county = county_of(&caller.scope());
    let rows = state.db.run(move |c| Ok(repo::list_cadres(c, &county, q.as_deref(), after.as_deref(), limit)?)).await?;
    Ok(Page::of(rows, limit, |r| &r.id))
}

/// Registers a cadre of the caller's county; a retry with the same `client_id` gets the first.
#[tracing::instrument(skip_all, fields(jurisdiction = %caller.jurisdiction))]
pub async fn create(state: &AppState, caller: &Caller, input: CadreInput) -> Result<Created<Cadre>, ApiError> {
    let (county, crypto, actor) = (county_of(&caller.scope()), state.crypto.clone(), caller.actor());
    let created = state.db.run(move |c| Ok(repo::create_cadre(c, &county, &crypto, &actor, &input)?)).await?;
    Ok(Created::from(created).map(|row| disclosed(caller, row)))
}

/// One cadre of the county; a read showing full numbers goes to the read log.
#[tracing::instrument(skip_all, fields(cadre = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<Cadre, ApiError> {
    let county = county_of(&caller.scope());
    let row = state.db.run(move |c| Ok(repo::cadre(c, &county, &id)?)).await?;
    let cadre = disclosed(caller, row);
    if cadre.full_numbers {
        state.read_log.record_entity(&caller.actor(), "cadre", &cadre.row.id, None);
    }
    Ok(cadre)
}

/// Changes a cadre (village officer and above; 404 before 403), `If-Match` required.
#[tracing::instrument(skip_all, fields(cadre = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, precondition: Precondition, changes: Result<CadreChanges, ApiError>) -> Result<Cadre, ApiError> {
    let county = county_of(&caller.scope());
    let probe = (county.clone(), id.clone());
    state.db.run(move |c| Ok(repo::cadre(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change cadres")?;
    let expected = precondition.required()?;
    let changes = changes?;
    let (crypto, actor) = (state.crypto.clone(), caller.actor());
    let row = state.db.run(move |c| Ok(repo::update_cadre(c, &county, &crypto, &actor, &id, expected, &changes)?)).await?;
    Ok(disclosed(caller, row))
}
