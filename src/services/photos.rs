//! Household photos 入户照片: the ingest of an upload (decode, checks, duplicates, the object
//! store, the row; nothing left behind when a step fails), the year's set of a household, the
//! objects, the review and the township's queue.

use std::future::Future;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Caller, Created, Page};
use crate::db::models::PhotoRow;
use crate::db::repo::{households, photos as repo};
use crate::domain::photo::{Evidence, PhotoKind, check, needs_review, year_of};
use crate::domain::{DivisionCode, Role};
use crate::error::ApiError;
use crate::geo::LatLon;
use crate::photos::{self, PhotoError, hash::bands};
use crate::state::AppState;
use crate::workers::{Refused, Reserved};
use crate::storage::{StorageError, StorageKind, keys};

/// The photo pool's refusal as an answer: busy → 503 with Retry-After, a failed job → 500.
pub(crate) fn photo_pool_refused(refused: Refused) -> ApiError {
    match refused {
        Refused::Busy => ApiError::Unavailable("photo processing is saturated".into()),
        Refused::Stopped => ApiError::Internal(anyhow::anyhow!("a photo job failed or its worker stopped")),
    }
}

/// What the phone says about a photo (the upload's `meta` part), parsed.
#[derive(Debug, Clone)]
pub struct Meta {
    pub kind: PhotoKind,
    pub taken_at: DateTime<Utc>,
    /// Where the app says it was taken, WGS-84 (used when the JPEG has no EXIF GPS).
    pub app_position: Option<LatLon>,
    pub client_id: String,
}

/// The file of an upload as it arrived, hashed on the way.
pub struct Spooled {
    pub body: Spool,
    /// Bytes received.
    pub size: usize,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// Where the file of an upload waits: in memory when the upload memory budget had room for it
/// (the reservation goes with the bytes), else in a temporary file.
pub enum Spool {
    Memory(Bytes, Reserved),
    File(tempfile::NamedTempFile),
}

impl Spool {
    /// The bytes, and the reservation that holds their memory (keep it until they are stored).
    /// A file is read back (blocking: call it on a worker thread) and removed.
    pub fn read_blocking(self) -> std::io::Result<(Bytes, Option<Reserved>)> {
        match self {
            Spool::Memory(bytes, reserved) => Ok((bytes, Some(reserved))),
            Spool::File(file) => Ok((Bytes::from(std::fs::read(file.path())?), None)),
        }
    }

    /// [`Spool::read_blocking`] from async code.
    pub async fn read(self) -> std::io::Result<(Bytes, Option<Reserved>)> {
        match self {
            Spool::Memory(bytes, reserved) => Ok((bytes, Some(reserved))),
            Spool::File(file) => Ok((Bytes::from(tokio::fs::read(file.path()).await?), None)),
        }
    }
}

/// The body of an upload as the ingest reads it: the meta first, then — unless the photo was
/// sent before — the file, spooled to disk (a retry costs no second transfer of the picture).
pub trait Upload {
    /// The meta, parsed (415 for a body that is not multipart, 422 for a bad meta).
    fn meta(&mut self) -> impl Future<Output = Result<Meta, ApiError>>;
    /// The file (413 past the limit, 422 when empty).
    fn file(self) -> impl Future<Output = Result<Spooled, ApiError>>;
}

/// Ingests an upload to a household: 404 outside the jurisdiction, 403 for an auditor, then the
/// body. A retry (same `client_id`) answers with the first photo. The checks (time, place,
/// duplicates across the county) flag a photo for review; they never refuse it.
#[tracing::instrument(skip_all, fields(household = %household_id, client_id = tracing::field::Empty))]
pub async fn ingest(state: &AppState, caller: &Caller, household_id: String, mut upload: impl Upload) -> Result<Created<PhotoRow>, ApiError> {
    let (scope, hid) = (caller.scope(), household_id.clone());
    let household = state.db.run(move |c| Ok(households::get(c, &scope, &hid)?)).await?;
    caller.require(caller.role != Role::Auditor, "upload photos")?;
    let meta = upload.meta().await?;
    tracing::Span::current().record("client_id", meta.client_id.as_str());
    let (hid, cid) = (household_id.clone(), meta.client_id.clone());
    if let Some(first) = state.db.run(move |c| Ok(repo::by_client_id(c, &hid, &cid)?)).await? {
        return Ok(Created::Existing(first));
    }
    let Spooled { body, size, sha256 } = upload.file().await?;
    // Decoding (and reading back a body spooled to disk) runs on the photo pool (bounded, not the
    // HTTP workers nor the database's threads, lower CPU priority), so reads are not queued
    // behind uploads; bodies in memory are bounded by the upload memory budget, the rest wait
    // on disk.
    let limits = photos::Limits { max_pixels: state.settings.photo_max_pixels, thumb_px: 320 };
    let (bytes, held, analysis) = state
        .photos
        .run(move || -> Result<_, ApiError> {
            let (bytes, held) = body.read_blocking().map_err(|e| ApiError::Internal(e.into()))?;
            let analysis = photos::analyze_hashed(&bytes, sha256, limits).map_err(|e| match e {
                PhotoError::NotJpeg(m) => ApiError::UnsupportedMediaType(m),
                PhotoError::TooManyPixels { .. } => ApiError::PayloadTooLarge(e.to_string()),
                PhotoError::Corrupt(m) => ApiError::invalid("file", "corrupt_jpeg", m),
            })?;
            Ok((bytes, held, analysis))
        })
        .await
        .map_err(photo_pool_refused)??;
    let (hid, sha, ph, county) = (household_id.clone(), analysis.sha256.clone(), analysis.phash, household.county_code.clone());
    let duplicate_of = state.db.run(move |c| Ok(repo::duplicates(c, &county, &hid, &sha, ph)?)).await?;
    let exif = &analysis.exif;
    let exif_position = exif.lat.zip(exif.lon).map(|(lat, lon)| LatLon { lat, lon });
    let home = household.home_lat.zip(household.home_lon).map(|(lat, lon)| LatLon { lat, lon });
    let evidence = Evidence {
        taken_at: meta.taken_at,
        exif_local: exif.taken_local,
        exif_offset: exif.offset,
        exif_position,
        app_position: meta.app_position,
        exif_anomalies: !exif.anomalies.is_empty(),
        home,
        duplicates: !duplicate_of.is_empty(),
        software: exif.software.clone(),
        thumbnail_distance: analysis.preview.as_ref().map(|p| p.distance),
        gps_time: exif.gps_time,
        exif_modified_local: exif.modified_local,
        camera_metadata: exif.make.is_some() || exif.model.is_some() || exif.has_original_time,
    };
    let checks = check(&state.check_rules, &evidence, Utc::now(), state.tz);
    let photo_id = crate::db::new_id();
    let (original_key, thumb_key, preview_key) = (keys::original(&household_id, &photo_id), keys::thumbnail(&household_id, &photo_id), keys::preview(&household_id, &photo_id));
    // The objects at once (the embedded preview, upright, when the camera wrote one); if one
    // fails, none stays.
    let preview_put = async {
        match &analysis.preview {
            Some(p) => state.storage.put(&preview_key, Bytes::from(p.jpeg.clone())).await,
            None => Ok(()),
        }
    };
    let (original, thumb, preview) = tokio::join!(state.storage.put(&original_key, bytes), state.storage.put(&thumb_key, Bytes::from(analysis.thumbnail.clone())), preview_put);
    // The bytes are stored: their memory goes back to the budget.
    drop(held);
    if let Err(e) = original.and(thumb).and(preview) {
        remove_objects(state, &household_id, &photo_id).await;
        return Err(e.into());
    }
    let [b0, b1, b2, b3] = bands(analysis.phash);
    let row = PhotoRow {
        id: photo_id.clone(),
        household_id: household_id.clone(),
        client_id: Some(meta.client_id.clone()),
        kind: meta.kind.as_str().into(),
        year: year_of(meta.taken_at, state.tz),
        taken_at: meta.taken_at.naive_utc(),
        uploaded_by: caller.id.clone(),
        uploaded_by_name: caller.username.clone(),
        sha256: analysis.sha256.clone(),
        size_bytes: size as i64,
        width: analysis.width as i32,
        height: analysis.height as i32,
        exif_json: json!({
            "taken_at": checks.exif_taken_at, "lat": exif.lat, "lon": exif.lon, "make": exif.make, "model": exif.model,
            "orientation": exif.orientation, "anomalies": exif.anomalies, "software": exif.software,
            "modified_local": exif.modified_local, "gps_time": exif.gps_time,
            "preview": analysis.preview.as_ref().map(|p| json!({"width": p.width, "height": p.height})),
        })
        .to_string(),
        checks_json: json!({
            "distance_m": checks.distance_m, "time_ok": checks.time_ok, "has_exif_gps": checks.has_exif_gps,
            "position": checks.position, "position_source": checks.position_source,
            "editor": checks.editor, "thumbnail_distance": analysis.preview.as_ref().map(|p| p.distance),
            "gps_time_offset_s": checks.gps_time_offset_s, "app_position": meta.app_position,
            "app_distance_m": checks.app_distance_m, "modified_after_min": checks.modified_after_min,
        })
        .to_string(),
        near_home: checks.near_home,
        duplicate_of: serde_json::to_string(&duplicate_of).unwrap_or_else(|_| "[]".into()),
        phash: analysis.phash as i64,
        phash_b0: b0,
        phash_b1: b1,
        phash_b2: b2,
        phash_b3: b3,
        status: if needs_review(&checks.reasons) { "flagged".into() } else { "ok".into() },
        reasons: serde_json::to_string(&checks.reasons).unwrap_or_else(|_| "[]".into()),
        review_json: None,
        village_code: household.village_code.clone(),
        township_code: household.township_code.clone(),
        county_code: household.county_code.clone(),
        created_at: crate::db::now(),
    };
    let (scope, actor, saved) = (caller.scope(), caller.actor(), row.clone());
    if let Err(e) = state.db.run(move |c| Ok(repo::insert(c, &scope, &actor, &saved)?)).await {
        // No row, no objects: the upload left nothing behind.
        remove_objects(state, &household_id, &photo_id).await;
        // A concurrent retry of the same photo committed first: answer with it.
        let (hid, cid) = (household_id.clone(), meta.client_id.clone());
        if let Ok(Some(first)) = state.db.run(move |c| Ok(repo::by_client_id(c, &hid, &cid)?)).await {
            return Ok(Created::Existing(first));
        }
        return Err(e);
    }
    Ok(Created::New(row))
}

/// Deletes whatever objects an upload wrote (errors ignored: garbage collection removes what stays).
async fn remove_objects(state: &AppState, household_id: &str, photo_id: &str) {
    for key in [keys::original(household_id, photo_id), keys::thumbnail(household_id, photo_id), keys::preview(household_id, photo_id)] {
        let _ = state.storage.delete(&key).await;
    }
}

/// A household's photos of a year and the kinds still missing from its set (a kind counts
/// unless its photos were rejected).
pub struct YearSet {
    pub rows: Vec<PhotoRow>,
    pub missing_kinds: Vec<PhotoKind>,
}

#[tracing::instrument(skip_all, fields(household = %household_id, year))]
pub async fn of_household(state: &AppState, caller: &Caller, household_id: String, year: i32) -> Result<YearSet, ApiError> {
    let scope = caller.read_scope();
    let rows = state.db.run(move |c| Ok(repo::for_household(c, &scope, &household_id, Some(year))?)).await?;
    let present: Vec<PhotoKind> = rows.iter().filter(|r| r.status != "rejected").filter_map(|r| PhotoKind::parse(&r.kind).ok()).collect();
    let missing_kinds = PhotoKind::ALL.iter().copied().filter(|k| !present.contains(k)).collect();
    Ok(YearSet { rows, missing_kinds })
}

/// A photo the caller may read, or 404.
#[tracing::instrument(skip_all, fields(photo = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<PhotoRow, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::find(c, &scope, &id)?)).await
}

/// Where the original JPEG is served from.
pub enum Original<S> {
    /// A short-lived signed URL of the store (S3 only, when asked for).
    Redirect(String),
    /// The bytes, streamed from the store.
    Stream(S),
}

/// The original JPEG with its EXIF: streamed, or (`redirect`, S3 stores) a signed URL valid for
/// five minutes.
#[tracing::instrument(skip_all, fields(photo = %id))]
pub async fn original(state: &AppState, caller: &Caller, id: String, redirect: bool) -> Result<Original<impl futures_util::Stream<Item = Result<Bytes, StorageError>> + use<>>, ApiError> {
    let row = get(state, caller, id).await?;
    let key = keys::original(&row.household_id, &row.id);
    if redirect && state.storage.kind() == StorageKind::S3 {
        if let Some(url) = state.storage.signed_url(&key, std::time::Duration::from_secs(300)).await {
            return Ok(Original::Redirect(url));
        }
    }
    Ok(Original::Stream(state.storage.stream(&key).await?))
}

/// The ~320 px thumbnail.
#[tracing::instrument(skip_all, fields(photo = %id))]
pub async fn thumbnail(state: &AppState, caller: &Caller, id: String) -> Result<Bytes, ApiError> {
    let row = get(state, caller, id).await?;
    Ok(state.storage.get(&keys::thumbnail(&row.household_id, &row.id)).await?)
}

/// The preview the camera embedded in the photo, upright (404 when it had none).
#[tracing::instrument(skip_all, fields(photo = %id))]
pub async fn preview(state: &AppState, caller: &Caller, id: String) -> Result<Bytes, ApiError> {
    let row = get(state, caller, id).await?;
    let had_one = serde_json::from_str::<serde_json::Value>(&row.exif_json).is_ok_and(|e| e["preview"].is_object());
    if !had_one {
        return Err(ApiError::NotFound);
    }
    Ok(state.storage.get(&keys::preview(&row.household_id, &row.id)).await?)
}

/// A reviewer's decision and why.
pub struct Decision {
    pub accepted: bool,
    pub reason: String,
}

/// Accepts or rejects a photo (township reviewer and above; 404 first), audited.
#[tracing::instrument(skip_all, fields(photo = %id))]
pub async fn review(state: &AppState, caller: &Caller, id: String, decision: Result<Decision, ApiError>) -> Result<PhotoRow, ApiError> {
    let row = get(state, caller, id).await?;
    caller.require(matches!(caller.role, Role::CountyAdmin | Role::TownshipReviewer), "review photos")?;
    let d = decision?;
    let (scope, actor) = (caller.scope(), caller.actor());
    state.db.run(move |c| Ok(repo::review(c, &scope, &actor, &row.id, d.accepted, &d.reason)?)).await
}

/// The review queue 照片审核 of a division inside the jurisdiction, oldest first.
#[tracing::instrument(skip_all, fields(division = %division, status = %status))]
pub async fn queue(state: &AppState, caller: &Caller, division: DivisionCode, status: String, after: Option<String>, limit: i64) -> Result<Page<PhotoRow>, ApiError> {
    let scope = caller.scope();
    let rows = state.db.run(move |c| Ok(repo::queue(c, &scope, &division, &status, after.as_deref(), limit)?)).await?;
    Ok(Page::of(rows, limit, |r| &r.id))
}
