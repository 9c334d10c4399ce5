//! Households 户: pages, registration, the full record (with who may see its full numbers and
//! the read log), changes with `If-Match`, and the audit trail.

use super::{Caller, Page, Precondition};
use crate::domain::Scope;
use crate::crypto::Crypto;
use crate::db::models::{AuditRow, CadreRow, HouseholdRow, MemberRow, PairingRow};
use crate::db::repo::audit::Actor;
use crate::db::repo::households::{self as repo, HouseholdChanges, ListFilter};
use crate::db::repo::assistance::pairings;
use crate::db::repo::audit;
use crate::db::DbConnection;
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::household::NewHousehold;
use crate::error::ApiError;
use crate::state::AppState;

/// A page of households with their current members.
pub struct Listed {
    pub page: Page<HouseholdRow>,
    pub members: Vec<MemberRow>,
}

/// One page of the households of a scope (the caller's, for a list or a report).
#[tracing::instrument(skip_all, fields(division = filter.division.as_ref().map(|d| d.as_str())))]
pub async fn list(state: &AppState, scope: Scope, filter: ListFilter) -> Result<Listed, ApiError> {
    let limit = filter.limit;
    let (rows, members) = state
        .db
        .run(move |c| {
            let rows = repo::list(c, &scope, &filter)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let members = repo::members_of(c, &ids, false)?;
            Ok((rows, members))
        })
        .await?;
    Ok(Listed { page: Page::of(rows, limit, |r| &r.id), members })
}

/// A household as its full record shows it: every member (removed ones too), the current
/// pairing, and whether this caller sees full ID and phone numbers (`domain::disclosure`).
pub struct Record {
    pub household: HouseholdRow,
    pub members: Vec<MemberRow>,
    pub pairing: Option<(PairingRow, CadreRow)>,
    pub full_numbers: bool,
}

fn with_parts(c: &mut DbConnection, h: HouseholdRow) -> Result<(HouseholdRow, Vec<MemberRow>, Option<(PairingRow, CadreRow)>), ApiError> {
    let members = repo::members_of(c, std::slice::from_ref(&h.id), true)?;
    let pairing = pairings::current_pairings(c, std::slice::from_ref(&h.id))?.into_iter().next();
    Ok((h, members, pairing))
}

fn record(caller: &Caller, (household, members, pairing): (HouseholdRow, Vec<MemberRow>, Option<(PairingRow, CadreRow)>)) -> Record {
    let paired = pairing.as_ref().is_some_and(|(_, cd)| cd.user_id.as_deref() == Some(caller.id.as_str()));
    let full_numbers = full_numbers(caller.role, Subject::Household { paired });
    Record { household, members, pairing, full_numbers }
}

async fn load(state: &AppState, caller: &Caller, id: String, log_read: bool) -> Result<Record, ApiError> {
    let scope = caller.read_scope();
    let parts = state
        .db
        .run(move |c| repo::find_whole(c, &scope, &id)?.ok_or(ApiError::NotFound))
        .await?;
    let record = record(caller, parts);
    if log_read && record.full_numbers {
        state.read_log.record(&caller.actor(), &record.household.id);
    }
    Ok(record)
}

/// The full record; a read that shows full numbers goes to the read log.
#[tracing::instrument(skip_all, fields(household = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<Record, ApiError> {
    load(state, caller, id, true).await
}

/// Registers a household with its members (village officer and above, in a village of the
/// jurisdiction: 404 before 403); a retry with the same `client_id` gets the first record
/// (`Created::Existing`).
#[tracing::instrument(skip_all, fields(village = %new.village))]
pub async fn create(state: &AppState, caller: &Caller, new: NewHousehold) -> Result<super::Created<Record>, ApiError> {
    let scope = caller.scope();
    if !scope.covers(&new.village) {
        return Err(ApiError::NotFound);
    }
    caller.require(caller.role.edits_households(), "register households")?;
    check_category(caller, &new)?;
    let (actor, crypto) = (caller.actor(), state.crypto.clone());
    let created = state.db.run(move |c| Ok(repo::create(c, &scope, &crypto, &actor, &new)?)).await?;
    Ok(match created {
        // As stored: members in the order a read gives them, no pairing yet (no second read).
        repo::Created::New(h, mut members) => {
            members.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            super::Created::New(record(caller, (h, members, None)))
        }
        repo::Created::Existing(h) => super::Created::Existing(load(state, caller, h.id, false).await?),
    })
}

/// A new household is 一般农户: another category comes from a case, or from a county admin
/// migrating existing data who says where it comes from (`origin`, audited). 422 otherwise.
fn check_category(caller: &Caller, new: &NewHousehold) -> Result<(), ApiError> {
    if new.category == crate::domain::Category::Ordinary {
        return Ok(());
    }
    if caller.role != crate::domain::Role::CountyAdmin {
        return Err(ApiError::invalid("category", "changed_by_case", "a new household is ordinary: its category comes from a case (POST /cases, kind inclusion); only a county admin migrating existing data gives another, with its origin"));
    }
    if new.origin.as_deref().is_none_or(|o| o.trim().is_empty()) {
        return Err(ApiError::invalid("origin", "required", "a category other than ordinary is migrated data: say where it comes from (origin)"));
    }
    Ok(())
}

/// The path of every household write: scope first (404), then role (403), then `If-Match`;
/// answers with the household as this write left it (its version), not as it is by the time a
/// second read would run.
pub(super) async fn write<F>(state: &AppState, caller: &Caller, id: String, precondition: impl FnOnce() -> Result<Option<i64>, ApiError>, f: F) -> Result<Record, ApiError>
where
    F: FnOnce(&mut DbConnection, &Scope, &Crypto, &Actor, Option<i64>, &str) -> Result<HouseholdRow, ApiError> + Send + 'static,
{
    write_if(state, caller, caller.role.edits_households(), id, precondition, f).await
}

/// [`write`] for a write the caller's role may make when `allowed` (a paired cadre records a
/// natural increase 自然增加 from the phone).
pub(super) async fn write_if<F>(state: &AppState, caller: &Caller, allowed: bool, id: String, precondition: impl FnOnce() -> Result<Option<i64>, ApiError>, f: F) -> Result<Record, ApiError>
where
    F: FnOnce(&mut DbConnection, &Scope, &Crypto, &Actor, Option<i64>, &str) -> Result<HouseholdRow, ApiError> + Send + 'static,
{
    let scope = caller.scope();
    let (probe_scope, probe_id) = (scope.clone(), id.clone());
    state.db.run(move |c| repo::find(c, &probe_scope, &probe_id)?.ok_or(ApiError::NotFound)).await?;
    caller.require(allowed, "change households")?;
    let expected = precondition()?;
    let (actor, crypto) = (caller.actor(), state.crypto.clone());
    let parts = state
        .db
        .run(move |c| {
            let written = f(c, &scope, &crypto, &actor, expected, &id)?;
            with_parts(c, written)
        })
        .await?;
    Ok(record(caller, parts))
}

/// Changes a household (number, address, head, natural village, former village); `If-Match`
/// required.
#[tracing::instrument(skip_all, fields(household = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, precondition: Precondition, changes: HouseholdChanges) -> Result<Record, ApiError> {
    let migrating = caller.role == crate::domain::Role::CountyAdmin;
    write(state, caller, id, || precondition.required().map(Some), move |c, scope, _, actor, expected, id| {
        if let (false, Some(profile)) = (migrating, &changes.profile) {
            let kept = crate::domain::household_profile::Profile::from_stored(&repo::get(c, scope, id)?.profile);
            let changed = crate::domain::procedure::opening::case_set_fields_changed(&kept, profile);
            if !changed.is_empty() {
                let mut errs = crate::domain::FieldErrors::new();
                for f in changed {
                    errs.add(format!("profile.{f}"), "changed_by_case", "set by a completed case (inclusion, re-inclusion, exit); send the value kept, or open a case");
                }
                return Err(errs.into());
            }
        }
        Ok(repo::update(c, scope, actor, id, expected.unwrap_or_default(), &changes)?)
    })
    .await
}

/// The household's audit trail, newest first (reads of the full record too, when asked).
#[tracing::instrument(skip_all, fields(household = %id))]
pub async fn history(state: &AppState, caller: &Caller, id: String, include_reads: bool, before: Option<String>, limit: i64) -> Result<Page<AuditRow>, ApiError> {
    let scope = caller.read_scope();
    let rows = state
        .db
        .run(move |c| {
            repo::find(c, &scope, &id)?.ok_or(ApiError::NotFound)?;
            Ok(audit::household_history(c, &id, include_reads, before.as_deref(), limit)?)
        })
        .await?;
    Ok(Page::of(rows, limit, |r| &r.id))
}
