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

/// Accumulates field errors so a request is refused once, listing them all: in the order of the
/// body's fields when the body said it ([`FieldErrors::in_order_of`]), else in the order found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>, Order);

/// A body's top-level fields as declared (empty: not known).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Order(&'static [&'static str]);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// The errors of a body whose fields are declared as `fields`: listed in that order when
    /// refused, though its declarative rules find theirs before its parse does.
    pub fn in_order_of(mut self, fields: &'static [&'static str]) -> Self {
        self.1 = Order(fields);
        self
    }

    /// The errors as listed: by the body field each path starts with (and the item of a list),
    /// otherwise in the order found.
    pub fn into_vec(self) -> Vec<FieldError> {
        let FieldErrors(mut errors, Order(fields)) = self;
        if !fields.is_empty() {
            errors.sort_by_key(|e| position(fields, &e.field));
        }
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), code: code.to_owned(), message: message.into() });
    }

    /// Records the error of a parse under `field` and returns the parsed value, if any. A field
    /// that is refused already (by the body's declarative rules, which run first, or an earlier
    /// parse of the same value) is not refused twice.
    pub fn check<T>(&mut self, field: impl Into<String>, result: Result<T, impl Into<DomainError>>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                let e = e.into();
                let field = field.into();
                if !self.has(&field) {
                    self.add(field, e.code, e.message);
                }
                None
            }
        }
    }

    /// Whether `field` is refused already.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no error was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() { Ok(value()) } else { Err(self) }
    }
}

/// Where a path (`members[1].name`) goes among `fields`: its field's place, then its item's.
fn position(fields: &[&str], path: &str) -> (usize, Option<usize>) {
    let head = path.split(['.', '[']).next().unwrap_or(path);
    let place = fields.iter().position(|f| *f == head).unwrap_or(fields.len());
    let item = path[head.len()..].strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|i| i.parse().ok());
    (place, item)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_does_not_refuse_a_field_twice() {
        let mut errs = FieldErrors::new();
        errs.add("name", "too_long", "at most 4 characters");
        assert_eq!(errs.check("name", required_text("too long", 4)), None);
        assert_eq!(errs.check("other", required_text(" ", 4)), None);
        let fields: Vec<(&str, &str)> = errs.0.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(fields, [("name", "too_long"), ("other", "required")]);
    }

    #[test]
    fn errors_are_listed_in_the_order_of_the_body_fields_then_of_list_items() {
        let mut errs = FieldErrors::new().in_order_of(&["village_code", "category", "members"]);
        for field in ["members[1].name", "category", "members", "unknown", "members[0].relation", "village_code", "members[1].id_number"] {
            errs.add(field, "x", "x");
        }
        let listed: Vec<String> = errs.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(listed, ["village_code", "category", "members", "members[0].relation", "members[1].name", "members[1].id_number", "unknown"]);
        let mut found = FieldErrors::new();
        found.add("b", "x", "x");
        found.add("a", "x", "x");
        assert_eq!(found.into_vec().into_iter().map(|e| e.field).collect::<Vec<_>>(), ["b", "a"], "no order given: as found");
    }
}
