//! `/spot-checks` 抽查: a reproducible sample of townships → villages → households drawn from a
//! seeded generator, outcomes per household, accuracy against the 98 % / 95 % targets.

use actix_web::{HttpResponse, get, post, put, web::{Data, Path}};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

use crate::api::body::Checked;
use crate::api::{parse_uuid, path_id, utc};
use crate::db::models::{SpotCheckItemRow, SpotCheckRow};
use crate::db::repo::procedures::ItemResult;
use crate::domain::procedure::{Accuracy, accuracy};
use crate::domain::validation::optional_text;
use crate::domain::{DivisionCode, Level, Role};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::spot_checks::{self as service, Draw};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(draw_spot_check).service(get_spot_check).service(put_spot_check);
}

// Required fields are `Option`s checked by `#[validate(required)]` (see `api::body`).
#[derive(Deserialize, Validate, ToSchema)]
pub struct SpotCheckBody {
    /// The county (or township) to sample, inside the caller's jurisdiction.
    #[validate(required)]
    #[schema(value_type = String)]
    pub division: Option<String>,
    /// Townships to draw (from a county; 1 for a township).
    #[validate(required)]
    #[schema(value_type = usize)]
    pub townships: Option<usize>,
    /// Villages to draw per township.
    #[validate(required)]
    #[schema(value_type = usize)]
    pub villages_per_township: Option<usize>,
    /// Of those villages, how many are surveyed in full (the rest sampled).
    #[serde(default)]
    pub fully_surveyed_per_township: usize,
    /// Households drawn in each sampled village.
    #[validate(required)]
    #[schema(value_type = usize)]
    pub households_per_village: Option<usize>,
    /// The seed of the draw (random when absent; stored, so the sample can be drawn again).
    pub seed: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct SpotItemView {
    pub household_id: String,
    pub village_code: String,
    pub township_code: String,
    pub fully_surveyed_village: bool,
    pub identification_correct: Option<bool>,
    pub data_correct: Option<bool>,
    pub note: Option<String>,
}

/// The request a spot check was drawn with, and the townships and villages it drew.
#[derive(ToSchema)]
pub struct SpotCheckParams {
    pub division: String,
    pub townships: u32,
    pub villages_per_township: u32,
    pub fully_surveyed_per_township: u32,
    pub households_per_village: u32,
    pub seed: Option<u64>,
    pub drawn: DrawnDivisions,
}

#[derive(ToSchema)]
pub struct DrawnDivisions {
    pub townships: Vec<String>,
    pub villages: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SpotCheckView {
    pub id: String,
    pub division: String,
    pub seed: u64,
    /// What the draw was asked for, and what it drew.
    #[schema(value_type = SpotCheckParams)]
    pub params: Value,
    pub townships: Vec<String>,
    pub villages: Vec<String>,
    pub items: Vec<SpotItemView>,
    pub accuracy: Accuracy,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn spot_view(check: &SpotCheckRow, items: &[SpotCheckItemRow]) -> SpotCheckView {
    let params: Value = serde_json::from_str(&check.params_json).unwrap_or(Value::Null);
    let drawn = |key: &str| -> Vec<String> { serde_json::from_value(params["drawn"][key].clone()).unwrap_or_default() };
    let (townships, villages) = (drawn("townships"), drawn("villages"));
    SpotCheckView {
        id: check.id.clone(),
        division: check.division_code.clone(),
        seed: check.seed as u64,
        params,
        townships,
        villages,
        items: items
            .iter()
            .map(|i| SpotItemView {
                household_id: i.household_id.clone(),
                village_code: i.village_code.clone(),
                township_code: i.township_code.clone(),
                fully_surveyed_village: i.fully_surveyed,
                identification_correct: i.identification_correct,
                data_correct: i.data_correct,
                note: i.note.clone(),
            })
            .collect(),
        accuracy: accuracy(&items.iter().map(|i| (i.identification_correct, i.data_correct)).collect::<Vec<_>>()),
        created_at: utc(check.created_at),
    }
}

/// Draw a spot check
///
/// Draw a reproducible spot-check sample 抽查 (county admin, township reviewer, auditor): townships →
/// villages (some surveyed in full) → households, from a seeded generator.
///
/// The same seed draws the same sample, so a draw can be repeated and verified.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = SpotCheckBody, responses(
    (status = 201, body = SpotCheckView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "more townships or villages than exist (the message says how many)", body = Problem, content_type = "application/problem+json"),
))]
#[post("/spot-checks")]
pub async fn draw_spot_check(state: Data<AppState>, user: Caller, body: Checked<SpotCheckBody>) -> Result<HttpResponse, ApiError> {
    user.require(matches!(user.role, Role::CountyAdmin | Role::TownshipReviewer | Role::Auditor), "draw spot checks")?;
    let (b, mut errs) = body.into_parts();
    let division = b.division.as_deref().and_then(|d| errs.check("division", DivisionCode::parse(d)));
    if division.as_ref().is_some_and(|d| !user.scope().covers(d)) {
        return Err(ApiError::NotFound);
    }
    if division.as_ref().is_some_and(|d| !matches!(d.level(), Level::County | Level::Township)) {
        errs.add("division", "wrong_level", "a county or a township");
    }
    let fully = b.fully_surveyed_per_township;
    if b.townships == Some(0) || b.villages_per_township == Some(0) {
        errs.add("townships", "out_of_range", "draw at least one township and one village");
    }
    if b.villages_per_township.is_some_and(|v| fully > v) {
        errs.add("fully_surveyed_per_township", "out_of_range", "at most villages_per_township");
    }
    if b.households_per_village == Some(0) && b.villages_per_township.is_some_and(|v| fully < v) {
        errs.add("households_per_village", "out_of_range", "draw at least one household per sampled village");
    }
    let (Some(named), Some(code), Some(townships), Some(villages_per_township), Some(households_per_village)) =
        (b.division, division, b.townships, b.villages_per_township, b.households_per_village)
    else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let draw = Draw { division: named, code, townships, villages_per_township, fully_surveyed_per_township: fully, households_per_village, seed: b.seed };
    let (check, items) = service::draw(&state, &user, draw).await?;
    Ok(HttpResponse::Created().json(spot_view(&check, &items)))
}

/// Read a spot check
///
/// A spot check with its households and the accuracy so far.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "spot check id")), responses((status = 200, body = SpotCheckView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/spot-checks/{id}")]
pub async fn get_spot_check(state: Data<AppState>, user: Caller, id: Path<String>) -> Result<HttpResponse, ApiError> {
    user.require(user.role != Role::Cadre, "read spot checks")?;
    let (check, items) = service::get(&state, &user, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(spot_view(&check, &items)))
}

#[derive(Deserialize, Serialize, Validate, ToSchema)]
pub struct SpotResultBody {
    #[validate(required)]
    #[schema(value_type = String)]
    pub household_id: Option<String>,
    /// 识别准确: the household's identification (category) was right.
    pub identification_correct: Option<bool>,
    /// 数据准确: the household's data was right.
    pub data_correct: Option<bool>,
    #[validate(length(max = 1000))]
    pub note: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct SpotResultsBody {
    #[validate(required, nested)]
    #[schema(value_type = Vec<SpotResultBody>)]
    pub results: Option<Vec<SpotResultBody>>,
}

/// Record spot-check outcomes
///
/// Record outcomes per household; the answer computes accuracy against 98 % / 95 %.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "spot check id")), request_body = SpotResultsBody, responses(
    (status = 200, body = SpotCheckView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/spot-checks/{id}")]
pub async fn put_spot_check(state: Data<AppState>, user: Caller, id: Path<String>, body: Checked<SpotResultsBody>) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    user.require(matches!(user.role, Role::CountyAdmin | Role::TownshipReviewer | Role::Auditor), "record spot-check results")?;
    let (body, mut errs) = body.into_parts();
    let mut results = Vec::new();
    for (i, r) in body.results.iter().flatten().enumerate() {
        let hid = parse_uuid(&format!("results[{i}].household_id"), r.household_id.as_deref(), &mut errs);
        let note = errs.check(format!("results[{i}].note"), optional_text(r.note.as_deref(), 1000)).flatten();
        if let Some(household_id) = hid {
            results.push(ItemResult { household_id, identification_correct: r.identification_correct, data_correct: r.data_correct, note });
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (check, items) = service::record(&state, &user, id, results).await?;
    Ok(HttpResponse::Ok().json(spot_view(&check, &items)))
}
