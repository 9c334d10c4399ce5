//! The natural increase and decrease ledger 自然增减台账 of a division and statistical year:
//! every member who joined (增加) or left (减少) a household of the division in the period, with
//! the names of the villages and townships, within the caller's scope.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::Caller;
use crate::db::models::MemberRow;
use crate::db::repo::members::{self as repo, ChangedHousehold};
use crate::db::repo::divisions;
use crate::domain::DivisionCode;
use crate::error::ApiError;
use crate::state::AppState;

/// The changes of a period: increases by joining date, decreases by leave date (a member who
/// joined and left in it is in both).
pub struct Ledger {
    pub division: DivisionCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub increases: Vec<(MemberRow, ChangedHousehold)>,
    pub decreases: Vec<(MemberRow, ChangedHousehold)>,
    /// Names of the villages and townships named.
    pub names: HashMap<String, String>,
}

/// The ledger of `division` (default: the caller's jurisdiction; one outside it is 404) from
/// `from` to `to`.
#[tracing::instrument(skip_all, fields(division = ?division))]
pub async fn ledger(state: &AppState, caller: &Caller, division: Option<DivisionCode>, from: NaiveDate, to: NaiveDate) -> Result<Ledger, ApiError> {
    let scope = caller.scope();
    let division = division.unwrap_or_else(|| scope.division().clone());
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    let d = division.clone();
    let (rows, names) = state
        .db
        .run(move |c| {
            let rows = repo::natural_changes(c, &scope, &d, from, to)?;
            let mut codes: Vec<String> = rows.iter().flat_map(|(_, h)| [h.village_code.clone(), h.township_code.clone()]).collect();
            codes.sort();
            codes.dedup();
            let names = divisions::names(c, &codes)?;
            Ok((rows, names))
        })
        .await?;
    let within = |d: Option<NaiveDate>| d.is_some_and(|d| from <= d && d <= to);
    // Rows come by village and household number; within a household, by the day.
    let mut increases: Vec<(MemberRow, ChangedHousehold)> = rows.iter().filter(|(m, _)| within(m.joined_on)).cloned().collect();
    increases.sort_by(|(a, ha), (b, hb)| (&ha.village_code, &ha.number, a.joined_on).cmp(&(&hb.village_code, &hb.number, b.joined_on)));
    let mut decreases: Vec<(MemberRow, ChangedHousehold)> = rows.into_iter().filter(|(m, _)| m.removed_at.is_some() && within(m.left_on)).collect();
    decreases.sort_by(|(a, ha), (b, hb)| (&ha.village_code, &ha.number, a.left_on).cmp(&(&hb.village_code, &hb.number, b.left_on)));
    Ok(Ledger { division, from, to, increases, decreases, names })
}
