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
    /// Full-record reads, recorded in the background.
    pub read_log: crate::db::repo::audit::ReadLog,
    /// Recently authenticated users (a few seconds), to spare a query per request.
    pub users: Arc<UserCache>,
    /// Photo objects (local folder, S3 or memory).
    pub storage: crate::storage::Storage,
    /// Slots for CPU-bound photo processing.
    pub photo_slots: Arc<tokio::sync::Semaphore>,
    pub check_rules: crate::domain::photo::CheckRules,
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

/// Users as last read from the database, for at most `ttl`. A change made through this server
/// is seen at once (it invalidates); one made through another server within `ttl`.
pub struct UserCache {
    ttl: std::time::Duration,
    map: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, crate::db::models::UserRow)>>,
}

impl UserCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self { ttl, map: Default::default() }
    }

    pub fn get(&self, id: &str) -> Option<crate::db::models::UserRow> {
        let map = self.map.lock().ok()?;
        map.get(id).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, u)| u.clone())
    }

    pub fn put(&self, user: crate::db::models::UserRow) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 10_000 {
                map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            }
            map.insert(user.id.clone(), (std::time::Instant::now(), user));
        }
    }

    pub fn invalidate(&self, id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(id);
        }
    }
}
