//! The year's procedure ledgers a township hands in: 动态调整名单 (the inclusions, re-inclusions,
//! exits, 清退 and policy ends of the year's campaign with their dates and outcomes) and 清退台账
//! (the households removed as wrongly included, with the reason and the case).

use super::Caller;
use crate::db::repo::divisions;
use crate::db::repo::ledgers::{self as repo, LedgerCase};
use crate::domain::procedure::CaseKind;
use crate::domain::yearly::StatYear;
use crate::domain::{DivisionCode, Role};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// 动态调整名单
    Adjustments,
    /// 清退台账
    Removals,
}

impl Ledger {
    pub fn kinds(self) -> &'static [CaseKind] {
        match self {
            Ledger::Adjustments => &[CaseKind::Inclusion, CaseKind::Reinclusion, CaseKind::Exit, CaseKind::Removal, CaseKind::PolicyEnd],
            Ledger::Removals => &[CaseKind::Removal],
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Ledger::Adjustments => "动态调整名单",
            Ledger::Removals => "清退台账",
        }
    }
}

/// A ledger of a division for a year: its name and the cases opened in that calendar year.
pub struct LedgerOf {
    pub division: DivisionCode,
    pub name: String,
    pub year: StatYear,
    pub cases: Vec<LedgerCase>,
}

/// The ledger of `division` (default: the jurisdiction; 404 outside it) for `year`; not for
/// cadres (403: they hand in no ledger).
#[tracing::instrument(skip_all, fields(division = ?division, year = year.value()))]
pub async fn ledger(state: &AppState, caller: &Caller, which: Ledger, division: Option<DivisionCode>, year: StatYear) -> Result<LedgerOf, ApiError> {
    let scope = caller.scope();
    let division = division.unwrap_or_else(|| scope.division().clone());
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    caller.require(caller.role != Role::Cadre, "read the procedure ledgers")?;
    let kinds: Vec<&'static str> = which.kinds().iter().map(|k| k.as_str()).collect();
    // The year's adjustment is the campaign of that calendar year (its schedule runs from the
    // collection in autumn to the acceptance in December): cases opened from 1 January to 31
    // December.
    let y = year.value();
    let (from, to) = (chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default(), chrono::NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or_default());
    state
        .db
        .run(move |c| {
            let name = divisions::get(c, division.as_str())?.map(|d| d.name).unwrap_or_else(|| division.to_string());
            let cases = repo::cases_opened(c, &scope, &division, &kinds, from, to)?;
            Ok(LedgerOf { division, name, year, cases })
        })
        .await
}
