//! Version 1 of the API, one module per resource.

pub mod auth;
pub mod cadres;
pub mod case_documents;
pub mod divisions;
pub mod documents;
pub mod exports;
pub mod households;
pub mod imports;
pub mod labels;
pub mod ledgers;
pub mod locations;
pub mod measures;
pub mod members;
pub mod natural_changes;
pub mod pairings;
pub mod photos;
pub mod procedure_lists;
pub mod procedures;
pub mod spot_checks;
pub mod quality;
pub mod screening;
pub mod sync;
pub mod users;
pub mod villages;
pub mod work_teams;
pub mod yearly;
