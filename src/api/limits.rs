//! Limits every request passes before a handler sees it: a request body must keep arriving
//! (a minimum rate after a grace period, else 408 and the connection closed), and `/metrics`
//! needs its own token.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;
use crate::state::AppState;

/// A body stream that fails once it falls behind `min_rate` bytes per second after `grace`
/// (the deadline for the next chunk is `start + grace + received / min_rate`).
struct Deadline {
    inner: Payload,
    start: Instant,
    grace: Duration,
    min_rate: u64,
    received: u64,
    timer: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
    /// Bodies of the paths open before login are small: more than this is refused (413).
    cap: Option<u64>,
}

impl Deadline {
    /// The average-rate deadline, but never more than `grace` after the last chunk: a client
    /// that sends a burst and then stalls does not earn minutes of silence.
    fn next_deadline(&self) -> Instant {
        let allowance = Duration::from_secs_f64(self.received as f64 / self.min_rate.max(1) as f64);
        (self.start + self.grace + allowance).min(Instant::now() + self.grace)
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                if this.cap.is_some_and(|cap| this.received > cap) {
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                let next = this.next_deadline();
                this.timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timed_out.store(true, Ordering::Release);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "the body arrived too slowly")))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// The request's body stream, shared between the handler (which may stop reading it) and the
/// middleware (which drains what is left of a small one before answering).
#[derive(Clone)]
struct Shared(Rc<RefCell<Deadline>>);

impl Stream for Shared {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_next(cx)
    }
}

/// A refusal given before the body was read (401 of an expired token on a photo upload, 403)
/// still reaches the phone: up to this many bytes left unread are read and dropped first, so
/// the connection is not reset under a client that is still sending (it would see a broken
/// connection instead of the answer that tells it what to do). Larger bodies are not drained.
const DRAIN_LIMIT: u64 = 1 << 20;

/// The paths that take a body before login (credentials, refresh tokens): their bodies are a
/// few hundred bytes, so at most [`PUBLIC_BODY_LIMIT`] of one is ever held in memory.
fn public_body(path: &str) -> bool {
    path.starts_with("/api/v1/auth/") || path.starts_with("/console/session") || path.starts_with("/app/session")
}

const PUBLIC_BODY_LIMIT: u64 = 16 * 1024;

/// Whether the request announces a body (a length above zero, or chunked).
fn has_body(req: &ServiceRequest) -> bool {
    let h = req.headers();
    h.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > 0)
        || h.contains_key("transfer-encoding")
}

/// Wraps the body of every request so a sender slower than `body_min_rate_bytes` after
/// `body_grace_secs` gets 408 (`request_timeout`) and the connection is closed, before login
/// as after it, whatever reads the body (JSON, multipart uploads, the idempotency check).
pub async fn body_deadline(mut req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let settings = req.app_data::<Data<AppState>>().map(|s| (s.settings.body_min_rate_bytes, s.settings.body_grace_secs));
    let (Some((min_rate, grace)), true) = (settings, has_body(&req)) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let declared = req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let cap = public_body(req.path()).then_some(PUBLIC_BODY_LIMIT);
    if let (Some(cap), Some(n)) = (cap, declared) {
        if n > cap {
            let mut response = ApiError::PayloadTooLarge(format!("a body here may have at most {cap} bytes")).error_response();
            response.head_mut().set_connection_type(ConnectionType::Close);
            return Ok(req.into_response(response));
        }
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let grace = Duration::from_secs(grace);
    let start = Instant::now();
    let stream = Deadline {
        inner: req.take_payload(),
        start,
        grace,
        min_rate,
        received: 0,
        timer: Box::pin(tokio::time::sleep_until(start + grace)),
        timed_out: timed_out.clone(),
        cap,
    };
    let shared = Shared(Rc::new(RefCell::new(stream)));
    req.set_payload(Payload::Stream { payload: Box::pin(shared.clone()) });
    let timed_out_now = || timed_out.load(Ordering::Acquire);
    let result = next.call(req).await;
    if declared.is_none_or(|n| n <= DRAIN_LIMIT) && !timed_out_now() {
        use futures_util::StreamExt;
        let mut drained = shared;
        let mut seen = 0u64;
        while let Some(Ok(chunk)) = drained.next().await {
            seen += chunk.len() as u64;
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    match result {
        Ok(res) if timed_out_now() => {
            let http_req = res.request().clone();
            let mut response = ApiError::RequestTimeout(TIMEOUT.into()).error_response();
            response.head_mut().set_connection_type(ConnectionType::Close);
            Ok(ServiceResponse::new(http_req, response))
        }
        Ok(res) => Ok(res.map_into_boxed_body()),
        Err(_) if timed_out_now() => Err(ApiError::RequestTimeout(TIMEOUT.into()).into()),
        Err(e) => Err(e),
    }
}

const TIMEOUT: &str = "the request body arrived too slowly: send it again on a better connection";

/// `/metrics` is served only with `Authorization: Bearer <FANGPIN_METRICS_TOKEN>`; without a
/// configured token it does not exist (404), so it is never open to anyone who can reach the API.
pub async fn metrics_guard(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.path() != "/metrics" {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let token = req.app_data::<Data<AppState>>().and_then(|s| s.settings.metrics_token.clone()).filter(|t| !t.trim().is_empty());
    let Some(token) = token else {
        return Ok(req.into_response(ApiError::NotFound.error_response()));
    };
    let sent = crate::auth::extractor::bearer(req.request()).unwrap_or_default();
    let equal = {
        use sha2::{Digest, Sha256};
        // Compared as digests: the time taken says nothing about how much of the token matched.
        Sha256::digest(sent.as_bytes()) == Sha256::digest(token.trim().as_bytes())
    };
    if !equal {
        return Ok(req.into_response(ApiError::Unauthorized("/metrics needs its bearer token".into()).error_response()));
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}
