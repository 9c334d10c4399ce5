//! Household photos 入户照片: streamed upload (spooled to disk, size-capped), EXIF and checks,
//! duplicates across households, thumbnails, originals, the township review queue.


use actix_web::http::header;
use actix_web::web::{self, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::upload::MetaThenFile;
use crate::api::{path_id, utc};
use crate::db::models::PhotoRow;
use crate::db::repo::cursor;
use crate::domain::photo::{PhotoKind, Reason, needs_review};
use crate::domain::validation::DomainError;
use crate::domain::{DivisionCode, FieldErrors};
use crate::error::{ApiError, Problem};
use crate::geo::{Crs, LatLon, to_wgs84};
use crate::services::photos::{self as service, Decision, Meta, Original, Spooled, Upload};
use crate::services::{Caller, Created, Page};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload).service(list).service(get_one).service(content).service(thumbnail).service(preview).service(review).service(queue);
}

/// The multipart body of an upload: the `meta` part first (JSON), then the `file` part.
#[derive(ToSchema)]
pub struct PhotoUpload {
    pub meta: PhotoMeta,
    /// The JPEG as the camera wrote it, EXIF included.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The `meta` part of an upload.
// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct PhotoMeta {
    #[validate(required)]
    #[schema(value_type = PhotoKind)]
    pub kind: Option<String>,
    /// When the cadre says the photo was taken (RFC 3339 with offset).
    #[validate(required)]
    #[schema(value_type = String, format = DateTime)]
    pub taken_at: Option<String>,
    /// Where the app says it was taken (used when the JPEG has no EXIF GPS).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    #[schema(value_type = Option<Crs>)]
    pub crs: Option<String>,
    pub accuracy_m: Option<f64>,
    /// UUID chosen by the phone: a retry returns the first photo.
    #[validate(required)]
    #[schema(value_type = String)]
    pub client_id: Option<String>,
}

fn parse_meta(bytes: &[u8]) -> Result<Meta, ApiError> {
    let (m, mut errs) = crate::api::body::parse_part::<PhotoMeta>(bytes, "meta.")?;
    let kind = m.kind.as_deref().map(|k| errs.check("meta.kind", PhotoKind::parse(k))).flatten();
    let taken_at = m.taken_at.as_deref().map(|t| {
        let parsed = DateTime::parse_from_rfc3339(t.trim()).map(|d| d.with_timezone(&Utc));
        errs.check("meta.taken_at", parsed.map_err(|_| DomainError::new("invalid_value", "an RFC 3339 time with offset")))
    });
    let crs = errs.check("meta.crs", Crs::parse(m.crs.as_deref().unwrap_or("wgs84")));
    let app_position = match (m.lat, m.lon) {
        (Some(lat), Some(lon)) => match LatLon::parse(lat, lon) {
            Ok(p) => crs.map(|c| to_wgs84(p, c)),
            Err((field, e)) => {
                errs.add(format!("meta.{field}"), e.code, e.message);
                None
            }
        },
        (None, None) => None,
        _ => {
            errs.add("meta.lat", "required", "send both lat and lon, or neither");
            None
        }
    };
    let client_id = m.client_id.as_deref().map(|c| {
        let parsed = uuid::Uuid::parse_str(c.trim()).map(|u| u.to_string());
        errs.check("meta.client_id", parsed.map_err(|_| DomainError::new("invalid_value", "client_id must be a UUID")))
    });
    match (kind, taken_at.flatten(), client_id.flatten()) {
        (Some(kind), Some(taken_at), Some(client_id)) if errs.is_empty() => Ok(Meta { kind, taken_at, app_position, client_id }),
        _ => Err(errs.into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExifView {
    pub taken_at: Option<DateTime<Utc>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: u16,
    /// Values that cannot be true and were not used.
    pub anomalies: Vec<String>,
    /// What wrote or processed the file: EXIF `Software`, `ProcessingSoftware`, XMP
    /// `CreatorTool` and the software of the XMP history.
    pub software: Vec<String>,
    /// `ModifyDate`: when the file was last saved, in the camera's local time as written.
    #[schema(value_type = Option<String>, example = "2026-11-20T10:02:03")]
    pub modified_local: Option<chrono::NaiveDateTime>,
    /// The GPS clock's time of the fix (`GPSDateStamp`, `GPSTimeStamp`).
    pub gps_time: Option<DateTime<Utc>>,
    /// Whether the camera embedded a preview (IFD1); served upright at `preview_url`.
    pub has_preview: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChecksView {
    /// Distance from the photo's position to the household's home (metres).
    pub distance_m: Option<f64>,
    pub near_home: Option<bool>,
    /// EXIF time agrees with the stated time and lies in the collection window.
    pub time_ok: bool,
    pub has_exif_gps: bool,
    /// The position used, WGS-84.
    pub position: Option<LatLon>,
    /// `exif` or `app`.
    pub position_source: Option<String>,
    /// Photos of other households with the same or a near-identical picture.
    pub duplicate_of: Vec<String>,
    /// The software name that named an image editor (`edited_software`).
    pub editor: Option<String>,
    /// Bits (of 256) by which the embedded preview differs from the picture
    /// (`thumbnail_mismatch` beyond `FANGPIN_PHOTO_THUMBNAIL_MAX_BITS`).
    pub thumbnail_distance: Option<u32>,
    /// Seconds between the EXIF time and the GPS clock, EXIF minus GPS (`time_inconsistent`).
    pub gps_time_offset_s: Option<i64>,
    /// The position the phone reported with the upload, WGS-84.
    pub app_position: Option<LatLon>,
    /// Metres between the EXIF GPS and the phone's reported position (`position_mismatch`).
    pub app_distance_m: Option<f64>,
    /// Minutes from capture to the last save (`modified_after_capture`).
    pub modified_after_min: Option<i64>,
    /// `ok` or `flagged`, as checked on upload.
    pub status: String,
    /// Every reason found. `modified_after_capture` and `no_camera_metadata` are soft: shown,
    /// but a photo with only these is `ok`; any other reason flags it for review.
    pub reasons: Vec<Reason>,
}

/// A township reviewer's decision on a photo.
#[derive(ToSchema)]
pub struct PhotoReview {
    /// The reviewer's name.
    pub by: Option<String>,
    /// Why it was accepted or rejected.
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct PhotoView {
    pub id: String,
    pub household_id: String,
    pub kind: PhotoKind,
    pub year: i32,
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub size_bytes: i64,
    pub taken_at: DateTime<Utc>,
    pub exif: ExifView,
    pub checks: ChecksView,
    /// `ok`, `flagged`, or after review `accepted` / `rejected`.
    pub status: String,
    /// The reviewer's decision, once reviewed.
    #[schema(value_type = Option<PhotoReview>)]
    pub review: Option<Value>,
    pub uploaded_by: String,
    pub thumbnail_url: String,
    /// The preview the camera embedded, upright, when it had one.
    pub preview_url: Option<String>,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

impl PhotoView {
    fn from_row(r: &PhotoRow) -> Self {
        let exif: Value = serde_json::from_str(&r.exif_json).unwrap_or_default();
        let checks: Value = serde_json::from_str(&r.checks_json).unwrap_or_default();
        let reasons: Vec<Reason> = serde_json::from_str(&r.reasons).unwrap_or_default();
        let f = |v: &Value| v.as_f64();
        let has_preview = exif["preview"].is_object();
        Self {
            id: r.id.clone(),
            household_id: r.household_id.clone(),
            kind: PhotoKind::parse(&r.kind).unwrap_or(PhotoKind::DoorWithCadre),
            year: r.year,
            sha256: r.sha256.clone(),
            width: r.width,
            height: r.height,
            size_bytes: r.size_bytes,
            taken_at: utc(r.taken_at),
            exif: ExifView {
                taken_at: serde_json::from_value(exif["taken_at"].clone()).ok(),
                lat: f(&exif["lat"]),
                lon: f(&exif["lon"]),
                make: exif["make"].as_str().map(str::to_owned),
                model: exif["model"].as_str().map(str::to_owned),
                orientation: exif["orientation"].as_u64().unwrap_or(1) as u16,
                anomalies: serde_json::from_value(exif["anomalies"].clone()).unwrap_or_default(),
                software: serde_json::from_value(exif["software"].clone()).unwrap_or_default(),
                modified_local: serde_json::from_value(exif["modified_local"].clone()).ok(),
                gps_time: serde_json::from_value(exif["gps_time"].clone()).ok(),
                has_preview,
            },
            checks: ChecksView {
                distance_m: f(&checks["distance_m"]),
                near_home: r.near_home,
                time_ok: checks["time_ok"].as_bool().unwrap_or(false),
                has_exif_gps: checks["has_exif_gps"].as_bool().unwrap_or(false),
                position: serde_json::from_value(checks["position"].clone()).ok(),
                position_source: checks["position_source"].as_str().map(str::to_owned),
                duplicate_of: serde_json::from_str(&r.duplicate_of).unwrap_or_default(),
                editor: checks["editor"].as_str().map(str::to_owned),
                thumbnail_distance: checks["thumbnail_distance"].as_u64().map(|d| d as u32),
                gps_time_offset_s: checks["gps_time_offset_s"].as_i64(),
                app_position: serde_json::from_value(checks["app_position"].clone()).ok(),
                app_distance_m: f(&checks["app_distance_m"]),
                modified_after_min: checks["modified_after_min"].as_i64(),
                status: if needs_review(&reasons) { "flagged".into() } else { "ok".into() },
                reasons,
            },
            status: r.status.clone(),
            review: r.review_json.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            uploaded_by: r.uploaded_by_name.clone(),
            thumbnail_url: format!("/api/v1/photos/{}/thumbnail", r.id),
            preview_url: has_preview.then(|| format!("/api/v1/photos/{}/preview", r.id)),
            url: format!("/api/v1/photos/{}/content", r.id),
            created_at: utc(r.created_at),
        }
    }
}

/// A photo upload as the request carries it: the `meta` part, then the JPEG.
struct MultipartUpload<'a>(MetaThenFile<'a>);

impl Upload for MultipartUpload<'_> {
    async fn meta(&mut self) -> Result<Meta, ApiError> {
        parse_meta(&self.0.meta().await?)
    }

    async fn file(self) -> Result<Spooled, ApiError> {
        self.0.file().await
    }
}

/// Upload a household photo 入户照片
///
/// Upload a photo (multipart: part `meta` JSON first, then part `file` JPEG).
///
/// At most `FANGPIN_PHOTO_MAX_BYTES` (413 beyond). The JPEG is checked on arrival: a real JPEG of
/// sane dimensions, its EXIF time agreeing with `taken_at` and within the collection window, its
/// position (EXIF GPS, else the app's) near the household's home, and no duplicate in another
/// household of the county, and no trace of editing: an image editor named in EXIF or XMP, an
/// embedded preview showing another picture, EXIF time against the GPS clock, EXIF GPS against
/// the position sent in `meta`. A photo failing a check is kept and flagged for the township's
/// review; `modified_after_capture` and `no_camera_metadata` are shown without flagging it.
/// Resending the same `client_id` answers the first photo (200).
#[utoipa::path(operation_id = "upload_photo", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "household id")),
    request_body(content((PhotoUpload = "multipart/form-data", encoding(("meta" = (content_type = "application/json")), ("file" = (content_type = "image/jpeg"))))), description = "part `meta`: PhotoMeta JSON, first; part `file`: the JPEG"),
    responses(
        (status = 201, body = PhotoView, headers(("Location" = String, description = "the photo's path, `/api/v1/photos/{id}`"))),
        (status = 200, description = "the same client_id was sent before: the first photo", body = PhotoView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/households/{id}/photos")]
pub async fn upload(state: Data<AppState>, user: Caller, id: Path<String>, req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let household_id = path_id(&id)?;
    let upload = MultipartUpload(MetaThenFile::new(&req, payload, state.settings.data_dir.join("tmp"), state.upload_memory.clone(), state.settings.photo_max_bytes, "a photo", "the JPEG goes in a part named file"));
    Ok(match service::ingest(&state, &user, household_id, upload).await? {
        Created::New(row) => HttpResponse::Created().insert_header(("Location", format!("/api/v1/photos/{}", row.id))).json(PhotoView::from_row(&row)),
        Created::Existing(row) => HttpResponse::Ok().json(PhotoView::from_row(&row)),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    /// Campaign year (default: this year).
    pub year: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdPhotos {
    pub year: i32,
    /// All six kinds present for the year and none of them rejected.
    pub set_complete: bool,
    pub missing_kinds: Vec<PhotoKind>,
    pub items: Vec<PhotoView>,
}

/// List a household's photos
///
/// The household's photos of a year, with whether the set is complete.
///
/// The set a visit needs (`PhotoKind`): the head with the cadre at the door, the stove, the main
/// room and the bedroom with the cadre, the whole family at the door, and the policy card 明白卡.
#[utoipa::path(operation_id = "list_household_photos", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), YearQuery), responses(
    (status = 200, body = HouseholdPhotos),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/photos")]
pub async fn list(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<YearQuery>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&state.today()));
    let set = service::of_household(&state, &user, id, year).await?;
    Ok(HttpResponse::Ok().json(HouseholdPhotos { year, set_complete: set.missing_kinds.is_empty(), missing_kinds: set.missing_kinds, items: set.rows.iter().map(PhotoView::from_row).collect() }))
}

/// Read a photo's metadata
///
/// A photo's metadata and checks.
#[utoipa::path(operation_id = "get_photo", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "photo id")), responses(
    (status = 200, body = PhotoView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/photos/{id}")]
pub async fn get_one(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PhotoView::from_row(&service::get(&state, &user, path_id(&id)?).await?)))
}

#[derive(Deserialize, IntoParams)]
pub struct ContentQuery {
    /// `1`: answer with a redirect to a short-lived signed URL (S3 stores only).
    pub redirect: Option<u8>,
}

/// Download a photo
///
/// The original JPEG with its EXIF, streamed (or a redirect to a signed URL).
///
/// `redirect=1` on an S3 store answers 302 to a short-lived signed URL instead of streaming through
/// the server.
#[utoipa::path(operation_id = "get_photo_content", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "photo id"), ContentQuery), responses(
    (status = 200, description = "the JPEG", content((inline(crate::api::media::Binary) = "image/jpeg"))),
    (status = 302, description = "redirect to a signed URL valid for 5 minutes", headers(("Location" = String, description = "the signed URL"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/photos/{id}/content")]
pub async fn content(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<ContentQuery>) -> Result<HttpResponse, ApiError> {
    Ok(match service::original(&state, &user, path_id(&id)?, q.redirect == Some(1)).await? {
        Original::Redirect(url) => HttpResponse::Found().insert_header((header::LOCATION, url)).finish(),
        Original::Stream(stream) => HttpResponse::Ok()
            .content_type("image/jpeg")
            .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
            .streaming(stream.map(|r| r.map_err(|e| actix_web::Error::from(ApiError::from(e))))),
    })
}

/// Download a photo's thumbnail
///
/// A ~320 px JPEG without metadata, turned upright.
#[utoipa::path(operation_id = "get_photo_thumbnail", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "photo id")), responses(
    (status = 200, description = "the thumbnail JPEG", content((inline(crate::api::media::Binary) = "image/jpeg"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/photos/{id}/thumbnail")]
pub async fn thumbnail(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let bytes = service::thumbnail(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().content_type("image/jpeg").insert_header((header::CACHE_CONTROL, "private, max-age=86400")).body(bytes))
}

/// Download the preview the camera embedded
///
/// The preview the camera embedded in the photo's EXIF (IFD1), turned upright, to compare with
/// the picture.
///
/// Editors often save a changed picture and keep the old preview: `checks.thumbnail_distance`
/// says how far the two differ (`thumbnail_mismatch`). 404 when the photo had no preview.
#[utoipa::path(operation_id = "get_photo_preview", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "photo id")), responses(
    (status = 200, description = "the embedded preview as JPEG", content((inline(crate::api::media::Binary) = "image/jpeg"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/photos/{id}/preview")]
pub async fn preview(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let bytes = service::preview(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().content_type("image/jpeg").insert_header((header::CACHE_CONTROL, "private, max-age=86400")).body(bytes))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ReviewBody {
    /// `accepted` or `rejected`.
    #[validate(required)]
    #[schema(value_type = String)]
    pub decision: Option<String>,
    /// Why (required).
    #[validate(required, length(max = 500))]
    #[schema(value_type = String)]
    pub reason: Option<String>,
}

/// Review a photo
///
/// Accept or reject a photo (township reviewer and above); audited.
#[utoipa::path(operation_id = "review_photo", tag = "photos", security(("bearer" = [])), params(("id" = String, Path, description = "photo id")), request_body = ReviewBody, responses(
    (status = 200, body = PhotoView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/photos/{id}/review")]
pub async fn review(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<ReviewBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, errs) = body.into_parts();
    let decision = parse_review(body, errs);
    let saved = service::review(&state, &user, id, decision).await?;
    Ok(HttpResponse::Ok().json(PhotoView::from_row(&saved)))
}

/// The decision of a review, `errs` holding what the body's declarative rules found already.
fn parse_review(body: ReviewBody, mut errs: FieldErrors) -> Result<Decision, ApiError> {
    // `domain::photo::DECISIONS`, as the document lists them.
    let accepted = match body.decision.as_deref() {
        Some("accepted") => Some(true),
        Some("rejected") => Some(false),
        Some(_) => {
            errs.add("decision", "invalid_value", "must be accepted or rejected");
            None
        }
        None => None,
    };
    let reason = body.reason.as_deref().and_then(|r| errs.check("reason", crate::domain::validation::required_text(r, 500)));
    let (Some(accepted), Some(reason)) = (accepted, reason) else { return Err(errs.into()) };
    Ok(Decision { accepted, reason })
}

#[derive(Deserialize, IntoParams)]
pub struct QueueQuery {
    /// Division inside your jurisdiction (default: all of it).
    pub division: Option<String>,
    /// `flagged` (default), `ok`, `accepted` or `rejected`.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A page of `PhotoView`s (`services::Page`).
pub type PhotoPage = Page<PhotoView>;

/// The photo review queue
///
/// The township's review queue 照片审核, oldest first.
///
/// `status=flagged` by default; paged by `cursor`.
#[utoipa::path(operation_id = "photo_review_queue", tag = "photos", security(("bearer" = [])), params(QueueQuery), responses(
    (status = 200, body = PhotoPage),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/photo-checks")]
pub async fn queue(state: Data<AppState>, user: Caller, q: Query<QueueQuery>) -> Result<HttpResponse, ApiError> {
    let scope = user.scope();
    let division = match q.division.as_deref() {
        Some(d) => DivisionCode::parse(d).map_err(|e| ApiError::invalid("division", e.code, e.message))?,
        None => scope.division().clone(),
    };
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    let status = q.status.clone().unwrap_or_else(|| "flagged".into());
    if !crate::domain::photo::STATUSES.contains(&status.as_str()) {
        return Err(ApiError::invalid("status", "invalid_value", format!("must be one of: {}", crate::domain::photo::STATUSES.join(", "))));
    }
    let after = cursor::decode(q.cursor.as_deref())?;
    let limit = crate::api::page_limit(q.limit)?;
    let page = service::queue(&state, &user, division, status, after, limit).await?;
    Ok(HttpResponse::Ok().json(page.map(|r| PhotoView::from_row(&r))))
}
