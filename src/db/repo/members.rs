//! Members 家庭成员 of a household: added (with why and when they joined), corrected (an ID
//! number entered for one recorded without), removed (with why and when they left; the record
//! is kept), and the natural increase and decrease 自然增减 of a division's statistical year.
//! Within the caller's scope, every write audited in its transaction.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::audit::{self, Actor, Entry};
use super::households::{bump, bump_with, check_version, get_for_update, member_row, member_snapshot, numbered, scoped, write_giving_id_numbers};
use crate::crypto::Crypto;
use crate::db::models::{HouseholdRow, MemberRow};
use crate::db::schema::{households, members};
use crate::db::{DbConnection, DbError, filters, now, write_tx};
use crate::domain::household::NewMember;
use crate::domain::member::check_left_on;
use crate::domain::{DivisionCode, IdNumber, Relation, RemovalReason, Scope};

pub fn add_member(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, household_id: &str, expected: Option<i64>, m: &NewMember) -> Result<(HouseholdRow, MemberRow), DbError> {
    write_giving_id_numbers(c, scope, &numbered(crypto, m.id_number()), |c| {
        let h = get_for_update(c, scope, household_id)?;
        check_version(&h, expected)?;
        if m.relation == Relation::Head {
            return Err(DbError::invalid("relation", "head_exists", "the household has a head: add the member with another relation, then transfer headship"));
        }
        let row = member_row(crypto, household_id, m);
        // Its ID number is checked by the unique index (write_giving_id_numbers).
        diesel::insert_into(members::table).values(&row).execute(c)?;
        let h = bump(c, &h)?;
        audit::append(c, actor, Entry { action: "member_add", entity_type: "member", entity_id: &row.id, household_id: Some(household_id), before: None, after: Some(member_snapshot(crypto, &row)) })?;
        super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        Ok((h, row))
    })
}

#[derive(Debug, Default, Clone)]
pub struct MemberChanges {
    pub name: Option<String>,
    pub relation: Option<Relation>,
    pub phone: Option<Option<crate::domain::Phone>>,
    /// The ID number of a member recorded without one (无户籍人口): sex and birth date are
    /// taken from it and the reason for its absence cleared.
    pub id_number: Option<IdNumber>,
}

fn current_member(c: &mut DbConnection, household_id: &str, member_id: &str) -> Result<MemberRow, DbError> {
    members::table
        .filter(members::id.eq(member_id))
        .filter(members::household_id.eq(household_id))
        .filter(members::removed_at.is_null())
        .select(MemberRow::as_select())
        .first(c)
        .optional()?
        .ok_or(DbError::NotFound)
}

pub fn update_member(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, household_id: &str, member_id: &str, expected: i64, ch: &MemberChanges) -> Result<(HouseholdRow, MemberRow), DbError> {
    write_giving_id_numbers(c, scope, &numbered(crypto, ch.id_number.as_ref()), |c| {
        let h = get_for_update(c, scope, household_id)?;
        check_version(&h, Some(expected))?;
        let before = current_member(c, household_id, member_id)?;
        let was_head = before.relation == Relation::Head.as_str();
        if let Some(r) = ch.relation {
            if was_head != (r == Relation::Head) {
                return Err(DbError::invalid("relation", "head_change", "change the head with PATCH /households/{id} and head_member_id"));
            }
        }
        let mut next = before.clone();
        if let Some(n) = &ch.name {
            next.name = n.clone();
        }
        if let Some(r) = ch.relation {
            next.relation = r.as_str().to_owned();
        }
        if let Some(p) = &ch.phone {
            next.phone_enc = p.as_ref().map(|p| crypto.seal(p.as_str()));
        }
        if let Some(id) = &ch.id_number {
            enter_id_number(crypto, &mut next, id)?;
        }
        next.updated_at = now();
        diesel::update(members::table.find(member_id)).set(&next).execute(c)?;
        let mut hnext = h.clone();
        if was_head {
            hnext.head_name = next.name.clone();
        }
        let h = bump_with(c, &h, hnext)?;
        audit::append(c, actor, Entry { action: "member_update", entity_type: "member", entity_id: member_id, household_id: Some(household_id), before: Some(member_snapshot(crypto, &before)), after: Some(member_snapshot(crypto, &next)) })?;
        super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        Ok((h, next))
    })
}

/// Records the number of a member who had none; a number already recorded is not replaced here.
/// Whether another member holds it, the unique index tells at the update (`update_member`).
fn enter_id_number(crypto: &Crypto, m: &mut MemberRow, id: &IdNumber) -> Result<(), DbError> {
    if m.id_number_hmac.is_some() {
        return Err(DbError::invalid("id_number", "has_id_number", "the member has an ID number: only a member recorded without one gets one here"));
    }
    if m.joined_on.is_some_and(|j| j < id.birth_date()) {
        return Err(DbError::invalid("id_number", "before_birth", format!("the number's birth date {} is after the member joined", id.birth_date())));
    }
    let hmac = crypto.lookup_hash("id", id.as_str());
    m.id_number_enc = Some(crypto.seal(id.as_str()));
    m.id_number_hmac = Some(hmac);
    m.sex = id.sex().as_str().to_owned();
    m.birth_date = id.birth_date();
    m.no_id_reason = None;
    Ok(())
}

/// A member's leaving: 减少原因 and 减少时间.
#[derive(Debug, Clone, Copy)]
pub struct Leave {
    pub reason: RemovalReason,
    /// The day asked for, else today (in the service's time zone).
    pub on: Option<NaiveDate>,
    pub today: NaiveDate,
}

pub fn remove_member(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, household_id: &str, member_id: &str, expected: Option<i64>, leave: Leave) -> Result<(HouseholdRow, MemberRow), DbError> {
    write_tx(c, |c| {
        let h = get_for_update(c, scope, household_id)?;
        check_version(&h, expected)?;
        let before = current_member(c, household_id, member_id)?;
        if before.relation == Relation::Head.as_str() {
            return Err(DbError::Conflict("the head cannot be removed: transfer headship first (PATCH /households/{id} with head_member_id)".into()));
        }
        let on = check_left_on(leave.on.unwrap_or(leave.today), before.birth_date, before.joined_on, leave.today)
            .map_err(|e| DbError::invalid("left_on", e.code, e.message))?;
        let mut next = before.clone();
        next.removed_at = Some(now());
        next.removed_reason = Some(leave.reason.as_str().to_owned());
        next.left_on = Some(on);
        next.updated_at = now();
        diesel::update(members::table.find(member_id)).set(&next).execute(c)?;
        let h = bump(c, &h)?;
        audit::append(c, actor, Entry { action: "member_remove", entity_type: "member", entity_id: member_id, household_id: Some(household_id), before: Some(member_snapshot(crypto, &before)), after: Some(member_snapshot(crypto, &next)) })?;
        super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        Ok((h, next))
    })
}


/// The household of a natural change, as the ledger names it.
#[derive(Debug, Clone, Queryable)]
pub struct ChangedHousehold {
    pub id: String,
    pub number: String,
    pub head_name: String,
    pub village_code: String,
    pub township_code: String,
}

/// Every member of the division's households (within the scope) who joined or left between
/// `from` and `to` (inclusive), by village, household number and member.
pub fn natural_changes(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<(MemberRow, ChangedHousehold)>> {
    let rows: Vec<(MemberRow, ChangedHousehold)> = members::table
        .inner_join(households::table)
        .into_boxed()
        .filter(filters::households::in_division(division))
        .filter(members::joined_on.between(from, to).or(members::removed_at.is_not_null().and(members::left_on.between(from, to))))
        .order((households::village_code.asc(), households::number.asc(), members::created_at.asc(), members::id.asc()))
        .select((MemberRow::as_select(), (households::id, households::number, households::head_name, households::village_code, households::township_code)))
        .load(c)?;
    if !matches!(scope, Scope::Cadre { .. }) {
        return Ok(rows);
    }
    // A cadre sees the changes of the households paired with them.
    let mut ids: Vec<String> = rows.iter().map(|(_, h)| h.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let seen: std::collections::HashSet<String> = scoped(scope).filter(households::id.eq_any(ids)).select(households::id).load::<String>(c)?.into_iter().collect();
    Ok(rows.into_iter().filter(|(_, h)| seen.contains(&h.id)).collect())
}
