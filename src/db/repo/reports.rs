//! What the township's year reports read: the problems found in a statistical year, households
//! and people by category, risks of the monitoring objects, and the latest spot check's
//! results, each inside the caller's scope.

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::quality::within;
use crate::db::models::{ProblemRow, SpotCheckRow};
use crate::db::schema::{households as h, members as m, problems as p, spot_check_items as sci, spot_checks as sc};
use crate::db::{DbConnection, DbError, filters};
use crate::domain::{DivisionCode, Level, Scope};

/// The problems of the division found in `year` (a rule problem: opened in it), in the order of
/// the ledger (township, village, household, id); at most `max` (more: 422 `too_many_rows` on
/// `division`, having read no more than one past the limit).
pub fn problems_of_year(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, year: i32, max: usize) -> Result<Vec<ProblemRow>, DbError> {
    within(scope, division)?;
    let (first, last) = (NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    let (from, to) = (first.and_hms_opt(0, 0, 0).unwrap_or_default(), (last + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default());
    p::table
        .filter(filters::problems::in_division(division))
        .filter(p::found_on.between(first, last).or(p::found_on.is_null().and(p::created_at.ge(from)).and(p::created_at.lt(to))))
        .order((p::township_code.asc(), p::village_code.asc(), p::household_id.asc(), p::id.asc()))
        .limit(max as i64 + 1)
        .select(ProblemRow::as_select())
        .load(c)
        .map_err(DbError::from)
        .and_then(|rows: Vec<ProblemRow>| {
            if rows.len() > max {
                return Err(DbError::invalid("division", "too_many_rows", format!("more than {max} problems were found in {year} in this division: ask for the report of a township or a village (the ledger /quality/problems pages through any number)")));
            }
            Ok(rows)
        })
}

/// (category, households, current members) of the division's households.
pub fn by_category(c: &mut DbConnection, scope: &Scope, division: &DivisionCode) -> Result<Vec<(String, i64, i64)>, DbError> {
    within(scope, division)?;
    let households: Vec<(String, i64)> = h::table.filter(filters::households::in_division(division)).group_by(h::category).select((h::category, count_star())).load(c)?;
    let people: Vec<(String, i64)> = m::table
        .inner_join(h::table)
        .filter(filters::households::in_division(division))
        .filter(m::removed_at.is_null())
        .group_by(h::category)
        .select((h::category, count_star()))
        .load(c)?;
    Ok(households.into_iter().map(|(cat, n)| {
        let ppl = people.iter().find(|(c2, _)| *c2 == cat).map_or(0, |(_, n)| *n);
        (cat, n, ppl)
    }).collect())
}

/// (risk status, households) of the division's monitoring objects (`None`: not recorded).
pub fn risks(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, monitored: &[&str]) -> Result<Vec<(Option<String>, i64)>, DbError> {
    within(scope, division)?;
    Ok(h::table
        .filter(filters::households::in_division(division))
        .filter(h::category.eq_any(monitored))
        .group_by(h::risk_status)
        .select((h::risk_status, count_star()))
        .load(c)?)
}

/// The latest spot check over the division or a division containing it, with the results of
/// its households inside the division (identification, data).
pub fn latest_spot_check(c: &mut DbConnection, scope: &Scope, division: &DivisionCode) -> Result<Option<(SpotCheckRow, Vec<(Option<bool>, Option<bool>)>)>, DbError> {
    within(scope, division)?;
    let mut around: Vec<String> = [Level::County, Level::Township, Level::Village].iter().filter_map(|l| division.ancestor(*l)).map(|d| d.to_string()).collect();
    around.push(division.to_string());
    let Some(check) = sc::table.filter(sc::division_code.eq_any(around)).order((sc::created_at.desc(), sc::id.desc())).select(SpotCheckRow::as_select()).first(c).optional()? else {
        return Ok(None);
    };
    let mut q = sci::table.filter(sci::spot_check_id.eq(&check.id)).into_boxed();
    q = match division.level() {
        Level::Village => q.filter(sci::village_code.eq(division.to_string())),
        Level::Township => q.filter(sci::township_code.eq(division.to_string())),
        _ => q,
    };
    let results = q.select((sci::identification_correct, sci::data_correct)).load(c)?;
    Ok(Some((check, results)))
}
