//! Logging: human-readable by default, JSON lines with `FANGPIN_LOG_FORMAT=json`.
//!
//! No request value is logged (see [`RequestSpan`]); a 5xx logs its cause where it is raised
//! (`ApiError::error_response`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;
use crate::error::ApiError;

pub fn init(format: LogFormat) {
    init_with(format, std::io::stderr, None);
}

const QUIET_EXTRACTORS: &str = "actix_web::types=info";

/// Installs the global subscriber writing to `writer` (the tests capture the log this way) with
/// `filter`, else `RUST_LOG`, else `info`. False if one was installed already.
pub fn init_with<W>(format: LogFormat, writer: W, filter: Option<&str>) -> bool
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = match filter {
        Some(f) => EnvFilter::new(f),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn")),
    };
    // actix-web's extractors log the request path of every refusal at DEBUG; a path may carry a
    // number (`/households/<an ID number>`), so they stay quiet whatever RUST_LOG says.
    let filter = match QUIET_EXTRACTORS.parse() {
        Ok(quiet) => filter.add_directive(quiet),
        // A constant that parses (tested below); were it ever refused: no log rather than paths.
        Err(_) => return false,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init().is_ok(),
        LogFormat::Text => builder.try_init().is_ok(),
    }
}

/// The span of each request: method, route pattern (not the path or the query string: a
/// mistyped path or a search may carry a name or an ID number), the client's address as
/// [`crate::state::client_ip`] decides it (`X-Forwarded-For` only from trusted proxies), the
/// request id, and at the end the status and the problem's stable `code`; a refusal (4xx) is one
/// INFO line with the status, code and invalid field names — never an error's text, which may
/// quote what was sent.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let client_ip = request
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .and_then(|s| crate::state::client_ip(&s.trusted_proxies, request.peer_addr().map(|a| a.ip()), request.headers()))
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.client_ip = %client_ip,
            http.status_code = tracing::field::Empty,
            error.code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(res) => (res.status(), res.response().error()),
            Err(e) => (e.as_response_error().status_code(), Some(e)),
        };
        span.record("http.status_code", status.as_u16());
        let api = error.and_then(|e| e.as_error::<ApiError>());
        if let Some(e) = api {
            span.record("error.code", e.code());
        }
        if !status.is_client_error() {
            return;
        }
        let code = api.map_or("", ApiError::code);
        let fields = match api {
            Some(ApiError::Validation(errors)) => errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(","),
            _ => String::new(),
        };
        tracing::info!(status = status.as_u16(), code, fields = %fields, "request refused");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_extractor_directive_parses() {
        assert!(super::QUIET_EXTRACTORS.parse::<tracing_subscriber::filter::Directive>().is_ok());
    }
}
