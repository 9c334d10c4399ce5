//! Repository functions: the only code that writes SQL. Household queries always take a `Scope`.

pub mod assistance;
pub mod audit;
pub mod divisions;
pub mod coverage;
pub mod household_numbers;
pub mod households;
pub mod idempotency;
pub mod locations;
pub mod photos;
pub mod procedures;
pub mod quality;
pub mod sync;
pub mod tokens;
pub mod users;
pub mod villages;
pub mod yearly;

/// Opaque list cursors: base64 of the last id seen.
pub mod cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    use crate::error::ApiError;

    pub fn encode(last_id: &str) -> String {
        B64.encode(format!("v1:{last_id}"))
    }

    /// 400 for a cursor this service did not issue.
    pub fn decode(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
        let Some(c) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
        let bad = || ApiError::BadRequest("the cursor is not one this service issued".into());
        let raw = B64.decode(c).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let id = text.strip_prefix("v1:").ok_or_else(bad)?;
        uuid::Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Some(id.to_owned()))
    }

    /// The cursor after a full page (`None` when the page was the last).
    pub fn next<T>(rows: &[T], limit: i64, id: impl Fn(&T) -> &str) -> Option<String> {
        if rows.len() as i64 == limit { rows.last().map(|r| encode(id(r))) } else { None }
    }

    /// Clamps `?limit=` to 1..=500, default 50.
    pub fn limit(limit: Option<i64>) -> i64 {
        limit.unwrap_or(50).clamp(1, 500)
    }
}
