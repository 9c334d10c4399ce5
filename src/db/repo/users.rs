//! User accounts.

use diesel::prelude::*;

use crate::db::models::UserRow;
use crate::db::schema::users;
use crate::db::{DbConnection, DbError, now};
use crate::domain::DivisionCode;

pub fn find_by_id(c: &mut DbConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(c).optional()?)
}

pub fn find_by_username(c: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::username.eq(username)).select(UserRow::as_select()).first(c).optional()
}

pub fn count(c: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(c)
}

pub fn insert(c: &mut DbConnection, row: &UserRow) -> Result<(), DbError> {
    if find_by_username(c, &row.username)?.is_some() {
        return Err(DbError::Conflict(format!("the username {} is already registered", row.username)));
    }
    diesel::insert_into(users::table).values(row).execute(c)?;
    Ok(())
}

/// Users whose jurisdiction lies inside `within`, by id, after the cursor.
pub fn list_within(
    c: &mut DbConnection,
    within: &DivisionCode,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let prefix = within.prefix();
    let mut q = users::table.filter(users::jurisdiction.like(format!("{prefix}%"))).into_boxed();
    if let Some(a) = after {
        q = q.filter(users::id.gt(a.to_owned()));
    }
    q.order(users::id.asc()).limit(limit).select(UserRow::as_select()).load(c)
}

/// Writes `row` if the stored version is still `expected`; bumps the version.
pub fn update(c: &mut DbConnection, row: &UserRow, expected: i64) -> Result<UserRow, DbError> {
    let mut next = row.clone();
    next.version = expected + 1;
    next.updated_at = now();
    let n = diesel::update(users::table.filter(users::id.eq(&row.id)).filter(users::version.eq(expected)))
        .set(&next)
        .execute(c)?;
    if n == 0 {
        return Err(DbError::PreconditionFailed);
    }
    crate::db::notify::user_changed(c, &row.id)?;
    Ok(next)
}
