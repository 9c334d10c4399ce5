//! Assistance 帮扶, one module per resource: cadres of a county, pairings 结对 of cadres with
//! households (at most one current per household), resident work teams 驻村工作队 and measures
//! 帮扶措施. Pairings change what a cadre's phone holds, so they stamp the sync sequence.

pub mod cadres;
pub mod measures;
pub mod pairings;
pub mod projects;
pub mod loans;
pub mod migrant_work;
pub mod work_teams;

use crate::domain::{DivisionCode, Level, Scope};

/// The county of a scope: cadres are kept per county.
pub fn county_of(scope: &Scope) -> DivisionCode {
    scope.division().ancestor(Level::County).unwrap_or_else(|| scope.division().clone())
}

/// A create that may be a phone's retry: the first result, or a new row.
pub enum Created<T> {
    New(T),
    Existing(T),
}
