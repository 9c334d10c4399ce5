//! fangpin 防贫: the backend of the rural poverty-monitoring phone app and township review.
//! Layers (each uses only those below it): `api` → `auth` → `db` / `storage` → `domain`, `geo`.

pub mod api;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod geo;
pub mod import;
pub mod maintenance;
pub mod photos;
pub mod private_fs;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod xlsx;
