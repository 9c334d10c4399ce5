//! Assistance measures 帮扶措施 of a household.

use chrono::NaiveDate;

use super::{Caller, Created};
use crate::db::models::MeasureRow;
use crate::db::repo::assistance::measures as repo;
use crate::db::repo::households;
use crate::db::{new_id, now};
use crate::domain::Role;
use crate::domain::assistance::MeasureKind;
use crate::error::ApiError;
use crate::state::AppState;

/// The household's measures, newest first.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn list(state: &AppState, caller: &Caller, household_id: String) -> Result<Vec<MeasureRow>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::measures_of(c, &scope, &household_id)?)).await
}

/// A measure as entered.
pub struct NewMeasure {
    pub kind: MeasureKind,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub client_id: Option<String>,
}

/// Records a measure (the paired cadre, village officer and above; 404 outside the
/// jurisdiction, then 403, then the measure's own problems); a retry gets the first.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn add(state: &AppState, caller: &Caller, household_id: String, measure: Result<NewMeasure, ApiError>) -> Result<Created<MeasureRow>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), household_id.clone());
    state.db.run(move |c| Ok(households::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role != Role::Auditor, "record measures")?;
    let m = measure?;
    let row = MeasureRow {
        id: new_id(),
        client_id: m.client_id,
        household_id,
        kind: m.kind.as_str().to_owned(),
        title: m.title,
        description: m.description,
        start_date: m.start_date,
        end_date: m.end_date,
        amount_cents: m.amount_cents,
        created_by: caller.username.clone(),
        created_at: now(),
    };
    let actor = caller.actor();
    Ok(state.db.run(move |c| Ok(repo::add_measure(c, &scope, &actor, row)?)).await?.into())
}
