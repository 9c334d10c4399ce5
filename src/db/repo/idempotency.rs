//! Responses to POSTs sent with an `Idempotency-Key`, per user, so a phone that lost a response
//! can send the same request again and get the first answer instead of a second effect.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::schema::idempotency_keys as k;
use crate::db::{DbConnection, DbError, now};

/// How long a stored response is replayed.
pub const KEEP: Duration = Duration::hours(24);
/// A claim left unfinished this long (a crashed server) may be taken over.
pub const ABANDONED: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = k)]
pub struct KeyRow {
    pub user_id: String,
    pub key: String,
    pub request: String,
    /// 0 while the first request is being answered.
    pub status: i32,
    pub headers_json: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
}

pub enum Claim {
    /// The caller answers the request and then calls [`complete`] or [`release`].
    New,
    /// The stored answer of the first request.
    Replay(KeyRow),
    /// The first request with this key is still being answered.
    InProgress,
    /// The key was used for another request.
    Mismatch(String),
}

fn insert(c: &mut DbConnection, user_id: &str, key: &str, request: &str) -> QueryResult<usize> {
    let row = KeyRow { user_id: user_id.into(), key: key.into(), request: request.into(), status: 0, headers_json: None, body: None, created_at: now() };
    diesel::insert_into(k::table).values(&row).execute(c)
}

fn find(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    k::table.filter(k::user_id.eq(user_id)).filter(k::key.eq(key)).select(KeyRow::as_select()).first(c).optional()
}

fn delete(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::user_id.eq(user_id)).filter(k::key.eq(key))).execute(c)
}

/// Claims `key` for `request` (method and path), or says what happened to it before. A kept
/// answer that is not `readable` (it does not unseal) is dropped like an expired one.
pub fn claim(c: &mut DbConnection, user_id: &str, key: &str, request: &str, readable: impl Fn(&KeyRow) -> bool) -> Result<Claim, DbError> {
    for _ in 0..2 {
        match insert(c, user_id, key, request) {
            Ok(_) => return Ok(Claim::New),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let Some(row) = find(c, user_id, key)? else { continue };
        let age = now() - row.created_at;
        if age > KEEP || (row.status == 0 && age > ABANDONED) || (row.status != 0 && !readable(&row)) {
            delete(c, user_id, key)?;
            continue;
        }
        if row.request != request {
            return Ok(Claim::Mismatch(row.request));
        }
        return Ok(if row.status == 0 { Claim::InProgress } else { Claim::Replay(row) });
    }
    Ok(Claim::InProgress)
}

/// Stores the answer of a claimed key.
pub fn complete(c: &mut DbConnection, user_id: &str, key: &str, status: u16, headers_json: String, body: Vec<u8>) -> QueryResult<usize> {
    diesel::update(k::table.filter(k::user_id.eq(user_id)).filter(k::key.eq(key)))
        .set((k::status.eq(i32::from(status)), k::headers_json.eq(Some(headers_json)), k::body.eq(Some(body))))
        .execute(c)
}

/// Gives a claimed key up (the request failed in a way worth retrying).
pub fn release(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<usize> {
    delete(c, user_id, key)
}

/// Drops answers older than [`KEEP`].
pub fn purge(c: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::created_at.lt(now() - KEEP))).execute(c)
}
