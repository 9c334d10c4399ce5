//! HTTP: routing, the OpenAPI document, extractor error handling and small shared helpers.

pub mod amount;
pub mod app;
pub mod body;
pub mod caller;
pub mod console;
pub mod cookie_session;
pub mod docs;
pub mod document;
pub mod enumerations;
pub mod idempotency;
pub mod limits;
pub mod media;
pub mod ops;
pub mod redact;
pub mod upload;
pub mod v1;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;

pub use document::{ApiDoc, openapi};

/// Every `/api/v1` route, registered through utoipa so the document is the router.
pub fn api_v1(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    v1::auth::routes(cfg);
    v1::users::routes(cfg);
    v1::divisions::routes(cfg);
    v1::households::routes(cfg);
    v1::members::routes(cfg);
    v1::natural_changes::routes(cfg);
    v1::locations::routes(cfg);
    v1::photos::routes(cfg);
    v1::documents::routes(cfg);
    v1::case_documents::routes(cfg);
    v1::yearly::routes(cfg);
    v1::cadres::routes(cfg);
    v1::pairings::routes(cfg);
    v1::work_teams::routes(cfg);
    v1::measures::routes(cfg);
    v1::projects::routes(cfg);
    v1::loans::routes(cfg);
    v1::migrant_work::routes(cfg);
    v1::villages::routes(cfg);
    v1::sync::routes(cfg);
    v1::procedures::routes(cfg);
    v1::spot_checks::routes(cfg);
    v1::quality::routes(cfg);
    v1::screening::routes(cfg);
    v1::ledgers::routes(cfg);
    v1::problems::routes(cfg);
    v1::reports::routes(cfg);
    v1::imports::routes(cfg);
    v1::labels::routes(cfg);
    v1::exports::routes(cfg);
}

/// Extractor configuration: actix's own errors become problem documents too.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(1 << 20).error_handler(json_error))
        .app_data(web::PathConfig::default().error_handler(|_e: PathError, _| ApiError::NotFound.into()))
        .app_data(web::QueryConfig::default().error_handler(query_error));
}

fn json_error(e: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match e {
        JsonPayloadError::Deserialize(de) if de.is_data() => {
            ApiError::invalid("body", "invalid_value", redact::deserializer_message(&de.to_string())).into()
        }
        JsonPayloadError::Deserialize(de) => ApiError::BadRequest(format!("malformed JSON: {}", redact::deserializer_message(&de.to_string()))).into(),
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as application/json".into()).into()
        }
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!("a JSON body may have at most {limit} bytes")).into()
        }
        other => ApiError::BadRequest(other.to_string()).into(),
    }
}

fn query_error(e: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let QueryPayloadError::Deserialize(de) = &e else { return ApiError::invalid("query", "invalid_value", "the query cannot be read").into() };
    ApiError::invalid("query", "invalid_value", redact::deserializer_message(&de.to_string())).into()
}

/// Unknown routes answer 404 and known paths asked with another method 405 with `Allow`, both
/// as problem documents.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match allowed_methods(req.path()) {
        Some(allow) => Err(ApiError::MethodNotAllowed { allow }),
        None => Err(ApiError::NotFound),
    }
}

/// The methods the document gives a concrete path (`{param}` segments match any segment).
fn allowed_methods(path: &str) -> Option<String> {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, String)>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let ops = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch), ("DELETE", &item.delete)];
                let methods: Vec<&str> = ops.into_iter().filter(|(_, op)| op.is_some()).map(|(m, _)| m).collect();
                (template.split('/').map(str::to_owned).collect(), methods.join(", "))
            })
            .collect()
    });
    let segments: Vec<&str> = path.split('/').collect();
    routes
        .iter()
        .find(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .map(|(_, allow)| allow.clone())
}

/// `?limit=` of a list: 1 to 500, 50 when absent (what the document says of every list).
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    limit_within(limit, 50, 500)
}

/// `?limit=` between 1 and `max`, `default` when absent; a 422 naming `limit` outside.
pub fn limit_within(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", "out_of_range", format!("limit must lie between 1 and {max}"))),
    }
}

/// The version a client last saw, from `If-Match` (`"3"`, `W/"3"` or `3`).
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let malformed = || ApiError::BadRequest("If-Match must be the ETag the record was read with, e.g. \"3\"".into());
    let text = v.to_str().map_err(|_| malformed())?.trim();
    // `*` ("whatever is there") would skip the lost-update check this header exists for.
    if text == "*" {
        return Err(ApiError::PreconditionRequired);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    let quoted = text.len() >= 2 && text.starts_with('"') && text.ends_with('"');
    let text = if quoted { &text[1..text.len() - 1] } else { text };
    match text.parse::<i64>() {
        Ok(v) if v >= 0 => Ok(Some(v)),
        // A number that is no version of anything: the record has changed since (or never was).
        Ok(_) => Err(ApiError::PreconditionFailed),
        Err(_) => Err(malformed()),
    }
}

/// `If-Match` is mandatory for updates: 428 without it.
pub fn require_if_match(req: &HttpRequest) -> Result<i64, ApiError> {
    if_match(req)?.ok_or(ApiError::PreconditionRequired)
}

pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// A path id that is not a UUID names nothing: 404.
/// An optional `client_id`: a UUID chosen by the phone.
pub fn parse_client_id(value: Option<&str>, errs: &mut crate::domain::FieldErrors) -> Option<String> {
    parse_uuid("client_id", value, errs)
}

/// An id in a body or query: a UUID, else a field error (so a typo reads as 422, not 404).
pub fn parse_uuid(field: &str, value: Option<&str>, errs: &mut crate::domain::FieldErrors) -> Option<String> {
    let v = value?.trim();
    let parsed = uuid::Uuid::parse_str(v).map(|u| u.to_string());
    errs.check(field, parsed.map_err(|_| crate::domain::validation::DomainError::new("invalid_value", "must be an id (UUID)")))
}

pub fn path_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| ApiError::NotFound)
}

/// Stored naive UTC as an RFC 3339 time.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}
