//! Version 1 of the API, one module per resource.

pub mod auth;
pub mod cadres;
pub mod divisions;
pub mod documents;
pub mod exports;
pub mod households;
pub mod imports;
pub mod labels;
pub mod locations;
pub mod measures;
pub mod members;
pub mod natural_changes;
pub mod pairings;
pub mod photos;
pub mod procedures;
pub mod spot_checks;
pub mod problems;
pub mod quality;
pub mod reports;
pub mod sync;
pub mod users;
pub mod villages;
pub mod work_teams;
pub mod yearly;
