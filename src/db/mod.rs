//! The database: one connection type over SQLite and PostgreSQL, the pool, migrations and the
//! helper that runs blocking database work off the async executor.

mod error;
pub mod filters;
pub mod fixed;
pub mod models;
pub mod notify;
pub mod repo;
pub mod schema;

pub use error::{DbError, RunError, Unique};

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection, either backend; diesel generates the shared query machinery.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// The backend type shared by both variants, for boxed queries.
pub type Backend = <DbConnection as Connection>::Backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// Opens connections of the variant named by the URL scheme (never by trial and error: a
/// PostgreSQL that is down must read as "down", not as an invalid URL).
///
/// It also decides which pooled connection is checked with a round trip before it is handed
/// out (a PostgreSQL restart leaves every idle socket of the pool dead, and the request that
/// draws one would fail): one that sat idle longer than `idle_check`, or one older than the
/// last time any connection of the pool was found dead (`epoch`). Any other checkout costs
/// nothing, so a busy pool pays no round trip per request.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    kind: BackendKind,
    idle_check: Duration,
    epoch: Arc<AtomicU64>,
}

impl Manager {
    pub fn new(url: &str) -> Self {
        let kind = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            BackendKind::Postgres
        } else {
            BackendKind::Sqlite
        };
        let url = url.strip_prefix("sqlite://").unwrap_or(url).to_owned();
        Self { url, kind, idle_check: Duration::from_secs(30), epoch: Arc::new(AtomicU64::new(0)) }
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A connection of the pool was found dead: every other one is suspect until checked.
    fn server_went_away(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match self.kind {
            BackendKind::Postgres => {
                let mut c = PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(repo::idempotency::guard);
                Ok(DbConnection::Pg(c))
            }
            BackendKind::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(repo::idempotency::guard);
                // busy_timeout first: switching to WAL itself may wait for a lock.
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(c))
            }
        }
    }
}

/// A pooled connection: the connection itself (what every caller uses, through [`Conn`]) and
/// what the pool knows of it: when it was last given back, and the epoch it was last known
/// alive in.
pub struct Pooled {
    conn: DbConnection,
    returned: Instant,
    epoch: u64,
}

/// A connection checked out of the pool (see [`Db::conn`]); `&mut *conn` is the connection.
pub struct Conn(r2d2::PooledConnection<Manager>);

impl Deref for Conn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.0.conn
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.0.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let epoch = self.epoch();
        Ok(Pooled { conn: self.open()?, returned: Instant::now(), epoch })
    }

    /// Called on every checkout; a round trip only for a suspect connection (see [`Manager`]).
    /// A file database has no socket to lose.
    fn is_valid(&self, p: &mut Pooled) -> Result<(), r2d2::Error> {
        let epoch = self.epoch();
        if self.kind == BackendKind::Sqlite || (p.epoch == epoch && p.returned.elapsed() < self.idle_check) {
            return Ok(());
        }
        p.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)?;
        p.epoch = epoch;
        Ok(())
    }

    /// Called when a connection is given back: notes the time. Broken only when a transaction
    /// is still open on it (work that panicked inside one): the next user's `write_tx` would
    /// become a savepoint that never commits. One whose server went away was replaced in place
    /// by [`Db::run`].
    fn has_broken(&self, p: &mut Pooled) -> bool {
        use diesel::connection::TransactionManager;
        p.returned = Instant::now();
        let status = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(&mut p.conn);
        !matches!(status.transaction_depth(), Ok(None))
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// The pool plus the backend it talks to; cheap to clone.
///
/// `E` is the error type of the closures given to [`Db::run`], chosen by whoever holds the pool:
/// a caller above this layer picks its own error type, so its closures use `?` on repositories
/// (their `DbError` converts) and on its own checks alike, without naming the type. This layer
/// only asks that a `DbError` converts into it ([`RunError`]).
pub struct Db<E = DbError> {
    pool: Pool,
    manager: Manager,
    kind: BackendKind,
    /// One permit per pooled connection: work given to [`Db::run`] beyond what the pool can
    /// serve waits here, as a parked future, instead of on a thread of the blocking pool parked
    /// in the pool's checkout (every such thread is one more to wake and switch to).
    permits: Arc<tokio::sync::Semaphore>,
    /// How long [`Db::run`] waits for a permit: the pool's checkout timeout.
    timeout: Duration,
    error: PhantomData<fn() -> E>,
}

impl<E> Clone for Db<E> {
    fn clone(&self) -> Self {
        self.with_error()
    }
}

impl<E> Db<E> {
    /// Builds the pool without connecting: the service starts even while the database is down.
    /// `idle_check`: a connection idle longer than this is checked with a round trip before
    /// it is handed out again.
    pub fn new(url: &str, size: u32, timeout: Duration, idle_check: Duration) -> Self {
        let manager = Manager { idle_check, ..Manager::new(url) };
        let kind = manager.kind;
        // The checkout test is `Manager::is_valid`: free for a connection in recent use, a round
        // trip for a suspect one; a connection that fails at the connection level during a
        // request is replaced in place (see `run`).
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(true)
            .build_unchecked(manager.clone());
        let permits = Arc::new(tokio::sync::Semaphore::new(size as usize));
        Self { pool, manager, kind, permits, timeout, error: PhantomData }
    }

    /// The same pool, for closures of another error type (a background worker of this layer).
    pub fn with_error<F>(&self) -> Db<F> {
        Db { pool: self.pool.clone(), manager: self.manager.clone(), kind: self.kind, permits: self.permits.clone(), timeout: self.timeout, error: PhantomData }
    }

    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// A connection for synchronous callers (CLI commands, migrations); given back to the pool
    /// when dropped.
    pub fn conn(&self) -> Result<Conn, DbError> {
        self.pool.get().map(Conn).map_err(|e| DbError::Unavailable(format!("database unreachable: {e}")))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: RunError,
    {
        let db = self.clone();
        // An `Idempotency-Key` of the request still to claim: its first write transaction does.
        let claim = repo::idempotency::of_task();
        // Fair (first come, first served); a pool busy for the whole checkout timeout is the
        // same 503 as a checkout that timed out.
        let permit = match tokio::time::timeout(self.timeout, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(E::from(DbError::Unavailable("database busy: no connection free in time".into()))),
        };
        actix_web::web::block(move || {
            let _permit = permit;
            let mut conn = db.conn()?;
            let _claim = repo::idempotency::on_thread(claim);
            let result = f(&mut conn);
            if result.as_ref().is_err_and(E::is_unavailable) {
                db.heal(&mut conn);
            }
            result
        })
        .await
        .map_err(|e| E::from(DbError::Internal(anyhow::anyhow!("blocking task failed: {e}"))))?
    }

    /// Applies pending migrations of this backend; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
        let applied = match &mut *conn {
            DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied)
    }

    /// Whether the database answers now.
    pub fn ping(&self) -> bool {
        let Ok(mut c) = self.conn() else { return false };
        c.batch_execute("SELECT 1").is_ok() || self.heal(&mut c)
    }

    /// Replaces a pooled connection whose server went away (restart, failover) so the next
    /// request does not inherit a dead socket; false while the server is still down.
    fn heal(&self, conn: &mut DbConnection) -> bool {
        if self.kind == BackendKind::Postgres {
            self.manager.server_went_away();
        }
        match self.manager.open() {
            Ok(fresh) => {
                *conn = fresh;
                true
            }
            Err(_) => false,
        }
    }
}

/// Now, as stored: naive UTC truncated to microseconds (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    let t = chrono::Utc::now().naive_utc();
    t - chrono::Duration::nanoseconds(i64::from(t.and_utc().timestamp_subsec_nanos() % 1000))
}

/// A new UUIDv7 id as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write
/// lock up front: a deferred transaction that reads first and writes later fails at once with
/// SQLITE_BUSY when another writer got in between, which the busy timeout cannot cure.
///
/// The first write transaction of a request sent with an `Idempotency-Key` claims the key as
/// its first statement (`repo::idempotency`): a POST's effects are written in write
/// transactions, so the claim commits with them.
pub fn write_tx<T, E, F>(c: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Multi = <DbConnection as Connection>::TransactionManager;
    match c {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE"),
        DbConnection::Pg(_) => Multi::begin_transaction(c),
    }
    .map_err(DbError::from)?;
    let rollback = |c: &mut DbConnection| {
        if let Err(rollback) = Multi::rollback_transaction(c) {
            tracing::warn!(error = %rollback, "rollback failed");
        }
    };
    let claim = match repo::idempotency::take_in_transaction(c) {
        Ok(claim) => claim,
        Err(e) => {
            rollback(c);
            return Err(e.into());
        }
    };
    let result = match f(c) {
        Ok(v) => Multi::commit_transaction(c).map_err(DbError::from).map_err(E::from).map(|()| v),
        Err(e) => {
            rollback(c);
            Err(e)
        }
    };
    if let Some(claim) = claim {
        repo::idempotency::settle(&claim, result.is_ok());
    }
    result
}

/// Runs `f` in a read-only transaction that sees one snapshot of the database (PostgreSQL:
/// REPEATABLE READ; SQLite: a deferred transaction, which in WAL mode reads one snapshot), so
/// several queries agree with each other even while writers commit.
pub fn read_snapshot<T, E, F>(c: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Multi = <DbConnection as Connection>::TransactionManager;
    match c {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN DEFERRED"),
        DbConnection::Pg(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    }
    .map_err(DbError::from)?;
    let result = f(c);
    // Nothing was written: ending either way is the same; commit keeps the connection clean.
    match Multi::commit_transaction(c) {
        Ok(()) => result,
        Err(e) => {
            let _ = Multi::rollback_transaction(c);
            result.and(Err(DbError::from(e).into()))
        }
    }
}
