//! `/pairings`: pairings 结对帮扶 of cadres with households (one current per household, the
//! history kept).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web::{Data, Path, Query}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{etag, if_match, parse_client_id, parse_uuid, path_id};
use crate::db::models::{CadreRow, PairingRow};
use crate::db::repo::assistance::pairings::{PairingFilter, PairingInput};
use crate::db::repo::cursor;
use crate::domain::FieldErrors;
use crate::domain::validation::required_text;
use crate::error::{ApiError, Problem};
use crate::services::pairings::{self as service, Ending};
use crate::services::{Caller, Created, Page, Precondition};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_pairings).service(create_pairing).service(end_pairing);
}

#[derive(Serialize, ToSchema)]
pub struct PairingView {
    pub id: String,
    pub household_id: String,
    pub cadre_id: String,
    /// 帮扶责任人 name and work unit.
    pub cadre_name: String,
    pub cadre_work_unit: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// No end date yet.
    pub current: bool,
    pub version: i64,
}

/// A page of `PairingView`s (`services::Page`).
pub type PairingPage = Page<PairingView>;

impl PairingView {
    pub fn build(p: &PairingRow, c: &CadreRow) -> Self {
        Self {
            id: p.id.clone(),
            household_id: p.household_id.clone(),
            cadre_id: p.cadre_id.clone(),
            cadre_name: c.name.clone(),
            cadre_work_unit: c.work_unit.clone(),
            start_date: p.start_date,
            end_date: p.end_date,
            end_reason: p.end_reason.clone(),
            current: p.end_date.is_none(),
            version: p.version,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct PairingQuery {
    pub household_id: Option<String>,
    pub cadre_id: Option<String>,
    /// Only current (true) or only ended (false) pairings.
    pub current: Option<bool>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List pairings 结对
///
/// Pairings of the households in the caller's scope (a cadre: their own, past ones included).
///
/// Filter by household, cadre and current; paged by `cursor`.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(PairingQuery), responses((status = 200, body = PairingPage), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/pairings")]
pub async fn list_pairings(state: Data<AppState>, user: Caller, q: Query<PairingQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let mut errs = FieldErrors::new();
    let household_id = parse_uuid("household_id", q.household_id.as_deref(), &mut errs);
    let cadre_id = parse_uuid("cadre_id", q.cadre_id.as_deref(), &mut errs);
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let f = PairingFilter { household_id, cadre_id, current: q.current, after: cursor::decode(q.cursor.as_deref())?, limit: crate::api::page_limit(q.limit)? };
    let page = service::list(&state, &user, f).await?;
    Ok(HttpResponse::Ok().json(page.map(|(p, c)| PairingView::build(&p, &c))))
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct PairingBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub cadre_id: Option<String>,
    #[validate(required)]
    #[schema(value_type = String)]
    pub household_id: Option<String>,
    /// 结对日期; a current pairing with another cadre ends on this date.
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub start_date: Option<NaiveDate>,
    pub client_id: Option<String>,
}

/// Pair a cadre with a household
///
/// Pair a cadre with a household (village officer and above). The household's current pairing, if
/// any, ends on `start_date` in the same transaction; the history is kept.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), request_body = PairingBody, responses(
    (status = 201, body = PairingView),
    (status = 200, description = "the same client_id was sent before", body = PairingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "household outside the jurisdiction", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "already paired with this cadre", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "unknown cadre, cadre of another county, start date", body = Problem, content_type = "application/problem+json"),
))]
#[post("/pairings")]
pub async fn create_pairing(state: Data<AppState>, user: Caller, body: Checked<PairingBody>) -> Result<HttpResponse, ApiError> {
    let (b, mut errs) = body.into_parts();
    let household_id = parse_uuid("household_id", b.household_id.as_deref(), &mut errs);
    let cadre_id = parse_uuid("cadre_id", b.cadre_id.as_deref(), &mut errs);
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(household_id), Some(cadre_id), Some(start_date)) = (household_id, cadre_id, b.start_date) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let input = PairingInput { household_id, cadre_id, start_date, client_id };
    let (status, (row, cadre)) = match service::create(&state, &user, input).await? {
        Created::New(p) => (StatusCode::CREATED, p),
        Created::Existing(p) => (StatusCode::OK, p),
    };
    Ok(HttpResponse::build(status).insert_header(etag(row.version)).json(PairingView::build(&row, &cadre)))
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct EndPairingBody {
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub end_date: Option<NaiveDate>,
    /// Why the pairing ended (e.g. 工作调动).
    #[validate(required, length(max = 200))]
    #[schema(value_type = String)]
    pub end_reason: Option<String>,
}

/// End a pairing
///
/// End a pairing (village officer and above) with `If-Match`.
///
/// The household leaves the cadre's phone at the next `/sync` (a tombstone with reason `unpaired`).
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "pairing id"), ("If-Match" = String, Header, description = "ETag of the pairing")), request_body = EndPairingBody, responses(
    (status = 200, body = PairingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "ended already", body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/pairings/{id}")]
pub async fn end_pairing(state: Data<AppState>, req: HttpRequest, user: Caller, id: Path<String>, body: Checked<EndPairingBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (b, mut errs) = body.into_parts();
    let reason = b.end_reason.as_deref().and_then(|r| errs.check("end_reason", required_text(r, 200)));
    // Refused after the service's scope and role checks (404 and 403 come first).
    let ending = match (b.end_date, reason) {
        (Some(end_date), Some(reason)) => Ok(Ending { end_date, reason }),
        _ => Err(errs.into()),
    };
    let (row, cadre) = service::end(&state, &user, id, Precondition::new(if_match(&req)), ending).await?;
    Ok(HttpResponse::Ok().insert_header(etag(row.version)).json(PairingView::build(&row, &cadre)))
}
