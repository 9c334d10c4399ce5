//! The phone's sync 同步: a page of the changes in the caller's scope since a position, with
//! what each household needs on the phone (current members, this year's record, the pairing),
//! read from one snapshot; every household delivered with full numbers goes to the read log.

use std::collections::HashMap;

use chrono::Datelike;

use super::Caller;
use crate::db::models::{CadreRow, MemberRow, PairingRow, YearlyRow};
use crate::db::read_snapshot;
use crate::db::repo::assistance::pairings;
use crate::db::repo::sync::{Change, Position, SETTLE, feed, settle};
use crate::db::repo::{households, yearly};
use crate::domain::disclosure::{Subject, full_numbers};
use crate::domain::yearly::StatYear;
use crate::error::ApiError;
use crate::state::AppState;

/// A page of the feed with each household's parts, found once per page (not by scanning).
pub struct Batch {
    pub changes: Vec<Change>,
    pub members: HashMap<String, Vec<MemberRow>>,
    pub records: HashMap<String, YearlyRow>,
    pub pairings: HashMap<String, (PairingRow, CadreRow)>,
    /// This year's migrant work 外出务工 of the households' members.
    pub migrant_work: HashMap<String, Vec<crate::db::repo::assistance::migrant_work::MigrantWorkRow>>,
    /// Full ID and phone numbers: only in a cadre's feed (their currently paired households, as
    /// a single read of each would give them); reviewers' feeds are masked like lists.
    pub full_numbers: bool,
    /// Where the next call starts (the same position when nothing changed).
    pub next: Position,
    /// This page was full: call again at once.
    pub has_more: bool,
    /// The statistical year of the records.
    pub year: StatYear,
}

/// Up to `limit` changes after `after` (everything in the scope on a first call).
#[tracing::instrument(skip_all, fields(limit))]
pub async fn page(state: &AppState, caller: &Caller, after: Option<Position>, limit: i64) -> Result<Batch, ApiError> {
    let year = state.today().year();
    let stat_year = StatYear::parse(year, state.today()).map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    let scope = caller.scope();
    let start = after.clone();
    let (page, members, records, pairings, work) = state
        .db
        .run(move |c| {
            // What was committed before the phone asked is in this page (or a later one of it).
            settle(c, SETTLE)?;
            read_snapshot(c, |c| {
                let page = feed(c, &scope, start.as_ref(), limit)?;
                let ids: Vec<String> = page.changes.iter().filter_map(|ch| match ch { Change::Upsert(h) => Some(h.id.clone()), Change::Gone(_) => None }).collect();
                let members = households::members_of(c, &ids, false)?;
                let records = yearly::for_households(c, &ids, year)?;
                let pairings = pairings::current_pairings(c, &ids)?;
                let work = crate::db::repo::assistance::migrant_work::of_households(c, &ids, Some(year))?;
                Ok((page, members, records, pairings, work))
            })
        })
        .await?;
    let mut members_of: HashMap<String, Vec<MemberRow>> = HashMap::new();
    for m in members {
        members_of.entry(m.household_id.clone()).or_default().push(m);
    }
    let full = full_numbers(caller.role, Subject::SyncFeed);
    if full {
        let actor = caller.actor();
        for ch in &page.changes {
            if let Change::Upsert(h) = ch {
                state.read_log.record(&actor, &h.id);
            }
        }
    }
    let mut migrant_work: HashMap<String, Vec<_>> = HashMap::new();
    for w in work {
        migrant_work.entry(w.household_id.clone()).or_default().push(w);
    }
    Ok(Batch {
        migrant_work,
        changes: page.changes,
        members: members_of,
        records: records.into_iter().map(|r| (r.household_id.clone(), r)).collect(),
        pairings: pairings.into_iter().map(|p| (p.0.household_id.clone(), p)).collect(),
        full_numbers: full,
        next: page.last.or(after).unwrap_or_default(),
        has_more: page.has_more,
        year: stat_year,
    })
}
