//! API tests: the real app in-process, on SQLite (temp file per test) or, when
//! `FANGPIN_TEST_DATABASE_URL` names a PostgreSQL database, on a fresh schema per test.

// A test states its expectations by unwrapping (Cargo.toml denies it outside tests; clippy.toml
// allows it in `#[test]` functions, and here in the helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assistance;
mod at_rest;
mod auth;
mod bodies;
mod calendar_days;
mod case_documents;
mod conformance;
mod console;
mod disclosure;
mod division_fields;
mod divisions;
mod document;
mod documents;
mod exif_layouts;
mod exports;
mod helpers;
mod household_export;
mod household_profile;
mod households;
mod idempotency;
mod guarded_updates;
mod imports;
mod instances;
mod locations;
mod lost_updates;
mod members;
mod mergers;
mod natural_changes;
mod nosniff;
mod former_pairings;
mod matrix;
mod read_log;
mod memory;
mod jpeg;
mod labels;
mod ledgers;
mod layers;
mod ops;
mod oracles;
mod personal_data;
mod photo_authenticity;
mod photos;
mod procedure_calendar;
mod problems;
mod procedures;
mod projects;
mod loans;
mod migrant_work;
mod quality;
mod refusals;
mod reports;
mod scope_filters;
mod screening;
mod screening_cases;
mod sessions;
mod shutdown;
mod sync;
mod user_admin;
mod users;
mod villages;
mod yearly;
