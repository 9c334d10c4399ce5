//! Assistance 帮扶: cadres of a county, pairings 结对 of cadres with households (at most one
//! current per household), resident work teams 驻村工作队 and measures 帮扶措施. Pairings
//! change what a cadre's phone holds, so they stamp the sync sequence.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use super::sync::{self, Leaving};
use crate::crypto::Crypto;
use crate::db::models::{CadreRow, HouseholdRow, MeasureRow, PairingRow, WorkTeamRow};
use crate::db::schema::{cadres, households as h, measures, pairings, users, work_teams};
use crate::db::{DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::assistance::{check_pairing_end, check_pairing_start};
use crate::domain::{DivisionCode, IdNumber, Level, Phone, Role, Scope};

/// The county of a scope: cadres are kept per county.
pub fn county_of(scope: &Scope) -> DivisionCode {
    scope.division().ancestor(Level::County).unwrap_or_else(|| scope.division().clone())
}

/// A create that may be a phone's retry: the first result, or a new row.
pub enum Created<T> {
    New(T),
    Existing(T),
}

// ---- cadres ----

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

// ---- pairings ----

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

// ---- work teams ----

#[derive(Debug, Clone)]
pub struct TeamInput {
    pub village: DivisionCode,
    pub name: String,
    pub first_secretary_id: Option<String>,
    pub member_ids: Vec<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub client_id: Option<String>,
}

/// Every named cadre exists in the county (422 naming the first that does not).
fn check_cadres(c: &mut DbConnection, county: &DivisionCode, first_secretary: Option<&String>, members: &[String]) -> Result<(), DbError> {
    let mut wanted: Vec<&String> = members.iter().collect();
    wanted.extend(first_secretary);
    let found: Vec<String> = cadres::table
        .filter(cadres::id.eq_any(wanted.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
        .filter(cadres::county_code.eq(county.as_str()))
        .select(cadres::id)
        .load(c)?;
    if let Some(fs) = first_secretary.filter(|f| !found.contains(f)) {
        return Err(DbError::invalid("first_secretary_id", "unknown_cadre", format!("no cadre {fs} in this county")));
    }
    if let Some((i, m)) = members.iter().enumerate().find(|(_, m)| !found.contains(m)) {
        return Err(DbError::invalid(&format!("member_ids[{i}]"), "unknown_cadre", format!("no cadre {m} in this county")));
    }
    Ok(())
}

pub fn team(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<WorkTeamRow, DbError> {
    let row: WorkTeamRow = work_teams::table.find(id).select(WorkTeamRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    match DivisionCode::parse(&row.village_code) {
        Ok(v) if scope.covers(&v) || scope.cadre_user().is_some() && county_of(scope).contains(&v) => Ok(row),
        _ => Err(DbError::NotFound),
    }
}

pub fn create_team(c: &mut DbConnection, scope: &Scope, actor: &Actor, input: &TeamInput) -> Result<Created<WorkTeamRow>, DbError> {
    if !scope.covers(&input.village) {
        return Err(DbError::NotFound);
    }
    write_tx(c, |c| {
        if let Some(cid) = &input.client_id {
            let existing: Option<String> = work_teams::table.filter(work_teams::client_id.eq(cid)).select(work_teams::id).first(c).optional()?;
            if let Some(id) = existing {
                return team(c, scope, &id).map(Created::Existing).map_err(|_| DbError::Conflict("this client_id was used for another work team".into()));
            }
        }
        super::divisions::village_for(c, &input.village, scope.division(), "village_code", false)?;
        let county = input.village.ancestor(Level::County).unwrap_or_else(|| input.village.clone());
        check_cadres(c, &county, input.first_secretary_id.as_ref(), &input.member_ids)?;
        let at = now();
        let row = WorkTeamRow {
            id: new_id(),
            client_id: input.client_id.clone(),
            village_code: input.village.to_string(),
            township_code: input.village.ancestor(Level::Township).map(|d| d.to_string()).unwrap_or_default(),
            county_code: county.to_string(),
            name: input.name.clone(),
            first_secretary_id: input.first_secretary_id.clone(),
            member_ids: serde_json::to_string(&input.member_ids).unwrap_or_else(|_| "[]".into()),
            term_start: input.term_start,
            term_end: input.term_end,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(work_teams::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "work_team_create", entity_type: "work_team", entity_id: &row.id, household_id: None, before: None, after: Some(json!({"village_code": row.village_code, "name": row.name})) })?;
        Ok(Created::New(row))
    })
}

pub fn list_teams(c: &mut DbConnection, scope: &Scope, village: Option<&DivisionCode>, after: Option<&str>, limit: i64) -> QueryResult<Vec<WorkTeamRow>> {
    let d = village.unwrap_or(scope.division());
    let mut q = work_teams::table.filter(filters::work_teams::in_division(d)).into_boxed();
    if let Some(a) = after {
        q = q.filter(work_teams::id.gt(a.to_owned()));
    }
    q.order(work_teams::id.asc()).limit(limit).select(WorkTeamRow::as_select()).load(c)
}

/// Replaces a team's fields (the caller merged the changes into `next`).
pub fn update_team(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, expected: i64, change: impl FnOnce(&mut WorkTeamRow)) -> Result<WorkTeamRow, DbError> {
    write_tx(c, |c| {
        let before = team(c, scope, id)?;
        if !scope.covers(&DivisionCode::parse(&before.village_code).map_err(|_| DbError::NotFound)?) {
            return Err(DbError::NotFound);
        }
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        let mut next = before.clone();
        change(&mut next);
        crate::domain::assistance::check_period(next.term_start, next.term_end).map_err(|e| DbError::invalid("term_end", e.code, e.message))?;
        let members: Vec<String> = serde_json::from_str(&next.member_ids).unwrap_or_default();
        let county = DivisionCode::parse(&next.county_code).map_err(|e| DbError::corrupt("county", e))?;
        check_cadres(c, &county, next.first_secretary_id.as_ref(), &members)?;
        next.version += 1;
        next.updated_at = now();
        let n = diesel::update(work_teams::table.filter(work_teams::id.eq(id)).filter(work_teams::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "work_team_update", entity_type: "work_team", entity_id: id, household_id: None, before: None, after: Some(json!({"name": next.name, "member_ids": members, "first_secretary_id": next.first_secretary_id})) })?;
        Ok(next)
    })
}

// ---- measures ----

pub fn add_measure(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: MeasureRow) -> Result<Created<MeasureRow>, DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        if let Some(cid) = &row.client_id {
            let existing: Option<MeasureRow> = measures::table.filter(measures::client_id.eq(cid)).select(MeasureRow::as_select()).first(c).optional()?;
            match existing {
                Some(e) if e.household_id == row.household_id => return Ok(Created::Existing(e)),
                Some(_) => return Err(DbError::Conflict("this client_id was used for another measure".into())),
                None => {}
            }
        }
        diesel::insert_into(measures::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "measure_add", entity_type: "measure", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(json!({"kind": row.kind, "title": row.title, "start_date": row.start_date, "amount_cents": row.amount_cents})) })?;
        Ok(Created::New(row))
    })
}

pub fn measures_of(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<Vec<MeasureRow>, DbError> {
    households::get(c, scope, household_id)?;
    Ok(measures::table.filter(measures::household_id.eq(household_id)).order((measures::start_date.desc(), measures::id.desc())).select(MeasureRow::as_select()).load(c)?)
}
