//! Home locations 住户位置: a phone's capture and its assessment (does it become the home, is
//! it a move to confirm, which flags), the history, move decisions, coverage 覆盖率 and the
//! homes of a map.

use crate::domain::projects::{LoanStatus, LoanTerms};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Caller;
use crate::domain::Scope;
use crate::db::models::{DivisionRow, HouseholdRow, LocationRow};
use crate::db::repo::audit::{self, Actor, Entry};
use crate::db::repo::coverage::{self, Counts, Home};
use crate::db::repo::documents;
use crate::db::repo::photos::{self, PhotoCounts};
use crate::db::repo::{divisions, households, locations as repo, sync};
use crate::db::{DbConnection, new_id, now, write_tx};
use crate::domain::location::{Capture, CaptureRules, CaptureStatus, Flag, assess};
use crate::domain::household::Counted;
use crate::domain::{DivisionCode, Level, Role};
use crate::error::ApiError;
use crate::geo::{Crs, LatLon};
use crate::state::AppState;

/// A capture as the phone sent it, parsed.
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

/// Records a capture of a household's home: 404 outside the jurisdiction, 403 for an auditor;
/// a retry (same `client_id`) answers with the first result.
#[tracing::instrument(skip_all, fields(household = %cap.household_id, client_id = %cap.client_id))]
pub async fn capture(state: &AppState, caller: &Caller, cap: NewCapture) -> Result<Recorded, ApiError> {
    let (scope, actor) = (caller.scope(), caller.actor());
    let rules = state.settings.capture_rules();
    let may = caller.role != Role::Auditor;
    state
        .db
        .run(move |c| {
            // Scope before role: a household outside the jurisdiction does not exist.
            let household = households::get(c, &scope, &cap.household_id)?;
            if !may {
                return Err(ApiError::Forbidden("an auditor may not capture locations".into()));
            }
            record(c, &household, &scope, &actor, &rules, &cap)
        })
        .await
}

/// Records a capture of `household`, which the caller read through its scope; the insert
/// checks the scope again inside its transaction.
pub fn record(c: &mut DbConnection, household: &HouseholdRow, scope: &Scope, actor: &Actor, rules: &CaptureRules, cap: &NewCapture) -> Result<Recorded, ApiError> {
    debug_assert_eq!(household.id, cap.household_id);
    if let Some(first) = repo::by_client_id(c, &cap.household_id, &cap.client_id)? {
        return Ok(Recorded::Existing(first));
    }
    let result = write_tx(c, |c| insert(c, scope, actor, rules, cap));
    match result {
        // A concurrent retry of the same capture committed first: answer with it.
        Err(ApiError::Conflict(_)) => match repo::by_client_id(c, &cap.household_id, &cap.client_id)? {
            Some(first) => Ok(Recorded::Existing(first)),
            None => result.map(Recorded::New),
        },
        other => other.map(Recorded::New),
    }
}

/// The assessment of a capture against the household's home and its village's centre
/// (`domain::location::assess`), stored with the household's new home or pending move.
fn insert(c: &mut DbConnection, scope: &Scope, actor: &Actor, rules: &CaptureRules, cap: &NewCapture) -> Result<LocationRow, ApiError> {
    let before = households::get_for_update(c, scope, &cap.household_id)?;
    let centre = repo::village_centre(c, &before.village_code, rules.village_centre_min_homes)?;
    let capture = Capture { point: cap.point, accuracy_m: cap.accuracy_m, captured_at: cap.captured_at, mock_location: cap.mock_location };
    let home = before.home_lat.zip(before.home_lon).map(|(lat, lon)| LatLon { lat, lon });
    let a = assess(rules, &capture, Utc::now(), home, centre);
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
    repo::insert(c, &row)?;
    let mut next = before.clone();
    match a.status {
        CaptureStatus::Home => repo::set_home(&mut next, &row),
        CaptureStatus::PendingMove => next.pending_move_id = Some(row.id.clone()),
        _ => {}
    }
    next.last_capture_low_accuracy = a.flags.contains(&Flag::LowAccuracy);
    households::bump_with(c, &before, next)?;
    let after = json!({"location_id": row.id, "lat": row.lat, "lon": row.lon, "accuracy_m": row.accuracy_m, "status": row.status, "flags": a.flags, "moved_m": row.moved_m});
    audit::append(c, actor, Entry { action: "location_capture", entity_type: "location", entity_id: &row.id, household_id: Some(&row.household_id), before: None, after: Some(after) })?;
    sync::stamp(c, std::slice::from_ref(&row.household_id), &[])?;
    Ok(row)
}

/// The household's captures, newest first, before the capture `before` (a cursor).
#[tracing::instrument(skip_all, fields(household = %household_id))]
pub async fn history(state: &AppState, caller: &Caller, household_id: String, before: Option<String>, limit: i64) -> Result<Vec<LocationRow>, ApiError> {
    let scope = caller.read_scope();
    state.db.run(move |c| Ok(repo::history(c, &scope, &household_id, before.as_deref(), limit)?)).await
}

/// Confirms or rejects a pending move (village officer and above; 404 first outside the
/// jurisdiction).
#[tracing::instrument(skip_all, fields(household = %household_id, location = %location_id))]
pub async fn decide_move(state: &AppState, caller: &Caller, household_id: String, location_id: String, accept: bool) -> Result<LocationRow, ApiError> {
    let (scope, actor) = (caller.scope(), caller.actor());
    let may = matches!(caller.role, Role::CountyAdmin | Role::TownshipReviewer | Role::VillageOfficer);
    state
        .db
        .run(move |c| {
            households::get(c, &scope, &household_id)?;
            if !may {
                return Err(ApiError::Forbidden("only a village officer or above decides a move".into()));
            }
            Ok(repo::decide_move(c, &scope, &actor, &household_id, &location_id, accept)?)
        })
        .await
}

/// One line of a coverage report: a division with its location and photo counts.
pub struct Covered {
    pub division: DivisionRow,
    pub counts: Counts,
    pub photos: PhotoCounts,
    /// Households whose file 一户一档 of the year holds every document its category needs.
    pub files_complete: i64,
    /// Microcredit loans 小额信贷 overdue today (of every household in scope, whatever its category).
    pub loans_overdue: i64,
}

/// Location coverage of a division: its totals and each child inside the jurisdiction (also
/// those with no households).
pub struct Coverage {
    pub total: Covered,
    pub children: Vec<Covered>,
}

/// Counts location and photo coverage of a division (inside the caller's jurisdiction) and of
/// each of its children, in the database.
#[tracing::instrument(skip_all, fields(division = %division, year))]
pub async fn coverage(state: &AppState, caller: &Caller, division: DivisionCode, counted: Counted, year: i32) -> Result<Coverage, ApiError> {
    let stale_before = now() - chrono::Duration::days(state.settings.location_stale_after_days);
    let scope = caller.scope();
    let checklist = state.settings.document_checklist.clone();
    let today = state.today();
    state
        .db
        .run(move |c| {
            let me = divisions::get(c, division.as_str())?.ok_or(ApiError::NotFound)?;
            let counts = coverage::by_child(c, &scope, &division, counted, stale_before)?;
            let photo_counts = photos::coverage(c, &scope, &division, counted, year)?;
            let files = documents::coverage(c, &scope, &division, counted, year, &checklist)?;
            let by_village = matches!(division.level(), Level::Township | Level::Village);
            let mut overdue: Vec<String> = Vec::new();
            for (village, township, l) in crate::db::repo::assistance::loans::unrepaid_in(c, &scope, &division)? {
                let Ok(status) = LoanStatus::parse(&l.status) else { continue };
                let t = LoanTerms { issued_on: l.issued_on, due_on: l.due_on, extended_to: l.extended_to, status, repaid_on: l.repaid_on };
                if t.is_overdue(today) {
                    overdue.push(if by_village { village } else { township });
                }
            }
            let kids = if division.level() == Level::Village { Vec::new() } else { divisions::children(c, division.as_str())? };
            let mut total = Counts::default();
            counts.iter().for_each(|(_, n)| total.add(n));
            let mut photo_total = PhotoCounts::default();
            photo_counts.iter().for_each(|(_, p)| photo_total.add(p));
            let children = kids
                .into_iter()
                .filter(|k| DivisionCode::parse(&k.code).is_ok_and(|d| scope.covers(&d)))
                .map(|k| {
                    let n = counts.iter().find(|(code, _)| *code == k.code).map(|(_, n)| n.clone()).unwrap_or_default();
                    let p = photo_counts.iter().find(|(code, _)| *code == k.code).map(|(_, p)| p.clone()).unwrap_or_default();
                    let files_complete = files.iter().find(|(code, _)| *code == k.code).map_or(0, |(_, n)| *n);
                    let loans_overdue = overdue.iter().filter(|code| **code == k.code).count() as i64;
                    Covered { division: k, counts: n, photos: p, files_complete, loans_overdue }
                })
                .collect();
            let files_complete = files.iter().map(|(_, n)| n).sum();
            let loans_overdue = overdue.len() as i64;
            Ok(Coverage { total: Covered { division: me, counts: total, photos: photo_total, files_complete, loans_overdue }, children })
        })
        .await
}

/// A page of the homes of a division (for a map), after the household `after`.
#[tracing::instrument(skip_all, fields(division = %division))]
pub async fn homes(state: &AppState, scope: Scope, division: DivisionCode, after: Option<String>, limit: i64) -> Result<Vec<Home>, ApiError> {
    state.db.run(move |c| Ok(coverage::homes(c, &scope, &division, after.as_deref(), limit)?)).await
}
