//! Responses to POSTs sent with an `Idempotency-Key`, per user, so a phone that lost a response
//! can send the same request again and get the first answer instead of a second effect.
//!
//! The key is claimed by the request's first write transaction ([`crate::db::write_tx`]), as
//! its first statement: the claim commits with the request's effect or not at all, with no
//! commit of its own. A second request with the key waits on the unique index until the first
//! one's transaction ends, then finds the key held ([`RequestClaim::was_refused`]) and its
//! transaction writes nothing. The answer is kept after the request ([`complete`]). A committed
//! claim therefore means the request's effect is written: a claim whose answer never came (the
//! server died after the commit, the answer could not be kept) is never taken over — a retry
//! is told the request was applied — until the key expires.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::idempotency_keys as k;
use crate::db::fixed::{Cached, fixed};
use crate::db::{DbConnection, DbError, now};

/// How long a stored response is replayed.
pub const KEEP: Duration = Duration::hours(24);
/// A claim without its answer this long is not being answered any more: its request was applied
/// (the claim commits with the effect) and its answer lost.
pub const ABANDONED: Duration = Duration::seconds(60);
/// The status of a claim whose request was applied (a write transaction took the key) and then
/// answered with what is not kept (a 5xx, 401 or 429 after a first write, an answer too large):
/// a retry is told at once that it was applied, never applied again.
pub const APPLIED_UNKEPT: i32 = 1;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = k)]
#[diesel(treat_none_as_default_value = false)]
pub struct KeyRow {
    pub user_id: String,
    pub key: String,
    pub request: String,
    /// 0 while the first request is being answered.
    pub status: i32,
    pub headers_json: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
}

/// Whether a kept answer can be replayed (it unseals under the data key).
pub type Readable = Box<dyn Fn(&KeyRow) -> bool + Send + Sync>;

/// The key of the request being answered, to be claimed by its first write transaction.
pub struct RequestClaim {
    pub user_id: String,
    pub key: String,
    pub request: String,
    /// A kept answer that does not unseal counts as absent: the key is taken over.
    readable: Readable,
    state: AtomicU8,
}

const PENDING: u8 = 0;
const IN_TRANSACTION: u8 = 1;
const TAKEN: u8 = 2;
const REFUSED: u8 = 3;

impl RequestClaim {
    pub fn new(user_id: String, key: String, request: String, readable: Readable) -> Arc<Self> {
        Arc::new(Self { user_id, key, request, readable, state: AtomicU8::new(PENDING) })
    }

    /// A write transaction of the request committed the claim.
    pub fn was_taken(&self) -> bool {
        self.state.load(Ordering::Acquire) == TAKEN
    }

    /// A write transaction found the key held by another request (its own wrote nothing).
    pub fn was_refused(&self) -> bool {
        self.state.load(Ordering::Acquire) == REFUSED
    }
}

tokio::task_local! {
    static REQUEST_CLAIM: Arc<RequestClaim>;
}

thread_local! {
    static THREAD_CLAIM: RefCell<Option<Arc<RequestClaim>>> = const { RefCell::new(None) };
}

/// Runs a request's handler with its key to claim: the database work it runs through
/// [`crate::db::Db::run`] sees it.
pub async fn scope<F: Future>(claim: Arc<RequestClaim>, f: F) -> F::Output {
    REQUEST_CLAIM.scope(claim, f).await
}

/// The claim of the request this task answers, while no write transaction has taken it (a
/// refused one too: the request's later write transactions are refused as well).
pub(crate) fn of_task() -> Option<Arc<RequestClaim>> {
    REQUEST_CLAIM.try_with(Arc::clone).ok().filter(|c| c.state.load(Ordering::Acquire) != TAKEN)
}

/// Makes `claim` the one the write transactions on this (blocking) thread take, until the
/// guard is dropped.
pub(crate) fn on_thread(claim: Option<Arc<RequestClaim>>) -> impl Drop {
    struct Guard;
    impl Drop for Guard {
        fn drop(&mut self) {
            THREAD_CLAIM.with(|t| t.borrow_mut().take());
        }
    }
    THREAD_CLAIM.with(|t| *t.borrow_mut() = claim);
    Guard
}

/// Inside a write transaction that just began: claims the thread's key if no transaction of
/// the request holds it yet. `Ok(None)`: nothing to claim; `Ok(Some(claim))`: claimed by this
/// transaction (call [`settle`] when it ends); `Err(Refused)`: another request holds the key.
pub(crate) fn take_in_transaction(c: &mut DbConnection) -> Result<Option<Arc<RequestClaim>>, DbError> {
    let Some(claim) = THREAD_CLAIM.with(|t| t.borrow().clone()) else { return Ok(None) };
    match claim.state.compare_exchange(PENDING, IN_TRANSACTION, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {}
        Err(REFUSED) => return Err(held_elsewhere()),
        // Taken, or being taken by the transaction this one is nested in.
        Err(_) => return Ok(None),
    }
    let row = KeyRow { user_id: claim.user_id.clone(), key: claim.key.clone(), request: claim.request.clone(), status: 0, headers_json: None, body: None, created_at: now() };
    match take(c, &row, &claim.readable) {
        Ok(true) => Ok(Some(claim)),
        Ok(false) => {
            claim.state.store(REFUSED, Ordering::Release);
            Err(held_elsewhere())
        }
        Err(e) => {
            claim.state.store(PENDING, Ordering::Release);
            Err(e.into())
        }
    }
}

/// Watches every statement of a connection (installed on each one the pool opens): a write
/// (`INSERT`, `UPDATE`, `DELETE`) while the request's key is still to be claimed, or after
/// another request was found holding it, is a write outside the request's write transactions.
/// Its effect would not commit with the claim, and a retry would apply it again. A bug of the
/// code that wrote it: logged, and in debug builds (every test) a panic, so the test that sent
/// the request fails (tests/api/matrix.rs sends every POST with a key).
pub(crate) fn guard(event: diesel::connection::InstrumentationEvent<'_>) {
    let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event else { return };
    let unclaimed = THREAD_CLAIM.with(|t| t.borrow().as_ref().is_some_and(|c| matches!(c.state.load(Ordering::Acquire), PENDING | REFUSED)));
    if !unclaimed {
        return;
    }
    let sql = query.to_string();
    let verb = sql.trim_start().split(|ch: char| !ch.is_ascii_alphabetic()).next().unwrap_or_default().to_ascii_uppercase();
    if matches!(verb.as_str(), "INSERT" | "UPDATE" | "DELETE") {
        let statement = sql.split(" -- binds").next().unwrap_or_default();
        tracing::error!(statement, "a write outside the write transaction that claims the request's Idempotency-Key");
        debug_assert!(false, "a write outside the write transaction that claims the request's Idempotency-Key: {statement}");
    }
}

/// After the transaction that took `claim` ended: committed, or rolled back (the next write
/// transaction of the request claims the key again).
pub(crate) fn settle(claim: &RequestClaim, committed: bool) {
    claim.state.store(if committed { TAKEN } else { PENDING }, Ordering::Release);
}

fn held_elsewhere() -> DbError {
    DbError::Conflict("a request with this Idempotency-Key was answered or is being answered".into())
}

/// Inserts `row` (a claim, or an answer kept by a request that wrote nothing), or takes over a
/// row of its key that expired or keeps an answer that is not `readable`; false when the key is
/// held (by a live answer, or by a claim: being answered, or applied with its answer lost).
fn take(c: &mut DbConnection, row: &KeyRow, readable: &Readable) -> QueryResult<bool> {
    use diesel::query_dsl::methods::FilterDsl;
    let expired = now() - KEEP;
    macro_rules! upsert {
        ($conn:expr) => {
            Cached(
                diesel::insert_into(k::table)
                    .values(row)
                    .on_conflict((k::user_id, k::key))
                    .do_update()
                    .set((k::request.eq(&row.request), k::status.eq(row.status), k::headers_json.eq(&row.headers_json), k::body.eq(&row.body), k::created_at.eq(row.created_at)))
                    .filter(k::created_at.lt(expired)),
            )
            .execute($conn)
        };
    }
    let n = match c {
        DbConnection::Pg(pg) => upsert!(pg)?,
        DbConnection::Sqlite(lite) => upsert!(lite)?,
    };
    if n == 1 {
        return Ok(true);
    }
    match find(c, &row.user_id, &row.key)? {
        Some(held) if held.status != 0 && held.status != APPLIED_UNKEPT && !readable(&held) => {
            delete(c, &row.user_id, &row.key)?;
            Ok(match c {
                DbConnection::Pg(pg) => upsert!(pg)?,
                DbConnection::Sqlite(lite) => upsert!(lite)?,
            } == 1)
        }
        _ => Ok(false),
    }
}

/// What a request whose key was held (or which answered without writing) finds: the key's row.
pub fn held(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    find(c, user_id, key)
}

/// Keeps the answer of a request that wrote nothing (a 404, a 409 found before writing), unless
/// the key is held already: false then (the caller answers from the row, [`held`]).
pub fn keep(c: &mut DbConnection, claim: &RequestClaim, status: u16, headers_json: String, body: Vec<u8>) -> QueryResult<bool> {
    let row = KeyRow { user_id: claim.user_id.clone(), key: claim.key.clone(), request: claim.request.clone(), status: i32::from(status), headers_json: Some(headers_json), body: Some(body), created_at: now() };
    take(c, &row, &claim.readable)
}

fn find(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    k::table.filter(k::user_id.eq(user_id)).filter(k::key.eq(key)).select(KeyRow::as_select()).first(c).optional()
}

fn delete(c: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::user_id.eq(user_id)).filter(k::key.eq(key))).execute(c)
}

/// The row of the key a claim took, while it is unanswered (a macro: the statement runs on
/// either backend's own connection).
macro_rules! unanswered {
    ($claim:expr) => {
        k::table.filter(k::user_id.eq(&$claim.user_id)).filter(k::key.eq(&$claim.key)).filter(k::request.eq(&$claim.request)).filter(k::status.eq(0))
    };
}

/// Stores the answer of the key `claim` took (its row, still without an answer).
///
/// On PostgreSQL its commit does not wait for the disk (`synchronous_commit` off for this one
/// statement's transaction, set by the statement itself: no round trip more). Losing it in a
/// crash loses nothing of the request: the claim committed with its effect, and a retry is told
/// it was applied (`ABANDONED`), as when the answer could not be kept at all.
pub fn complete(c: &mut DbConnection, claim: &RequestClaim, status: u16, headers_json: String, body: Vec<u8>) -> QueryResult<usize> {
    let row = unanswered!(claim);
    let answer = (k::status.eq(i32::from(status)), k::headers_json.eq(Some(headers_json)), k::body.eq(Some(body)));
    match c {
        DbConnection::Pg(pg) => Cached(diesel::update(row.filter(fixed::<diesel::sql_types::Bool>("(SELECT set_config('synchronous_commit', 'off', true)) = 'off'"))).set(answer)).execute(pg),
        DbConnection::Sqlite(lite) => Cached(diesel::update(row).set(answer)).execute(lite),
    }
}

/// Marks the key `claim` took as applied with its answer not kept ([`APPLIED_UNKEPT`]).
pub fn applied_unkept(c: &mut DbConnection, claim: &RequestClaim) -> QueryResult<usize> {
    diesel::update(unanswered!(claim)).set(k::status.eq(APPLIED_UNKEPT))
        .execute(c)
}

/// Drops answers older than [`KEEP`].
pub fn purge(c: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(k::table.filter(k::created_at.lt(now() - KEEP))).execute(c)
}
