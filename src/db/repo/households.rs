//! Households and members, always within the caller's scope; every write audited in its
//! transaction.

use diesel::prelude::*;
use serde_json::{Value, json};

use super::audit::{self, Actor, Entry};
use crate::crypto::Crypto;
use crate::db::models::{CadreRow, HouseholdRow, MemberRow, PairingRow};
use crate::db::schema::{cadres, households, members, pairings};
use crate::db::fixed::Cached;
use crate::db::{Backend, DbConnection, DbError, filters, new_id, now, write_tx};
use crate::domain::household::{NewHousehold, NewMember};
use crate::domain::id_number::mask_id_number;
use crate::domain::phone::mask_phone;
use crate::domain::{Category, DivisionCode, IdNumber, Relation, Scope};

pub type Boxed = households::BoxedQuery<'static, Backend>;

/// Households the scope covers: the only entry point for household queries.
pub fn scoped(scope: &Scope) -> Boxed {
    households::table.into_boxed().filter(filters::households::in_scope(scope))
}

/// Narrows to a division inside the scope (the caller checked `scope.covers`).
pub fn within(q: Boxed, division: &DivisionCode) -> Boxed {
    q.filter(filters::households::in_division(division))
}

pub fn find(c: &mut DbConnection, scope: &Scope, id: &str) -> QueryResult<Option<HouseholdRow>> {
    scoped(scope).filter(households::id.eq(id.to_owned())).select(HouseholdRow::as_select()).first(c).optional()
}

/// A household with every member (removed ones too, in the order they were added) and its
/// current pairing with the cadre.
pub type Whole = (HouseholdRow, Vec<MemberRow>, Option<(PairingRow, CadreRow)>);

/// [`find`] with the household's members and current pairing, in one query (the full record's
/// read: one round trip instead of three).
pub fn find_whole(c: &mut DbConnection, scope: &Scope, id: &str) -> QueryResult<Option<Whole>> {
    macro_rules! whole_in {
        ($in_scope:expr) => {
            households::table
                .left_join(members::table)
                .left_join(pairings::table.on(pairings::household_id.eq(households::id).and(pairings::end_date.is_null())))
                .left_join(cadres::table.on(cadres::id.eq(pairings::cadre_id)))
                .filter($in_scope)
                .filter(households::id.eq(id.to_owned()))
                .order((members::created_at.asc(), members::id.asc()))
                .select((HouseholdRow::as_select(), Option::<MemberRow>::as_select(), Option::<PairingRow>::as_select(), Option::<CadreRow>::as_select()))
                .load::<(HouseholdRow, Option<MemberRow>, Option<PairingRow>, Option<CadreRow>)>(c)?
        };
    }
    // A division's scope unboxed (a static statement: the most frequent read costs no SQL
    // writing); a cadre's through the boxed filter, its pairings subquery.
    let rows = match scope {
        Scope::County(d) | Scope::Township(d) | Scope::Village(d) => whole_in!(filters::households_under(d)),
        Scope::Cadre { .. } => whole_in!(filters::households::in_scope(scope)),
    };
    let mut rows = rows.into_iter();
    let Some((household, first, pairing, cadre)) = rows.next() else { return Ok(None) };
    let mut members: Vec<MemberRow> = first.into_iter().chain(rows.filter_map(|(_, m, _, _)| m)).collect();
    // At most one pairing is current (a partial unique index); were there two, a member would
    // come once per pairing, side by side in this order.
    members.dedup_by(|a, b| a.id == b.id);
    Ok(Some((household, members, pairing.zip(cadre))))
}

pub fn get(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<HouseholdRow, DbError> {
    find(c, scope, id)?.ok_or(DbError::NotFound)
}

/// `get` inside a write transaction, holding the household's row (`FOR NO KEY UPDATE`) until
/// commit on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers. Two writers of one
/// household then run one after the other: neither fails its version check against the other
/// (a capture has no `If-Match` to fail) and neither deadlocks on the other's child-row inserts.
pub fn get_for_update(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<HouseholdRow, DbError> {
    lock(c, id)?;
    get(c, scope, id)
}

/// Holds a household's row until commit (PostgreSQL; a no-op on SQLite, see `get_for_update`).
pub fn lock(c: &mut DbConnection, id: &str) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = c {
        households::table.filter(households::id.eq(id)).select(households::id).for_no_key_update().load::<String>(pg)?;
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub division: Option<DivisionCode>,
    pub category: Option<Category>,
    /// Only the households a coverage figure counts (`None`: every household).
    pub counted: Option<crate::domain::household::Counted>,
    pub has_location: Option<bool>,
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

pub fn list(c: &mut DbConnection, scope: &Scope, f: &ListFilter) -> QueryResult<Vec<HouseholdRow>> {
    let mut q = scoped(scope);
    if let Some(d) = &f.division {
        q = within(q, d);
    }
    if let Some(cat) = f.category {
        q = q.filter(households::category.eq(cat.as_str()));
    }
    if let Some(categories) = f.counted.and_then(|c| c.categories()) {
        q = q.filter(households::category.eq_any(categories));
    }
    if let Some(h) = f.has_location {
        q = q.filter(households::has_location.eq(h));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        q = q.filter(
            households::head_name.like(pattern.clone()).escape('\\').or(households::number.like(pattern).escape('\\')),
        );
    }
    if let Some(a) = &f.after {
        q = q.filter(households::id.gt(a.clone()));
    }
    q.order(households::id.asc()).limit(f.limit).select(HouseholdRow::as_select()).load(c)
}

/// Members of the given households; removed ones only when asked.
pub fn members_of(c: &mut DbConnection, ids: &[String], include_removed: bool) -> QueryResult<Vec<MemberRow>> {
    let mut q = members::table.filter(members::household_id.eq_any(ids.to_vec())).into_boxed();
    if !include_removed {
        q = q.filter(members::removed_at.is_null());
    }
    q.order((members::household_id.asc(), members::created_at.asc(), members::id.asc()))
        .select(MemberRow::as_select())
        .load(c)
}

/// The households currently holding any of these ID numbers (by keyed hash), one query.
fn id_number_holders(c: &mut DbConnection, hmacs: &[&str]) -> QueryResult<Vec<(Option<String>, HouseholdRow)>> {
    members::table
        .inner_join(households::table)
        .filter(members::id_number_hmac.eq_any(hmacs))
        .filter(members::removed_at.is_null())
        .select((members::id_number_hmac, HouseholdRow::as_select()))
        .load(c)
}

/// Runs a write transaction that gives members ID numbers (`numbered`: keyed hash, masked), as
/// new members or entered for members recorded without one. The unique index
/// `members_current_id_number` checks them, with no read before: when it refuses one (a current
/// member has it, perhaps committed a moment ago by another request), the transaction rolls
/// back and who holds it is read for the 409 ([`id_number_taken`]); a number freed meanwhile
/// (its holder removed): once more.
pub(super) fn write_giving_id_numbers<T>(c: &mut DbConnection, scope: &Scope, numbered: &[(String, String)], mut f: impl FnMut(&mut DbConnection) -> Result<T, DbError>) -> Result<T, DbError> {
    let mut result = write_tx(c, &mut f);
    for _ in 0..3 {
        match &result {
            Err(e) if e.is_refusal_of(crate::db::Unique::IdNumber) => ensure_id_numbers_free(c, scope, numbered)?,
            _ => break,
        }
        result = write_tx(c, &mut f);
    }
    result
}

/// 409 for an ID number that is already a current member somewhere (one household nationwide).
/// Inside the caller's scope the answer names the household; outside it says only "already
/// registered", the same wherever the holder is (no household, village, county, nor that it is
/// outside: another county learns nothing it could not learn by trying).

fn id_number_taken(scope: &Scope, holder: &HouseholdRow, masked: &str) -> DbError {
    if covers_household(scope, holder) {
        DbError::Conflict(format!("the ID number {masked} is already registered: a member of household {} (id {})", holder.number, holder.id))
    } else {
        DbError::Conflict(format!("the ID number {masked} is already registered"))
    }
}

/// The keyed hashes and masked forms of the ID numbers a write gives (none for 无户籍人口), for
/// [`write_giving_id_numbers`].
pub(super) fn numbered<'a>(crypto: &Crypto, ids: impl IntoIterator<Item = &'a IdNumber>) -> Vec<(String, String)> {
    ids.into_iter().map(|id| (crypto.lookup_hash("id", id.as_str()), id.masked())).collect()
}

/// Who holds any of these ID numbers (one query, after the unique index
/// `members_current_id_number` refused one of them): the 409 for the first held, in their order.
fn ensure_id_numbers_free(c: &mut DbConnection, scope: &Scope, numbered: &[(String, String)]) -> Result<(), DbError> {
    let hmacs: Vec<&str> = numbered.iter().map(|(h, _)| h.as_str()).collect();
    let holders = id_number_holders(c, &hmacs)?;
    for (hmac, masked) in numbered {
        if let Some((_, h)) = holders.iter().find(|(held, _)| held.as_deref() == Some(hmac.as_str())) {
            return Err(id_number_taken(scope, h, masked));
        }
    }
    Ok(())
}

/// Whether the caller's scope covers a household (by its village; a cadre by their pairings).
fn covers_household(scope: &Scope, h: &HouseholdRow) -> bool {
    match scope {
        Scope::Cadre { .. } => false,
        _ => DivisionCode::parse(&h.village_code).is_ok_and(|v| scope.covers(&v)),
    }
}

/// 409 for a household number that is taken (numbers are unique nationwide): the same words
/// wherever the holder is.
fn number_taken(n: &str) -> DbError {
    DbError::Conflict(format!("the household number {n} is already registered"))
}

pub fn member_row(crypto: &Crypto, household_id: &str, m: &NewMember) -> MemberRow {
    let at = now();
    MemberRow {
        id: new_id(),
        household_id: household_id.to_owned(),
        name: m.name.clone(),
        relation: m.relation.as_str().to_owned(),
        sex: m.sex.as_str().to_owned(),
        birth_date: m.birth_date,
        id_number_enc: m.id_number().map(|id| crypto.seal(id.as_str())),
        id_number_hmac: m.id_number().map(|id| crypto.lookup_hash("id", id.as_str())),
        phone_enc: m.phone.as_ref().map(|p| crypto.seal(p.as_str())),
        removed_at: None,
        removed_reason: None,
        created_at: at,
        updated_at: at,
        no_id_reason: m.identity.no_id_reason().map(|r| r.as_str().to_owned()),
        join_reason: m.joined.map(|j| j.reason.as_str().to_owned()),
        joined_on: m.joined.map(|j| j.on),
        left_on: None,
    }
}

/// A member as the audit log keeps it: personal numbers masked.
pub fn member_snapshot(crypto: &Crypto, m: &MemberRow) -> Value {
    let id = m.id_number_enc.as_deref().map(|e| crypto.open(e).map(|s| mask_id_number(&s)).unwrap_or_default());
    let phone = m.phone_enc.as_deref().and_then(|p| crypto.open(p).ok()).map(|p| mask_phone(&p));
    json!({
        "id": m.id, "name": m.name, "relation": m.relation, "sex": m.sex, "birth_date": m.birth_date,
        "id_number": id, "no_id_reason": m.no_id_reason, "phone": phone, "join_reason": m.join_reason, "joined_on": m.joined_on,
        "removed_at": m.removed_at, "removed_reason": m.removed_reason, "left_on": m.left_on,
    })
}

/// [`member_snapshot`] of a member being created, masked from the numbers as given (no
/// unsealing of what was just sealed).
fn new_member_snapshot(m: &NewMember, row: &MemberRow) -> Value {
    json!({
        "id": row.id, "name": row.name, "relation": row.relation, "sex": row.sex, "birth_date": row.birth_date,
        "id_number": m.id_number().map(|id| id.masked()), "no_id_reason": row.no_id_reason, "phone": m.phone.as_ref().map(|p| p.masked()),
        "join_reason": row.join_reason, "joined_on": row.joined_on, "removed_at": row.removed_at,
        "removed_reason": row.removed_reason, "left_on": row.left_on,
    })
}

/// Inserts rows in one statement (the multi-connection type has no multi-row insert).
fn insert_members(c: &mut DbConnection, rows: &[MemberRow]) -> QueryResult<usize> {
    match c {
        // A text per number of members: a few, kept in the cache (SQLite inserts row by row).
        DbConnection::Pg(pg) => Cached(diesel::insert_into(members::table).values(rows)).execute(pg),
        DbConnection::Sqlite(lite) => diesel::insert_into(members::table).values(rows).execute(lite),
    }
}

pub(super) fn household_snapshot(h: &HouseholdRow) -> Value {
    json!({
        "number": h.number, "village_code": h.village_code, "address": h.address,
        "category": h.category, "head_name": h.head_name, "version": h.version,
        "profile": serde_json::from_str::<Value>(&h.profile).unwrap_or(Value::Null),
    })
}

pub enum Created {
    /// The new household with its members, as stored (it has no pairing yet).
    New(HouseholdRow, Vec<MemberRow>),
    /// The same `client_id` was sent before: the first result.
    Existing(HouseholdRow),
}

pub fn find_by_client_id(c: &mut DbConnection, scope: &Scope, client_id: &str) -> Result<Option<HouseholdRow>, DbError> {
    let row: Option<HouseholdRow> =
        households::table.filter(households::client_id.eq(client_id)).select(HouseholdRow::as_select()).first(c).optional()?;
    match row {
        Some(h) if DivisionCode::parse(&h.village_code).is_ok_and(|v| scope.covers(&v)) => Ok(Some(h)),
        Some(_) => Err(DbError::Conflict("this client_id was used for another household".into())),
        None => Ok(None),
    }
}

pub fn create(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, new: &NewHousehold) -> Result<Created, DbError> {
    if !scope.covers(&new.village) {
        return Err(DbError::NotFound);
    }
    if let Some(existing) = new.client_id.as_deref().map(|id| find_by_client_id(c, scope, id)).transpose()?.flatten() {
        return Ok(Created::Existing(existing));
    }
    // A server-assigned number that a typed or imported one took meanwhile: once more, with
    // the next number (household_numbers::next). A member's ID number held elsewhere: the
    // unique index refused it; who holds it is read after the rollback, for the 409
    // (write_giving_id_numbers).
    let numbered = numbered(crypto, new.members.iter().filter_map(NewMember::id_number));
    let mut result = Err(DbError::Conflict("no free household number was found: retry".into()));
    for _ in 0..8 {
        let mut number_raced = false;
        result = write_giving_id_numbers(c, scope, &numbered, |c| {
            number_raced = false;
            insert_household(c, scope, crypto, actor, new, &mut number_raced)
        });
        if !number_raced {
            break;
        }
    }
    match result {
        // A concurrent retry with the same client_id won the race: answer with its result.
        Err(DbError::Conflict(_)) if new.client_id.is_some() => {
            match new.client_id.as_deref().map(|id| find_by_client_id(c, scope, id)).transpose()?.flatten() {
                Some(existing) => Ok(Created::Existing(existing)),
                None => result.map(|(h, m)| Created::New(h, m)),
            }
        }
        other => other.map(|(h, m)| Created::New(h, m)),
    }
}

/// One round trip per step: the village, the number (the village's highest, its counter), the
/// household, the members in one statement (the unique indexes check numbers), the audit row,
/// the change stamp.
fn insert_household(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, new: &NewHousehold, number_raced: &mut bool) -> Result<(HouseholdRow, Vec<MemberRow>), DbError> {
    crate::db::repo::divisions::village_for(c, &new.village, scope.division(), "village_code", false)?;
    let number = match &new.number {
        Some(n) => n.clone(),
        None => super::household_numbers::next(c, &new.village)?,
    };
    let head = new.members.iter().find(|m| m.relation == Relation::Head).map(|m| m.name.clone()).unwrap_or_default();
    let mut row = HouseholdRow::new(&new.village, number, new.category.as_str(), &head, actor.id.as_deref().unwrap_or_default());
    row.client_id = new.client_id.clone();
    row.address = new.address.clone();
    row.profile = new.profile.to_stored();
    if let Err(e) = diesel::insert_into(households::table).values(&row).execute(c) {
        if super::household_numbers::is_number_taken(&e) {
            match &new.number {
                Some(n) => return Err(number_taken(n)),
                None => *number_raced = true,
            }
        }
        return Err(e.into());
    }
    let rows: Vec<MemberRow> = new.members.iter().map(|m| member_row(crypto, &row.id, m)).collect();
    if !rows.is_empty() {
        // In the order of their keyed hashes: two creates sharing two ID numbers wait on each
        // other's index entries in one order, never in a deadlock. The unique index checks the
        // numbers (write_giving_id_numbers).
        let mut ordered = rows.clone();
        ordered.sort_by(|a, b| a.id_number_hmac.cmp(&b.id_number_hmac));
        insert_members(c, &ordered)?;
    }
    let mut after = household_snapshot(&row);
    after["members"] = new.members.iter().zip(&rows).map(|(m, r)| new_member_snapshot(m, r)).collect();
    if let Some(origin) = &new.origin {
        after["category_origin"] = origin.as_str().into();
    }
    audit::append(c, actor, Entry { action: "create", entity_type: "household", entity_id: &row.id, household_id: Some(&row.id), before: None, after: Some(after) })?;
    row.sync_seq = super::sync::stamp(c, std::slice::from_ref(&row.id), &[])?;
    Ok((row, rows))
}

/// Fails with 412 unless the stored version is `expected`.
pub(super) fn check_version(h: &HouseholdRow, expected: Option<i64>) -> Result<(), DbError> {
    match expected {
        Some(v) if v != h.version => Err(DbError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Bumps the version of a household whose aggregate (e.g. its members) changed.
pub(super) fn bump(c: &mut DbConnection, h: &HouseholdRow) -> Result<HouseholdRow, DbError> {
    bump_with(c, h, h.clone())
}

#[derive(Debug, Default, Clone)]
pub struct HouseholdChanges {
    pub number: Option<String>,
    pub address: Option<Option<String>>,
    /// Transfer headship to this member; the former head takes `former_head_relation`.
    pub head: Option<(String, Relation)>,
    /// Assign to a natural village of the household's village, or clear.
    pub natural_village: Option<Option<String>>,
    /// The pre-merger village, or clear.
    pub former_village: Option<Option<DivisionCode>>,
    /// The whole profile, replacing the one kept.
    pub profile: Option<crate::domain::household_profile::Profile>,
}

pub fn update(c: &mut DbConnection, scope: &Scope, actor: &Actor, id: &str, expected: i64, ch: &HouseholdChanges) -> Result<HouseholdRow, DbError> {
    write_tx(c, |c| {
        let before = get_for_update(c, scope, id)?;
        check_version(&before, Some(expected))?;
        let mut next = before.clone();
        if let Some(n) = &ch.number {
            // Taken or not, the unique index of numbers tells at the update (no read before).
            next.number = n.clone();
        }
        if let Some(a) = &ch.address {
            next.address = a.clone();
        }
        if let Some(nv) = &ch.natural_village {
            if let Some(id) = nv {
                use crate::db::schema::natural_villages;
                let found: i64 = natural_villages::table
                    .filter(natural_villages::id.eq(id))
                    .filter(natural_villages::village_code.eq(&before.village_code))
                    .count()
                    .get_result(c)?;
                if found == 0 {
                    return Err(DbError::invalid("natural_village_id", "unknown_natural_village", "not a natural village of the household's village"));
                }
            }
            next.natural_village_id = nv.clone();
        }
        if let Some(fv) = &ch.former_village {
            if let Some(code) = fv {
                // Mergers stay within a county: a village of another county is answered like one
                // that does not exist.
                let county = DivisionCode::parse(&before.county_code).map_err(|e| DbError::corrupt("county", e))?;
                crate::db::repo::divisions::village_for(c, code, &county, "former_village_code", true)?;
                if code.as_str() == before.village_code {
                    return Err(DbError::invalid("former_village_code", "unknown_division", "another administrative village"));
                }
            }
            next.former_village_code = fv.as_ref().map(|d| d.to_string());
        }
        if let Some(p) = &ch.profile {
            next.profile = p.to_stored();
        }
        if let Some((member_id, former)) = &ch.head {
            let current: Vec<MemberRow> = members_of(c, std::slice::from_ref(&before.id), false)?;
            let new_head = current.iter().find(|m| m.id == *member_id).ok_or_else(|| {
                DbError::invalid("head_member_id", "not_a_member", "not a current member of this household")
            })?;
            for m in current.iter().filter(|m| m.relation == Relation::Head.as_str() && m.id != *member_id) {
                diesel::update(members::table.find(&m.id))
                    .set((members::relation.eq(former.as_str()), members::updated_at.eq(now())))
                    .execute(c)?;
            }
            diesel::update(members::table.find(&new_head.id))
                .set((members::relation.eq(Relation::Head.as_str()), members::updated_at.eq(now())))
                .execute(c)?;
            next.head_name = new_head.name.clone();
        }
        let saved = bump_with(c, &before, next).map_err(|e| match &ch.number {
            Some(n) if e.is_refusal_of(crate::db::Unique::HouseholdNumber) => number_taken(n),
            _ => e,
        })?;
        audit::append(c, actor, Entry { action: "update", entity_type: "household", entity_id: id, household_id: Some(id), before: Some(household_snapshot(&before)), after: Some(household_snapshot(&saved)) })?;
        super::sync::stamp(c, &[id.to_owned()], &[])?;
        Ok(saved)
    })
}

/// Writes `next` over `before` with the version bumped, if nobody else wrote in between.
pub fn bump_with(c: &mut DbConnection, before: &HouseholdRow, mut next: HouseholdRow) -> Result<HouseholdRow, DbError> {
    next.version = before.version + 1;
    next.updated_at = now();
    // Every column set (None is NULL): one text, kept in the cache.
    let n = Cached(diesel::update(households::table.filter(households::id.eq(&before.id)).filter(households::version.eq(before.version))).set(&next))
        .execute(c)?;
    if n == 0 {
        return Err(DbError::PreconditionFailed);
    }
    Ok(next)
}

/// Households of a village by number (demo loader idempotency).
pub fn numbers_in_village(c: &mut DbConnection, village: &str) -> QueryResult<Vec<String>> {
    households::table.filter(households::village_code.eq(village)).select(households::number).load(c)
}

/// Current households of the scope, counted.
pub fn count(c: &mut DbConnection, scope: &Scope, division: Option<&DivisionCode>) -> QueryResult<i64> {
    let mut q = scoped(scope);
    if let Some(d) = division {
        q = within(q, d);
    }
    q.count().get_result(c)
}

/// Bulk load (demo and benchmark data): households, members and their audit rows in chunks;
/// multi-row inserts on PostgreSQL, a loop on SQLite. The caller generated valid, unique rows.
pub fn insert_bulk(c: &mut DbConnection, rows: &[HouseholdRow], members: &[MemberRow], actor: &Actor) -> Result<(), DbError> {
    use crate::db::models::AuditRow;
    let audits: Vec<AuditRow> = rows
        .iter()
        .map(|h| AuditRow {
            id: new_id(),
            at: now(),
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            action: "create".into(),
            entity_type: "household".into(),
            entity_id: h.id.clone(),
            household_id: Some(h.id.clone()),
            before_json: None,
            after_json: Some(household_snapshot(h).to_string()),
        })
        .collect();
    write_tx(c, |c| {
        match c {
            DbConnection::Pg(pg) => {
                for chunk in rows.chunks(1000) {
                    diesel::insert_into(households::table).values(chunk).execute(pg)?;
                }
                for chunk in members.chunks(1000) {
                    diesel::insert_into(members::table).values(chunk).execute(pg)?;
                }
                for chunk in audits.chunks(1000) {
                    diesel::insert_into(crate::db::schema::audit_log::table).values(chunk).execute(pg)?;
                }
            }
            DbConnection::Sqlite(lite) => {
                for r in rows {
                    diesel::insert_into(households::table).values(r).execute(lite)?;
                }
                for m in members {
                    diesel::insert_into(members::table).values(m).execute(lite)?;
                }
                for a in &audits {
                    diesel::insert_into(crate::db::schema::audit_log::table).values(a).execute(lite)?;
                }
            }
        }
        Ok(())
    })
}

/// Number and head name of households (ledger exports; the caller holds ids it may see).
pub fn numbers_and_heads(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String, String)>> {
    households::table.filter(households::id.eq_any(ids)).select((households::id, households::number, households::head_name)).load(c)
}

/// A page of the households of `division` in the caller's scope, in the byte order of their
/// numbers after `after` (the division export; the import reads its two sheets side by side in
/// this order, so it must not depend on the database's collation: PostgreSQL's `en_US` or
/// `zh_CN` would sort `A-2` before `A1`).
pub fn page_by_number(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, after: Option<&str>, limit: i64) -> QueryResult<Vec<HouseholdRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let number = match c {
        DbConnection::Pg(_) => "households.number COLLATE \"C\"",
        DbConnection::Sqlite(_) => "households.number COLLATE BINARY",
    };
    let mut q = within(scoped(scope), division);
    if let Some(a) = after {
        q = q.filter(sql::<Bool>(&format!("{number} > ")).bind::<Text, _>(a.to_owned()));
    }
    q.order(sql::<Text>(number).asc()).limit(limit).select(HouseholdRow::as_select()).load(c)
}
