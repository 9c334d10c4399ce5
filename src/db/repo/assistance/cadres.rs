//! Cadres 帮扶干部 of a county: one record per person nationwide (by ID number), optionally
//! linked to the user account of their phone.

use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::sync::{self, Leaving};
use super::Created;
use crate::crypto::Crypto;
use crate::db::models::{CadreRow, HouseholdRow};
use crate::db::schema::{cadres, households as h, pairings, users};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::{DivisionCode, IdNumber, Phone, Role};

#[derive(Debug, Clone, Default)]
pub struct CadreInput {
    pub name: String,
    pub work_unit: String,
    pub phone: Option<Phone>,
    pub id_number: Option<IdNumber>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
}

/// A cadre of the county, or 404.
pub fn cadre(c: &mut DbConnection, county: &DivisionCode, id: &str) -> Result<CadreRow, DbError> {
    cadres::table
        .filter(cadres::id.eq(id))
        .filter(cadres::county_code.eq(county.as_str()))
        .select(CadreRow::as_select())
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

/// A cadre by id, whatever the county (the caller reached it through a scoped record).
pub fn cadre_by_id(c: &mut DbConnection, id: &str) -> QueryResult<CadreRow> {
    cadres::table.find(id).select(CadreRow::as_select()).first(c)
}

/// The cadre record linked to a user, if any.
pub fn cadre_of_user(c: &mut DbConnection, user_id: &str) -> QueryResult<Option<CadreRow>> {
    cadres::table.filter(cadres::user_id.eq(user_id)).select(CadreRow::as_select()).first(c).optional()
}

/// 409 when another cadre record holds the ID number (a person is one cadre nationwide): the
/// same words wherever that cadre works, naming nothing.
fn ensure_cadre_id_number_free(c: &mut DbConnection, hmac: &str, own_id: &str, id_number: &IdNumber) -> Result<(), DbError> {
    let held: i64 = cadres::table.filter(cadres::id_number_hmac.eq(hmac)).filter(cadres::id.ne(own_id)).count().get_result(c)?;
    if held > 0 {
        return Err(DbError::Conflict(format!("the ID number {} is already registered", id_number.masked())));
    }
    Ok(())
}

/// A linked user must be a cadre of the same county (a user of another county is answered like
/// one that does not exist).
fn check_user(c: &mut DbConnection, county: &DivisionCode, user_id: &str) -> Result<(), DbError> {
    let found: Option<(String, String)> = users::table.filter(users::id.eq(user_id)).select((users::role, users::jurisdiction)).first(c).optional()?;
    match found.filter(|(_, j)| DivisionCode::parse(j).is_ok_and(|j| county.contains(&j))) {
        Some((role, _)) if role == Role::Cadre.as_str() => Ok(()),
        Some(_) => Err(DbError::invalid("user_id", "not_a_cadre_user", "the user must have the role cadre in this county")),
        None => Err(DbError::invalid("user_id", "unknown_user", "no such user in this county")),
    }
}

pub fn create_cadre(c: &mut DbConnection, county: &DivisionCode, crypto: &Crypto, actor: &Actor, input: &CadreInput) -> Result<Created<CadreRow>, DbError> {
    write_tx(c, |c| {
        if let Some(cid) = &input.client_id {
            let existing: Option<CadreRow> = cadres::table.filter(cadres::client_id.eq(cid)).select(CadreRow::as_select()).first(c).optional()?;
            match existing {
                Some(e) if e.county_code == county.as_str() => return Ok(Created::Existing(e)),
                Some(_) => return Err(DbError::Conflict("this client_id was used for another cadre".into())),
                None => {}
            }
        }
        if let Some(u) = &input.user_id {
            check_user(c, county, u)?;
        }
        if let Some(i) = &input.id_number {
            ensure_cadre_id_number_free(c, &crypto.lookup_hash("cadre_id", i.as_str()), "", i)?;
        }
        let at = now();
        let row = CadreRow {
            id: new_id(),
            client_id: input.client_id.clone(),
            county_code: county.to_string(),
            name: input.name.clone(),
            work_unit: input.work_unit.clone(),
            phone_enc: input.phone.as_ref().map(|p| crypto.seal(p.as_str())),
            id_number_enc: input.id_number.as_ref().map(|i| crypto.seal(i.as_str())),
            id_number_hmac: input.id_number.as_ref().map(|i| crypto.lookup_hash("cadre_id", i.as_str())),
            user_id: input.user_id.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(cadres::table).values(&row).execute(c)?;
        let after = json!({"name": row.name, "work_unit": row.work_unit, "user_id": row.user_id});
        audit::append(c, actor, Entry { action: "cadre_create", entity_type: "cadre", entity_id: &row.id, household_id: None, before: None, after: Some(after) })?;
        Ok(Created::New(row))
    })
}

pub fn list_cadres(c: &mut DbConnection, county: &DivisionCode, q: Option<&str>, after: Option<&str>, limit: i64) -> QueryResult<Vec<CadreRow>> {
    let mut query = cadres::table.filter(cadres::county_code.eq(county.to_string())).into_boxed();
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        query = query.filter(cadres::name.like(pattern.clone()).escape('\\').or(cadres::work_unit.like(pattern).escape('\\')));
    }
    if let Some(a) = after {
        query = query.filter(cadres::id.gt(a.to_owned()));
    }
    query.order(cadres::id.asc()).limit(limit).select(CadreRow::as_select()).load(c)
}

#[derive(Debug, Clone, Default)]
pub struct CadreChanges {
    pub name: Option<String>,
    pub work_unit: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub id_number: Option<Option<IdNumber>>,
    pub user_id: Option<Option<String>>,
}

/// Changes a cadre; relinking the user moves the cadre's households from the old user's phone
/// to the new one's.
pub fn update_cadre(c: &mut DbConnection, county: &DivisionCode, crypto: &Crypto, actor: &Actor, id: &str, expected: i64, ch: &CadreChanges) -> Result<CadreRow, DbError> {
    write_tx(c, |c| {
        let before = cadre(c, county, id)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        let mut next = before.clone();
        if let Some(n) = &ch.name {
            next.name = n.clone();
        }
        if let Some(w) = &ch.work_unit {
            next.work_unit = w.clone();
        }
        if let Some(p) = &ch.phone {
            next.phone_enc = p.as_ref().map(|p| crypto.seal(p.as_str()));
        }
        if let Some(i) = &ch.id_number {
            next.id_number_enc = i.as_ref().map(|i| crypto.seal(i.as_str()));
            next.id_number_hmac = i.as_ref().map(|i| crypto.lookup_hash("cadre_id", i.as_str()));
            if let (Some(i), Some(hmac)) = (i, &next.id_number_hmac) {
                ensure_cadre_id_number_free(c, hmac, id, i)?;
            }
        }
        if let Some(u) = &ch.user_id {
            if let Some(u) = u {
                check_user(c, county, u)?;
            }
            next.user_id = u.clone();
        }
        next.version = before.version + 1;
        next.updated_at = now();
        let n = diesel::update(cadres::table.filter(cadres::id.eq(id)).filter(cadres::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        let after = json!({"name": next.name, "work_unit": next.work_unit, "user_id": next.user_id});
        audit::append(c, actor, Entry { action: "cadre_update", entity_type: "cadre", entity_id: id, household_id: None, before: None, after: Some(after) })?;
        if before.user_id != next.user_id {
            let paired: Vec<HouseholdRow> = pairings::table
                .inner_join(h::table)
                .filter(pairings::cadre_id.eq(id))
                .filter(pairings::end_date.is_null())
                .select(HouseholdRow::as_select())
                .load(c)?;
            let ids: Vec<String> = paired.iter().map(|p| p.id.clone()).collect();
            let leaving: Vec<Leaving> = match &before.user_id {
                Some(old) => paired.iter().map(|p| Leaving::cadre(p, old.clone(), "cadre_relinked")).collect(),
                None => Vec::new(),
            };
            sync::stamp(c, &ids, &leaving)?;
        }
        Ok(next)
    })
}
