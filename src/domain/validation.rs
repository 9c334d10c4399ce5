//! Collecting every invalid field of a request before refusing it.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `members[1].id_number`.
    pub field: String,
    /// Stable machine code, e.g. `invalid_id_number`, `required`, `out_of_range`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Accumulates field errors so a request is refused once, listing them all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), code: code.to_owned(), message: message.into() });
    }

    /// Records the error of a parse under `field` and returns the parsed value, if any.
    pub fn check<T>(&mut self, field: impl Into<String>, result: Result<T, impl Into<DomainError>>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                let e = e.into();
                self.add(field, e.code, e.message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no error was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() { Ok(value()) } else { Err(self) }
    }
}

/// Why a single value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    pub code: &'static str,
    pub message: String,
}

impl DomainError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// A refused coordinate or reference system is refused like any other value.
impl From<crate::geo::GeoError> for DomainError {
    fn from(e: crate::geo::GeoError) -> Self {
        Self { code: e.code, message: e.message }
    }
}

/// A required, trimmed, non-empty text of at most `max` characters.
pub fn required_text(value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::new("required", "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(DomainError::new("too_long", format!("at most {max} characters")));
    }
    Ok(v.to_owned())
}

/// An optional text: blank becomes `None`.
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(v, max).map(Some),
    }
}
