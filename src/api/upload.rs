//! Uploads of a file with its description (photos, documents): multipart with a `meta` JSON part
//! first (at most 16 KB), then the `file` part spooled to a temporary file under the size cap
//! (413 beyond it, nothing kept) and hashed as it arrives. The one path every upload takes.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::services::photos::{Spool, Spooled};
use crate::workers::MemoryBudget;

pub(crate) fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    ApiError::BadRequest(format!("malformed multipart body: {e}"))
}

/// Upper bound of what is read and discarded after the size cap, so the client gets its 413.
const DRAIN_LIMIT: usize = 128 * 1024 * 1024;

/// What a multipart body may hold beside its file: the meta part (≤ 16 KB) and the headers.
const MULTIPART_SLACK: usize = 64 * 1024;

/// Streams the file part into a temporary file; 413 once it passes `max` (the rest is
/// discarded, never kept in memory).
pub(crate) async fn spool(field: &mut actix_multipart::Field, dir: &std::path::Path, max: usize, what: &str) -> Result<(tempfile::NamedTempFile, usize), ApiError> {
    spool_with(field, dir, max, what, |_| {}).await
}

/// [`spool`] that also shows each kept chunk to `seen` as it arrives (to hash it on the way).
async fn spool_with(field: &mut actix_multipart::Field, dir: &std::path::Path, max: usize, what: &str, seen: impl FnMut(&[u8])) -> Result<(tempfile::NamedTempFile, usize), ApiError> {
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| ApiError::Internal(e.into()))?;
    let size = receive(field, &mut file, max, what, seen).await?;
    Ok((file, size))
}

/// Streams the file part into `sink`, showing each kept chunk to `seen` as it arrives (to hash
/// it on the way); 413 once it passes `max` (the rest is read up to a bound and discarded, so the
/// client gets its answer). Returns the bytes received.
async fn receive(field: &mut actix_multipart::Field, sink: &mut impl Write, max: usize, what: &str, mut seen: impl FnMut(&[u8])) -> Result<usize, ApiError> {
    let mut total = 0usize;
    let mut over = false;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_error)?;
        total += chunk.len();
        if total > max {
            over = true;
            if total > DRAIN_LIMIT {
                break;
            }
            continue;
        }
        // Small writes to memory or to the page cache: cheaper inline than a hop to the
        // blocking pool.
        sink.write_all(&chunk).map_err(|e| ApiError::Internal(e.into()))?;
        seen(&chunk);
    }
    if over {
        return Err(ApiError::PayloadTooLarge(format!("{what} may have at most {} MB", max / (1024 * 1024))));
    }
    Ok(total)
}

pub(crate) async fn next_part(mp: &mut Multipart, name: &str, hint: &str) -> Result<actix_multipart::Field, ApiError> {
    let field = mp.next().await.ok_or_else(|| ApiError::invalid(name, "required", format!("the {name} part is missing")))?.map_err(multipart_error)?;
    match field.name() {
        Some(n) if n == name => Ok(field),
        // The part's name is not repeated: it is whatever the client sent.
        _ => Err(ApiError::invalid(name, "order", format!("expected the {name} part here: {hint}"))),
    }
}

/// An upload as the request carries it: multipart, the `meta` part first, then `file`.
pub(crate) struct MetaThenFile<'a> {
    req: &'a HttpRequest,
    mp: Multipart,
    tmp: std::path::PathBuf,
    max_bytes: usize,
    /// "a photo": what 413 names; and where the file goes, for a misplaced part.
    what: &'static str,
    hint: &'static str,
    memory: MemoryBudget,
}

impl<'a> MetaThenFile<'a> {
    /// `memory`: the budget a body that fits is received into (the rest go to a file in `tmp`).
    pub(crate) fn new(req: &'a HttpRequest, payload: web::Payload, tmp: std::path::PathBuf, memory: MemoryBudget, max_bytes: usize, what: &'static str, hint: &'static str) -> Self {
        Self { req, mp: Multipart::new(req.headers(), payload), tmp, max_bytes, what, hint, memory }
    }

    /// The `meta` part's bytes (415 for a body that is not multipart).
    pub(crate) async fn meta(&mut self) -> Result<Vec<u8>, ApiError> {
        let is_multipart = self.req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            return Err(ApiError::UnsupportedMediaType("send multipart/form-data with a `meta` part and a `file` part".into()));
        }
        let mut part = next_part(&mut self.mp, "meta", "send meta before the file").await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            bytes.extend_from_slice(&chunk.map_err(multipart_error)?);
            if bytes.len() > 16 * 1024 {
                return Err(ApiError::invalid("meta", "too_long", "meta has at most 16 KB"));
            }
        }
        // The multipart stream yields the next part only once the previous one is dropped.
        drop(part);
        Ok(bytes)
    }

    /// The `file` part, hashed once as it arrives (the store is asked for no second hash): into
    /// memory when the request says its length and the upload memory budget has that much free
    /// (no copy to a file and back), else spooled to a temporary file. An empty part is 422.
    pub(crate) async fn file(mut self) -> Result<Spooled, ApiError> {
        use sha2::{Digest, Sha256};
        let mut part = next_part(&mut self.mp, "file", self.hint).await?;
        let mut sha = Sha256::new();
        let hash = |chunk: &[u8]| sha.update(chunk);
        // The body holds the meta (≤ 16 KB) and the parts' headers beside the file: a length
        // past this is refused anyway (413), on the way to disk.
        let fits = |n: &usize| *n <= self.max_bytes.saturating_add(MULTIPART_SLACK);
        let length = self.req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok()).filter(fits);
        let (body, size) = match length.and_then(|n| Some((n, self.memory.try_reserve(n)?))) {
            Some((n, reserved)) => {
                let mut bytes = Vec::with_capacity(n);
                let size = receive(&mut part, &mut bytes, self.max_bytes, self.what, hash).await?;
                (Spool::Memory(Bytes::from(bytes), reserved), size)
            }
            None => {
                let (file, size) = spool_with(&mut part, &self.tmp, self.max_bytes, self.what, hash).await?;
                (Spool::File(file), size)
            }
        };
        drop(part);
        if size == 0 {
            return Err(ApiError::invalid("file", "empty", "the file part is empty"));
        }
        Ok(Spooled { body, size, sha256: hex::encode(sha.finalize()) })
    }
}
