//! HTTP: routing, the OpenAPI document, extractor error handling and small shared helpers.

pub mod app;
pub mod body;
pub mod caller;
pub mod console;
pub mod cookie_session;
pub mod docs;
pub mod idempotency;
pub mod limits;
pub mod ops;
pub mod redact;
pub mod v1;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fangpin 防贫 API",
        version = "1",
        description = "Backend of the rural poverty-monitoring phone app (防止返贫监测) and township review. \
                       All paths below are under /api/v1 and need `Authorization: Bearer <access token>` \
                       except the auth endpoints. Errors are `application/problem+json` with a stable `code`."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "Login, tokens and users 用户"),
        (name = "divisions", description = "Places 区划: county, township, village"),
        (name = "households", description = "Households 户 and members 家庭成员"),
        (name = "locations", description = "Home locations 住户定位 and coverage 覆盖率"),
        (name = "photos", description = "Household photos 入户照片 and their review"),
        (name = "assistance", description = "Cadres 帮扶干部, pairings 结对, work teams 驻村工作队, measures 帮扶措施"),
        (name = "villages", description = "Village tables 村表, natural villages 自然村(组), mergers"),
        (name = "procedures", description = "Cases 程序 (inclusion, exit, risk changes), exclusion conditions 九不评, spot checks 抽查"),
        (name = "quality", description = "Data cleaning 数据清洗: rules, runs, the problem ledger 问题台账"),
        (name = "sync", description = "Offline phones: changes since a cursor, with tombstones"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// Every `/api/v1` route, registered through utoipa so the document is the router.
pub fn api_v1(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    v1::auth::routes(cfg);
    v1::users::routes(cfg);
    v1::divisions::routes(cfg);
    v1::households::routes(cfg);
    v1::members::routes(cfg);
    v1::locations::routes(cfg);
    v1::photos::routes(cfg);
    v1::yearly::routes(cfg);
    v1::cadres::routes(cfg);
    v1::pairings::routes(cfg);
    v1::work_teams::routes(cfg);
    v1::measures::routes(cfg);
    v1::villages::routes(cfg);
    v1::sync::routes(cfg);
    v1::procedures::routes(cfg);
    v1::spot_checks::routes(cfg);
    v1::quality::routes(cfg);
    v1::imports::routes(cfg);
}

/// The generated OpenAPI document (also what `fangpin openapi` prints).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1))
        .split_for_parts();
    document_idempotency_keys(&mut doc);
    document_common_errors(&mut doc);
    doc
}

/// Answers any operation can give, said once here rather than on each handler: a request that
/// cannot be read (400), a missing or expired token (401, authenticated operations), a body of
/// the wrong type or size (413, 415, operations with a body), a query or body value out of range
/// (422, operations that take either) and a dependency that is down (503, with `Retry-After`).
/// All are problem documents. An operation that documents one of them itself keeps its own text.
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |text: &str| {
        ResponseBuilder::new()
            .description(text)
            .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten() {
            let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let has_query = op.parameters.iter().flatten().any(|p| p.parameter_in == ParameterIn::Query);
            let mut common = vec![("400", "the request cannot be read (malformed JSON, header or multipart)")];
            if authenticated {
                common.push(("401", "no valid access token: log in or refresh"));
            }
            if has_body {
                common.push(("408", "the body arrived too slowly: below FANGPIN_BODY_MIN_RATE_BYTES after FANGPIN_BODY_GRACE_SECS"));
                common.push(("413", "the body is too large"));
                common.push(("415", "the body is not of the documented media type"));
            }
            let idempotent = op.parameters.iter().flatten().any(|p| p.name == "Idempotency-Key");
            if has_body || has_query || idempotent {
                common.push(("422", "a value is invalid: `errors` lists each field"));
            }
            if idempotent {
                common.push(("409", "a request with this Idempotency-Key is still being answered"));
            }
            common.push(("503", "the database or object store is unavailable: retry after `Retry-After` seconds"));
            for (status, text) in common {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(text).into());
            }
        }
    }
}

/// Every authenticated POST accepts `Idempotency-Key` (the middleware in `idempotency.rs`):
/// said once here for every such operation of the document.
fn document_idempotency_keys(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(op) = item.post.as_mut().filter(|_| !path.starts_with("/api/v1/auth/")) else { continue };
        let header = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "A key chosen by the phone (a UUID): a retry with the same key gets the first answer \
                 (`Idempotency-Replayed: true`) instead of a second effect; kept 24 h per user.",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(200))))
            .build();
        op.parameters.get_or_insert_with(Vec::new).push(header);
    }
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
