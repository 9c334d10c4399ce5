//! The error of the data layer, in its own words: what a repository can refuse or fail with.
//!
//! Policy: repositories never build HTTP answers; the layer above maps a `DbError` to its
//! problem+json in one place. Database text never leaves this layer except into the log
//! (`Unavailable` and `Internal` carry it for the log only).

use crate::domain::FieldErrors;
use crate::domain::procedure::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No such record, or not in the caller's scope (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The write contradicts stored data (a unique value taken, a state that forbids it).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A procedure step out of order or too early, with the steps allowed instead.
    #[error("step not allowed: {}", .0.message)]
    StepNotAllowed(Refusal),
    /// The write needs the version the caller last read, and none was given.
    #[error("precondition required")]
    PreconditionRequired,
    /// The record changed since the caller read it.
    #[error("precondition failed")]
    PreconditionFailed,
    /// Values that only the stored data can refute (an unknown village, a cadre of another
    /// county), every one listed.
    #[error("invalid values")]
    Invalid(FieldErrors),
    /// The database cannot be reached or is locked beyond the busy timeout: retry shortly.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt stored data: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DbError {
    /// Refuses one field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, code, message);
        DbError::Invalid(e)
    }

    /// A stored value that no longer parses (written by an older version, or edited by hand).
    pub fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        DbError::Internal(anyhow::anyhow!("stored {what}: {e}"))
    }
}

impl From<FieldErrors> for DbError {
    fn from(e: FieldErrors) -> Self {
        DbError::Invalid(e)
    }
}

impl From<Refusal> for DbError {
    fn from(r: Refusal) -> Self {
        DbError::StepNotAllowed(r)
    }
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => DbError::NotFound,
            E::DatabaseError(K::UniqueViolation, info) => {
                tracing::info!(detail = info.message(), "unique violation");
                DbError::Conflict("a record with the same unique value exists".into())
            }
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, info) => {
                DbError::Unavailable(info.message().to_owned())
            }
            E::DatabaseError(K::SerializationFailure, _) => {
                DbError::Conflict("a concurrent change conflicted with this one: retry".into())
            }
            other => {
                let msg = other.to_string();
                // SQLite under lock contention beyond busy_timeout: transient, not a bug.
                if msg.contains("database is locked") {
                    DbError::Unavailable(msg)
                } else {
                    DbError::Internal(anyhow::anyhow!("database error: {msg}"))
                }
            }
        }
    }
}

/// An error that a closure given to [`crate::db::Db::run`] may return: one a `DbError` converts
/// into (so the closure uses `?` on repositories), and that tells whether the database went away
/// (then the pooled connection is replaced before it is handed out again).
pub trait RunError: From<DbError> + Send + 'static {
    fn is_unavailable(&self) -> bool;
}

impl RunError for DbError {
    fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }
}
