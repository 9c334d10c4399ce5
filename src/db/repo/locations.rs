//! Home-location captures: storing them (`services::locations` assesses them, with the
//! household's home kept on the household row for fast coverage), history, and the
//! confirmation of moves.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::{HouseholdRow, LocationRow};
use crate::db::schema::{households as h, locations};
use crate::db::{DbConnection, DbError, now, write_tx};
use crate::domain::Scope;
use crate::domain::location::CaptureStatus;
use crate::geo::{LatLon, median};

/// The capture a phone sent before under `client_id` (409 if it was another household's).
pub fn by_client_id(c: &mut DbConnection, household_id: &str, client_id: &str) -> Result<Option<LocationRow>, DbError> {
    let row: Option<LocationRow> =
        locations::table.filter(locations::client_id.eq(client_id)).select(LocationRow::as_select()).first(c).optional()?;
    match row {
        Some(r) if r.household_id == household_id => Ok(Some(r)),
        Some(_) => Err(DbError::Conflict("this client_id was used for another household's capture".into())),
        None => Ok(None),
    }
}

/// The median of the village's homes, once it has enough of them.
pub fn village_centre(c: &mut DbConnection, village: &str, min_homes: usize) -> QueryResult<Option<LatLon>> {
    let homes: Vec<(Option<f64>, Option<f64>)> = h::table
        .filter(h::village_code.eq(village))
        .filter(h::home_lat.is_not_null())
        .select((h::home_lat, h::home_lon))
        .limit(5000)
        .load(c)?;
    let points: Vec<LatLon> = homes.into_iter().filter_map(|(lat, lon)| Some(LatLon { lat: lat?, lon: lon? })).collect();
    Ok(if points.len() >= min_homes { median(&points) } else { None })
}

/// Makes the capture the household's home (kept on the row for fast coverage).
pub fn set_home(next: &mut HouseholdRow, loc: &LocationRow) {
    next.home_location_id = Some(loc.id.clone());
    next.home_lat = Some(loc.lat);
    next.home_lon = Some(loc.lon);
    next.home_accuracy_m = Some(loc.accuracy_m);
    next.home_captured_at = Some(loc.captured_at);
    next.has_location = true;
}

pub fn insert(c: &mut DbConnection, row: &LocationRow) -> QueryResult<()> {
    diesel::insert_into(locations::table).values(row).execute(c).map(|_| ())
}

/// Captures of a household, newest first.
pub fn history(c: &mut DbConnection, scope: &Scope, household_id: &str, before_id: Option<&str>, limit: i64) -> Result<Vec<LocationRow>, DbError> {
    households::get(c, scope, household_id)?;
    let mut q = locations::table.filter(locations::household_id.eq(household_id)).into_boxed();
    if let Some(b) = before_id {
        q = q.filter(locations::id.lt(b.to_owned()));
    }
    Ok(q.order(locations::id.desc()).limit(limit).select(LocationRow::as_select()).load(c)?)
}

/// Confirms (the capture becomes the home) or rejects a pending move.
pub fn decide_move(c: &mut DbConnection, scope: &Scope, actor: &Actor, household_id: &str, location_id: &str, confirm: bool) -> Result<LocationRow, DbError> {
    write_tx(c, |c| {
        let before = households::get_for_update(c, scope, household_id)?;
        let loc: LocationRow = locations::table
            .filter(locations::id.eq(location_id))
            .filter(locations::household_id.eq(household_id))
            .select(LocationRow::as_select())
            .first(c)
            .optional()?
            .ok_or(DbError::NotFound)?;
        if loc.status != CaptureStatus::PendingMove.as_str() {
            return Err(DbError::Conflict(format!("this capture is not a pending move (it is {})", loc.status)));
        }
        let status = if confirm { CaptureStatus::Confirmed } else { CaptureStatus::Rejected };
        let at = now();
        diesel::update(locations::table.find(&loc.id))
            .set((
                locations::status.eq(status.as_str()),
                locations::confirmed_by_name.eq(actor.name.clone()),
                locations::confirmed_at.eq(Some(at)),
            ))
            .execute(c)?;
        let mut next = before.clone();
        if confirm {
            set_home(&mut next, &loc);
        }
        if next.pending_move_id.as_deref() == Some(loc.id.as_str()) {
            next.pending_move_id = None;
        }
        households::bump_with(c, &before, next)?;
        let action = if confirm { "move_confirm" } else { "move_reject" };
        let before_home = json!({"lat": before.home_lat, "lon": before.home_lon});
        let after = json!({"location_id": loc.id, "lat": loc.lat, "lon": loc.lon, "moved_m": loc.moved_m});
        audit::append(c, actor, Entry { action, entity_type: "location", entity_id: &loc.id, household_id: Some(household_id), before: Some(before_home), after: Some(after) })?;
        super::sync::stamp(c, &[household_id.to_owned()], &[])?;
        let mut decided = loc;
        decided.status = status.as_str().into();
        decided.confirmed_by_name = actor.name.clone();
        decided.confirmed_at = Some(at);
        Ok(decided)
    })
}
