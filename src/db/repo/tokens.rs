//! Refresh tokens (stored hashed, rotated, reuse revokes the family) and login throttling.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::RefreshTokenRow;
use crate::db::schema::{login_failures, refresh_tokens};
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

pub fn revoke_family(c: &mut DbConnection, family_id: &str) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)).filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Some(now())))
        .execute(c)
}

pub fn revoke_user(c: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()))
        .set(refresh_tokens::revoked_at.eq(Some(now())))
        .execute(c)
}

/// Failures recorded for `key` since `since`, and the oldest of them.
pub fn failures_since(c: &mut DbConnection, key: &str, since: NaiveDateTime) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let q = login_failures::table.filter(login_failures::key.eq(key)).filter(login_failures::at.ge(since));
    let n = q.count().get_result(c)?;
    let oldest = q.select(diesel::dsl::min(login_failures::at)).first(c)?;
    Ok((n, oldest))
}

pub fn record_failure(c: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::id.eq(new_id()), login_failures::key.eq(key), login_failures::at.eq(now())))
        .execute(c)
        .map(|_| ())
}

pub fn clear_failures(c: &mut DbConnection, key: &str, older_than: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key).or(login_failures::at.lt(older_than))))
        .execute(c)
        .map(|_| ())
}
