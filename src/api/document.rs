//! The OpenAPI document. utoipa derives each operation from its handler; what holds for many
//! operations is said once here, from the same source the server acts on: who needs a token,
//! `Idempotency-Key` and `Idempotency-Replayed` (the middleware in `idempotency.rs`), the
//! answers any operation can give, `Retry-After`, `ETag` on versioned records, and the lists of
//! values the domain accepts for text fields (so a generated client gets enumerations, not free
//! strings). `tests/api/document.rs` holds the rules a generated client relies on.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa_actix_web::AppExt;

use crate::api::api_v1;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fangpin API",
        version = "1",
        description = "fangpin 防贫: the backend of the rural poverty-monitoring phone app (防止返贫监测) \
                       and the township's review. All paths are under /api/v1 and need \
                       `Authorization: Bearer <access token>` except login, refresh and logout. Errors are \
                       `application/problem+json` with a stable `code`; invalid values are listed per \
                       field in `errors`. Records carry a `version`, sent as `ETag`: a change must send it \
                       back in `If-Match` (a stale one gets 412). Every POST accepts an \
                       `Idempotency-Key`, so a phone on a bad connection can retry safely.",
        contact(name = "fangpin maintainers")
    ),
    servers(
        (url = "/", description = "the server this document was read from (`/api/v1/openapi.json`)"),
        (url = "http://127.0.0.1:8080", description = "`fangpin serve` with no configuration"),
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "Login, tokens and users 用户"),
        (name = "divisions", description = "Places 区划: county, township, village"),
        (name = "households", description = "Households 户 and members 家庭成员"),
        (name = "locations", description = "Home locations 住户定位 and coverage 覆盖率"),
        (name = "photos", description = "Household photos 入户照片 and their review"),
        (name = "documents", description = "The household file 一户一档: documents, completeness, archives"),
        (name = "assistance", description = "Cadres 帮扶干部, pairings 结对, work teams 驻村工作队, measures 帮扶措施, projects 项目管理, microcredit 小额信贷"),
        (name = "villages", description = "Village tables 村表, natural villages 自然村(组), mergers"),
        (name = "procedures", description = "Cases 程序 (inclusion, exit, risk changes), exclusion conditions 九不评, spot checks 抽查"),
        (name = "quality", description = "Data cleaning 数据清洗: rules, runs, the problem ledger 问题台账, problems found by people and their rectification 整改, the daily list 问题整改清单, imports"),
        (name = "reports", description = "The year's reports: 问题台账, 整改清单, 自查评估汇总"),
        (name = "sync", description = "Offline phones: changes since a cursor, with tombstones"),
        (name = "labels", description = "What people read for coded values 代码值名称 (Chinese and English)"),
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

/// The generated OpenAPI document (also what `fangpin openapi` prints).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1))
        .split_for_parts();
    document_public_operations(&mut doc);
    document_parameters(&mut doc);
    document_idempotency_keys(&mut doc);
    document_common_errors(&mut doc);
    document_headers(&mut doc);
    super::enumerations::document(&mut doc);
    doc
}

fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = (&String, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten().map(move |op| (path, op))
    })
}

fn authenticated(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|s| !s.is_empty())
}

/// Login, refresh and logout take no token: said with an explicit empty `security`, so a
/// generated client sends none (and a global default could never apply to them).
fn document_public_operations(doc: &mut utoipa::openapi::OpenApi) {
    for (_, op) in operations(doc) {
        if op.security.is_none() {
            op.security = Some(Vec::new());
        }
    }
}

/// A parameter is sent or not; it is never `null`. utoipa gives an `Option` field of a query
/// the type `[T, "null"]`, which generators turn into a union of a value and a null (a Python
/// client grows a class per branch); the document says `T`, not required.
fn document_parameters(doc: &mut utoipa::openapi::OpenApi) {
    for (_, op) in operations(doc) {
        for p in op.parameters.iter_mut().flatten() {
            let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() else { continue };
            if let SchemaType::Array(types) = &o.schema_type {
                let rest: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
                o.schema_type = match rest.as_slice() {
                    [one] => SchemaType::Type(one.clone()),
                    _ => SchemaType::Array(rest),
                };
            }
        }
    }
}

/// Answers any operation can give, said once here rather than on each handler: a request that
/// cannot be read (400), a missing or expired token (401, authenticated operations), a body of
/// the wrong type or size (413, 415, operations with a body), a query or body value out of range
/// (422, operations that take either), a stale or missing `If-Match` (412, 428, operations that
/// take one) and a dependency that is down (503, with `Retry-After`).
/// All are problem documents. An operation that documents one of them itself keeps its own text.
fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    let problem = |text: &str| {
        ResponseBuilder::new()
            .description(text)
            .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
            .build()
    };
    for (_, op) in operations(doc) {
        let has_body = op.request_body.is_some();
        let has_query = op.parameters.iter().flatten().any(|p| p.parameter_in == ParameterIn::Query);
        let mut common = vec![("400", "the request cannot be read (malformed JSON, header or multipart)")];
        if authenticated(op) {
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
        // `api::if_match`: a stale version is 412; a missing one where required, or `*`, is 428.
        if op.parameters.iter().flatten().any(|p| p.name == "If-Match") {
            common.push(("412", "the record changed since this ETag: read it again"));
            common.push(("428", "send If-Match with the ETag the record was read with (not `*`)"));
        }
        common.push(("503", "the database or object store is unavailable: retry after `Retry-After` seconds"));
        for (status, text) in common {
            op.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(text).into());
        }
    }
}

/// Every authenticated POST accepts `Idempotency-Key` (the middleware in `idempotency.rs`):
/// said once here for every such operation of the document.
fn document_idempotency_keys(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterBuilder;
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
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(200))))
            .build();
        op.parameters.get_or_insert_with(Vec::new).push(header);
    }
}

/// Response headers that follow from what an answer is:
/// - `Retry-After` (seconds) on every 429 and 503;
/// - `ETag` on every success whose body is a versioned record (a schema with `version`): the
///   handlers send the record's version, to come back in `If-Match`;
/// - `Idempotency-Replayed: true` on the answers of idempotent operations that the middleware
///   keeps (`idempotency::is_kept`), when the answer is the first one replayed.
fn document_headers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    let versioned: Vec<String> = doc
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .filter(|(_, s)| matches!(s, RefOr::T(Schema::Object(o)) if o.properties.contains_key("version")))
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    let string = || ObjectBuilder::new().schema_type(Type::String);
    for (_, op) in operations(doc) {
        let idempotent = op.parameters.iter().flatten().any(|p| p.name == "Idempotency-Key");
        for (status, response) in op.responses.responses.iter_mut() {
            let RefOr::T(response) = response else { continue };
            let code: u16 = status.parse().unwrap_or(0);
            if code == 429 || code == 503 {
                let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0));
                response.headers.entry("Retry-After".into()).or_insert_with(|| {
                    HeaderBuilder::new().schema(seconds).description(Some("seconds to wait before trying again")).build()
                });
            }
            let json_ref = response.content.get("application/json").and_then(|c| match &c.schema {
                Some(RefOr::Ref(r)) => Some(r.ref_location.clone()),
                _ => None,
            });
            if (200..300).contains(&code) && json_ref.is_some_and(|r| versioned.contains(&r)) {
                response.headers.entry("ETag".into()).or_insert_with(|| {
                    HeaderBuilder::new()
                        .schema(string())
                        .description(Some("the record's version (`\"3\"`): send it back in `If-Match` to change the record"))
                        .build()
                });
            }
            let replayable = actix_web::http::StatusCode::from_u16(code).is_ok_and(super::idempotency::is_kept);
            if idempotent && replayable {
                let flag = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true"]));
                response.headers.entry("Idempotency-Replayed".into()).or_insert_with(|| {
                    HeaderBuilder::new()
                        .schema(flag)
                        .description(Some("`true` when this is the kept answer of an earlier request with the same Idempotency-Key"))
                        .build()
                });
            }
        }
    }
}
