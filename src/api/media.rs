//! What the API answers besides JSON — files (a JPEG, a workbook, a CSV) — and the `?format=`
//! that picks one.

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::error::ApiError;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `?format=` of a report: the JSON document or a workbook to print.
pub const REPORT_FORMATS: &[&str] = &["json", "xlsx"];
/// `?format=` of the problem ledger: JSON pages, or every matching problem as CSV or a workbook.
pub const LEDGER_FORMATS: &[&str] = &["json", "csv", "xlsx"];

/// The format asked for with `?format=`: one of `allowed`, the first when none is asked.
pub fn format(asked: Option<&str>, allowed: &'static [&'static str]) -> Result<&'static str, ApiError> {
    match asked {
        None => Ok(allowed[0]),
        Some(f) => allowed.iter().find(|a| **a == f).copied().ok_or_else(|| ApiError::invalid("format", "invalid_value", format!("one of: {}", allowed.join(", ")))),
    }
}

/// The bytes of a file, as the document describes a file part or a file answer
/// (`type: string, format: binary`): a `Blob` for openapi-fetch, `bytes`/`File` in Python.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).into()
    }
}

impl utoipa::ToSchema for Binary {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Binary")
    }
}
