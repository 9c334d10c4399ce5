//! Home-location captures: recording (with the household's home kept on the household row for
//! fast coverage), history, and the confirmation of moves.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use super::households;
use crate::db::models::{HouseholdRow, LocationRow};
use crate::db::schema::{households as h, locations};
use crate::db::{DbConnection, DbError, new_id, now, write_tx};
use crate::domain::location::{Capture, CaptureRules, CaptureStatus, Flag, assess};
use crate::domain::Scope;
use crate::geo::{Crs, LatLon, median};

#[derive(Debug, Clone)]
pub struct NewCapture {
    pub household_id: String,
    pub client_id: String,
    /// WGS-84.
    pub point: LatLon,
    pub original: LatLon,
    pub crs: Crs,
    pub accuracy_m: f64,
    pub altitude_m: Option<f64>,
    pub captured_at: DateTime<Utc>,
    pub source: String,
    pub mock_location: bool,
}

pub enum Recorded {
    New(LocationRow),
    /// The same `client_id` was sent before: the first result.
    Existing(LocationRow),
}

fn by_client_id(c: &mut DbConnection, household_id: &str, client_id: &str) -> Result<Option<LocationRow>, DbError> {
    let row: Option<LocationRow> =
        locations::table.filter(locations::client_id.eq(client_id)).select(LocationRow::as_select()).first(c).optional()?;
    match row {
        Some(r) if r.household_id == household_id => Ok(Some(r)),
        Some(_) => Err(DbError::Conflict("this client_id was used for another household's capture".into())),
        None => Ok(None),
    }
}

/// The median of the village's homes, once it has enough of them.
fn village_centre(c: &mut DbConnection, village: &str, min_homes: usize) -> QueryResult<Option<LatLon>> {
    let homes: Vec<(Option<f64>, Option<f64>)> = h::table
        .filter(h::village_code.eq(village))
        .filter(h::home_lat.is_not_null())
        .select((h::home_lat, h::home_lon))
        .limit(5000)
        .load(c)?;
    let points: Vec<LatLon> = homes.into_iter().filter_map(|(lat, lon)| Some(LatLon { lat: lat?, lon: lon? })).collect();
    Ok(if points.len() >= min_homes { median(&points) } else { None })
}

fn home_of(hh: &HouseholdRow) -> Option<LatLon> {
    Some(LatLon { lat: hh.home_lat?, lon: hh.home_lon? })
}

fn set_home(next: &mut HouseholdRow, loc: &LocationRow) {
    next.home_location_id = Some(loc.id.clone());
    next.home_lat = Some(loc.lat);
    next.home_lon = Some(loc.lon);
    next.home_accuracy_m = Some(loc.accuracy_m);
    next.home_captured_at = Some(loc.captured_at);
    next.has_location = true;
}

/// Records a capture of `household`, which the caller read through its scope
/// (`households::get`); the insert checks the scope again inside its transaction.
pub fn record(c: &mut DbConnection, household: &HouseholdRow, scope: &Scope, actor: &Actor, rules: &CaptureRules, cap: &NewCapture) -> Result<Recorded, DbError> {
    debug_assert_eq!(household.id, cap.household_id);
    if let Some(first) = by_client_id(c, &cap.household_id, &cap.client_id)? {
        return Ok(Recorded::Existing(first));
    }
    let result = write_tx(c, |c| insert(c, scope, actor, rules, cap));
    match result {
        // A concurrent retry of the same capture committed first: answer with it.
        Err(DbError::Conflict(_)) => match by_client_id(c, &cap.household_id, &cap.client_id)? {
            Some(first) => Ok(Recorded::Existing(first)),
            None => result.map(Recorded::New),
        },
        other => other.map(Recorded::New),
    }
}

fn insert(c: &mut DbConnection, scope: &Scope, actor: &Actor, rules: &CaptureRules, cap: &NewCapture) -> Result<LocationRow, DbError> {
    let before = households::get_for_update(c, scope, &cap.household_id)?;
    let centre = village_centre(c, &before.village_code, rules.village_centre_min_homes)?;
    let capture = Capture { point: cap.point, accuracy_m: cap.accuracy_m, captured_at: cap.captured_at, mock_location: cap.mock_location };
    let a = assess(rules, &capture, Utc::now(), home_of(&before), centre);
    let row = LocationRow {
        id: new_id(),
        household_id: cap.household_id.clone(),
        client_id: Some(cap.client_id.clone()),
        lat: cap.point.lat,
        lon: cap.point.lon,
        orig_lat: cap.original.lat,
        orig_lon: cap.original.lon,
        orig_crs: cap.crs.as_str().into(),
        accuracy_m: cap.accuracy_m,
        altitude_m: cap.altitude_m,
        captured_at: cap.captured_at.naive_utc(),
        source: cap.source.clone(),
        mock_location: cap.mock_location,
        flags: serde_json::to_string(&a.flags).unwrap_or_else(|_| "[]".into()),
        moved_m: a.moved_m,
        status: a.status.as_str().into(),
        captured_by: actor.id.clone().unwrap_or_default(),
        captured_by_name: actor.name.clone().unwrap_or_default(),
        confirmed_by_name: None,
        confirmed_at: None,
        created_at: now(),
    };
    diesel::insert_into(locations::table).values(&row).execute(c)?;
    let mut next = before.clone();
    match a.status {
        CaptureStatus::Home => set_home(&mut next, &row),
        CaptureStatus::PendingMove => next.pending_move_id = Some(row.id.clone()),
        _ => {}
    }
    next.last_capture_low_accuracy = a.flags.contains(&Flag::LowAccuracy);
    households::bump_with(c, &before, next)?;
    let after = json!({"location_id": row.id, "lat": row.lat, "lon": row.lon, "accuracy_m": row.accuracy_m, "status": row.status, "flags": a.flags, "moved_m": row.moved_m});
    audit::append(c, actor, Entry { action: "location_capture", entity_type: "location", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(after) })?;
    super::sync::stamp(c, std::slice::from_ref(&row.household_id), &[])?;
    Ok(row)
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
