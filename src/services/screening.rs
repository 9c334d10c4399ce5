//! Risk screening 集中摸排 of a division for a statistical year: every household of it in the
//! caller's scope judged by the criteria of `domain::screening` from its yearly records of the
//! year and the year before, against the poverty line and exit minimum of its province and year.

use super::Caller;
use crate::db::models::{HouseholdRow, YearlyRow};
use crate::db::repo::screening::{self as repo, Screened};
use crate::domain::screening::{Criterion, Facts, Figures, Proposal, YearFigures, screen};
use crate::domain::yearly::{StatYear, YearRecord, threshold_for};
use crate::domain::{Category, DivisionCode, Money};
use crate::error::ApiError;
use crate::state::AppState;

/// Households read at a time.
const CHUNK: i64 = 1000;

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
    let r: YearRecord = serde_json::from_str(&row.record_json).map_err(|e| ApiError::Internal(anyhow::anyhow!("stored yearly record: {e}")))?;
    let g = &r.guarantees;
    let with = |health: &str| r.members.iter().filter(|m| m.health == health).map(|m| m.member_id.clone()).collect();
    Ok(YearFigures {
        per_capita: Money::from_fen(row.per_capita_net_income_fen),
        net_income: r.income.net(),
        transfers: r.income.transfers,
        rigid_expenses: r.rigid_expenses.total(),
        disaster_expenses: r.rigid_expenses.disaster,
        guarantees_met: [&g.food_clothing, &g.drinking_water, &g.compulsory_education, &g.basic_medical, &g.housing_safety].iter().all(|x| x.ok),
        seriously_ill: with("serious_illness"),
        disabled: with("disabled"),
    })
}

/// Screens `division` (inside the scope, else 404) for `year`; only rows proposing `proposal`
/// when given.
#[tracing::instrument(skip_all, fields(division = %division, year = year.value()))]
pub async fn screen_division(state: &AppState, caller: &Caller, division: DivisionCode, year: StatYear, proposal: Option<Proposal>, after: Option<String>, limit: i64) -> Result<Screening, ApiError> {
    let scope = caller.read_scope();
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
            loop {
                let page = repo::page(c, &scope, &division, year, cursor.as_deref(), CHUNK)?;
                let full = page.len() as i64 == CHUNK;
                for Screened { household, this_year, last_year } in page {
                    cursor = Some(household.id.clone());
                    let province = household.county_code.get(..2).unwrap_or_default();
                    let Some(t) = threshold_for(&thresholds, province, year) else { continue };
                    let Ok(category) = Category::parse(&household.category) else { continue };
                    let facts = Facts {
                        category,
                        risk_status: household.risk_status.clone(),
                        this_year: this_year.as_ref().map(figures).transpose()?,
                        last_year: last_year.as_ref().map(figures).transpose()?,
                        poverty_line: t.poverty_line,
                        exit_minimum: t.exit_minimum,
                    };
                    for (criterion, figures) in screen(&facts, &rules) {
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
