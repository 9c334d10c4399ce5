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
