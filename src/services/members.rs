//! Members 家庭成员 of a household: added, corrected and removed through the household's write
//! path (scope, role, `If-Match`), each answering with the household as it now is.

use super::households::{Record, write, write_if};
use super::{Caller, Precondition};
use crate::db::repo::members::{self as repo, Leave, MemberChanges};
use crate::domain::household::NewMember;
use crate::error::ApiError;
use crate::state::AppState;

/// Adds a member (birth, marriage in, … with the day, or one of the household's own); `If-Match`
/// honoured when sent. Besides those who edit households, the paired cadre may: a newborn or a
/// bride is recorded on the phone at the home visit.
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn add(state: &AppState, caller: &Caller, household_id: String, precondition: Precondition, member: NewMember) -> Result<Record, ApiError> {
    let allowed = caller.role.edits_households() || caller.role == crate::domain::Role::Cadre;
    write_if(state, caller, allowed, household_id, || precondition.optional(), move |c, scope, crypto, actor, expected, id| {
        Ok(repo::add_member(c, scope, crypto, actor, id, expected, &member).map(|(h, _)| h)?)
    })
    .await
}

/// Corrects a member; `If-Match` with the household's version required.
#[tracing::instrument(skip_all, fields(household = %household_id, member = %member_id))]
pub async fn update(state: &AppState, caller: &Caller, household_id: String, member_id: String, precondition: Precondition, changes: MemberChanges) -> Result<Record, ApiError> {
    write(state, caller, household_id, || precondition.required().map(Some), move |c, scope, crypto, actor, expected, id| {
        Ok(repo::update_member(c, scope, crypto, actor, id, &member_id, expected.unwrap_or_default(), &changes).map(|(h, _)| h)?)
    })
    .await
}

/// Removes a member with a reason and a day (the record is kept); `If-Match` honoured when sent.
#[tracing::instrument(skip_all, fields(household = %household_id, member = %member_id))]
pub async fn remove(state: &AppState, caller: &Caller, household_id: String, member_id: String, precondition: Precondition, leave: Leave) -> Result<Record, ApiError> {
    write(state, caller, household_id, || precondition.optional(), move |c, scope, crypto, actor, expected, id| {
        Ok(repo::remove_member(c, scope, crypto, actor, id, &member_id, expected, leave).map(|(h, _)| h)?)
    })
    .await
}
