//! The change sequence behind offline sync.
//!
//! Every writing transaction that changes what a phone holds about a household (the household
//! and members, its home, its yearly record, its pairing) calls [`stamp`] as its last step. The
//! stamp writes the transaction's sequence number onto the household rows (and onto tombstones
//! for phones that lose a household). A reader must never be handed a cursor past a change that
//! commits later with a lower number; each backend ensures it without a lock shared by
//! unrelated households:
//!
//! - SQLite has one writer at a time: the number is the next value of a one-row counter, so
//!   number order is commit order.
//! - PostgreSQL: the number is the transaction's id (`pg_current_xact_id()`, 64 bits, never
//!   reused) plus a fixed offset kept in `sync_counter` (it put the first transaction-id numbers
//!   above the counter's last value when the counter was retired). Transactions commit in any
//!   order, so the feed reads only below its snapshot's horizon (`pg_snapshot_xmin` of the
//!   transactions of this database — [`OUR_XMIN`]: every one below it has ended, and nothing
//!   below it can commit any more); changes above
//!   it come in a later call. [`settle`] first waits (briefly) for the transactions running
//!   when a call came in, so a phone sees what was committed before it asked.
//!
//! Lock order (PostgreSQL): a stamp of several households holds their rows in id order.

use diesel::prelude::*;

use super::households::scoped;
use crate::db::models::HouseholdRow;
use crate::db::schema::{households, sync_counter, sync_tombstones};
use crate::db::{DbConnection, DbError, filters, new_id, now};
use diesel::sql_types::BigInt;
use crate::db::fixed::{Cached, fixed};
use crate::domain::Scope;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_tombstones)]
#[diesel(treat_none_as_default_value = false)]
pub struct TombstoneRow {
    pub id: String,
    pub seq: i64,
    pub household_id: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub cadre_user_id: Option<String>,
    pub reason: String,
    pub created_at: chrono::NaiveDateTime,
}

/// A household leaving the phones of a cadre (`cadre_user_id`) or of a division (the codes).
#[derive(Debug, Clone)]
pub struct Leaving {
    pub household_id: String,
    pub village_code: String,
    pub township_code: String,
    pub county_code: String,
    pub cadre_user_id: Option<String>,
    pub reason: &'static str,
}

impl Leaving {
    /// The household leaves the phone of the cadre user `user_id`.
    pub fn cadre(h: &HouseholdRow, user_id: String, reason: &'static str) -> Self {
        Self::division(h, reason).with_cadre(user_id)
    }

    /// The household leaves its current village (the codes of `h`).
    pub fn division(h: &HouseholdRow, reason: &'static str) -> Self {
        Self {
            household_id: h.id.clone(),
            village_code: h.village_code.clone(),
            township_code: h.township_code.clone(),
            county_code: h.county_code.clone(),
            cadre_user_id: None,
            reason,
        }
    }

    fn with_cadre(mut self, user_id: String) -> Self {
        self.cadre_user_id = Some(user_id);
        self
    }
}

/// This transaction's number on PostgreSQL (see the module comment).
const PG_STAMP: &str = "pg_current_xact_id()::text::bigint + (SELECT value FROM sync_counter WHERE id = 1)";

/// Marks `ids` as changed and records `leaving`, under the transaction's sequence number. Call
/// it last in the writing transaction.
pub fn stamp(c: &mut DbConnection, ids: &[String], leaving: &[Leaving]) -> Result<i64, DbError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let seq: i64 = match c {
        DbConnection::Pg(pg) => {
            if ids.len() > 1 {
                // Several households: held in one order, so two such stamps cannot deadlock.
                households::table.filter(households::id.eq_any(&ids)).order(households::id).select(households::id).for_no_key_update().load::<String>(pg)?;
            }
            let stamped: Vec<i64> = if ids.is_empty() {
                Vec::new()
            } else {
                Cached(diesel::update(households::table.filter(households::id.eq_any(&ids))).set(households::sync_seq.eq(fixed::<BigInt>(PG_STAMP))).returning(households::sync_seq))
                    .get_results(pg)?
            };
            match stamped.first() {
                Some(seq) => *seq,
                None => diesel::select(fixed::<BigInt>(PG_STAMP)).get_result(pg)?,
            }
        }
        DbConnection::Sqlite(lite) => {
            let seq: i64 = Cached(diesel::update(sync_counter::table.find(1)).set(sync_counter::value.eq(sync_counter::value + 1)).returning(sync_counter::value))
                .get_result(lite)?;
            if !ids.is_empty() {
                diesel::update(households::table.filter(households::id.eq_any(&ids))).set(households::sync_seq.eq(seq)).execute(lite)?;
            }
            seq
        }
    };
    for l in leaving {
        let row = TombstoneRow {
            id: new_id(),
            seq,
            household_id: l.household_id.clone(),
            village_code: l.village_code.clone(),
            township_code: l.township_code.clone(),
            county_code: l.county_code.clone(),
            cadre_user_id: l.cadre_user_id.clone(),
            reason: l.reason.to_owned(),
            created_at: now(),
        };
        diesel::insert_into(sync_tombstones::table).values(&row).execute(c)?;
    }
    Ok(seq)
}

/// A position in the change stream: the last `(sequence, id)` a phone has.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    pub seq: i64,
    pub id: String,
}

/// One entry of the feed, in `(seq, id)` order.
#[derive(Debug, Clone)]
pub enum Change {
    Upsert(HouseholdRow),
    Gone(TombstoneRow),
}

impl Change {
    fn key(&self) -> (i64, &str) {
        match self {
            Change::Upsert(h) => (h.sync_seq, &h.id),
            Change::Gone(t) => (t.seq, &t.id),
        }
    }
}

/// The snapshot's xmin counting only transactions that may write to this database: the lowest
/// transaction still running, leaving out those known to run in another database of the cluster
/// (transaction ids are the cluster's: a long job in another database — another deployment, a
/// bulk load — would otherwise hold every phone's feed back). Only a transaction that
/// `pg_stat_activity` shows in another database is left out; one it cannot attribute (another
/// role's session without the rights to see it, a prepared transaction) still counts.
macro_rules! our_xmin {
    () => {
        "(WITH s AS (SELECT pg_current_snapshot() AS s) SELECT COALESCE(\
    (SELECT min(x::text::bigint) FROM s, pg_snapshot_xip(s.s) AS x WHERE NOT EXISTS (\
        SELECT 1 FROM pg_stat_activity a WHERE a.backend_xid = x::xid \
        AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))), \
    (SELECT pg_snapshot_xmax(s.s)::text::bigint FROM s)))"
    };
}
const OUR_XMIN: &str = our_xmin!();

/// The numbers every change below which is visible for good (PostgreSQL; see the module
/// comment), read once per page so rows and tombstones are cut at the same place.
fn horizon(c: &mut DbConnection) -> Result<Option<i64>, DbError> {
    Ok(match c {
        DbConnection::Pg(pg) => Some(diesel::select(fixed::<BigInt>(concat!(our_xmin!(), " + (SELECT value FROM sync_counter WHERE id = 1)"))).get_result(pg)?),
        DbConnection::Sqlite(_) => None,
    })
}

/// How long [`settle`] waits at most for running transactions (a longer one, an import batch
/// say, delays the changes committed after it began to a later call; none is ever skipped).
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// PostgreSQL: waits until the transactions running now have ended (at most `max`), so that a
/// feed read afterwards includes every change committed before this call. Call it outside a
/// transaction. SQLite commits in number order: nothing to wait for.
pub fn settle(c: &mut DbConnection, max: std::time::Duration) -> Result<(), DbError> {
    let DbConnection::Pg(pg) = c else { return Ok(()) };
    let started = std::time::Instant::now();
    let (target, mut xmin): (i64, i64) = diesel::select((fixed::<BigInt>("pg_snapshot_xmax(pg_current_snapshot())::text::bigint"), fixed::<BigInt>(OUR_XMIN))).get_result(pg)?;
    while xmin < target && started.elapsed() < max {
        std::thread::sleep(std::time::Duration::from_millis(2));
        xmin = diesel::select(fixed::<BigInt>(OUR_XMIN)).get_result(pg)?;
    }
    Ok(())
}

/// Up to `limit` changes in the caller's scope after `after` (everything in scope when `None`),
/// read from one snapshot. A tombstone is left out when the household is back in the scope
/// (its later stamp sends it again).
pub fn feed(c: &mut DbConnection, scope: &Scope, after: Option<&Position>, limit: i64) -> Result<Feed, DbError> {
    let horizon = horizon(c)?;
    let mut q = scoped(scope);
    // A tombstone is for the phones of one cadre, or (no cadre) for every phone of a division.
    let mut t = sync_tombstones::table.into_boxed();
    t = match scope {
        Scope::Cadre { user_id, .. } => t.filter(sync_tombstones::cadre_user_id.eq(user_id.clone())),
        other => t.filter(sync_tombstones::cadre_user_id.is_null()).filter(filters::sync_tombstones::in_division(other.division())),
    };
    if let Some(h) = horizon {
        q = q.filter(households::sync_seq.lt(h));
        t = t.filter(sync_tombstones::seq.lt(h));
    }
    if let Some(p) = after {
        q = q.filter(households::sync_seq.ge(p.seq)).filter(households::sync_seq.gt(p.seq).or(households::id.gt(p.id.clone())));
        t = t.filter(sync_tombstones::seq.ge(p.seq)).filter(sync_tombstones::seq.gt(p.seq).or(sync_tombstones::id.gt(p.id.clone())));
    }
    let rows: Vec<HouseholdRow> = q.order((households::sync_seq.asc(), households::id.asc())).limit(limit).select(HouseholdRow::as_select()).load(c)?;
    // A first call sends the scope as it is: nothing to remove on an empty phone.
    let gone: Vec<TombstoneRow> = match after {
        None => Vec::new(),
        Some(_) => t.order((sync_tombstones::seq.asc(), sync_tombstones::id.asc())).limit(limit).select(TombstoneRow::as_select()).load(c)?,
    };
    let back: Vec<String> = if gone.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<String> = gone.iter().map(|g| g.household_id.clone()).collect();
        scoped(scope).filter(households::id.eq_any(ids)).select(households::id).load(c)?
    };
    let mut changes: Vec<Change> = rows.into_iter().map(Change::Upsert).collect();
    changes.extend(gone.into_iter().map(Change::Gone));
    changes.sort_by(|a, b| a.key().cmp(&b.key()));
    let has_more = changes.len() as i64 >= limit;
    changes.truncate(limit as usize);
    let last = changes.last().map(|c| Position { seq: c.key().0, id: c.key().1.to_owned() });
    // Dropped only after the cut, so the cursor still moves past them.
    changes.retain(|c| !matches!(c, Change::Gone(t) if back.contains(&t.household_id)));
    Ok(Feed { changes, last, has_more })
}

/// A page of the feed and where it ended.
#[derive(Debug)]
pub struct Feed {
    pub changes: Vec<Change>,
    /// The position after this page (`None` when the page was empty).
    pub last: Option<Position>,
    /// Whether another page may follow at once.
    pub has_more: bool,
}
