//! Repository functions: the only code that writes SQL. Household queries always take a `Scope`.

pub mod assistance;
pub mod archive;
pub mod audit;
pub mod case_documents;
pub mod divisions;
pub mod documents;
pub mod coverage;
pub mod household_numbers;
pub mod households;
pub mod idempotency;
pub mod imports;
pub mod ledgers;
pub mod locations;
pub mod members;
pub mod photos;
pub mod problems;
pub mod procedures;
pub mod quality;
pub mod screening;
pub mod reports;
pub mod sync;
pub mod tokens;
pub mod users;
pub mod villages;
pub mod yearly;

/// Opaque list cursors: base64 of the last id seen.
pub mod cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    /// A cursor this service did not issue (a 400 for the client).
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("the cursor is not one this service issued")]
    pub struct BadCursor;

    pub fn encode(last_id: &str) -> String {
        B64.encode(format!("v1:{last_id}"))
    }

    /// The last id a cursor names; `BadCursor` for one this service did not issue.
    pub fn decode(cursor: Option<&str>) -> Result<Option<String>, BadCursor> {
        let Some(c) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
        let raw = B64.decode(c).map_err(|_| BadCursor)?;
        let text = String::from_utf8(raw).map_err(|_| BadCursor)?;
        let id = text.strip_prefix("v1:").ok_or(BadCursor)?;
        uuid::Uuid::parse_str(id).map_err(|_| BadCursor)?;
        Ok(Some(id.to_owned()))
    }

    /// The cursor after a full page (`None` when the page was the last).
    pub fn next<T>(rows: &[T], limit: i64, id: impl Fn(&T) -> &str) -> Option<String> {
        if rows.len() as i64 == limit { rows.last().map(|r| encode(id(r))) } else { None }
    }
}
