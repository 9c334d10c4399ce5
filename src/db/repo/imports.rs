//! The household spreadsheet import's writes: a batch of parsed households with their members
//! and yearly records in one transaction.

use diesel::prelude::*;

use super::audit::Actor;
use super::households::{household_snapshot, member_row};
use super::yearly;
use crate::crypto::Crypto;
use crate::db::models::{AuditRow, HouseholdRow, MemberRow};
use crate::db::schema::{audit_log, divisions, households, members, yearly_records};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::import::ImportItem;
use crate::domain::member::Left;
use crate::domain::{DivisionCode, Relation, Scope};

/// What became of one household of an import batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    New,
    /// A household with this number exists: left as it is (re-importing changes nothing).
    Existing,
    /// Refused: (member index or none, column, problem).
    Refused(Option<usize>, &'static str, String),
}

/// Imports a batch of parsed households in one transaction: known villages only, numbers not
/// taken, ID numbers not current members elsewhere (nor twice in the batch). Multi-row inserts
/// on PostgreSQL.
pub fn import_batch(c: &mut DbConnection, scope: &Scope, crypto: &Crypto, actor: &Actor, batch: &[ImportItem]) -> Result<Vec<Imported>, DbError> {
    write_tx(c, |c| {
        let numbers: Vec<String> = batch.iter().filter_map(|h| h.household.number.clone()).collect();
        // Number → village of the households that hold one of the batch's numbers.
        let taken: std::collections::HashMap<String, String> =
            households::table.filter(households::number.eq_any(&numbers)).select((households::number, households::village_code)).load::<(String, String)>(c)?.into_iter().collect();
        let mut villages: Vec<String> = batch.iter().map(|h| h.household.village.to_string()).collect();
        villages.sort();
        villages.dedup();
        let known: std::collections::HashSet<String> = divisions::table
            .filter(divisions::code.eq_any(&villages))
            .filter(divisions::level.eq("village"))
            .filter(divisions::merged_into.is_null())
            .select(divisions::code)
            .load::<String>(c)?
            .into_iter()
            .collect();
        // Members without a number (无户籍人口) hold none.
        let hmacs: Vec<String> = batch.iter().flat_map(|h| h.household.members.iter().filter_map(|m| Some(crypto.lookup_hash("id", m.id_number()?.as_str())))).collect();
        // A member who left may hold a number another household's member holds now (moved there).
        let held: std::collections::HashSet<String> = hmacs
            .chunks(1000)
            .map(|chunk| members::table.filter(members::id_number_hmac.eq_any(chunk)).filter(members::removed_at.is_null()).select(members::id_number_hmac).load::<Option<String>>(c))
            .collect::<QueryResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        let (mut rows, mut mrows, mut audits, mut yrows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ImportItem { household: h, years, left } in batch {
            let number = h.number.clone().unwrap_or_default();
            if !scope.covers(&h.village) {
                outcomes.push(Imported::Refused(None, "行政村代码", "the village is outside your jurisdiction".into()));
                continue;
            }
            // Only the caller's own households count as already imported; a number held outside
            // the jurisdiction is refused in the words a new number's clash would get, naming nothing.
            match taken.get(&number) {
                Some(v) if DivisionCode::parse(v).is_ok_and(|v| scope.covers(&v)) => {
                    outcomes.push(Imported::Existing);
                    continue;
                }
                Some(_) => {
                    outcomes.push(Imported::Refused(None, "户编号", "the household number is already registered".into()));
                    continue;
                }
                None => {}
            }
            if !known.contains(h.village.as_str()) {
                outcomes.push(Imported::Refused(None, "行政村代码", format!("{} is not an administrative village (or was merged into another)", h.village)));
                continue;
            }
            let member_rows: Vec<MemberRow> = h.members.iter().zip(left).map(|(m, l)| left_row(member_row(crypto, "", m), l)).collect();
            let current = |m: &MemberRow| m.removed_at.is_none();
            if let Some(i) = member_rows.iter().position(|m| current(m) && m.id_number_hmac.as_ref().is_some_and(|h| held.contains(h) || seen.contains(h))) {
                outcomes.push(Imported::Refused(Some(i), "证件号码", "this ID number is a current member of another household".into()));
                continue;
            }
            if !seen.insert(number.clone()) {
                outcomes.push(Imported::Refused(None, "户编号", "the number appears twice in the file".into()));
                continue;
            }
            let head = h.members.iter().zip(left).find(|(m, l)| m.relation == Relation::Head && l.is_none()).map(|(m, _)| m.name.clone()).unwrap_or_default();
            let mut row = HouseholdRow::new(&h.village, number, h.category.as_str(), &head, actor.id.as_deref().unwrap_or_default());
            row.address = h.address.clone();
            row.profile = h.profile.to_stored();
            let ids: Vec<String> = member_rows.iter().map(|m| m.id.clone()).collect();
            let current_count = member_rows.iter().filter(|m| current(m)).count();
            for mut m in member_rows {
                if let Some(h) = m.id_number_hmac.as_ref().filter(|_| m.removed_at.is_none()) {
                    seen.insert(h.clone());
                }
                m.household_id = row.id.clone();
                mrows.push(m);
            }
            for (year, record) in years {
                yrows.push(yearly::imported_row(&row.id, *year, record, &ids, current_count, actor)?);
            }
            audits.push(AuditRow {
                id: new_id(),
                at: now(),
                actor_id: actor.id.clone(),
                actor_name: actor.name.clone(),
                action: "import".into(),
                entity_type: "household".into(),
                entity_id: row.id.clone(),
                household_id: Some(row.id.clone()),
                before_json: None,
                after_json: Some({
                    // Imported data is a migration: its categories are kept, their origin recorded.
                    let mut after = household_snapshot(&row);
                    after["category_origin"] = h.origin.as_deref().unwrap_or("import").into();
                    after.to_string()
                }),
            });
            rows.push(row);
            outcomes.push(Imported::New);
        }
        match c {
            DbConnection::Pg(pg) => {
                for chunk in rows.chunks(1000) {
                    diesel::insert_into(households::table).values(chunk).execute(pg)?;
                }
                for chunk in mrows.chunks(1000) {
                    diesel::insert_into(members::table).values(chunk).execute(pg)?;
                }
                for chunk in audits.chunks(1000) {
                    diesel::insert_into(audit_log::table).values(chunk).execute(pg)?;
                }
                for chunk in yrows.chunks(1000) {
                    diesel::insert_into(yearly_records::table).values(chunk).execute(pg)?;
                }
            }
            DbConnection::Sqlite(lite) => {
                for r in &rows {
                    diesel::insert_into(households::table).values(r).execute(lite)?;
                }
                for m in &mrows {
                    diesel::insert_into(members::table).values(m).execute(lite)?;
                }
                for a in &audits {
                    diesel::insert_into(audit_log::table).values(a).execute(lite)?;
                }
                for y in &yrows {
                    diesel::insert_into(yearly_records::table).values(y).execute(lite)?;
                }
            }
        }
        if !rows.is_empty() {
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            super::sync::stamp(c, &ids, &[])?;
        }
        Ok(outcomes)
    })
}

/// A member row of one who left: removed (at the start of the day they left) with the reason.
fn left_row(mut m: MemberRow, left: &Option<Left>) -> MemberRow {
    if let Some(l) = left {
        m.removed_at = l.on.and_hms_opt(0, 0, 0);
        m.removed_reason = Some(l.reason.as_str().to_owned());
        m.left_on = Some(l.on);
    }
    m
}
