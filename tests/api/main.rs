//! API tests: the real app in-process, on SQLite (temp file per test) or, when
//! `FANGPIN_TEST_DATABASE_URL` names a PostgreSQL database, on a fresh schema per test.

mod assistance;
mod at_rest;
mod auth;
mod console;
mod disclosure;
mod divisions;
mod exif_layouts;
mod exports;
mod helpers;
mod households;
mod idempotency;
mod imports;
mod locations;
mod lost_updates;
mod members;
mod nosniff;
mod matrix;
mod memory;
mod jpeg;
mod ops;
mod personal_data;
mod photos;
mod procedures;
mod quality;
mod refusals;
mod sessions;
mod sync;
mod users;
mod villages;
mod yearly;
