//! Home locations 住户位置: capture from phones (WGS-84, GCJ-02 or BD-09), history, move
//! confirmation, coverage reports for townships and GeoJSON for maps.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path, Query};
use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{path_id, utc};
use crate::db::models::LocationRow;
use crate::db::repo::coverage::{Counts, Home};
use crate::db::repo::cursor;
use crate::db::repo::photos::PhotoCounts;
use crate::domain::location::{CaptureStatus, Flag};
use crate::domain::validation::DomainError;
use crate::domain::household::Counted;
use crate::domain::{DivisionCode, Level};
use crate::error::{ApiError, Problem};
use crate::geo::{Crs, LatLon, from_wgs84, to_wgs84};
use crate::services::locations::{self as service, Covered, NewCapture, Recorded};
use crate::services::{Caller, Page};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(capture).service(history).service(confirm).service(reject).service(coverage_report).service(missing).service(geojson);
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct CaptureBody {
    /// Latitude in `crs`.
    #[validate(required)]
    #[schema(value_type = f64)]
    pub lat: Option<Value>,
    /// Longitude in `crs`.
    #[validate(required)]
    #[schema(value_type = f64)]
    pub lon: Option<Value>,
    /// `wgs84` (default, raw GPS), `gcj02` (Amap, Tencent) or `bd09` (Baidu).
    #[schema(value_type = Option<Crs>)]
    pub crs: Option<String>,
    /// Horizontal accuracy reported by the phone (metres).
    #[validate(required, range(min = 0.0, message = "accuracy must be a non-negative number of metres"))]
    #[schema(value_type = f64)]
    pub accuracy_m: Option<f64>,
    #[validate(range(min = -500.0, max = 9000.0, message = "altitude must lie between -500 and 9000 m"))]
    pub altitude_m: Option<f64>,
    /// When the phone took the fix (RFC 3339 with offset).
    #[validate(required)]
    #[schema(value_type = String, format = DateTime)]
    pub captured_at: Option<String>,
    /// `gps`, `network` or `map_pick`.
    #[validate(required)]
    #[schema(value_type = String)]
    pub source: Option<String>,
    /// The phone reported a mock location provider.
    pub mock_location: Option<bool>,
    /// UUID chosen by the phone: a retry returns the first result.
    #[validate(required)]
    #[schema(value_type = String)]
    pub client_id: Option<String>,
}

/// A number, or a number in a string (`"NaN"` is named as out of range rather than malformed).
fn number(v: &Value) -> Result<f64, DomainError> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| DomainError::new("invalid_value", "not a number")),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| DomainError::new("invalid_value", "not a number")),
        _ => Err(DomainError::new("invalid_value", "expected a number")),
    }
}

fn parse_capture(household_id: String, body: Checked<CaptureBody>) -> Result<NewCapture, ApiError> {
    let (b, mut errs) = body.into_parts();
    let lat = b.lat.as_ref().map(|v| errs.check("lat", number(v))).flatten();
    let lon = b.lon.as_ref().map(|v| errs.check("lon", number(v))).flatten();
    let crs = errs.check("crs", Crs::parse(b.crs.as_deref().unwrap_or("wgs84")));
    let original = match (lat, lon) {
        (Some(lat), Some(lon)) => match LatLon::parse(lat, lon) {
            Ok(p) => Some(p),
            Err((field, e)) => {
                errs.add(field, e.code, e.message);
                // Both may be out of range: report the other one too.
                if field == "lat" && LatLon::parse(0.0, lon).is_err() {
                    errs.add("lon", "out_of_range", "longitude must be a finite number within ±180");
                }
                None
            }
        },
        _ => None,
    };
    let captured_at = b.captured_at.as_deref().map(|t| {
        let parsed = DateTime::parse_from_rfc3339(t.trim()).map(|d| d.with_timezone(&Utc));
        errs.check("captured_at", parsed.map_err(|_| DomainError::new("invalid_value", "an RFC 3339 time with offset, e.g. 2026-11-22T10:00:00+08:00")))
    });
    let source = b.source.filter(|s| {
        let known = crate::domain::location::CAPTURE_SOURCES.contains(&s.as_str());
        if !known {
            errs.add("source", "invalid_value", format!("must be one of: {}", crate::domain::location::CAPTURE_SOURCES.join(", ")));
        }
        known
    });
    let client_id = b.client_id.as_deref().map(|c| {
        let parsed = uuid::Uuid::parse_str(c.trim()).map(|u| u.to_string());
        errs.check("client_id", parsed.map_err(|_| DomainError::new("invalid_value", "client_id must be a UUID")))
    });
    match (original, crs, captured_at.flatten(), client_id.flatten(), b.accuracy_m, source) {
        (Some(original), Some(crs), Some(captured_at), Some(client_id), Some(accuracy_m), Some(source)) if errs.is_empty() => Ok(NewCapture {
            household_id,
            client_id,
            point: to_wgs84(original, crs),
            original,
            crs,
            accuracy_m,
            altitude_m: b.altitude_m,
            captured_at,
            source,
            mock_location: b.mock_location.unwrap_or(false),
        }),
        _ => Err(errs.into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub crs: Crs,
}

#[derive(Serialize, ToSchema)]
pub struct LocationView {
    pub id: String,
    pub household_id: String,
    /// Where the capture is, in WGS-84.
    pub wgs84: LatLon,
    /// As the phone sent it.
    pub original: Position,
    /// In the CRS asked for with `?crs=` (reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub captured_at: DateTime<Utc>,
    pub source: String,
    pub mock_location: bool,
    /// Whether this capture is now the household's home.
    pub became_home: bool,
    pub status: CaptureStatus,
    /// Distance to the home it would replace, for a move.
    pub moved_m: Option<f64>,
    pub flags: Vec<Flag>,
    /// Username of who captured it.
    pub captured_by: String,
    /// Username of who confirmed or rejected the move.
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A page of `LocationView`s (`services::Page`).
pub type LocationPage = Page<LocationView>;

impl LocationView {
    fn from_row(r: &LocationRow, crs: Option<Crs>) -> Self {
        let status = CaptureStatus::parse(&r.status);
        let wgs84 = LatLon { lat: r.lat, lon: r.lon };
        Self {
            id: r.id.clone(),
            household_id: r.household_id.clone(),
            wgs84,
            original: Position { lat: r.orig_lat, lon: r.orig_lon, crs: Crs::parse(&r.orig_crs).unwrap_or(Crs::Wgs84) },
            position: crs.map(|c| {
                let p = from_wgs84(wgs84, c);
                Position { lat: p.lat, lon: p.lon, crs: c }
            }),
            accuracy_m: r.accuracy_m,
            altitude_m: r.altitude_m,
            captured_at: utc(r.captured_at),
            source: r.source.clone(),
            mock_location: r.mock_location,
            became_home: matches!(status, CaptureStatus::Home | CaptureStatus::Confirmed),
            status,
            moved_m: r.moved_m,
            flags: serde_json::from_str(&r.flags).unwrap_or_default(),
            captured_by: r.captured_by_name.clone(),
            confirmed_by: r.confirmed_by_name.clone(),
            confirmed_at: r.confirmed_at.map(utc),
        }
    }
}

/// Capture a home location 住户定位
///
/// Record a capture of the household's home from a phone.
///
/// Send the point in the datum the phone's map gave it (`crs`: WGS-84 from raw GPS, GCJ-02 from
/// Amap or Tencent, BD-09 from Baidu); it is stored as WGS-84. A capture far from the current home
/// waits for a village officer to confirm the move; a mock location provider is flagged, and a
/// capture less precise than `FANGPIN_LOCATION_MAX_ACCURACY_M` never becomes the home. Resending
/// the same `client_id` answers the first capture (200), so a phone can retry safely.
#[utoipa::path(operation_id = "capture_location", tag = "locations", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = CaptureBody, responses(
    (status = 201, body = LocationView),
    (status = 200, description = "the same client_id was sent before: the first result", body = LocationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/locations")]
pub async fn capture(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<CaptureBody>) -> Result<HttpResponse, ApiError> {
    let cap = parse_capture(path_id(&id)?, body)?;
    let (status, row) = match service::capture(&state, &user, cap).await? {
        Recorded::New(r) => (StatusCode::CREATED, r),
        Recorded::Existing(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).json(LocationView::from_row(&row, None)))
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Also give each position in `gcj02` or `bd09` (for Chinese map SDKs).
    #[param(value_type = Option<Crs>)]
    pub crs: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn parse_crs(crs: Option<&str>) -> Result<Option<Crs>, ApiError> {
    crs.map(|c| Crs::parse(c).map_err(|e| ApiError::invalid("crs", e.code, e.message))).transpose()
}

/// List a household's location captures
///
/// The household's captures, newest first, with flags and who captured or confirmed them.
///
/// Positions are stored in WGS-84; `crs` adds each position converted for Chinese map SDKs. Paged
/// by `cursor`.
#[utoipa::path(operation_id = "list_locations", tag = "locations", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), HistoryQuery), responses(
    (status = 200, body = LocationPage),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households/{id}/locations")]
pub async fn history(state: Data<AppState>, user: Caller, id: Path<String>, q: Query<HistoryQuery>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let crs = parse_crs(q.crs.as_deref())?;
    let before = cursor::decode(q.cursor.as_deref())?;
    let limit = crate::api::page_limit(q.limit)?;
    let rows = service::history(&state, &user, id, before, limit).await?;
    Ok(HttpResponse::Ok().json(Page::of(rows, limit, |r| &r.id).map(|r| LocationView::from_row(&r, crs))))
}

async fn decide(state: Data<AppState>, user: Caller, path: Path<(String, String)>, accept: bool) -> Result<HttpResponse, ApiError> {
    let (id, loc) = path.into_inner();
    let (id, loc) = (path_id(&id)?, path_id(&loc)?);
    let row = service::decide_move(&state, &user, id, loc, accept).await?;
    Ok(HttpResponse::Ok().json(LocationView::from_row(&row, None)))
}

/// Confirm a moved home
///
/// Confirm a moved home: the capture becomes the household's home (village officer and above).
#[utoipa::path(operation_id = "confirm_location", tag = "locations", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("loc" = String, Path, description = "capture id")), responses(
    (status = 200, body = LocationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "not a pending move", body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/locations/{loc}/confirm")]
pub async fn confirm(state: Data<AppState>, user: Caller, path: Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    decide(state, user, path, true).await
}

/// Reject a moved home
///
/// Reject a moved home: the current home stays (village officer and above).
#[utoipa::path(operation_id = "reject_location", tag = "locations", security(("bearer" = [])), params(("id" = String, Path, description = "household id"), ("loc" = String, Path, description = "capture id")), responses(
    (status = 200, body = LocationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "not a pending move", body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/locations/{loc}/reject")]
pub async fn reject(state: Data<AppState>, user: Caller, path: Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    decide(state, user, path, false).await
}

#[derive(Deserialize, IntoParams)]
pub struct CoverageQuery {
    /// County, township or village code inside your jurisdiction (default: your jurisdiction).
    pub division: Option<String>,
    /// The campaign year of the photo figures (default: this year).
    pub year: Option<i32>,
    /// Which households are counted (统计口径): `assisted` (default) — 帮扶对象, every household
    /// but 一般农户 (`lifted_out` and the three `monitored_*` categories), the households the
    /// campaigns must cover; `all` — every household.
    pub households: Option<String>,
}

/// `?households=`: 帮扶对象 unless `all` is asked for; another value is a 422 naming it.
fn counted(households: Option<&str>) -> Result<Counted, ApiError> {
    households.map_or(Ok(Counted::default()), |h| Counted::parse(h).map_err(|e| ApiError::invalid("households", e.code, e.message)))
}

#[derive(Serialize, ToSchema)]
pub struct CoverageRow {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// Households in scope.
    pub households: i64,
    /// With an accepted home location.
    pub located: i64,
    /// `located / households` in percent, one decimal.
    pub located_pct: f64,
    /// Homes captured longer ago than the configured age (default 3 years).
    pub stale: i64,
    /// Households whose latest capture was too imprecise to become the home.
    pub low_accuracy: i64,
    /// Moves waiting for a village officer.
    pub pending_moves: i64,
    /// Households with all six photo kinds of the year, none rejected.
    pub photo_sets_complete: i64,
    /// Photos of the year taken farther from the home than allowed (not rejected).
    pub photos_far: i64,
    /// Photos of the year waiting for review.
    pub photos_flagged: i64,
    /// Households whose file 一户一档 of the year holds every document its category needs
    /// (`GET /households/{id}/documents`); categories the checklist names nothing for never count.
    pub files_complete: i64,
    /// Photos of the year (not rejected) with a trace of editing 疑似修图: an image editor, an
    /// embedded preview of another picture, EXIF time against the GPS clock, EXIF GPS against
    /// the phone's position.
    pub photos_edited: i64,
    /// Microcredit loans 小额信贷 of the households in scope that are overdue today (past their
    /// due date, or extension, and not repaid; or marked overdue).
    pub loans_overdue: i64,
}

impl CoverageRow {
    fn of(d: Covered) -> Self {
        Self::new(d.division.code, d.division.name, &d.counts, &d.photos, d.files_complete, d.loans_overdue)
    }

    fn new(code: String, name: String, c: &Counts, p: &PhotoCounts, files_complete: i64, loans_overdue: i64) -> Self {
        let level = DivisionCode::parse(&code).map(|d| d.level()).unwrap_or(Level::Village);
        let pct = if c.households == 0 { 0.0 } else { (c.located as f64 * 1000.0 / c.households as f64).round() / 10.0 };
        Self {
            code,
            name,
            level,
            households: c.households,
            located: c.located,
            located_pct: pct,
            stale: c.stale,
            low_accuracy: c.low_accuracy,
            pending_moves: c.pending_moves,
            photo_sets_complete: p.sets_complete,
            photos_far: p.far,
            photos_flagged: p.flagged,
            files_complete,
            photos_edited: p.edited,
            loans_overdue,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CoverageView {
    pub year: i32,
    /// The division asked for, with its totals.
    pub division: CoverageRow,
    /// Each child (townships of a county, villages of a township), also those with no households.
    pub children: Vec<CoverageRow>,
}

fn division_in_scope(user: &Caller, code: Option<&str>) -> Result<DivisionCode, ApiError> {
    let scope = user.scope();
    let d = match code {
        Some(c) => DivisionCode::parse(c).map_err(|e| ApiError::invalid("division", e.code, e.message))?,
        None => scope.division().clone(),
    };
    if scope.covers(&d) { Ok(d) } else { Err(ApiError::NotFound) }
}

/// Location coverage 定位覆盖率
///
/// Location coverage 定位覆盖率 of a division and each child, counted in the database.
///
/// Counts, for the division and each child, the households with an accepted home location and
/// the photo figures of the year; one grouped query, fast enough for a whole county. By default
/// the figures count 帮扶对象 — every household but 一般农户 (`lifted_out`, `monitored_unstable`,
/// `monitored_marginal`, `monitored_hardship`), the households the location and photo campaigns
/// must cover ("所有帮扶对象"); `?households=all` counts every household.
#[utoipa::path(operation_id = "get_coverage", tag = "locations", security(("bearer" = [])), params(CoverageQuery), responses(
    (status = 200, body = CoverageView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/coverage")]
pub async fn coverage_report(state: Data<AppState>, user: Caller, q: Query<CoverageQuery>) -> Result<HttpResponse, ApiError> {
    let division = division_in_scope(&user, q.division.as_deref())?;
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&state.today()));
    if !(2014..=2100).contains(&year) {
        return Err(ApiError::invalid("year", "out_of_range", "a campaign year from 2014"));
    }
    let counted = counted(q.households.as_deref())?;
    let coverage = service::coverage(&state, &user, division, counted, year).await?;
    let children = coverage.children.into_iter().map(CoverageRow::of).collect();
    Ok(HttpResponse::Ok().json(CoverageView { year, division: CoverageRow::of(coverage.total), children }))
}

#[derive(Deserialize, IntoParams)]
pub struct MissingQuery {
    pub division: Option<String>,
    /// Which households are listed: `assisted` (default: 帮扶对象, every household but 一般农户)
    /// or `all`.
    pub households: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Households without a home location
///
/// Households without an accepted home location (masked), paged: the list a cadre works down.
/// 帮扶对象 only (every household but 一般农户) unless `?households=all`.
#[utoipa::path(operation_id = "list_households_without_home", tag = "locations", security(("bearer" = [])), params(MissingQuery), responses(
    (status = 200, body = super::households::HouseholdPage),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/coverage/missing")]
pub async fn missing(state: Data<AppState>, user: Caller, q: Query<MissingQuery>) -> Result<HttpResponse, ApiError> {
    let division = division_in_scope(&user, q.division.as_deref())?;
    let filter = crate::db::repo::households::ListFilter {
        division: Some(division),
        has_location: Some(false),
        counted: Some(counted(q.households.as_deref())?),
        after: cursor::decode(q.cursor.as_deref())?,
        limit: crate::api::page_limit(q.limit)?,
        ..Default::default()
    };
    let listed = crate::services::households::list(&state, user.scope(), filter).await?;
    Ok(HttpResponse::Ok().json(super::households::masked_page(&state.crypto, listed)))
}

#[derive(Deserialize, IntoParams)]
pub struct GeoJsonQuery {
    pub division: Option<String>,
    /// `wgs84` (default, RFC 7946), or `gcj02` / `bd09` for Chinese map SDKs.
    #[param(value_type = Option<Crs>)]
    pub crs: Option<String>,
}

/// `王**`: the family name and a star per further character.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|f| std::iter::once(f).chain(chars.map(|_| '*')).collect()).unwrap_or_default()
}

/// The answer of `/households.geojson` (RFC 7946), streamed feature by feature.
#[derive(ToSchema)]
pub struct HomeCollection {
    #[schema(inline)]
    pub r#type: CollectionType,
    pub features: Vec<HomeFeature>,
}

#[derive(Serialize, ToSchema)]
pub enum CollectionType {
    FeatureCollection,
}

/// One home: a point and the household it belongs to.
#[derive(Serialize, ToSchema)]
pub struct HomeFeature {
    #[schema(inline)]
    pub r#type: FeatureType,
    pub geometry: PointGeometry,
    pub properties: HomeProperties,
}

#[derive(Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

#[derive(Serialize, ToSchema)]
pub struct PointGeometry {
    #[schema(inline)]
    pub r#type: PointType,
    /// `[lon, lat]` in the CRS asked for, 7 decimals.
    pub coordinates: [f64; 2],
}

#[derive(Serialize, ToSchema)]
pub enum PointType {
    Point,
}

#[derive(Serialize, ToSchema)]
pub struct HomeProperties {
    /// The household's id.
    pub id: String,
    pub village_code: String,
    /// 户编号.
    pub number: String,
    /// The head's name, masked (`王**`).
    pub head_name: String,
    #[schema(value_type = crate::domain::household::Category)]
    pub category: String,
    pub accuracy_m: Option<f64>,
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A capture far from this home waits for confirmation.
    pub pending_move: bool,
}

fn feature(h: &Home, crs: Crs) -> HomeFeature {
    let p = from_wgs84(LatLon { lat: h.lat, lon: h.lon }, crs);
    HomeFeature {
        r#type: FeatureType::Feature,
        geometry: PointGeometry { r#type: PointType::Point, coordinates: [(p.lon * 1e7).round() / 1e7, (p.lat * 1e7).round() / 1e7] },
        properties: HomeProperties {
            id: h.id.clone(),
            village_code: h.village_code.clone(),
            number: h.number.clone(),
            head_name: mask_name(&h.head_name),
            category: h.category.clone(),
            accuracy_m: h.accuracy_m,
            captured_at: h.captured_at.map(utc),
            pending_move: h.pending_move,
        },
    }
}

/// Homes as GeoJSON
///
/// Homes as an RFC 7946 FeatureCollection, streamed page by page for large divisions.
///
/// Coordinates are WGS-84 unless `crs` asks for GCJ-02 or BD-09 (for Amap, Tencent or Baidu maps).
/// Names are masked.
#[utoipa::path(operation_id = "households_geojson", tag = "locations", security(("bearer" = [])), params(GeoJsonQuery), responses(
    (status = 200, description = "a FeatureCollection of homes", body = HomeCollection, content_type = "application/geo+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[get("/households.geojson")]
pub async fn geojson(state: Data<AppState>, user: Caller, q: Query<GeoJsonQuery>) -> Result<HttpResponse, ApiError> {
    let division = division_in_scope(&user, q.division.as_deref())?;
    let crs = parse_crs(q.crs.as_deref())?.unwrap_or(Crs::Wgs84);
    let scope = user.scope();
    // The first page is read before answering, so a database failure is still a clean 503.
    let first = service::homes(&state, scope.clone(), division.clone(), None, PAGE).await?;
    struct Cursor {
        rows: Vec<Home>,
        started: bool,
        done: bool,
    }
    let stream = futures_util::stream::unfold(Cursor { rows: first, started: false, done: false }, move |mut cur| {
        let (state, scope, division) = (state.clone(), scope.clone(), division.clone());
        async move {
            if cur.done {
                return None;
            }
            let mut out = String::new();
            if !cur.started {
                out.push_str(r#"{"type":"FeatureCollection","features":["#);
            }
            for (i, h) in cur.rows.iter().enumerate() {
                if cur.started || i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(&feature(h, crs)).unwrap_or_default());
            }
            let last = cur.rows.last().map(|h| h.id.clone());
            let full = cur.rows.len() as i64 == PAGE;
            cur.started = cur.started || !cur.rows.is_empty();
            if full {
                match service::homes(&state, scope, division, last, PAGE).await {
                    Ok(rows) => cur.rows = rows,
                    Err(e) => return Some((Err(actix_web::error::ErrorServiceUnavailable(e.to_string())), Cursor { rows: vec![], started: true, done: true })),
                }
            } else {
                out.push_str("]}");
                cur.done = true;
            }
            Some((Ok::<_, actix_web::Error>(Bytes::from(out)), cur))
        }
    });
    Ok(HttpResponse::Ok().content_type("application/geo+json").streaming(stream))
}

const PAGE: i64 = 1000;
