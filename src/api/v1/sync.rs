//! `/sync`: what an offline phone needs, as changes since a cursor. The first call (no cursor)
//! sends every household in the caller's scope; later calls send households changed since, and
//! tombstones for households that left the scope (re-paired to another cadre, merged into a
//! village outside it). Order and cursor follow the commit-ordered change sequence
//! (`repo::sync`), so no change committed concurrently is ever skipped.

use actix_web::{HttpResponse, get, web::{Data, Query}};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use std::collections::HashMap;

use super::assistance::PairingView;
use super::households::HouseholdView;
use super::yearly::YearView;
use crate::auth::AuthUser;
use crate::crypto::Crypto;
use crate::db::models::{CadreRow, MemberRow, PairingRow, YearlyRow};
use crate::db::read_snapshot;
use crate::db::repo::sync::{Change, Position, feed};
use crate::db::repo::{assistance, households, yearly};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::yearly::StatYear;
use crate::error::{ApiError, Problem};
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
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncHousehold {
    #[serde(flatten)]
    pub household: HouseholdView,
    /// This year's record 年度基础信息 (the latest statistical year), if entered.
    pub year_record: Option<YearView>,
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

/// Changes in the caller's scope since `cursor` (everything on the first call). ID and phone
/// numbers are full in a cadre's feed (each household delivered is in the read log), masked in
/// any other role's.
#[utoipa::path(tag = "sync", security(("bearer" = [])), params(SyncQuery), responses(
    (status = 200, body = SyncPage),
    (status = 400, description = "a cursor this service did not issue", body = Problem, content_type = "application/problem+json"),
))]
#[get("/sync")]
pub async fn sync(state: Data<AppState>, user: AuthUser, q: Query<SyncQuery>) -> Result<HttpResponse, ApiError> {
    let after = q.cursor.as_deref().filter(|c| !c.is_empty()).map(|c| decode(&state.crypto, c)).transpose()?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let year = state.today().year();
    let stat_year = StatYear::parse(year, state.today()).map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    let scope = user.scope();
    let start = after.clone();
    let (page, members, records, pairings) = state
        .db
        .run(move |c| {
            read_snapshot(c, |c| {
                let page = feed(c, &scope, start.as_ref(), limit)?;
                let ids: Vec<String> = page.changes.iter().filter_map(|ch| match ch { Change::Upsert(h) => Some(h.id.clone()), Change::Gone(_) => None }).collect();
                let members = households::members_of(c, &ids, false)?;
                let records = yearly::for_households(c, &ids, year)?;
                let pairings = assistance::current_pairings(c, &ids)?;
                Ok((page, members, records, pairings))
            })
        })
        .await?;
    // Each household's members, record and pairing, found once per page (not by scanning).
    let mut members_of: HashMap<&str, Vec<MemberRow>> = HashMap::new();
    for m in &members {
        members_of.entry(m.household_id.as_str()).or_default().push(m.clone());
    }
    let records: HashMap<&str, &YearlyRow> = records.iter().map(|r| (r.household_id.as_str(), r)).collect();
    let pairings: HashMap<&str, &(PairingRow, CadreRow)> = pairings.iter().map(|p| (p.0.household_id.as_str(), p)).collect();
    // Full numbers only in a cadre's feed (their currently paired households, as a single read of
    // each would give them; each one delivered is in the read log); reviewers' feeds are masked
    // like lists.
    let full = full_numbers(user.role, Subject::SyncFeed);
    let actor = user.actor();
    let mut items = Vec::new();
    let mut tombstones = Vec::new();
    for ch in &page.changes {
        match ch {
            Change::Upsert(h) => {
                let mut household = HouseholdView::build(h, members_of.get(h.id.as_str()).map(Vec::as_slice).unwrap_or_default(), &state.crypto, full);
                household.pairing = pairings.get(h.id.as_str()).map(|(p, c)| PairingView::build(p, c));
                let year_record = records.get(h.id.as_str()).map(|r| super::yearly::view(&state, &h.county_code, stat_year, r)).transpose()?;
                if full {
                    state.read_log.record(&actor, &h.id);
                }
                items.push(SyncHousehold { household, year_record });
            }
            Change::Gone(t) => tombstones.push(Tombstone { household_id: t.household_id.clone(), reason: t.reason.clone() }),
        }
    }
    let next = page.last.or(after).unwrap_or_default();
    Ok(HttpResponse::Ok().json(SyncPage { items, tombstones, next_cursor: encode(&state.crypto, &next), has_more: page.has_more, year }))
}
