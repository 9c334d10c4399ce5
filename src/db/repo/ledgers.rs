//! The year's procedure ledgers of a division: the cases of some kinds opened in a period, with
//! their household's number and head and the date of their last step.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::models::CaseRow;
use crate::db::schema::{case_steps, cases};
use crate::db::{DbConnection, filters};
use crate::domain::{DivisionCode, Scope};

/// A case as a ledger lists it.
pub struct LedgerCase {
    pub case: CaseRow,
    pub number: String,
    pub head_name: String,
    /// The date of its last step (none before the first).
    pub last_step_on: Option<NaiveDate>,
}

/// Cases of `kinds` in `division` (inside the scope) opened from `from` to `to`, in order of
/// village, household number and opening.
pub fn cases_opened(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, kinds: &[&str], from: NaiveDate, to: NaiveDate) -> QueryResult<Vec<LedgerCase>> {
    let found: Vec<CaseRow> = cases::table
        .filter(filters::cases::in_scope(scope))
        .filter(filters::cases::in_division(division))
        .filter(cases::kind.eq_any(kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>()))
        .filter(cases::opened_on.between(from, to))
        .select(CaseRow::as_select())
        .load(c)?;
    let household_ids: Vec<String> = found.iter().map(|r| r.household_id.clone()).collect();
    let heads: std::collections::HashMap<String, (String, String)> = super::households::numbers_and_heads(c, &household_ids)?.into_iter().map(|(id, number, head)| (id, (number, head))).collect();
    let mut rows: Vec<(CaseRow, String, String)> = found
        .into_iter()
        .map(|r| {
            let (number, head) = heads.get(&r.household_id).cloned().unwrap_or_default();
            (r, number, head)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0.village_code, &a.1, a.0.opened_on, &a.0.id).cmp(&(&b.0.village_code, &b.1, b.0.opened_on, &b.0.id)));
    let ids: Vec<String> = rows.iter().map(|(r, ..)| r.id.clone()).collect();
    let mut last: std::collections::HashMap<String, NaiveDate> = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let steps: Vec<(String, NaiveDate)> = case_steps::table.filter(case_steps::case_id.eq_any(chunk)).select((case_steps::case_id, case_steps::step_date)).load(c)?;
        for (id, on) in steps {
            let e = last.entry(id).or_insert(on);
            *e = (*e).max(on);
        }
    }
    Ok(rows.into_iter().map(|(case, number, head_name)| LedgerCase { last_step_on: last.get(&case.id).copied(), case, number, head_name }).collect())
}
