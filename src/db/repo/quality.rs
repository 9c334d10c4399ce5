//! The problem ledger 问题台账 and what a cleaning run reads and writes (`services::quality`
//! runs the rules and reconciles): batches of a division's households, shared numbers, runs,
//! problems opened, refreshed, reopened and resolved.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor, Entry};
use crate::db::models::{HouseholdRow, ProblemRow, QualityRunRow};
use crate::db::schema::{households as h, members as m, pairings, photos, problems as p, quality_runs};
use crate::db::{DbConnection, DbError, filters, now, write_tx};
use crate::domain::quality;
use crate::domain::{DivisionCode, Relation, Scope};

const ACTIVE: [&str; 3] = ["open", "verified", "rectified"];

/// Of the ID numbers whose HMACs are `hmacs` (a batch's members'), those held by several
/// current members, one sealed copy per number with how many hold it (usually none: the unique
/// index prevents them; imported legacy data may not). Read through the index of ID numbers, so
/// what it costs follows the batch, never the rest of the database (a province's other counties).
pub fn shared_id_numbers(c: &mut DbConnection, hmacs: &[String]) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::count_star;
    if hmacs.is_empty() {
        return Ok(Vec::new());
    }
    let counted: Vec<(Option<String>, i64)> = m::table
        .filter(m::removed_at.is_null())
        .filter(m::id_number_hmac.eq_any(hmacs))
        .group_by(m::id_number_hmac)
        .having(count_star().gt(1))
        .select((m::id_number_hmac, count_star()))
        .load(c)?;
    let mut out = Vec::new();
    for (hmac, n) in counted {
        let Some(hmac) = hmac else { continue };
        let enc: Vec<Option<String>> = m::table.filter(m::id_number_hmac.eq(&hmac)).select(m::id_number_enc).limit(1).load(c)?;
        if let Some(e) = enc.into_iter().flatten().next() {
            out.push((e, n));
        }
    }
    Ok(out)
}

/// Whether the database itself keeps an ID number to one current member: the unique partial
/// index `members_current_id_number` (every migrated database has it) exists and is valid. Then
/// [`shared_id_numbers`] cannot find anything, and a cleaning run skips its probes — on a
/// province's database they are an index probe per member of the division (7.5 of a ten-county
/// run's 17.5 s). A database without it (a legacy copy, the index dropped to load old data) is
/// probed as before.
pub fn id_numbers_unique(c: &mut DbConnection) -> QueryResult<bool> {
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = match c {
        DbConnection::Pg(_) => {
            "SELECT count(*) AS n FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             WHERE x.relname = 'members_current_id_number' AND t.relname = 'members' AND i.indisunique AND i.indisvalid \
             AND x.relnamespace = to_regnamespace(current_schema())::oid"
        }
        DbConnection::Sqlite(_) => "SELECT count(*) AS n FROM pragma_index_list('members') WHERE name = 'members_current_id_number' AND \"unique\" = 1",
    };
    Ok(diesel::sql_query(sql).get_result::<Found>(c)?.n > 0)
}

/// The sealed phones of the current heads of the division's households (one per household).
pub fn head_phones(c: &mut DbConnection, division: &DivisionCode) -> QueryResult<Vec<String>> {
    let q = m::table.inner_join(h::table).into_boxed().filter(filters::households::in_division(division));
    let rows: Vec<Option<String>> = q
        .filter(m::removed_at.is_null())
        .filter(m::relation.eq(Relation::Head.as_str()))
        .filter(m::phone_enc.is_not_null())
        .select(m::phone_enc)
        .load(c)?;
    Ok(rows.into_iter().flatten().collect())
}

/// The next batch of the division's households after `after`, in id order.
pub fn households_batch(c: &mut DbConnection, division: &DivisionCode, after: Option<&str>, limit: i64) -> QueryResult<Vec<HouseholdRow>> {
    let mut q = h::table.filter(filters::households::in_division(division)).into_boxed();
    if let Some(a) = after {
        q = q.filter(h::id.gt(a.to_owned()));
    }
    q.order(h::id.asc()).limit(limit).select(HouseholdRow::as_select()).load(c)
}

/// Which of the households have a current pairing.
pub fn paired(c: &mut DbConnection, ids: &[String]) -> QueryResult<HashSet<String>> {
    Ok(pairings::table.filter(pairings::household_id.eq_any(ids)).filter(pairings::end_date.is_null()).select(pairings::household_id).load::<String>(c)?.into_iter().collect())
}

/// The households' photos of the year as (household, kind, status, reasons as stored).
pub fn photo_kinds(c: &mut DbConnection, ids: &[String], year: i32) -> QueryResult<Vec<(String, String, String, String)>> {
    photos::table.filter(photos::household_id.eq_any(ids)).filter(photos::year.eq(year)).select((photos::household_id, photos::kind, photos::status, photos::reasons)).load(c)
}

pub fn insert_run(c: &mut DbConnection, run: &QualityRunRow) -> QueryResult<()> {
    diesel::insert_into(quality_runs::table).values(run).execute(c).map(|_| ())
}

pub fn save_run(c: &mut DbConnection, run: &QualityRunRow) -> QueryResult<()> {
    diesel::update(quality_runs::table.find(&run.id)).set(run).execute(c).map(|_| ())
}

/// The problems of these households a run may still change (open, verified, rectified,
/// dismissed).
pub fn held(c: &mut DbConnection, household_ids: &[String]) -> QueryResult<Vec<ProblemRow>> {
    p::table
        .filter(p::household_id.eq_any(household_ids))
        .filter(p::status.eq_any(["open", "verified", "rectified", "dismissed"]))
        .filter(p::source.eq("cleaning"))
        .select(ProblemRow::as_select())
        .load(c)
}

/// A dismissed problem opened again because the household changed (its version raised from
/// what it is, so a progress note or sign-off meanwhile keeps its own step).
pub fn reopen(c: &mut DbConnection, id: &str, run_id: &str, detail: &str, fingerprint: &str, deadline: NaiveDate, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(p::table.find(id))
        .set((p::status.eq("open"), p::detail.eq(detail), p::fingerprint.eq(fingerprint), p::last_run.eq(run_id), p::deadline.eq(deadline), p::note.eq(Some("reopened: the household's data changed since it was dismissed")), p::version.eq(p::version + 1), p::status_changed_at.eq(at), p::status_changed_by.eq(None::<String>)))
        .execute(c)
        .map(|_| ())
}

/// A problem still firing, with what it says now.
pub fn refresh(c: &mut DbConnection, id: &str, run_id: &str, detail: &str, fingerprint: &str) -> QueryResult<()> {
    diesel::update(p::table.find(id)).set((p::detail.eq(detail), p::fingerprint.eq(fingerprint), p::last_run.eq(run_id))).execute(c).map(|_| ())
}

/// A problem whose rule stopped firing.
pub fn resolve_by_data(c: &mut DbConnection, id: &str, run_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(p::table.find(id))
        .set((p::status.eq("resolved_by_data"), p::resolved_run.eq(Some(run_id)), p::last_run.eq(run_id), p::version.eq(p::version + 1), p::status_changed_at.eq(at)))
        .execute(c)
        .map(|_| ())
}

/// New problems of a run.
pub fn insert_problems(c: &mut DbConnection, rows: Vec<ProblemRow>) -> QueryResult<()> {
    match c {
        // COPY: a first run over a county opens hundreds of thousands of problems.
        DbConnection::Pg(pg) if !rows.is_empty() => {
            diesel::copy_from(p::table).from_insertable(rows).execute(pg)?;
        }
        DbConnection::Pg(_) => {}
        DbConnection::Sqlite(lite) => {
            for r in &rows {
                diesel::insert_into(p::table).values(r).execute(lite)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct ProblemFilter {
    pub rule: Option<String>,
    pub status: Option<String>,
    /// `cleaning` or a source of problems recorded by people.
    pub source: Option<String>,
    pub overdue_on: Option<NaiveDate>,
    pub after: Option<String>,
    pub limit: i64,
}

/// The division, if it lies inside the caller's scope (404 otherwise); cadres have no ledger.
pub fn within(scope: &Scope, division: &DivisionCode) -> Result<(), DbError> {
    if scope.cadre_user().is_none() && scope.covers(division) { Ok(()) } else { Err(DbError::NotFound) }
}

/// Problems of a division inside the caller's scope.
pub fn list(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, f: &ProblemFilter) -> Result<Vec<ProblemRow>, DbError> {
    within(scope, division)?;
    let mut q = p::table.filter(filters::problems::in_division(division)).into_boxed();
    if let Some(r) = &f.rule {
        q = q.filter(p::rule_id.eq(r.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(p::status.eq(s.clone()));
    }
    if let Some(s) = &f.source {
        q = q.filter(p::source.eq(s.clone()));
    }
    if let Some(day) = f.overdue_on {
        q = q.filter(p::deadline.lt(day)).filter(p::status.eq_any(ACTIVE));
    }
    if let Some(a) = &f.after {
        q = q.filter(p::id.gt(a.clone()));
    }
    Ok(q.order(p::id.asc()).limit(f.limit).select(ProblemRow::as_select()).load(c)?)
}

/// Counts by village and status (of one source, if given).
pub fn summary(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, source: Option<&str>) -> Result<Vec<(String, String, String, i64)>, DbError> {
    within(scope, division)?;
    let sources: Vec<&str> = source.map_or_else(|| quality::people::SOURCES.to_vec(), |s| vec![s]);
    Ok(p::table
        .filter(filters::problems::in_division(division))
        .filter(p::source.eq_any(sources))
        .group_by((p::township_code, p::village_code, p::status))
        .select((p::township_code, p::village_code, p::status, diesel::dsl::count_star()))
        .order((p::township_code.asc(), p::village_code.asc()))
        .load(c)?)
}

pub fn get(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, id: &str) -> Result<ProblemRow, DbError> {
    within(scope, division)?;
    p::table.filter(p::id.eq(id)).filter(filters::problems::in_division(division)).select(ProblemRow::as_select()).first(c).optional()?.ok_or(DbError::NotFound)
}

/// Moves a problem along its lifecycle (409 for a skipped step), audited.
pub fn change_status(c: &mut DbConnection, scope: &Scope, division: &DivisionCode, actor: &Actor, id: &str, expected: i64, status: &str, note: Option<String>) -> Result<ProblemRow, DbError> {
    write_tx(c, |c| {
        let before = get(c, scope, division, id)?;
        if before.version != expected {
            return Err(DbError::PreconditionFailed);
        }
        quality::transition_allowed(&before.status, status).map_err(DbError::Conflict)?;
        // A problem found by people is rectified only with its measure, responsible person,
        // evidence and both sign-offs (整改销号).
        if before.source != "cleaning" && status == "rectified" {
            let missing = quality::people::missing(&super::problems::rectification(c, &before)?);
            if !missing.is_empty() {
                return Err(DbError::Conflict(format!("the rectification is not complete: missing {}", missing.join(", "))));
            }
        }
        let mut next = before.clone();
        next.status = status.to_owned();
        next.note = note.or(before.note.clone());
        next.version += 1;
        next.status_changed_at = now();
        next.status_changed_by = actor.name.clone();
        // The version is the guard, not only the read before: a concurrent change with the same
        // If-Match updates nothing here and is answered 412.
        if diesel::update(p::table.filter(p::id.eq(id)).filter(p::version.eq(expected))).set(&next).execute(c)? == 0 {
            return Err(DbError::PreconditionFailed);
        }
        audit::append(c, actor, Entry { action: "problem_status", entity_type: "problem", entity_id: id, household_id: before.household_id.as_deref(), before: Some(json!({"status": before.status})), after: Some(json!({"status": next.status, "note": next.note, "rule": next.rule_id, "source": next.source})) })?;
        Ok(next)
    })
}
