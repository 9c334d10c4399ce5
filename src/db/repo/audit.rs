//! The append-only audit log: every write, and reads of full personal records.

use diesel::prelude::*;

use crate::db::models::AuditRow;
use crate::db::schema::audit_log;
use crate::db::{DbConnection, new_id, now};

#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub name: Option<String>,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Self { id: None, name: Some(name.to_owned()) }
    }
}

pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub household_id: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub fn append(c: &mut DbConnection, actor: &Actor, e: Entry<'_>) -> QueryResult<()> {
    let row = AuditRow {
        id: new_id(),
        at: now(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        action: e.action.to_owned(),
        entity_type: e.entity_type.to_owned(),
        entity_id: e.entity_id.to_owned(),
        household_id: e.household_id.map(str::to_owned),
        before_json: e.before.map(|v| v.to_string()),
        after_json: e.after.map(|v| v.to_string()),
    };
    diesel::insert_into(audit_log::table).values(&row).execute(c).map(|_| ())
}

/// A household's trail, newest first, after the cursor.
pub fn household_history(
    c: &mut DbConnection,
    household_id: &str,
    include_reads: bool,
    before_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table.filter(audit_log::household_id.eq(household_id)).into_boxed();
    if !include_reads {
        q = q.filter(audit_log::action.ne("read"));
    }
    if let Some(b) = before_id {
        q = q.filter(audit_log::id.lt(b.to_owned()));
    }
    q.order(audit_log::id.desc()).limit(limit).select(AuditRow::as_select()).load(c)
}

/// Records of full-record reads, written in batches by a background thread: a read costs the
/// request no database round trip. A crash may lose the last ~200 ms of read records (never the
/// audit of a write, which is in the write's own transaction); a graceful stop does not
/// (`flush`, called once the server has stopped).
#[derive(Clone)]
pub struct ReadLog {
    tx: std::sync::mpsc::SyncSender<ReadLogMsg>,
}

enum ReadLogMsg {
    Row(AuditRow),
    /// Write what came before now, then answer.
    Flush(std::sync::mpsc::Sender<()>),
}

impl ReadLog {
    pub fn start<E>(db: crate::db::Db<E>) -> Self {
        let db: crate::db::Db = db.with_error();
        let (tx, rx) = std::sync::mpsc::sync_channel::<ReadLogMsg>(10_000);
        std::thread::Builder::new()
            .name("read-log".into())
            .spawn(move || read_log_worker(&db, &rx))
            .map_err(|e| tracing::error!(error = %e, "cannot start the read-log thread"))
            .ok();
        Self { tx }
    }

    /// A read of a household's full record (in its history with `include_reads=true`).
    pub fn record(&self, actor: &Actor, household_id: &str) {
        self.record_entity(actor, "household", household_id, Some(household_id));
    }

    /// A read that gave full ID or phone numbers of another record (a cadre, a user).
    pub fn record_entity(&self, actor: &Actor, entity_type: &str, entity_id: &str, household_id: Option<&str>) {
        let row = AuditRow {
            id: new_id(),
            at: now(),
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            action: "read".into(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            household_id: household_id.map(str::to_owned),
            before_json: None,
            after_json: None,
        };
        if self.tx.try_send(ReadLogMsg::Row(row)).is_err() {
            tracing::warn!(
                entity_type,
                entity_id,
                "read log full or stopped: a read was not recorded"
            );
        }
    }

    /// Blocks until every read recorded before this call has been written (one attempt: false
    /// if the database refused it or `timeout` passed first).
    pub fn flush(&self, timeout: std::time::Duration) -> bool {
        let (ack, done) = std::sync::mpsc::channel();
        self.tx.send(ReadLogMsg::Flush(ack)).is_ok() && done.recv_timeout(timeout).is_ok()
    }
}

fn read_log_worker(db: &crate::db::Db, rx: &std::sync::mpsc::Receiver<ReadLogMsg>) {
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Duration;
    let mut batch: Vec<AuditRow> = Vec::new();
    loop {
        let mut flushes = Vec::new();
        let mut take = |msg| match msg {
            ReadLogMsg::Row(row) => batch.push(row),
            ReadLogMsg::Flush(ack) => flushes.push(ack),
        };
        let stop = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(msg) => {
                take(msg);
                rx.try_iter().take(999).for_each(take);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        let mut written = true;
        if !batch.is_empty() {
            match write_batch(db, &batch) {
                Ok(()) => batch.clear(),
                // Keep the rows and try again on the next round (the database may be down).
                Err(e) => {
                    written = false;
                    tracing::warn!(error = %e, pending = batch.len(), "read log not written yet");
                }
            }
            if batch.len() > 100_000 {
                tracing::error!(dropped = batch.len(), "read log dropped after a long outage");
                batch.clear();
            }
        }
        // Unanswered (dropped) when the write failed: the flush reports false.
        if written {
            for ack in flushes {
                let _ = ack.send(());
            }
        }
        if stop {
            return;
        }
    }
}

fn write_batch(db: &crate::db::Db, batch: &[AuditRow]) -> Result<(), crate::db::DbError> {
    let mut conn = db.conn()?;
    crate::db::write_tx(&mut conn, |c| {
        match c {
            DbConnection::Pg(pg) => {
                diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(pg)?;
                for chunk in batch.chunks(500) {
                    diesel::insert_into(audit_log::table).values(chunk).execute(pg)?;
                }
            }
            DbConnection::Sqlite(lite) => {
                for row in batch {
                    diesel::insert_into(audit_log::table).values(row).execute(lite)?;
                }
            }
        }
        Ok(())
    })
}
