//! Every answer a test receives through `Api` is checked against the document a generated
//! client is built from: its status is one the operation documents, and each header a client
//! acts on (`ETag`, `Location`, `Retry-After`, `Idempotency-Replayed`) is documented on that
//! status. A handler that starts sending a new header, or a new status, fails whichever test
//! first meets it until the document says so.

use std::sync::OnceLock;

use reqwest::{Method, Response};
use serde_json::Value;

/// The headers a generated client reads.
const HEADERS: [&str; 4] = ["etag", "location", "retry-after", "idempotency-replayed"];

struct Route {
    segments: Vec<String>,
    template: String,
}

fn document() -> &'static (Value, Vec<Route>) {
    static DOC: OnceLock<(Value, Vec<Route>)> = OnceLock::new();
    DOC.get_or_init(|| {
        let doc = serde_json::to_value(fangpin::api::openapi()).unwrap();
        let routes = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|t| Route { segments: t.split('/').map(str::to_owned).collect(), template: t.clone() })
            .collect();
        (doc, routes)
    })
}

/// The operation of the document that answers `method path`, if any.
fn operation(method: &Method, path: &str) -> Option<(&'static str, &'static Value)> {
    let (doc, routes) = document();
    let segments: Vec<&str> = path.split('/').collect();
    // A literal segment beats a `{param}` one (`/households.geojson` vs `/households/{id}`).
    let route = routes
        .iter()
        .filter(|r| r.segments.len() == segments.len())
        .filter(|r| r.segments.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty())))
        .min_by_key(|r| r.segments.iter().filter(|t| t.starts_with('{')).count())?;
    let op = &doc["paths"][&route.template][method.as_str().to_lowercase()];
    (!op.is_null()).then_some((route.template.as_str(), op))
}

/// Panics when `res` is not what the document says `method url` answers.
pub fn check(method: &Method, url: &str, res: &Response) {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = path.split('?').next().unwrap_or_default();
    let Some((template, op)) = operation(method, path) else { return };
    let status = res.status().as_u16().to_string();
    let documented = &op["responses"][&status];
    assert!(
        !documented.is_null() || !op["responses"]["default"].is_null(),
        "{method} {template} answered {status}, which the document does not list for it"
    );
    for name in HEADERS {
        if res.headers().contains_key(name) {
            let listed = documented["headers"].as_object().is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(name)));
            assert!(listed, "{method} {template} answered {status} with `{name}`, which the document does not list on that answer");
        }
    }
}
