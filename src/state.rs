//! What every handler shares: the database, keys and settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::crypto::Crypto;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub jwt: JwtKeys,
    pub crypto: Crypto,
    pub settings: Arc<Settings>,
    pub tz: chrono_tz::Tz,
    /// Set once migrations have run (they are retried while the database is down at start).
    pub migrated: Arc<AtomicBool>,
}

impl AppState {
    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::Acquire)
    }

    /// Today in the service's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.tz).date_naive()
    }
}
