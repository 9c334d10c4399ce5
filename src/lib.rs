//! fangpin 防贫: the backend of the rural poverty-monitoring phone app and township review.
//!
//! Layers, each using only those below it (DESIGN.md; `tests/api/layers.rs` checks the imports;
//! the README's architecture section draws them):
//! - `api` (HTTP; `auth` finds the caller, `error` is its problem+json)
//! - `services` (the use cases; beside them `import`, `maintenance`, `demo`): never `api`
//! - `db` / `storage` (data access in their own error types, always scoped; never `api`, `auth`,
//!   `services`, `state` or `ApiError`)
//! - `domain` (pure rules and types, the caller's `Scope` among them) over `geo` and `photos`
//!   (coordinates and image bytes): no framework, no I/O, nothing from above; `geo` is the bottom.
//!
//! Beside them: `config`, `crypto`, `xlsx`, `telemetry`, `workers` (thread pools), and the wiring
//! (`startup`, `state`).

pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod export;
pub mod error;
pub mod geo;
pub mod import;
pub mod maintenance;
pub mod photos;
pub mod private_fs;
pub mod services;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod workers;
pub mod xlsx;
