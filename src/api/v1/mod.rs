//! Version 1 of the API, one module per resource.

pub mod assistance;
pub mod auth;
pub mod divisions;
pub mod households;
pub mod imports;
pub mod locations;
pub mod photos;
pub mod procedures;
pub mod spot_checks;
pub mod quality;
pub mod sync;
pub mod users;
pub mod villages;
pub mod yearly;
