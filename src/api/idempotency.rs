//! `Idempotency-Key` on POSTs: a phone that sent a request and lost the answer (no signal in
//! the lane) sends it again with the same key and receives the first answer, marked
//! `Idempotency-Replayed: true`, instead of causing a second effect. Keys are per user; a key
//! reused for another request (another path, or another JSON body: its SHA-256 is part of the
//! request's fingerprint) is refused (422), a retry while the first is still running gets 409.
//! Answers that say the request was not even started (400, 401, 413, 415, 422, 429, 5xx) are
//! not kept, so a corrected retry is processed; others are kept 24 hours, sealed with the data
//! key (the answers hold ID and phone numbers).
//!
//! The key is claimed by the request's first write transaction (`db::repo::idempotency`), not
//! by a commit of its own before the handler runs: a request that finds the key held wrote
//! nothing and is answered from the key's row here.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, ETAG, HeaderName, HeaderValue, LOCATION};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web::Data};

use crate::db::repo::idempotency::{self as repo, RequestClaim};
use crate::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
/// Bodies above this are answered but not kept (POST answers are small JSON).
const MAX_BODY: usize = 1 << 20;
const KEPT_HEADERS: [HeaderName; 3] = [CONTENT_TYPE, ETAG, LOCATION];

/// Answers to a request that was refused before it did anything: not kept.
const NOT_STARTED: [StatusCode; 6] = [
    StatusCode::BAD_REQUEST,
    StatusCode::UNAUTHORIZED,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
    StatusCode::UNPROCESSABLE_ENTITY,
    StatusCode::TOO_MANY_REQUESTS,
];

/// The SHA-256 of a JSON body (read whole and put back for the handler); none for other bodies
/// (multipart uploads carry their own `client_id`). A body above the JSON limit is refused here.
/// Whether an answer with `status` is kept and replayed for a retry with the same key: not when
/// the request was refused before it started, nor on a server failure (worth a retry).
pub fn is_kept(status: StatusCode) -> bool {
    !status.is_server_error() && !NOT_STARTED.contains(&status)
}

async fn json_body_digest(req: &mut ServiceRequest) -> Result<Option<String>, ApiError> {
    use futures_util::StreamExt;
    use sha2::{Digest, Sha256};
    let json = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Ok(None);
    }
    let mut payload = actix_web::HttpMessage::take_payload(req);
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::PayloadTooLarge(format!("a JSON body may have at most {MAX_BODY} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let digest = hex::encode(Sha256::digest(&body));
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(Some(digest))
}

/// The body and headers of a kept answer, unsealed; none when they do not open (kept before
/// answers were sealed, or under another data key): such an answer counts as absent.
fn open(crypto: &crate::crypto::Crypto, row: &repo::KeyRow) -> Option<(Vec<u8>, Option<String>)> {
    let body = row.body.as_deref().map(|b| crypto.open_bytes(b)).transpose().ok()?;
    let headers = row.headers_json.as_deref().map(|h| crypto.open(h)).transpose().ok()?;
    Some((body.unwrap_or_default(), headers))
}

fn valid_key(k: &str) -> bool {
    (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
}

fn problem(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(e.error_response())
}

pub async fn middleware(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req.headers().get(HEADER).map(|v| v.to_str().map(str::trim).map(str::to_owned));
    let (Some(key), true) = (key, req.method() == Method::POST) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Ok(key) = key.map_err(|_| ()).and_then(|k| if valid_key(&k) { Ok(k) } else { Err(()) }) else {
        return Ok(problem(req, ApiError::BadRequest("Idempotency-Key: 1–200 visible ASCII characters (a UUID, say)".into())));
    };
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Unauthenticated requests go through untouched: the handler answers 401.
    // Authenticated exactly as the handler would be (an ended session, a disabled account: the
    // handler answers 401, nothing is replayed), and bound to the caller's role and
    // jurisdiction now: an answer kept under other rights is never shown.
    let caller = match crate::auth::extractor::bearer(req.request()) {
        Ok(token) => crate::auth::extractor::authenticate(&state, &token).await.ok(),
        Err(_) => None,
    };
    let Some(caller) = caller else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let user = caller.id.clone();
    let key = state.crypto.lookup_hash("idempotency-key", &key);
    let mut req = req;
    // What identifies the request, as kept: the path, a keyed hash of the query string and the
    // body's SHA-256 (no request value is stored in clear).
    let mut request = format!("POST {}", req.path());
    let rights = format!("{}@{}", caller.role.as_str(), caller.jurisdiction);
    let query = req.uri().query().unwrap_or_default().to_owned();
    request.push_str(" q:");
    request.push_str(&state.crypto.lookup_hash("idempotency-request", &format!("{query}\n{rights}")));
    match json_body_digest(&mut req).await {
        Ok(Some(digest)) => {
            // Keyed: a plain digest of a body would let a dump test guesses of the numbers in it.
            request.push_str(" sha256:");
            request.push_str(&state.crypto.lookup_hash("idempotency-body", &digest));
        }
        Ok(None) => {}
        Err(e) => return Ok(problem(req, e)),
    }
    if rand::random::<u8>() == 0 {
        let db = state.db.clone();
        actix_web::rt::spawn(async move { db.run(|c| Ok(repo::purge(c)?)).await });
    }
    // The request's first write transaction claims the key (no commit of its own); a request
    // whose key is held wrote nothing, and is answered from what the key holds.
    let crypto = state.crypto.clone();
    let claim = RequestClaim::new(user, key, request, Box::new(move |row| open(&crypto, row).is_some()));
    let res = repo::scope(claim.clone(), next.call(req)).await;
    if claim.was_refused() {
        let http_req = match res {
            Ok(res) => res.into_parts().0,
            Err(e) => return Err(e),
        };
        return Ok(answer_held(&state, &claim, http_req).await);
    }
    // From here on, an answer that is not kept leaves a claim a write transaction took marked
    // as applied (`APPLIED_UNKEPT`): a retry is told so at once instead of applying it again.
    let res = match res {
        Ok(res) => res,
        Err(e) => {
            applied_unkept(&state, &claim).await;
            return Err(e);
        }
    };
    let status = res.status();
    if !is_kept(status) {
        applied_unkept(&state, &claim).await;
        return Ok(res.map_into_boxed_body());
    }
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    // Handlers answer from memory, so reading the body whole costs nothing more; a body that
    // cannot be read is that handler's failure, worth a retry.
    let Ok(bytes) = to_bytes(body).await else {
        applied_unkept(&state, &claim).await;
        return Ok(ServiceResponse::new(http_req, HttpResponse::InternalServerError().finish()));
    };
    if bytes.len() > MAX_BODY {
        // Answered, not kept (an error-report workbook, say).
        applied_unkept(&state, &claim).await;
        return Ok(ServiceResponse::new(http_req, head.set_body(bytes).map_into_boxed_body()));
    }
    let kept: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|n| head.headers().get(n).and_then(|v| v.to_str().ok()).map(|v| (n.to_string(), v.to_owned())))
        .collect();
    // Kept sealed with the data key, like ID numbers: a database dump shows no answer.
    let headers_json = state.crypto.seal(&serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into()));
    let sealed = state.crypto.seal_bytes(&bytes);
    let taken = claim.was_taken();
    let c2 = claim.clone();
    let stored = state
        .db
        .run(move |c| {
            if taken {
                repo::complete(c, &c2, status.as_u16(), headers_json, sealed)?;
                Ok(true)
            } else {
                // Answered without writing (a 404, a conflict found before writing): kept unless
                // the key is held already — then this request is a retry, answered as the first.
                Ok(repo::keep(c, &c2, status.as_u16(), headers_json, sealed)?)
            }
        })
        .await;
    match stored {
        Ok(true) => {}
        Ok(false) => return Ok(answer_held(&state, &claim, http_req).await),
        Err(e) => tracing::warn!(error = %e, "could not keep the answer of an idempotent request"),
    }
    Ok(ServiceResponse::new(http_req, head.set_body(bytes).map_into_boxed_body()))
}

/// After an answer that is not kept: a key a write transaction of the request took is marked
/// applied (a key no transaction took stays free: nothing was written, a retry goes through).
async fn applied_unkept(state: &AppState, claim: &Arc<RequestClaim>) {
    if !claim.was_taken() {
        return;
    }
    let claim = claim.clone();
    if let Err(e) = state.db.run(move |c| Ok(repo::applied_unkept(c, &claim)?)).await {
        // The claim stays unanswered: after `ABANDONED` a retry is told it was applied.
        tracing::warn!(error = %e, "could not mark an idempotent request applied without its answer");
    }
}

/// The answer to a request whose key another request holds: the first answer replayed, 409
/// while the first is still being answered, 422 when the key was used for another request.
async fn answer_held(state: &AppState, claim: &RequestClaim, http_req: actix_web::HttpRequest) -> ServiceResponse<BoxBody> {
    let respond = |res: HttpResponse| ServiceResponse::new(http_req, res.map_into_boxed_body());
    let (user, key) = (claim.user_id.clone(), claim.key.clone());
    let row = match state.db.run(move |c| Ok(repo::held(c, &user, &key)?)).await {
        Ok(row) => row,
        Err(e) => return respond(e.error_response()),
    };
    let still_running = || ApiError::Conflict("a request with this Idempotency-Key is still being answered: retry shortly".into());
    let Some(row) = row else {
        // Released meanwhile (the first request failed): a retry goes through.
        return respond(still_running().error_response());
    };
    if row.request != claim.request {
        let request = &claim.request;
        let first = row.request.split(" sha256:").next().unwrap_or_default();
        let what = if first == request.split(" sha256:").next().unwrap_or_default() { "another body of ".to_owned() } else { "another request (query, body or the caller's rights) of ".to_owned() };
        // The first request's path, not its query string: a refusal repeats no request value.
        let first = first.split(" q:").next().unwrap_or_default();
        return respond(ApiError::invalid("Idempotency-Key", "idempotency_key_reused", format!("this key was used for {what}{first}: use a new key for a new request")).error_response());
    }
    if row.status == 0 || row.status == repo::APPLIED_UNKEPT {
        if row.status == 0 && crate::db::now() - row.created_at < repo::ABANDONED {
            return respond(still_running().error_response());
        }
        // The claim committed with the request's effect; its answer never came (the server
        // stopped, or the answer could not be kept): applied, not to be applied again.
        return respond(ApiError::Conflict("the request with this Idempotency-Key was applied but its answer was not kept: read the record (a create's client_id finds it), or send a new request with a new key".into()).error_response());
    }
    let Some((body, headers)) = open(&state.crypto, &row) else {
        // Kept under another data key and kept again meanwhile: the next retry takes it over.
        return respond(still_running().error_response());
    };
    let mut res = HttpResponse::build(StatusCode::from_u16(row.status as u16).unwrap_or(StatusCode::OK));
    let headers: Vec<(String, String)> = headers.as_deref().and_then(|h| serde_json::from_str(h).ok()).unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            res.insert_header((n, v));
        }
    }
    res.insert_header(("Idempotency-Replayed", "true"));
    respond(res.body(body))
}
