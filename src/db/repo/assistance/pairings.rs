//! Pairings 结对帮扶 of cadres with households: at most one current per household, the history
//! kept; each change stamps the sync sequence (the household joins or leaves a cadre's phone).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::households;
use super::super::sync::{self, Leaving};
use super::Created;
use super::cadres::{cadre, cadre_by_id};
use crate::db::models::{CadreRow, PairingRow};
use crate::db::schema::{cadres, households as h, pairings};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::{DivisionCode, Scope};
use crate::domain::assistance::{check_pairing_end, check_pairing_start};

#[derive(Debug, Clone)]
pub struct PairingInput {
    pub household_id: String,
    pub cadre_id: String,
    pub start_date: NaiveDate,
    pub client_id: Option<String>,
}

/// The household's current pairing, if any.
pub fn current_pairing(c: &mut DbConnection, household_id: &str) -> QueryResult<Option<PairingRow>> {
    pairings::table
        .filter(pairings::household_id.eq(household_id))
        .filter(pairings::end_date.is_null())
        .select(PairingRow::as_select())
        .first(c)
        .optional()
}

/// Current pairings of several households with their cadres (sync, single reads).
pub fn current_pairings(c: &mut DbConnection, household_ids: &[String]) -> QueryResult<Vec<(PairingRow, CadreRow)>> {
    pairings::table
        .inner_join(cadres::table)
        .filter(pairings::household_id.eq_any(household_ids))
        .filter(pairings::end_date.is_null())
        .select((PairingRow::as_select(), CadreRow::as_select()))
        .load(c)
}

/// Pairs a cadre with a household; a current pairing with another cadre ends on the new start
/// date in the same transaction (and the household leaves that cadre's phone).
pub fn create_pairing(c: &mut DbConnection, scope: &Scope, actor: &Actor, input: &PairingInput, today: NaiveDate) -> Result<Created<PairingRow>, DbError> {
    write_tx(c, |c| {
        if let Some(cid) = &input.client_id {
            let existing: Option<PairingRow> = pairings::table.filter(pairings::client_id.eq(cid)).select(PairingRow::as_select()).first(c).optional()?;
            if let Some(e) = existing {
                return if households::find(c, scope, &e.household_id)?.is_some() {
                    Ok(Created::Existing(e))
                } else {
                    Err(DbError::Conflict("this client_id was used for another pairing".into()))
                };
            }
        }
        let household = households::get(c, scope, &input.household_id)?;
        let county = DivisionCode::parse(&household.county_code).map_err(|e| DbError::corrupt("county", e))?;
        let new_cadre = match cadre(c, &county, &input.cadre_id) {
            Ok(cd) => cd,
            // A cadre of another county is answered like one that does not exist.
            Err(DbError::NotFound) => return Err(DbError::invalid("cadre_id", "unknown_cadre", "no such cadre in the household's county")),
            Err(e) => return Err(e),
        };
        let current = current_pairing(c, &household.id)?;
        check_pairing_start(input.start_date, current.as_ref().map(|p| p.start_date), today).map_err(|e| DbError::invalid("start_date", e.code, e.message))?;
        let mut leaving = Vec::new();
        if let Some(cur) = &current {
            if cur.cadre_id == new_cadre.id {
                return Err(DbError::Conflict("the household is already paired with this cadre".into()));
            }
            let at = now();
            diesel::update(pairings::table.find(&cur.id))
                .set((
                    pairings::end_date.eq(Some(input.start_date)),
                    pairings::end_reason.eq(Some("re_paired")),
                    pairings::version.eq(cur.version + 1),
                    pairings::updated_at.eq(at),
                ))
                .execute(c)?;
            let old = cadre_by_id(c, &cur.cadre_id)?;
            if let Some(u) = old.user_id.filter(|u| Some(u) != new_cadre.user_id.as_ref()) {
                leaving.push(Leaving::cadre(&household, u, "re_paired"));
            }
            audit::append(c, actor, Entry { action: "pairing_end", entity_type: "pairing", entity_id: &cur.id, household_id: Some(&household.id), before: None, after: Some(json!({"end_date": input.start_date, "end_reason": "re_paired"})) })?;
        }
        let at = now();
        let row = PairingRow {
            id: new_id(),
            client_id: input.client_id.clone(),
            household_id: household.id.clone(),
            cadre_id: new_cadre.id.clone(),
            start_date: input.start_date,
            end_date: None,
            end_reason: None,
            version: 1,
            created_by: actor.name.clone().unwrap_or_default(),
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(pairings::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "pairing_create", entity_type: "pairing", entity_id: &row.id, household_id: Some(&household.id), before: None, after: Some(json!({"cadre_id": row.cadre_id, "cadre_name": new_cadre.name, "start_date": row.start_date})) })?;
        sync::stamp(c, std::slice::from_ref(&household.id), &leaving)?;
        Ok(Created::New(row))
    })
}

#[derive(Debug, Clone, Default)]
pub struct PairingFilter {
    pub household_id: Option<String>,
    pub cadre_id: Option<String>,
    pub current: Option<bool>,
    pub after: Option<String>,
    pub limit: i64,
}

/// Pairings of households in the scope (a cadre: their own, past ones included), with cadres.
pub fn list_pairings(c: &mut DbConnection, scope: &Scope, f: &PairingFilter) -> QueryResult<Vec<(PairingRow, CadreRow)>> {
    let mut q = pairings::table.inner_join(h::table).inner_join(cadres::table).into_boxed();
    q = match scope {
        Scope::Cadre { user_id, .. } => q.filter(cadres::user_id.eq(user_id.clone())),
        other => q.filter(filters::households::in_division(other.division())),
    };
    if let Some(id) = &f.household_id {
        q = q.filter(pairings::household_id.eq(id.clone()));
    }
    if let Some(id) = &f.cadre_id {
        q = q.filter(pairings::cadre_id.eq(id.clone()));
    }
    match f.current {
        Some(true) => q = q.filter(pairings::end_date.is_null()),
        Some(false) => q = q.filter(pairings::end_date.is_not_null()),
        None => {}
    }
    if let Some(a) = &f.after {
        q = q.filter(pairings::id.gt(a.clone()));
    }
    q.order(pairings::id.asc()).limit(f.limit).select((PairingRow::as_select(), CadreRow::as_select())).load(c)
}

/// A pairing whose household is in the scope, or 404.
pub fn pairing_in_scope(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<PairingRow, DbError> {
    let p: PairingRow = pairings::table.find(id).select(PairingRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    households::get(c, &scope.clone().for_reading(), &p.household_id)?;
    Ok(p)
}

/// Ends a current pairing; the household leaves the cadre's phone.
pub fn end_pairing(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, expected: i64, end: NaiveDate, reason: &str, today: NaiveDate) -> Result<(PairingRow, CadreRow), DbError> {
    write_tx(c, |c| {
        let p = pairing_in_scope(c, scope, id)?;
        let household = households::get(c, scope, &p.household_id)?;
        if p.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        if p.end_date.is_some() {
            return Err(DbError::Conflict("the pairing has ended already".into()));
        }
        check_pairing_end(p.start_date, end, today).map_err(|e| DbError::invalid("end_date", e.code, e.message))?;
        let mut next = p.clone();
        next.end_date = Some(end);
        next.end_reason = Some(reason.to_owned());
        next.version += 1;
        next.updated_at = now();
        let n = diesel::update(pairings::table.filter(pairings::id.eq(id)).filter(pairings::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        let cadre = cadre_by_id(c, &p.cadre_id)?;
        audit::append(c, actor, Entry { action: "pairing_end", entity_type: "pairing", entity_id: id, household_id: Some(&household.id), before: None, after: Some(json!({"end_date": end, "end_reason": reason})) })?;
        let leaving: Vec<Leaving> = cadre.user_id.iter().map(|u| Leaving::cadre(&household, u.clone(), "unpaired")).collect();
        sync::stamp(c, std::slice::from_ref(&household.id), &leaving)?;
        Ok((next, cadre))
    })
}
