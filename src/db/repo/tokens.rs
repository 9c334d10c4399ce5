//! Refresh tokens (stored hashed, rotated, reuse revokes the family) and login throttling.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::RefreshTokenRow;
use crate::db::schema::{login_failures, refresh_tokens, users};
use crate::db::{DbConnection, new_id, now};

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random refresh token in `family`; returns the token text (only its hash is stored).
pub fn issue(c: &mut DbConnection, user_id: &str, family_id: &str, ttl: Duration) -> QueryResult<String> {
    use base64::Engine;
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let at = now();
    let row = RefreshTokenRow {
        id: new_id(),
        user_id: user_id.to_owned(),
        family_id: family_id.to_owned(),
        token_hash: hash_token(&token),
        expires_at: at + ttl,
        used_at: None,
        revoked_at: None,
        created_at: at,
    };
    diesel::insert_into(refresh_tokens::table).values(&row).execute(c)?;
    Ok(token)
}

pub fn find(c: &mut DbConnection, token: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(RefreshTokenRow::as_select())
        .first(c)
        .optional()
}

/// Marks a token spent, only if nobody spent it first (two racing refreshes: one wins).
pub fn mark_used(c: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n = diesel::update(refresh_tokens::table.filter(refresh_tokens::id.eq(id)).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(Some(now())))
        .execute(c)?;
    Ok(n == 1)
}

/// Revokes a refresh token's family and ends the user's access tokens.
pub fn revoke_family(c: &mut DbConnection, family_id: &str) -> QueryResult<usize> {
    let owner: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(family_id))
        .select(refresh_tokens::user_id)
        .first(c)
        .optional()?;
    if let Some(user_id) = owner {
        end_access_tokens(c, &user_id)?;
    }
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)).filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Some(now())))
        .execute(c)
}

/// Revokes every refresh token of a user and ends their access tokens.
pub fn revoke_user(c: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    end_access_tokens(c, user_id)?;
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Some(now())))
        .execute(c)
}

/// Raises the user's token generation: every access token issued before is refused.
pub fn end_access_tokens(c: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    let n = diesel::update(users::table.filter(users::id.eq(user_id))).set(users::token_generation.eq(users::token_generation + 1)).execute(c)?;
    crate::db::notify::user_changed(c, user_id)?;
    Ok(n)
}

/// One login attempt counted before its password is checked: `Reserved` holds the ids of the
/// rows written (a failure unless the caller removes them on success).
pub enum Attempt {
    Reserved { rows: Vec<String>, user_failures: i64 },
    /// A key is over its limit; `retry_after_secs` until its oldest failure leaves the window.
    Refused { retry_after_secs: u64 },
}

/// Counts an attempt under every `(key, limit)` atomically with the check of the limits (one
/// serialized transaction per key: SQLite's write lock, PostgreSQL advisory locks taken in key
/// order), so parallel guesses cannot all pass a count read before any failure is written.
/// `user_key` is counted but not limited: it returns how many failures the username has.
pub fn reserve_attempt(c: &mut DbConnection, limited: &[(&str, i64)], user_key: &str, window: Duration) -> Result<Attempt, crate::db::DbError> {
    let since = now() - window;
    crate::db::write_tx(c, |c| {
        if let DbConnection::Pg(pg) = c {
            let mut keys: Vec<&str> = limited.iter().map(|(k, _)| *k).chain([user_key]).collect();
            keys.sort_unstable();
            for key in keys {
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
                    .bind::<diesel::sql_types::Text, _>(key)
                    .execute(pg)?;
            }
        }
        for (key, max) in limited {
            let (n, oldest) = failures_since(c, key, since)?;
            if n >= *max {
                let wait = oldest.map(|o| (o - since).num_seconds()).unwrap_or(window.num_seconds()).max(1);
                return Ok(Attempt::Refused { retry_after_secs: wait as u64 });
            }
        }
        let (user_failures, _) = failures_since(c, user_key, since)?;
        let mut rows = Vec::with_capacity(limited.len() + 1);
        for key in limited.iter().map(|(k, _)| *k).chain([user_key]) {
            rows.push(record_failure(c, key)?);
        }
        Ok(Attempt::Reserved { rows, user_failures })
    })
}

/// Removes the rows of an attempt that succeeded.
pub fn forget_attempt(c: &mut DbConnection, rows: &[String]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(rows))).execute(c)
}

/// Failures recorded for `key` since `since`, and the oldest of them.
pub fn failures_since(c: &mut DbConnection, key: &str, since: NaiveDateTime) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let q = login_failures::table.filter(login_failures::key.eq(key)).filter(login_failures::at.ge(since));
    let n = q.count().get_result(c)?;
    let oldest = q.select(diesel::dsl::min(login_failures::at)).first(c)?;
    Ok((n, oldest))
}

fn record_failure(c: &mut DbConnection, key: &str) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(login_failures::table)
        .values((login_failures::id.eq(&id), login_failures::key.eq(key), login_failures::at.eq(now())))
        .execute(c)?;
    Ok(id)
}

/// Drops the failures of `key` (a successful login) and every failure older than the window.
pub fn clear_failures(c: &mut DbConnection, key: &str, older_than: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key).or(login_failures::at.lt(older_than))))
        .execute(c)
        .map(|_| ())
}
