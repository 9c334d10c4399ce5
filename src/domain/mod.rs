//! Pure rules and types of the domain: no HTTP, no database, no I/O.

pub mod assistance;
pub mod disclosure;
pub mod division;
pub mod document;
pub mod field_labels;
pub mod household;
pub mod household_profile;
pub mod id_number;
pub mod labels;
pub mod import;
pub mod import_year;
pub mod location;
pub mod member;
pub mod money;
pub mod password;
pub mod photo;
pub mod procedure;
pub mod projects;
pub mod quality;
pub mod phone;
pub mod role;
pub mod scope;
pub mod screening;
pub mod village;
pub mod validation;
pub mod yearly;

pub use division::{DivisionCode, Level};
pub use household::{Category, Relation, RemovalReason, Sex};
pub use id_number::IdNumber;
pub use money::Money;
pub use phone::Phone;
pub use role::Role;
pub use scope::Scope;
pub use validation::{FieldError, FieldErrors};
