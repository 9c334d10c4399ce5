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

/// The unique indexes a caller's value can run into, each in words of its own (the value itself
/// is the repository's to name, where it knows who may see it). The database tells which index
/// refused: PostgreSQL by the constraint's name, SQLite by its table and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `members_current_id_number`: an ID number held by a current member (one household nationwide).
    IdNumber,
    /// `households_number_key`: a household number 户编号 (unique nationwide).
    HouseholdNumber,
    /// `cadres_id_number`: a cadre's ID number (a person is one cadre nationwide).
    CadreIdNumber,
    /// `users_username_key`: a username.
    Username,
}

impl Unique {
    const ALL: [(Unique, &'static str, &'static str); 4] = [
        (Unique::IdNumber, "members_current_id_number", "members.id_number_hmac"),
        (Unique::HouseholdNumber, "households_number_key", "households.number"),
        (Unique::CadreIdNumber, "cadres_id_number", "cadres.id_number_hmac"),
        (Unique::Username, "users_username_key", "users.username"),
    ];

    fn of(constraint: Option<&str>, message: &str) -> Option<Unique> {
        Self::ALL.iter().find(|(_, pg, lite)| constraint == Some(*pg) || message.contains(&format!("UNIQUE constraint failed: {lite}"))).map(|(u, ..)| *u)
    }

    /// Which index refused a statement, if it is one of these.
    pub fn refusing(e: &diesel::result::Error) -> Option<Unique> {
        match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info) => Self::of(info.constraint_name(), info.message()),
            _ => None,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Unique::IdNumber => "an ID number given is already registered: a current member of a household has it",
            Unique::HouseholdNumber => "the household number given is already registered",
            Unique::CadreIdNumber => "the ID number given is already registered for a cadre",
            Unique::Username => "the username given is already registered",
        }
    }
}

impl DbError {
    /// Whether this is the refusal of `index` (a statement's error turned into a `DbError`).
    pub fn is_refusal_of(&self, index: Unique) -> bool {
        matches!(self, DbError::Conflict(m) if m == index.message())
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
                let refused = Unique::of(info.constraint_name(), info.message());
                DbError::Conflict(refused.map_or("a record with the same unique value exists", Unique::message).into())
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
