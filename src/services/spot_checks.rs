//! Spot checks 抽查: a reproducible sample of townships → villages (some surveyed in full) →
//! households drawn from a seeded generator, and the outcomes recorded per household.

use rand::SeedableRng;
use serde::Serialize;

use super::Caller;
use crate::db::models::{SpotCheckItemRow, SpotCheckRow};
use crate::db::repo::divisions;
use crate::db::repo::procedures::{self as repo, ItemResult};
use crate::db::{new_id, now};
use crate::domain::procedure;
use crate::domain::{DivisionCode, Level};
use crate::error::ApiError;
use crate::state::AppState;

/// What to draw, as asked (and stored with the sample, so it can be drawn again).
#[derive(Debug, Clone, Serialize)]
pub struct Draw {
    /// The division as the request named it.
    pub division: String,
    #[serde(skip)]
    pub code: DivisionCode,
    pub townships: usize,
    pub villages_per_township: usize,
    pub fully_surveyed_per_township: usize,
    pub households_per_village: usize,
    /// Random when absent.
    pub seed: Option<u64>,
}

/// A spot check with its households (those still in the caller's jurisdiction).
pub type SpotCheck = (SpotCheckRow, Vec<SpotCheckItemRow>);

/// Draws a sample of a county or township the caller checked is theirs; 422 when it asks for
/// more townships or villages than exist.
#[tracing::instrument(skip_all, fields(division = %draw.code, seed = tracing::field::Empty))]
pub async fn draw(state: &AppState, caller: &Caller, draw: Draw) -> Result<SpotCheck, ApiError> {
    let seed = draw.seed.unwrap_or_else(rand::random::<u64>) & (i64::MAX as u64);
    tracing::Span::current().record("seed", seed);
    let b = Draw { seed: Some(seed), ..draw };
    let actor = caller.actor();
    state
        .db
        .run(move |c| {
            let division = &b.code;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let townships: Vec<String> = if division.level() == Level::Township {
                vec![division.to_string()]
            } else {
                divisions::children(c, division.as_str())?.into_iter().map(|t| t.code).collect()
            };
            if b.townships > townships.len() {
                return Err(ApiError::invalid("townships", "too_many", format!("the division has {} townships", townships.len())));
            }
            let id = new_id();
            let mut items = Vec::new();
            let (mut drawn_townships, mut drawn_villages) = (Vec::new(), Vec::new());
            for township in procedure::sample(&townships, b.townships, &mut rng) {
                let villages: Vec<String> = divisions::children(c, &township)?.into_iter().filter(|v| v.merged_into.is_none()).map(|v| v.code).collect();
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
        .await
}

/// A spot check of the caller's jurisdiction.
#[tracing::instrument(skip_all, fields(spot_check = %id))]
pub async fn get(state: &AppState, caller: &Caller, id: String) -> Result<SpotCheck, ApiError> {
    let scope = caller.scope();
    state.db.run(move |c| Ok(repo::spot_check(c, &scope, &id)?)).await
}

/// Records outcomes for households of the sample (422 for one not in it); the spot check as it
/// now is.
#[tracing::instrument(skip_all, fields(spot_check = %id, results = results.len()))]
pub async fn record(state: &AppState, caller: &Caller, id: String, results: Vec<ItemResult>) -> Result<SpotCheck, ApiError> {
    let (scope, actor) = (caller.scope(), caller.actor());
    state
        .db
        .run(move |c| {
            repo::record_results(c, &scope, &actor, &id, &results)?;
            Ok(repo::spot_check(c, &scope, &id)?)
        })
        .await
}
