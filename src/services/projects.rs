//! Assistance projects 项目管理: lists, registration, changes with `If-Match`, beneficiaries, and
//! the projects of a household.

use super::{Caller, Created, Page, Precondition};
use crate::db::repo::assistance::projects::{self as repo, Project, ProjectFilter, ProjectInput, ProjectRow};
use crate::error::ApiError;
use crate::state::AppState;

/// Projects with a village in the filter's division (inside the jurisdiction), by id.
#[tracing::instrument(skip_all, fields(division = filter.division.as_ref().map(|d| d.as_str())))]
pub async fn list(state: &AppState, caller: &Caller, filter: ProjectFilter) -> Result<Page<Project>, ApiError> {
    let scope = caller.scope();
    let limit = filter.limit;
    let rows = state.db.run(move |c| Ok(repo::list(c, &scope, &filter)?)).await?;
    Ok(Page::of(rows, limit, |p| &p.row.id))
}

#[tracing::instrument(skip_all, fields(project = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<Project, ApiError> {
    let scope = caller.scope();
    state.db.run(move |c| Ok(repo::get(c, &scope, &id)?)).await
}

/// Registers a project (village officer and above; villages outside the jurisdiction are 404,
/// then the role's 403, then the project's own problems).
#[tracing::instrument(skip_all)]
pub async fn create(state: &AppState, caller: &Caller, input: Result<ProjectInput, ApiError>, named: Vec<crate::domain::DivisionCode>) -> Result<Created<Project>, ApiError> {
    let scope = caller.scope();
    if named.iter().any(|v| !scope.covers(v)) {
        return Err(ApiError::NotFound);
    }
    caller.require(caller.role.edits_households(), "register projects")?;
    let input = input?;
    let actor = caller.actor();
    Ok(state.db.run(move |c| Ok(repo::create(c, &scope, &actor, input)?)).await?.into())
}

/// A change merged into the stored project by `apply`, which also checks the result.
#[tracing::instrument(skip_all, fields(project = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, precondition: Precondition, apply: impl FnOnce(&Project) -> Result<ProjectInput, ApiError> + Send + 'static) -> Result<Project, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    let current = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change projects")?;
    may_change(caller, &current)?;
    let expected = precondition.required()?;
    let input = apply(&current)?;
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::update(c, &scope, &actor, &id, expected, input)?)).await
}

/// A project reaching beyond the caller's jurisdiction is changed by the level above (403).
fn may_change(caller: &Caller, p: &Project) -> Result<(), ApiError> {
    caller.require(repo::holds_all(&caller.scope(), &p.villages), "change a project with villages outside their jurisdiction")
}

/// Adds a beneficiary household (404, 403, then the body's problems).
#[tracing::instrument(skip_all, fields(project = %id))]
pub async fn add_beneficiary(state: &AppState, caller: &Caller, id: String, body: Result<(String, Option<i64>), ApiError>) -> Result<Project, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    let current = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change projects")?;
    may_change(caller, &current)?;
    let (household, benefit) = body?;
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::add_beneficiary(c, &scope, &actor, &id, &household, benefit)?)).await
}

#[tracing::instrument(skip_all, fields(project = %id, household = %household_id))]
pub async fn remove_beneficiary(state: &AppState, caller: &Caller, id: String, household_id: String) -> Result<Project, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), id.clone());
    let current = state.db.run(move |c| Ok(repo::get(c, &probe.0, &probe.1)?)).await?;
    caller.require(caller.role.edits_households(), "change projects")?;
    may_change(caller, &current)?;
    let actor = caller.actor();
    state.db.run(move |c| Ok(repo::remove_beneficiary(c, &scope, &actor, &id, &household_id)?)).await
}

/// The projects a household benefits from, with its benefit.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn of_household(state: &AppState, caller: &Caller, household_id: String) -> Result<Vec<(ProjectRow, Option<i64>)>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::of_household(c, &scope, &household_id)?)).await
}
