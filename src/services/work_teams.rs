//! Resident work teams 驻村工作队 of the caller's villages: pages, registration and changes.

use chrono::NaiveDate;

use super::{Caller, Created, Page, Precondition};
use crate::db::models::WorkTeamRow;
use crate::db::repo::assistance::work_teams::{self as repo, TeamInput};
use crate::domain::DivisionCode;
use crate::error::ApiError;
use crate::state::AppState;

/// Teams of a division inside the jurisdiction (default: all of it).
#[tracing::instrument(skip_all, fields(division = division.as_ref().map(|d| d.as_str())))]
pub async fn list(state: &AppState, caller: &Caller, division: Option<DivisionCode>, after: Option<String>, limit: i64) -> Result<Page<WorkTeamRow>, ApiError> {
    let scope = caller.scope();
    let rows = state.db.run(move |c| Ok(repo::list_teams(c, &scope, division.as_ref(), after.as_deref(), limit)?)).await?;
    Ok(Page::of(rows, limit, |r| &r.id))
}

/// Registers a village's team (village officer and above, in the jurisdiction: 404 before 403).
#[tracing::instrument(skip_all, fields(village = %input.village))]
pub async fn create(state: &AppState, caller: &Caller, input: TeamInput) -> Result<Created<WorkTeamRow>, ApiError> {
    let scope = caller.scope();
    if !scope.covers(&input.village) {
        return Err(ApiError::NotFound);
    }
    caller.require(caller.role.edits_households(), "register work teams")?;
    let actor = caller.actor();
    Ok(state.db.run(move |c| Ok(repo::create_team(c, &scope, &actor, &input)?)).await?.into())
}

/// What a change sets; absent fields are kept (`first_secretary_id: Some(None)` clears it).
#[derive(Debug, Default)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub first_secretary_id: Option<Option<String>>,
    pub member_ids: Option<Vec<String>>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
}

/// Changes a team (village officer and above; 404 before 403), `If-Match` required; the term
/// and the cadres named are checked against the team as changed.
#[tracing::instrument(skip_all, fields(work_team = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, precondition: Precondition, changes: Result<TeamChanges, ApiError>) -> Result<WorkTeamRow, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    state.db.run(move |c| Ok(repo::team(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change work teams")?;
    let expected = precondition.required()?;
    let ch = changes?;
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            Ok(repo::update_team(c, &scope, &actor, &id, expected, |t| {
                if let Some(n) = ch.name {
                    t.name = n;
                }
                if let Some(f) = ch.first_secretary_id {
                    t.first_secretary_id = f;
                }
                if let Some(m) = ch.member_ids {
                    t.member_ids = serde_json::to_string(&m).unwrap_or_else(|_| "[]".into());
                }
                if let Some(s) = ch.term_start {
                    t.term_start = s;
                }
                if ch.term_end.is_some() {
                    t.term_end = ch.term_end;
                }
            })?)
        })
        .await
}
