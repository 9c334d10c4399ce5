//! The one error type of the API and its RFC 9457 `application/problem+json` form.
//!
//! Policy: the lower layers report in their own types (`db::DbError`, `storage::StorageError`,
//! `domain::FieldErrors`); they become `ApiError` here and nowhere else, so database text never
//! reaches a client; a 500 logs its cause and answers with a generic message; every variant has
//! a stable snake_case `code` that the phone app may switch on.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::repo::cursor::BadCursor;
use crate::db::{DbError, RunError};
use crate::domain::procedure::Refusal;
use crate::domain::{FieldError, FieldErrors};
use crate::storage::StorageError;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` style, stable per `code`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`, `precondition_failed`.
    pub code: String,
    /// What went wrong in this case.
    pub detail: String,
    /// Every invalid field, for 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `step_not_allowed`: the steps allowed now, with their earliest dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::domain::procedure::NextStep>>)]
    pub allowed: Option<serde_json::Value>,
    /// For `exit_not_allowed`: each failed condition with its figure; for `batch_refused`: each
    /// refused case with its code and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ProblemFailure>>)]
    pub failures: Option<serde_json::Value>,
}

/// An item of a problem's `failures` (documentation): a failed exit condition (`id`, `text`,
/// `figure`) or a refused case of a batch (`case_id`, `household_id`, `code`, `detail`, and what
/// was allowed, failed or invalid for it).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProblemFailure {
    pub id: Option<String>,
    pub text: Option<String>,
    pub figure: Option<String>,
    pub case_id: Option<String>,
    pub household_id: Option<String>,
    pub code: Option<String>,
    pub detail: Option<String>,
    #[schema(value_type = Option<Vec<crate::domain::procedure::NextStep>>)]
    pub allowed: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<crate::domain::procedure::eligibility::Failure>>)]
    pub failures: Option<serde_json::Value>,
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("invalid values")]
    Validation(Vec<FieldError>),
    #[error("invalid or missing credentials")]
    InvalidCredentials,
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A procedure step out of order or too early (409), with what is allowed instead.
    #[error("step not allowed: {message}")]
    StepNotAllowed { message: String, allowed: serde_json::Value },
    /// A state conflict with its own code (`case_not_allowed`, `exit_not_allowed`,
    /// `batch_refused`, …) and what failed (409).
    #[error("{code}: {message}")]
    Refused { code: &'static str, message: String, failures: Option<serde_json::Value> },
    #[error("precondition required")]
    PreconditionRequired,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The body did not arrive in time (a connection sending too slowly).
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The path exists with other methods, listed in `Allow`.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, code, message);
        e.into()
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation(errors) if errors.iter().all(|e| e.code == "invalid_id_number") => "invalid_id_number",
            ApiError::Validation(_) => "validation_failed",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::StepNotAllowed { .. } => "step_not_allowed",
            ApiError::Refused { code, .. } => code,
            ApiError::PreconditionRequired => "precondition_required",
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::Conflict(m)
            | ApiError::PayloadTooLarge(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::RequestTimeout(m)
            | ApiError::StepNotAllowed { message: m, .. }
            | ApiError::Refused { message: m, .. } => m.clone(),
            ApiError::Validation(errors) => format!("{} invalid field(s)", errors.len()),
            ApiError::InvalidCredentials => "wrong username or password".into(),
            ApiError::NotFound => "no such resource in your jurisdiction".into(),
            ApiError::PreconditionRequired => "send If-Match with the ETag of the record you changed".into(),
            ApiError::PreconditionFailed => {
                "the record was changed by someone else: reload it and apply your change again".into()
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many attempts: try again in {retry_after_secs} s")
            }
            // The cause is logged, not shown: it may name hosts or contain SQL.
            ApiError::Unavailable(_) => "a service fangpin depends on is unavailable: retry shortly".into(),
            ApiError::MethodNotAllowed { allow } => format!("this resource answers only {allow}"),
            ApiError::Internal(_) => "an internal error occurred; it has been logged".into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            type_: format!("https://fangpin.example/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: self.code().to_owned(),
            detail: self.detail(),
            errors: match self {
                ApiError::Validation(e) => e.clone(),
                _ => Vec::new(),
            },
            allowed: match self {
                ApiError::StepNotAllowed { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
            failures: match self {
                ApiError::Refused { failures, .. } => failures.clone(),
                _ => None,
            },
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::Validation(e.into_vec())
    }
}

/// The one mapping of the data layer's errors to answers.
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ApiError::NotFound,
            DbError::Conflict(m) => ApiError::Conflict(m),
            DbError::StepNotAllowed(r) => r.into(),
            DbError::PreconditionRequired => ApiError::PreconditionRequired,
            DbError::PreconditionFailed => ApiError::PreconditionFailed,
            DbError::Invalid(errors) => errors.into(),
            DbError::Unavailable(cause) => ApiError::Unavailable(cause),
            DbError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A step refused by `domain::procedure` (out of order, too early), with the steps allowed.
impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::StepNotAllowed { message: r.message, allowed: serde_json::to_value(&r.allowed).unwrap_or_default() }
    }
}

/// Repositories that answer diesel's own `QueryResult` (plain reads) map the same way.
impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

/// Closures given to `Db::run` may answer `ApiError` directly.
impl RunError for ApiError {
    fn is_unavailable(&self) -> bool {
        matches!(self, ApiError::Unavailable(_))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound,
            StorageError::Unavailable(cause) => ApiError::Unavailable(cause),
        }
    }
}

impl From<BadCursor> for ApiError {
    fn from(e: BadCursor) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::InvalidCredentials | ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::StepNotAllowed { .. } | ApiError::Refused { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            ApiError::Unavailable(_) => {
                res.insert_header(("Retry-After", "5"));
            }
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => {
                res.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                res.insert_header(("Allow", allow.as_str()));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}
