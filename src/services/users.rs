//! User accounts 用户, managed by county admins and township reviewers within their
//! jurisdiction: nobody grants a role or jurisdiction above their own, only a strictly higher
//! role changes another user, and a disabled account or a new password ends every session.

use serde_json::json;

use super::{Caller, Page};
use crate::db::models::UserRow;
use crate::db::repo::{audit, divisions, tokens, users as repo};
use crate::db::write_tx;
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::{DivisionCode, FieldErrors, Phone, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// A user row the caller may see (inside their jurisdiction), or 404.
fn visible(caller: &Caller, row: Option<UserRow>) -> Result<UserRow, ApiError> {
    row.filter(|r| DivisionCode::parse(&r.jurisdiction).is_ok_and(|j| caller.jurisdiction.contains(&j))).ok_or(ApiError::NotFound)
}

/// Checks that the caller may give `role` over `jurisdiction` (403 otherwise); a jurisdiction
/// at the wrong level for the role is a field error collected in `errs`.
pub fn check_grant(caller: &Caller, role: Role, jurisdiction: &DivisionCode, errs: &mut FieldErrors) -> Result<(), ApiError> {
    if !caller.role.may_grant(role) {
        return Err(ApiError::Forbidden(format!("a {} cannot grant the role {}", caller.role.as_str(), role.as_str())));
    }
    if !caller.jurisdiction.contains(jurisdiction) {
        return Err(ApiError::Forbidden("the jurisdiction lies outside your own".into()));
    }
    if !role.jurisdiction_levels().contains(&jurisdiction.level()) {
        errs.add("jurisdiction", "wrong_level", format!("a {} needs a jurisdiction at level {:?}", role.as_str(), role.jurisdiction_levels()));
    }
    Ok(())
}

/// Users inside the caller's jurisdiction.
#[tracing::instrument(skip_all, fields(jurisdiction = %caller.jurisdiction))]
pub async fn list(state: &AppState, caller: &Caller, after: Option<String>, limit: i64) -> Result<Page<UserRow>, ApiError> {
    let within = caller.jurisdiction.clone();
    let rows = state.db.run(move |c| Ok(repo::list_within(c, &within, after.as_deref(), limit)?)).await?;
    Ok(Page::of(rows, limit, |r| &r.id))
}

/// A new account whose role and jurisdiction the caller may grant (checked by the handler with
/// [`check_grant`]).
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
    pub phone: Option<Phone>,
    pub work_unit: Option<String>,
}

/// Creates an account (the password hashed on the password pool); 422 for a division that is
/// not known, 409 for a username taken.
#[tracing::instrument(skip_all, fields(role = new.role.as_str(), jurisdiction = %new.jurisdiction))]
pub async fn create(state: &AppState, caller: &Caller, new: NewUser) -> Result<UserRow, ApiError> {
    let mut row = UserRow::new(&new.username, state.passwords.hash(new.password).await?, &new.display_name, new.role.as_str(), new.jurisdiction.as_str());
    row.phone_enc = new.phone.map(|p| state.crypto.seal(p.as_str()));
    row.work_unit = new.work_unit;
    let actor = caller.actor();
    let saved = row.clone();
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                if divisions::get(c, row.jurisdiction.as_str())?.is_none() {
                    return Err(ApiError::invalid("jurisdiction", "unknown_division", "no such division"));
                }
                repo::insert(c, &row)?;
                let after = json!({"username": row.username, "role": row.role, "jurisdiction": row.jurisdiction});
                audit::append(c, &actor, audit::Entry { action: "create", entity_type: "user", entity_id: &row.id, household_id: None, before: None, after: Some(after) })?;
                Ok(())
            })
        })
        .await?;
    Ok(saved)
}

/// One user inside the caller's jurisdiction, and whether the caller sees their full phone
/// number (a read that does goes to the read log).
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<(UserRow, bool), ApiError> {
    let row = state.db.run(move |c| Ok(repo::find_by_id(c, &id)?)).await?;
    let row = visible(caller, row)?;
    let full = full_numbers(caller.role, Subject::User { own: row.id == caller.id });
    if full && row.phone_enc.is_some() {
        state.read_log.record_entity(&caller.actor(), "user", &row.id, None);
    }
    Ok((row, full))
}

/// What a change sets; absent fields are kept (`phone: Some(None)` clears it).
#[derive(Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub jurisdiction: Option<DivisionCode>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub work_unit: Option<Option<String>>,
}

/// Changes a user at version `expected`: 404 outside the jurisdiction, 403 unless the caller's
/// role is strictly above the user's (or it is their own account, minus role and
/// jurisdiction); disabling or a new password ends the user's sessions at once.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn update(state: &AppState, caller: &Caller, id: String, expected: i64, ch: UserChanges) -> Result<UserRow, ApiError> {
    let new_hash = match ch.password {
        Some(p) => Some(state.passwords.hash(p).await?),
        None => None,
    };
    let (actor, crypto, caller) = (caller.actor(), state.crypto.clone(), caller.clone());
    let saved = state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let before = visible(&caller, repo::find_by_id(c, &id)?)?;
                let current_role = Role::parse(&before.role).map_err(|e| ApiError::Internal(e.into()))?;
                if before.id != caller.id && !caller.role.manages(current_role) {
                    return Err(ApiError::Forbidden("only a role above this user's may change it".into()));
                }
                if before.id == caller.id && (ch.role.is_some_and(|r| r != current_role) || ch.jurisdiction.is_some()) {
                    return Err(ApiError::Forbidden("you cannot change your own role or jurisdiction".into()));
                }
                let next_role = ch.role.unwrap_or(current_role);
                let next_jur = match &ch.jurisdiction { Some(j) => j.clone(), None => DivisionCode::parse(&before.jurisdiction).map_err(|e| ApiError::Internal(e.into()))? };
                let mut errs = FieldErrors::new();
                check_grant(&caller, next_role, &next_jur, &mut errs)?;
                if !errs.is_empty() {
                    return Err(errs.into());
                }
                if ch.jurisdiction.is_some() && divisions::get(c, next_jur.as_str())?.is_none() {
                    return Err(ApiError::invalid("jurisdiction", "unknown_division", "no such division"));
                }
                let mut next = before.clone();
                next.role = next_role.as_str().into();
                next.jurisdiction = next_jur.to_string();
                if let Some(d) = ch.display_name.clone() { next.display_name = d; }
                if let Some(d) = ch.disabled { next.disabled = d; }
                if let Some(h) = new_hash.clone() { next.password_hash = h; }
                if let Some(p) = ch.phone.clone() { next.phone_enc = p.map(|p| crypto.seal(p.as_str())); }
                if let Some(w) = ch.work_unit.clone() { next.work_unit = w; }
                let saved = repo::update(c, &next, expected)?;
                if saved.disabled || new_hash.is_some() {
                    tokens::revoke_user(c, &saved.id)?;
                }
                let snap = |u: &UserRow| json!({"role": u.role, "jurisdiction": u.jurisdiction, "disabled": u.disabled, "display_name": u.display_name, "password_changed": false});
                let mut after = snap(&saved);
                after["password_changed"] = json!(new_hash.is_some());
                audit::append(c, &actor, audit::Entry { action: "update", entity_type: "user", entity_id: &saved.id, household_id: None, before: Some(snap(&before)), after: Some(after) })?;
                Ok(saved)
            })
        })
        .await?;
    state.users.invalidate(&saved.id);
    Ok(saved)
}
