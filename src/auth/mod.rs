//! Authentication and authorization: tokens, passwords, the caller and their jurisdiction.

pub mod extractor;
pub mod jwt;
pub mod password;
pub mod scope;

pub use extractor::AuthUser;
pub use scope::Scope;
