//! Risk screening 集中摸排 of a division for a statistical year: every household of it in the
//! caller's scope judged by the criteria of `domain::screening` from its yearly records of the
//! year and the year before, against the poverty line and exit minimum of its province and year.

use serde_json::json;

use super::{Caller, Created};
use crate::db::models::CaseRow;
use crate::db::repo::households;
use crate::db::repo::procedures::{self as cases, NewCase, Opened};
use crate::db::{DbConnection, write_tx};
use crate::domain::procedure::CaseKind;
use crate::db::models::{HouseholdRow, YearlyRow};
use crate::db::repo::screening::{self as repo, Screened};
use crate::domain::screening::{Criterion, Facts, Figures, Proposal, ScreeningRules, YearFigures, screen};
use crate::domain::yearly::{StatYear, ThresholdRule, threshold_for};
use crate::domain::{Category, DivisionCode, Money};
use crate::error::ApiError;
use crate::state::AppState;

/// Households read at a time, at most and at least.
const CHUNK: i64 = 1000;
const MIN_CHUNK: i64 = 50;

/// How many households to read for the `need` rows a page still lacks, at the rate of rows per
/// household seen so far (`rows` of `read`) with a quarter more: a page reads little past its
/// last row (the next page starts after the last household judged, so what is read past it is
/// read again).
fn chunk(need: i64, read: i64, rows: i64) -> i64 {
    let households = if rows == 0 { need } else { (need as f64 * read as f64 / rows as f64 * 1.25).ceil() as i64 };
    households.clamp(MIN_CHUNK, CHUNK)
}

/// One criterion that fired for one household, with its figures.
pub struct Row {
    pub household: HouseholdRow,
    pub criterion: &'static Criterion,
    pub figures: Figures,
}

/// A page of the screening: the rows of the households after `after` (a household id), at least
/// `limit` rows unless the division ends first (a household's rows stay together);
/// `next`: the last household read, when there are more.
pub struct Screening {
    pub rows: Vec<Row>,
    pub next: Option<String>,
}

fn figures(row: &YearlyRow) -> Result<YearFigures, ApiError> {
    YearFigures::from_stored(&row.record_json, Money::from_fen(row.per_capita_net_income_fen)).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored yearly record: {e}")))
}

/// The criteria that fire for one household in `year` (none without a threshold for its
/// province and year).
fn judge(s: &Screened, rules: &ScreeningRules, thresholds: &[ThresholdRule], year: i32) -> Result<Vec<(&'static Criterion, Figures)>, ApiError> {
    let h = &s.household;
    let province = h.county_code.get(..2).unwrap_or_default();
    let Some(t) = threshold_for(thresholds, province, year) else { return Ok(Vec::new()) };
    let Ok(category) = Category::parse(&h.category) else { return Ok(Vec::new()) };
    let facts = Facts {
        category,
        risk_status: h.risk_status.clone(),
        this_year: s.this_year.as_ref().map(figures).transpose()?,
        last_year: s.last_year.as_ref().map(figures).transpose()?,
        poverty_line: t.poverty_line,
        exit_minimum: t.exit_minimum,
    };
    Ok(screen(&facts, rules))
}

/// Screens `division` (inside the scope, else 404) for `year`; only rows proposing `proposal`
/// when given.
#[tracing::instrument(skip_all, fields(division = %division, year = year.value()))]
pub async fn screen_division(state: &AppState, caller: &Caller, division: DivisionCode, year: StatYear, proposal: Option<Proposal>, after: Option<String>, limit: i64) -> Result<Screening, ApiError> {
    // A list: the current jurisdiction (a cadre's former pairings are for single reads).
    let scope = caller.scope();
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    let (rules, thresholds) = (state.settings.screening.clone(), state.settings.thresholds.clone());
    let year = year.value();
    state
        .db
        .run(move |c| {
            let mut out = Screening { rows: Vec::new(), next: None };
            let mut cursor = after;
            let mut read = 0i64;
            loop {
                let chunk = chunk(limit - out.rows.len() as i64, read, out.rows.len() as i64);
                let page = repo::page(c, &scope, &division, year, cursor.as_deref(), chunk)?;
                let full = page.len() as i64 == chunk;
                read += page.len() as i64;
                for screened in page {
                    cursor = Some(screened.household.id.clone());
                    let fired = judge(&screened, &rules, &thresholds, year)?;
                    let household = screened.household;
                    for (criterion, figures) in fired {
                        if proposal.is_none_or(|p| p == criterion.proposal) {
                            out.rows.push(Row { household: household.clone(), criterion, figures });
                        }
                    }
                    if out.rows.len() as i64 >= limit {
                        out.next = cursor.clone();
                        return Ok(out);
                    }
                }
                if !full {
                    return Ok(out);
                }
            }
        })
        .await
}

/// A case to open from a screening row: the case, and the criterion of the row.
pub struct FromScreening {
    pub case: NewCase,
    pub criterion: &'static Criterion,
}

/// The kinds of case a proposal opens: inclusion → 新纳入 or 返贫; rollback → 风险消除回退 or
/// 风险再标注; elimination → 风险消除 (exit).
pub fn opens(proposal: Proposal, kind: CaseKind) -> bool {
    matches!(
        (proposal, kind),
        (Proposal::Inclusion, CaseKind::Inclusion | CaseKind::Reinclusion) | (Proposal::Rollback, CaseKind::RiskRollback | CaseKind::RiskRemark) | (Proposal::Elimination, CaseKind::Exit)
    )
}

/// Opens the cases a township chose from the screening of `year`, all or nothing: each household
/// in the jurisdiction (else 404), a role that opens cases (else 403); each household screened
/// again now — its criterion must still fire (`not_screened`) and the case's kind must be what
/// the criterion proposes (`kind_not_proposed`) —, then opened as `POST /cases` opens it
/// (`case_not_allowed`, an open case). Any refusal: 409 `batch_refused` listing each, nothing
/// opened. A case sent again with its `client_id` is answered with the first.
#[tracing::instrument(skip_all, fields(year = year.value(), cases = items.len()))]
pub async fn open_cases(state: &AppState, caller: &Caller, year: StatYear, items: Vec<FromScreening>) -> Result<Vec<Created<CaseRow>>, ApiError> {
    let scope = caller.scope();
    let probe = (scope.clone(), items.iter().map(|i| i.case.household_id.clone()).collect::<Vec<_>>());
    state
        .db
        .run(move |c| {
            for id in &probe.1 {
                households::get(c, &probe.0, id)?;
            }
            Ok(())
        })
        .await?;
    caller.require(caller.role.edits_households(), "open cases")?;
    let (rules, thresholds) = (state.settings.screening.clone(), state.settings.thresholds.clone());
    let (actor, today, year) = (caller.actor(), state.today(), year.value());
    state
        .db
        .run(move |c| {
            write_tx(c, |c| {
                let (mut opened, mut refused) = (Vec::new(), Vec::new());
                for item in &items {
                    let one = |c: &mut DbConnection| -> Result<Created<CaseRow>, ApiError> {
                        let screened = repo::of_household(c, &scope, &item.case.household_id, year)?.ok_or(ApiError::NotFound)?;
                        let fired = judge(&screened, &rules, &thresholds, year)?;
                        if !fired.iter().any(|(f, _)| f.id == item.criterion.id) {
                            let now: Vec<&str> = fired.iter().map(|(f, _)| f.id).collect();
                            let now = if now.is_empty() { "none".to_owned() } else { now.join(", ") };
                            return Err(ApiError::Refused { code: "not_screened", message: format!("the criterion {} does not apply to this household in {year} (it meets: {now})", item.criterion.id), failures: None });
                        }
                        let kind = item.case.kind;
                        if !opens(item.criterion.proposal, kind) {
                            return Err(ApiError::Refused { code: "kind_not_proposed", message: format!("the criterion {} proposes {}, not a {} case", item.criterion.id, item.criterion.proposal.as_str(), kind.as_str()), failures: None });
                        }
                        Ok(match cases::open_in(c, &scope, &actor, &item.case, today, |h| super::procedures::may_start(kind, h))? {
                            Opened::New(r) => Created::New(r),
                            Opened::Existing(r) => Created::Existing(r),
                        })
                    };
                    match one(c) {
                        Ok(o) => opened.push(o),
                        Err(e @ (ApiError::Refused { .. } | ApiError::Conflict(_))) => {
                            let p = e.problem();
                            refused.push(json!({"household_id": item.case.household_id, "criterion": item.criterion.id, "code": p.code, "detail": p.detail}));
                        }
                        Err(e) => return Err(e),
                    }
                }
                if !refused.is_empty() {
                    let message = format!("{} of {} households refused: no case was opened", refused.len(), items.len());
                    return Err(ApiError::Refused { code: "batch_refused", message, failures: Some(serde_json::Value::Array(refused)) });
                }
                Ok(opened)
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::chunk;

    #[test]
    fn a_page_reads_about_as_many_households_as_its_missing_rows_need() {
        assert_eq!(chunk(500, 0, 0), 500, "no rate known yet: one household per row");
        assert_eq!(chunk(i64::MAX, 0, 0), 1000, "the whole list: the largest chunk");
        assert_eq!(chunk(50, 1500, 450), 209, "0.3 rows a household: 50 rows need 167, a quarter more");
        assert_eq!(chunk(350, 500, 150), 1000, "never more than the largest chunk");
        assert_eq!(chunk(1, 1000, 999), 50, "never fewer than the smallest");
    }
}
