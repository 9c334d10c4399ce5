//! What every handler shares: the database, keys and settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::crypto::Crypto;
use crate::db::Db;
use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    /// Closures given to `db.run` answer `ApiError` (see `Db`).
    pub db: Db<ApiError>,
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
    /// The photo pool: decoding and checks on their own threads (not the HTTP workers, not the
    /// database's blocking pool), bounded, at a lower CPU priority.
    pub photos: crate::workers::Workers,
    /// Memory the uploads received into memory may hold (`FANGPIN_UPLOAD_MEMORY_BYTES`); past it
    /// they wait on disk (and are read back whole when their turn comes, outside this budget).
    pub upload_memory: crate::workers::MemoryBudget,
    pub check_rules: crate::domain::photo::CheckRules,
    /// The password pool (argon2 off the request workers and the database pool, bounded).
    pub passwords: crate::auth::password::Passwords,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Set once migrations have run (they are retried while the database is down at start).
    pub migrated: Arc<AtomicBool>,
}

impl AppState {
    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::Acquire)
    }

    /// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
    /// address of `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        client_ip(&self.trusted_proxies, req.peer_addr().map(|a| a.ip()), req.headers())
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

    /// Forgets everyone (changes may have been missed: the listener of another server's changes
    /// was reconnected).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}

/// See [`AppState::client_ip`]; a forwarded address that cannot be read ends the walk at the
/// last trusted hop (never believed further).
pub fn client_ip(trusted: &[ipnet::IpNet], peer: Option<std::net::IpAddr>, headers: &actix_web::http::header::HeaderMap) -> Option<std::net::IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HeaderName::from_static("x-forwarded-for"), HeaderValue::from_str(xff).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()];
        let ip = |s: &str| Some(s.parse().unwrap());
        // A client that is not a proxy cannot choose its address.
        assert_eq!(client_ip(&trusted, ip("203.0.113.9"), &headers("1.2.3.4")), ip("203.0.113.9"));
        // Through the proxy: the right-most untrusted hop (a spoofed left part is ignored).
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &headers("6.6.6.6, 198.51.100.7, 10.1.2.3")), ip("198.51.100.7"));
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &headers("garbage, 198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(client_ip(&trusted, ip("127.0.0.1"), &headers("198.51.100.7, garbage")), ip("127.0.0.1"));
        assert_eq!(client_ip(&[], ip("127.0.0.1"), &headers("1.2.3.4")), ip("127.0.0.1"));
    }
}
