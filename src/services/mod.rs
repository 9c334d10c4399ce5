//! The use cases, between the handlers and the repositories: a capture, a photo ingest, a
//! quality run, a case step, a spot-check draw, a household write, a sync page.
//!
//! A service takes the state it needs, the [`Caller`] and typed inputs, opens the transaction
//! (`state.db.run`, `db::write_tx`), calls the rules of `domain/` and the queries of `db/repo`
//! and the object store, and returns rows or typed results; the handler turns them into views.
//! It knows nothing of HTTP.
//!
//! Order of refusals: where today's contract checks the scope (404) and the role (403) before
//! it judges the body or `If-Match`, the handler parses first but hands the outcome over
//! unjudged (a `Result` input, a [`Precondition`]); the service raises it after its own scope
//! and role checks, so a stranger learns nothing from a 422 that a 404 hides.

pub mod archive;
pub mod cadres;
pub mod case_documents;
pub mod divisions;
pub mod documents;
pub mod exports;
pub mod households;
pub mod imports;
pub mod ledgers;
pub mod loans;
pub mod locations;
pub mod measures;
pub mod members;
pub mod migrant_work;
pub mod natural_changes;
pub mod pairings;
pub mod photos;
pub mod problems;
pub mod projects;
pub mod procedures;
pub mod quality;
pub mod reports;
pub mod spot_checks;
pub mod screening;
pub mod sync;
pub mod users;
pub mod villages;
pub mod work_teams;
pub mod yearly;

mod page;
pub use page::Page;

use crate::domain::Scope;
use crate::db::repo::audit::Actor;
use crate::domain::{DivisionCode, Role};
use crate::error::ApiError;

/// Who asks: the account, its role and its jurisdiction (from the access token, re-read).
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub jurisdiction: DivisionCode,
}

impl Caller {
    /// What the caller may see and change.
    pub fn scope(&self) -> Scope {
        Scope::for_user(self.role, &self.jurisdiction, &self.id)
    }

    /// The scope for reading a single record (a cadre also reaches past pairings, read-only).
    pub fn read_scope(&self) -> Scope {
        self.scope().for_reading()
    }

    /// 403 unless `allowed` holds for the caller's role.
    pub fn require(&self, allowed: bool, what: &str) -> Result<(), ApiError> {
        if allowed { Ok(()) } else { Err(ApiError::Forbidden(format!("the role {} may not {what}", self.role.as_str()))) }
    }

    /// The actor recorded in the audit log.
    pub fn actor(&self) -> Actor {
        Actor { id: Some(self.id.clone()), name: Some(self.username.clone()) }
    }
}

/// The `If-Match` of a request as read, judged by the service once the caller is known to
/// reach the record (a malformed header is 400, `*` is 428, see `api::if_match`).
#[derive(Debug)]
pub struct Precondition(Result<Option<i64>, ApiError>);

impl Precondition {
    pub fn new(read: Result<Option<i64>, ApiError>) -> Self {
        Self(read)
    }

    /// The version, if the client sent one (POST and DELETE honour it when sent).
    pub fn optional(self) -> Result<Option<i64>, ApiError> {
        self.0
    }

    /// The version; 428 without one (updates).
    pub fn required(self) -> Result<i64, ApiError> {
        self.0?.ok_or(ApiError::PreconditionRequired)
    }
}

/// A create that may be a phone's retry (same `client_id`): a new record, or the first one.
pub enum Created<T> {
    New(T),
    Existing(T),
}

impl<T> Created<T> {
    /// The same outcome of something else (the row with what its view needs).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Created<U> {
        match self {
            Created::New(t) => Created::New(f(t)),
            Created::Existing(t) => Created::Existing(f(t)),
        }
    }

    /// Fallible [`Created::map`].
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Created<U>, E> {
        Ok(match self {
            Created::New(t) => Created::New(f(t)?),
            Created::Existing(t) => Created::Existing(f(t)?),
        })
    }
}

impl<T> From<crate::db::repo::assistance::Created<T>> for Created<T> {
    fn from(c: crate::db::repo::assistance::Created<T>) -> Self {
        match c {
            crate::db::repo::assistance::Created::New(t) => Created::New(t),
            crate::db::repo::assistance::Created::Existing(t) => Created::Existing(t),
        }
    }
}
