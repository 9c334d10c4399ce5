//! `/households/{id}/measures`: assistance measures 帮扶措施 of a household.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web::{Data, Path}};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{parse_client_id, path_id, utc};
use crate::db::models::MeasureRow;
use crate::api::amount::Amount;
use crate::domain::{FieldErrors, Money};
use crate::domain::assistance::{MeasureKind, amount_cents, check_period};
use crate::domain::validation::{optional_text, required_text};
use crate::error::{ApiError, Problem};
use crate::services::measures::{self as service, NewMeasure};
use crate::services::{Caller, Created};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_measures).service(add_measure);
}

#[derive(Serialize, ToSchema)]
pub struct MeasureView {
    pub id: String,
    pub household_id: String,
    pub kind: MeasureKind,
    /// 项目名称
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// 金额, yuan (at most two decimals).
    pub amount_yuan: Option<Money>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl MeasureView {
    fn build(r: &MeasureRow) -> Self {
        Self {
            id: r.id.clone(),
            household_id: r.household_id.clone(),
            kind: MeasureKind::parse(&r.kind).unwrap_or(MeasureKind::Other),
            title: r.title.clone(),
            description: r.description.clone(),
            start_date: r.start_date,
            end_date: r.end_date,
            amount_yuan: r.amount_cents.map(Money::from_fen),
            created_by: r.created_by.clone(),
            created_at: utc(r.created_at),
        }
    }
}

/// List assistance measures 帮扶措施
///
/// Assistance measures of a household, newest first.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), responses((status = 200, body = Vec<MeasureView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/households/{id}/measures")]
pub async fn list_measures(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let rows = service::list(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(MeasureView::build).collect::<Vec<_>>()))
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct MeasureBody {
    #[validate(required)]
    #[schema(value_type = MeasureKind)]
    pub kind: Option<String>,
    #[validate(required, length(max = 200))]
    #[schema(value_type = String)]
    pub title: Option<String>,
    #[validate(length(max = 2000))]
    pub description: Option<String>,
    #[validate(required)]
    #[schema(value_type = NaiveDate)]
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// 金额, yuan: at most two decimals, not below 0, below 10⁹.
    #[validate(custom(function = "crate::api::amount::check"))]
    pub amount_yuan: Option<Amount>,
    pub client_id: Option<String>,
}

/// Record an assistance measure
///
/// Record a measure for a household (the paired cadre, village officer and above).
///
/// Kinds follow the national categories (industry, employment, education, health …); amounts in
/// yuan.
#[utoipa::path(tag = "assistance", security(("bearer" = [])), params(("id" = String, Path, description = "household id")), request_body = MeasureBody, responses(
    (status = 201, body = MeasureView),
    (status = 200, description = "the same client_id was sent before", body = MeasureView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/households/{id}/measures")]
pub async fn add_measure(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<MeasureBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let (body, errs) = body.into_parts();
    let measure = parse_measure(body, errs);
    let (status, row) = match service::add(&state, &user, id, measure).await? {
        Created::New(r) => (StatusCode::CREATED, r),
        Created::Existing(r) => (StatusCode::OK, r),
    };
    Ok(HttpResponse::build(status).json(MeasureView::build(&row)))
}

/// The measure of a POST, `errs` holding what the body's declarative rules found already.
fn parse_measure(b: MeasureBody, mut errs: FieldErrors) -> Result<NewMeasure, ApiError> {
    let kind = b.kind.as_deref().and_then(|k| errs.check("kind", MeasureKind::parse(k)));
    let title = b.title.as_deref().and_then(|t| errs.check("title", required_text(t, 200)));
    let description = errs.check("description", optional_text(b.description.as_deref(), 2000)).flatten();
    if let Some(start) = b.start_date {
        errs.check("end_date", check_period(start, b.end_date));
    }
    let amount = b.amount_yuan.and_then(|a| a.money()).and_then(|a| errs.check("amount_yuan", amount_cents(a)));
    let client_id = parse_client_id(b.client_id.as_deref(), &mut errs);
    let (Some(kind), Some(title), Some(start_date)) = (kind, title, b.start_date) else { return Err(errs.into()) };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    Ok(NewMeasure { kind, title, description, start_date, end_date: b.end_date, amount_cents: amount, client_id })
}
