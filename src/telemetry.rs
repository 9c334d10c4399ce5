//! Logging: human-readable by default, JSON lines with `FANGPIN_LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The span of each request: method, route, path (never the query string, which can carry
/// search terms), the client's address as [`crate::state::AppState::client_ip`] decides it
/// (`X-Forwarded-For` only from trusted proxies), the request id, and at the end the status
/// and the problem's stable `code` — never an error's text, which may quote what was sent.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let client_ip = request
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .and_then(|s| crate::state::client_ip(&s.trusted_proxies, request.peer_addr().map(|a| a.ip()), request.headers()))
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.target = %request.path(),
            http.client_ip = %client_ip,
            http.status_code = tracing::field::Empty,
            error.code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(span: tracing::Span, outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>) {
        let status = match outcome {
            Ok(res) => res.response().status(),
            Err(e) => e.as_response_error().status_code(),
        };
        span.record("http.status_code", status.as_u16());
        let code = match outcome {
            Ok(res) => res.response().error().and_then(|e| e.as_error::<crate::error::ApiError>()).map(|e| e.code()),
            Err(e) => e.as_error::<crate::error::ApiError>().map(|e| e.code()),
        };
        if let Some(code) = code {
            span.record("error.code", code);
        }
    }
}
