//! `/spot-checks` 抽查: a reproducible sample of townships → villages → households drawn from a
//! seeded generator, outcomes per household, accuracy against the 98 % / 95 % targets.

use actix_web::{HttpResponse, get, post, put, web::{Data, Json, Path}};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::{parse_uuid, path_id, utc};
use crate::auth::AuthUser;
use crate::db::models::{SpotCheckItemRow, SpotCheckRow};
use crate::db::repo::procedures::{self as repo, ItemResult};
use crate::db::{new_id, now};
use crate::domain::procedure::{self, Accuracy, accuracy};
use crate::domain::validation::optional_text;
use crate::domain::{DivisionCode, FieldErrors, Level, Role};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(draw_spot_check).service(get_spot_check).service(put_spot_check);
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct SpotCheckBody {
    /// The county (or township) to sample, inside the caller's jurisdiction.
    pub division: String,
    /// Townships to draw (from a county; 1 for a township).
    pub townships: usize,
    /// Villages to draw per township.
    pub villages_per_township: usize,
    /// Of those villages, how many are surveyed in full (the rest sampled).
    #[serde(default)]
    pub fully_surveyed_per_township: usize,
    /// Households drawn in each sampled village.
    pub households_per_village: usize,
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

#[derive(Serialize, ToSchema)]
pub struct SpotCheckView {
    pub id: String,
    pub division: String,
    pub seed: u64,
    #[schema(value_type = Object)]
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

/// Draw a reproducible spot-check sample 抽查 (county admin, township reviewer, auditor):
/// townships → villages (some surveyed in full) → households, from a seeded generator.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = SpotCheckBody, responses(
    (status = 201, body = SpotCheckView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "more townships or villages than exist (the message says how many)", body = Problem, content_type = "application/problem+json"),
))]
#[post("/spot-checks")]
pub async fn draw_spot_check(state: Data<AppState>, user: AuthUser, body: Json<SpotCheckBody>) -> Result<HttpResponse, ApiError> {
    user.require(matches!(user.role, Role::CountyAdmin | Role::TownshipReviewer | Role::Auditor), "draw spot checks")?;
    let b = body.into_inner();
    let division = DivisionCode::parse(&b.division).map_err(|e| ApiError::invalid("division", e.code, e.message))?;
    let scope = user.scope();
    if !scope.covers(&division) {
        return Err(ApiError::NotFound);
    }
    let mut errs = FieldErrors::new();
    if !matches!(division.level(), Level::County | Level::Township) {
        errs.add("division", "wrong_level", "a county or a township");
    }
    if b.townships == 0 || b.villages_per_township == 0 {
        errs.add("townships", "out_of_range", "draw at least one township and one village");
    }
    if b.fully_surveyed_per_township > b.villages_per_township {
        errs.add("fully_surveyed_per_township", "out_of_range", "at most villages_per_township");
    }
    if b.households_per_village == 0 && b.fully_surveyed_per_township < b.villages_per_township {
        errs.add("households_per_village", "out_of_range", "draw at least one household per sampled village");
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let seed = b.seed.unwrap_or_else(rand::random::<u64>) & (i64::MAX as u64);
    let b = SpotCheckBody { seed: Some(seed), ..b };
    let actor = user.actor();
    let (check, items) = state
        .db
        .run(move |c| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let townships: Vec<String> = if division.level() == Level::Township {
                vec![division.to_string()]
            } else {
                crate::db::repo::divisions::children(c, division.as_str())?.into_iter().map(|t| t.code).collect()
            };
            if b.townships > townships.len() {
                return Err(ApiError::invalid("townships", "too_many", format!("the division has {} townships", townships.len())));
            }
            let id = new_id();
            let mut items = Vec::new();
            let (mut drawn_townships, mut drawn_villages) = (Vec::new(), Vec::new());
            for township in procedure::sample(&townships, b.townships, &mut rng) {
                let villages: Vec<String> = crate::db::repo::divisions::children(c, &township)?.into_iter().filter(|v| v.merged_into.is_none()).map(|v| v.code).collect();
                if b.villages_per_township > villages.len() {
                    return Err(ApiError::invalid("villages_per_township", "too_many", format!("township {township} has {} villages", villages.len())));
                }
                let drawn = procedure::sample(&villages, b.villages_per_township, &mut rng);
                // Which of the drawn villages are surveyed in full: drawn too.
                let full = procedure::sample(&drawn, b.fully_surveyed_per_township, &mut rng);
                drawn_townships.push(township.clone());
                drawn_villages.extend(drawn.iter().cloned());
                for village in &drawn {
                    let households = repo::household_ids_in(c, village)?;
                    let fully = full.contains(village);
                    let picked = if fully { households } else { procedure::sample(&households, b.households_per_village, &mut rng) };
                    items.extend(picked.into_iter().map(|h| SpotCheckItemRow {
                        id: new_id(),
                        spot_check_id: id.clone(),
                        household_id: h,
                        village_code: village.clone(),
                        township_code: township.clone(),
                        fully_surveyed: fully,
                        identification_correct: None,
                        data_correct: None,
                        note: None,
                        checked_at: None,
                    }));
                }
            }
            let mut params = serde_json::to_value(&b).map_err(|e| ApiError::Internal(e.into()))?;
            params["drawn"] = serde_json::json!({"townships": drawn_townships, "villages": drawn_villages});
            let check = SpotCheckRow { id, division_code: division.to_string(), params_json: params.to_string(), seed: seed as i64, created_by: actor.name.clone().unwrap_or_default(), created_at: now() };
            repo::save_spot_check(c, &actor, &check, &items)?;
            Ok((check, items))
        })
        .await?;
    Ok(HttpResponse::Created().json(spot_view(&check, &items)))
}

/// A spot check with its households and the accuracy so far.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "spot check id")), responses((status = 200, body = SpotCheckView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/spot-checks/{id}")]
pub async fn get_spot_check(state: Data<AppState>, user: AuthUser, id: Path<String>) -> Result<HttpResponse, ApiError> {
    user.require(user.role != Role::Cadre, "read spot checks")?;
    let (id, scope) = (path_id(&id)?, user.scope());
    let (check, items) = state.db.run(move |c| Ok(repo::spot_check(c, &scope, &id)?)).await?;
    Ok(HttpResponse::Ok().json(spot_view(&check, &items)))
}

#[derive(Deserialize, ToSchema)]
pub struct SpotResultBody {
    pub household_id: String,
    /// 识别准确: the household's identification (category) was right.
    pub identification_correct: Option<bool>,
    /// 数据准确: the household's data was right.
    pub data_correct: Option<bool>,
    pub note: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct SpotResultsBody {
    pub results: Vec<SpotResultBody>,
}

/// Record outcomes per household; the answer computes accuracy against 98 % / 95 %.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(("id" = String, Path, description = "spot check id")), request_body = SpotResultsBody, responses(
    (status = 200, body = SpotCheckView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/spot-checks/{id}")]
pub async fn put_spot_check(state: Data<AppState>, user: AuthUser, id: Path<String>, body: Json<SpotResultsBody>) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (path_id(&id)?, user.scope());
    user.require(matches!(user.role, Role::CountyAdmin | Role::TownshipReviewer | Role::Auditor), "record spot-check results")?;
    let mut errs = FieldErrors::new();
    let mut results = Vec::new();
    for (i, r) in body.results.iter().enumerate() {
        let hid = parse_uuid(&format!("results[{i}].household_id"), Some(&r.household_id), &mut errs);
        let note = errs.check(format!("results[{i}].note"), optional_text(r.note.as_deref(), 1000)).flatten();
        if let Some(household_id) = hid {
            results.push(ItemResult { household_id, identification_correct: r.identification_correct, data_correct: r.data_correct, note });
        }
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let actor = user.actor();
    let (check, items) = state
        .db
        .run(move |c| {
            repo::record_results(c, &scope, &actor, &id, &results)?;
            Ok(repo::spot_check(c, &scope, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(spot_view(&check, &items)))
}
