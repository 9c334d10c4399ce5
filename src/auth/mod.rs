//! Authentication and authorization: tokens, passwords, the caller and their jurisdiction.

pub mod extractor;
pub mod jwt;
pub mod password;

pub use extractor::AuthUser;
/// The caller's jurisdiction is a domain type; re-exported where the caller is built.
pub use crate::domain::Scope;
