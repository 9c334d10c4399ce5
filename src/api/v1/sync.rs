//! `/sync`: what an offline phone needs, as changes since a cursor. The first call (no cursor)
//! sends every household in the caller's scope; later calls send households changed since, and
//! tombstones for households that left the scope (re-paired to another cadre, merged into a
//! village outside it). Order and cursor follow the commit-ordered change sequence
//! (`repo::sync`), so no change committed concurrently is ever skipped.

use actix_web::{HttpResponse, get, web::{Data, Query}};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::households::HouseholdView;
use super::pairings::PairingView;
use super::yearly::YearView;
use crate::crypto::Crypto;
use crate::db::repo::sync::{Change, Position};
use crate::error::{ApiError, Problem};
use crate::services::Caller;
use crate::services::sync as service;
use crate::state::AppState;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(sync);
}

/// A cursor: the position, signed so that a tampered one is refused rather than trusted.
pub fn encode(crypto: &Crypto, p: &Position) -> String {
    let payload = format!("s1:{}:{}", p.seq, p.id);
    let mac = crypto.lookup_hash("sync_cursor", &payload);
    B64.encode(format!("{payload}:{}", &mac[..32.min(mac.len())]))
}

/// The position a cursor names; 400 for anything this service did not issue.
pub fn decode(crypto: &Crypto, cursor: &str) -> Result<Position, ApiError> {
    let bad = || ApiError::BadRequest("the sync cursor is not one this service issued: start again without a cursor".into());
    let text = String::from_utf8(B64.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
    let (payload, mac) = text.rsplit_once(':').ok_or_else(bad)?;
    let expected = crypto.lookup_hash("sync_cursor", payload);
    if mac.is_empty() || expected.get(..mac.len()) != Some(mac) || mac.len() < 32.min(expected.len()) {
        return Err(bad());
    }
    let mut parts = payload.splitn(3, ':');
    let (Some("s1"), Some(seq), Some(id)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
    Ok(Position { seq: seq.parse().map_err(|_| bad())?, id: id.to_owned() })
}

#[derive(Deserialize, IntoParams)]
pub struct SyncQuery {
    /// `next_cursor` of the previous call; none for a full snapshot.
    pub cursor: Option<String>,
    /// Changes per page, 1–1000 (default 500).
    #[param(minimum = 1, maximum = 1000, default = 500)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncHousehold {
    #[serde(flatten)]
    pub household: HouseholdView,
    /// This year's record 年度基础信息 (the latest statistical year), if entered.
    pub year_record: Option<YearView>,
    /// This year's migrant work 外出务工信息 of the members (`PUT …/members/{member_id}/migrant-work/{year}`).
    pub migrant_work: Vec<super::migrant_work::MigrantWorkView>,
}

#[derive(Serialize, ToSchema)]
pub struct Tombstone {
    /// Remove this household from the phone.
    pub household_id: String,
    /// `re_paired`, `unpaired`, `cadre_relinked`, `village_merged`.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct SyncPage {
    /// Households to insert or replace (current members, home, pairing, this year's record).
    pub items: Vec<SyncHousehold>,
    /// Households to remove.
    pub tombstones: Vec<Tombstone>,
    /// Where the next call starts; keep it even when nothing changed.
    pub next_cursor: String,
    /// Call again at once: this page was full.
    pub has_more: bool,
    /// The statistical year of `year_record`.
    pub year: i32,
}

/// Changes since a cursor (offline phones)
///
/// Changes in the caller's scope since `cursor` (everything on the first call). ID and phone
/// numbers are full in a cadre's feed (each household delivered is in the read log), masked in any
/// other role's.
///
/// Keep `next_cursor` and call again with it; `has_more: true` means call again at once. Households
/// that left the caller's scope come as tombstones to delete from the phone.
#[utoipa::path(operation_id = "sync_changes", tag = "sync", security(("bearer" = [])), params(SyncQuery), responses(
    (status = 200, body = SyncPage),
    (status = 400, description = "a cursor this service did not issue", body = Problem, content_type = "application/problem+json"),
))]
#[get("/sync")]
pub async fn sync(state: Data<AppState>, user: Caller, q: Query<SyncQuery>) -> Result<HttpResponse, ApiError> {
    let after = q.cursor.as_deref().filter(|c| !c.is_empty()).map(|c| decode(&state.crypto, c)).transpose()?;
    let limit = crate::api::limit_within(q.limit, 500, 1000)?;
    let batch = service::page(&state, &user, after, limit).await?;
    let mut items = Vec::new();
    let mut tombstones = Vec::new();
    for ch in &batch.changes {
        match ch {
            Change::Upsert(h) => {
                let members = batch.members.get(&h.id).map(Vec::as_slice).unwrap_or_default();
                let mut household = HouseholdView::build(h, members, &state.crypto, batch.full_numbers);
                household.pairing = batch.pairings.get(&h.id).map(|(p, c)| PairingView::build(p, c));
                let year_record = batch.records.get(&h.id).map(|r| super::yearly::view(&state, &h.county_code, batch.year, r)).transpose()?;
                let migrant_work = batch.migrant_work.get(&h.id).cloned().unwrap_or_default().into_iter().map(super::migrant_work::MigrantWorkView::build).collect();
                items.push(SyncHousehold { household, year_record, migrant_work });
            }
            Change::Gone(t) => tombstones.push(Tombstone { household_id: t.household_id.clone(), reason: t.reason.clone() }),
        }
    }
    let year = batch.year.value();
    Ok(HttpResponse::Ok().json(SyncPage { items, tombstones, next_cursor: encode(&state.crypto, &batch.next), has_more: batch.has_more, year }))
}
