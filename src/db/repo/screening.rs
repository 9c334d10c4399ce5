//! What the risk screening reads: the households of a division in the scope, a page at a time in
//! id order, with their yearly records of the statistical year and the year before.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{households, yearly};
use crate::db::DbConnection;
use crate::db::models::{HouseholdRow, YearlyRow};
use crate::db::schema::households as h;
use crate::domain::{DivisionCode, Scope};

/// A household with its records of `year` and `year - 1`.
pub struct Screened {
    pub household: HouseholdRow,
    pub this_year: Option<YearlyRow>,
    pub last_year: Option<YearlyRow>,
}

pub fn page(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, year: i32, after: Option<&str>, limit: i64) -> QueryResult<Vec<Screened>> {
    let mut q = households::within(households::scoped(scope), division);
    if let Some(a) = after {
        q = q.filter(h::id.gt(a.to_owned()));
    }
    let rows: Vec<HouseholdRow> = q.order(h::id.asc()).limit(limit).select(HouseholdRow::as_select()).load(c)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut this: HashMap<String, YearlyRow> = yearly::for_households(c, &ids, year)?.into_iter().map(|r| (r.household_id.clone(), r)).collect();
    let mut last: HashMap<String, YearlyRow> = yearly::for_households(c, &ids, year - 1)?.into_iter().map(|r| (r.household_id.clone(), r)).collect();
    Ok(rows.into_iter().map(|household| Screened { this_year: this.remove(&household.id), last_year: last.remove(&household.id), household }).collect())
}

/// One household of the scope (None outside it) with its records of `year` and `year - 1`.
pub fn of_household(c: &mut DbConnection, scope: &Scope, id: &str, year: i32) -> QueryResult<Option<Screened>> {
    let Some(household) = households::find(c, scope, id)? else { return Ok(None) };
    let ids = [household.id.clone()];
    let this_year = yearly::for_households(c, &ids, year)?.into_iter().next();
    let last_year = yearly::for_households(c, &ids, year - 1)?.into_iter().next();
    Ok(Some(Screened { household, this_year, last_year }))
}
