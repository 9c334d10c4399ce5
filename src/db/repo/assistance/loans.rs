//! Microcredit 小额信贷: loans of a household, scoped through their household.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::super::audit::{self, Actor, Entry};
use super::super::households;
use super::Created;
use crate::db::schema::{households as h, loans as l};
use crate::db::{DbConnection, DbError, filters, now, write_tx};
use crate::domain::{DivisionCode, Scope};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = l)]
#[diesel(treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct LoanRow {
    pub id: String,
    pub client_id: Option<String>,
    pub household_id: String,
    pub lender: String,
    pub amount_fen: i64,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub extended_to: Option<NaiveDate>,
    pub purpose: Option<String>,
    pub interest_subsidy_fen: i64,
    pub status: String,
    pub repaid_on: Option<NaiveDate>,
    pub version: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn audit_after(r: &LoanRow) -> serde_json::Value {
    json!({"lender": r.lender, "amount_fen": r.amount_fen, "issued_on": r.issued_on, "due_on": r.due_on, "extended_to": r.extended_to,
        "interest_subsidy_fen": r.interest_subsidy_fen, "status": r.status, "repaid_on": r.repaid_on, "version": r.version})
}

/// The household's loans (the household in scope, else 404), latest issued first.
pub fn of_household(c: &mut DbConnection, scope: &Scope, household_id: &str) -> Result<Vec<LoanRow>, DbError> {
    households::get(c, scope, household_id)?;
    Ok(of_households(c, &[household_id.to_owned()])?)
}

/// The loans of several households (the caller scoped them).
pub fn of_households(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<LoanRow>> {
    l::table.filter(l::household_id.eq_any(ids)).order((l::household_id, l::issued_on.desc(), l::id.desc())).select(LoanRow::as_select()).load(c)
}

/// A loan whose household is in scope (404 otherwise).
pub fn get(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<LoanRow, DbError> {
    let row: LoanRow = l::table.find(id).select(LoanRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)?;
    households::get(c, scope, &row.household_id)?;
    Ok(row)
}

/// Records a loan (a retry with the same `client_id` gets the first).
pub fn add(c: &mut DbConnection, scope: &Scope, actor: &Actor, row: LoanRow) -> Result<Created<LoanRow>, DbError> {
    write_tx(c, |c| {
        households::get(c, scope, &row.household_id)?;
        if let Some(cid) = &row.client_id {
            let existing: Option<LoanRow> = l::table.filter(l::client_id.eq(cid)).select(LoanRow::as_select()).first(c).optional()?;
            match existing {
                Some(e) if e.household_id == row.household_id => return Ok(Created::Existing(e)),
                Some(_) => return Err(DbError::Conflict("this client_id was used for another loan".into())),
                None => {}
            }
        }
        diesel::insert_into(l::table).values(&row).execute(c)?;
        audit::append(c, actor, Entry { action: "loan_add", entity_type: "loan", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(audit_after(&row)) })?;
        Ok(Created::New(row))
    })
}

/// Replaces a loan's fields if `expected` is its version (the service merged and checked them).
pub fn update(c: &mut DbConnection, scope: &Scope, actor: &Actor, expected: i64, next: LoanRow) -> Result<LoanRow, DbError> {
    write_tx(c, |c| {
        let before = get(c, scope, &next.id)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        let mut next = next;
        next.version = expected + 1;
        next.updated_at = now();
        let n = diesel::update(l::table.filter(l::id.eq(&next.id)).filter(l::version.eq(expected))).set(&next).execute(c)?;
        if n == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "loan_update", entity_type: "loan", entity_id: &next.id, household_id: Some(&next.household_id), before: Some(audit_after(&before)), after: Some(audit_after(&next)) })?;
        Ok(next)
    })
}

/// What a division's list of loans filters on.
pub struct LoanFilter {
    pub division: DivisionCode,
    pub status: Option<String>,
    /// Only loans overdue on this day (the domain's `LoanTerms::is_overdue`: marked overdue, or
    /// not repaid and past the extended due date, else the due date).
    pub overdue_on: Option<NaiveDate>,
    pub after: Option<String>,
    pub limit: i64,
}

/// A loan with its household's number, village and head (a division's list).
pub struct ListedLoan {
    pub number: String,
    pub village_code: String,
    pub head_name: String,
    pub row: LoanRow,
}

/// Loans joined to their households, of the households of `division` in the scope: narrowed by
/// division in the database (a county's household ids are never read out); a cadre's few paired
/// households by id.
fn in_scope_within(c: &mut DbConnection, scope: &Scope, division: &DivisionCode) -> QueryResult<diesel::helper_types::IntoBoxed<'static, diesel::helper_types::InnerJoin<l::table, h::table>, crate::db::Backend>> {
    let q = l::table.inner_join(h::table).into_boxed().filter(filters::households::in_division(division));
    Ok(if scope.cadre_user().is_some() {
        let mine: Vec<String> = households::within(households::scoped(scope), division).select(h::id).load(c)?;
        q.filter(l::household_id.eq_any(mine))
    } else {
        q.filter(filters::households::in_division(scope.division()))
    })
}

/// The loans of the households of a division in scope, by loan id.
pub fn page_in(c: &mut DbConnection, scope: &Scope, f: &LoanFilter) -> QueryResult<Vec<ListedLoan>> {
    let mut q = in_scope_within(c, scope, &f.division)?;
    if let Some(s) = &f.status {
        q = q.filter(l::status.eq(s.clone()));
    }
    if let Some(today) = f.overdue_on {
        let past_due = l::extended_to.lt(today).or(l::extended_to.is_null().and(l::due_on.lt(today)));
        q = q.filter(l::status.eq("overdue").or(l::status.ne("repaid").and(past_due)));
    }
    if let Some(a) = &f.after {
        q = q.filter(l::id.gt(a.clone()));
    }
    let rows: Vec<(String, String, String, LoanRow)> = q.order(l::id.asc()).limit(f.limit).select((h::number, h::village_code, h::head_name, LoanRow::as_select())).load(c)?;
    Ok(rows.into_iter().map(|(number, village_code, head_name, row)| ListedLoan { number, village_code, head_name, row }).collect())
}

/// Loans not repaid of the households of a division in scope, with their village and
/// township (coverage counts the overdue ones; whether a loan is overdue is the domain's).
pub fn unrepaid_in(c: &mut DbConnection, scope: &Scope, division: &DivisionCode) -> QueryResult<Vec<(String, String, LoanRow)>> {
    in_scope_within(c, scope, division)?.filter(l::status.ne("repaid")).select((h::village_code, h::township_code, LoanRow::as_select())).load(c)
}
